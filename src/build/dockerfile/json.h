// The JSON (exec) form of Dockerfile arguments: `["a", "b"]`, decoded as BuildKit decodes it with
// Go's encoding/json into []any. Internal to the parser; pure computation.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace berth::build {

enum class JsonArrayParse {
  kNotJson,    // not one valid JSON value starting with '[': the shell form applies
  kStrings,    // a JSON array of strings: *out holds them
  kNonString,  // a valid JSON array with a non-string element: a hard error
};

// text must start with '[' (after any whitespace the caller skipped) and be one complete JSON
// value with nothing but JSON whitespace after it. Strings decode Go's way: invalid UTF-8 bytes
// and unpaired surrogate escapes become U+FFFD, and \u0000 a NUL byte. Nesting deeper than 10000
// is not JSON (Go's limit).
JsonArrayParse parse_json_string_array(std::string_view text, std::vector<std::string>* out);

}  // namespace berth::build
