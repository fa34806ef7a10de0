// Go's fmt and strconv printing rules over Json values, as text/template applies them: the
// template engine prints values with fmt's %v, and `print`, `println` and `printf` are fmt's
// Sprint, Sprintln and Sprintf. A Json value stands for the Go value docker would hold: strings,
// integers (int), floats (float64), bools, null (nil), arrays ([]interface {}) and objects
// (map[string]interface {}).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"

namespace berth::cli {

// fmt's %v: strings raw, integers in decimal, floats in Go's shortest %g (1, 2.5, 1e+06), bools
// as true/false, null as "<nil>", arrays as "[a b c]", objects as "map[k:v k2:v2]" with keys in
// byte order, nested values printed the same way.
std::string go_print(const Json& value);

// fmt.Sprint: operands printed with %v, a space between two operands when neither is a string.
std::string go_sprint(const std::vector<Json>& args);

// fmt.Sprintln: operands printed with %v, always separated by a space, then a newline.
std::string go_sprintln(const std::vector<Json>& args);

// fmt.Sprintf for the verbs v s q d x X o b c t e E f F g G T and %%, with the flags - + space 0 #,
// width and precision (no * and no [n] argument indexes). Mismatches print as Go does:
// "%!d(string=x)", "%!s(MISSING)", "%!(EXTRA int=1)". Never fails.
std::string go_sprintf(std::string_view format, const std::vector<Json>& args);

// strconv.Quote: a double-quoted Go string literal with Go's escapes.
std::string go_quote(std::string_view s);

// strconv.FormatFloat(v, 'g', -1, 64), which fmt's %v uses: the shortest digits that read back
// as v, in exponent form ("1e+06", "1.5e-05") when the exponent is below -4 or at least 6, and
// "NaN", "+Inf", "-Inf".
std::string go_format_float(double v);

// The Go type name fmt shows in its error forms: string, int, float64, bool,
// []interface {}, map[string]interface {}, or <nil>.
std::string go_type_name(const Json& value);

}  // namespace berth::cli
