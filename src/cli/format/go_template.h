// A Go text/template subset for docker's --format flag, evaluated over a Json value as the dot.
//
// Supported: literal text; actions {{pipeline}} with trim markers ("{{- " and " -}}") and
// {{/* comments */}}; operands . .Field .A.B.C $ $x $x.Field (pipeline).Field, "strings" with Go
// escapes, `raw strings`, numbers, 'c' characters, true false nil; pipelines "a | f b"; variables
// {{$x := …}} and {{$x = …}}; {{if}} / {{else if}} / {{else}} / {{end}}, {{with}} (with
// {{else with}}), {{range}} over arrays, objects (keys in sorted order) and non-negative integers,
// with "$e :=" or "$i, $e :=" and {{else}}. Functions: and or not len index slice print printf
// println eq ne lt le gt ge html urlquery, and docker's json split join title lower upper pad
// truncate. Not supported: define/template/block, break/continue, js, call, methods.
//
// Values print as Go prints them: strings raw, integers without a decimal point, floats in Go's
// shortest form, bools, arrays "[a b]", objects "map[k:v]" (keys sorted), and a missing field or a
// null as "<no value>". A field of a missing value or of null is null again; a field of any other
// non-object ("{{.Name.X}}" with a string Name) is an execution error.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/json.h"

namespace berth::cli {

namespace tmpl {
struct Tree;
}  // namespace tmpl

// A parsed template. Cheap to copy (the tree is shared and immutable); thread-compatible.
class Template {
 public:
  // Parses text. A syntax error is InvalidArgument and prints as docker's does:
  // "template parsing error: template: :1: function \"foo\" not defined".
  static Result<Template> parse(std::string_view text);

  // Executes the template with `dot` as "." and "$". An execution error is InvalidArgument with
  // Go's wording: "template: :1:2: executing \"\" at <.Name.X>: can't evaluate field X in type
  // string" (docker's formatter prefixes "template parsing error: " to it; see table.h).
  Result<std::string> execute(const Json& dot) const;

  // Executes the template as docker does for a table header: the dot maps field names to column
  // headers ({{.ID}} → headers["ID"], or default_header("ID") when absent; a longer chain
  // {{.State.Status}} prints its first field's header), and json split join title lower upper
  // truncate return their first argument. Never fails: as docker ignores header errors, output
  // stops where an error occurs.
  std::string execute_header(const std::map<std::string, std::string>& headers) const;

  const std::string& source() const;

 private:
  explicit Template(std::shared_ptr<const tmpl::Tree> tree) : tree_(std::move(tree)) {}

  std::shared_ptr<const tmpl::Tree> tree_;
};

// The header for a field without an entry in a header map: the name split into words where the
// case changes, upper-cased: "CreatedAt" → "CREATED AT", "IPAddress" → "IP ADDRESS", "ID" → "ID".
std::string default_header(std::string_view field);

}  // namespace berth::cli
