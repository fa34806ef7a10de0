// JSON text exactly as Go's encoding/json writes it, for output that users compare with docker's:
// floats in Go's shortest form (1 not 1.0, 1e+21, 1e-7), strings escaped as Go escapes them
// (\u00XX for control characters, \u2028 and \u2029 always, invalid UTF-8 as \ufffd), and
// optionally <, > and & as \u003c, \u003e, \u0026 (json.Marshal does; docker's `json` template
// function turns it off). Members keep the order they have in the Json value.
#pragma once

#include <string>
#include <string_view>

#include "base/json.h"

namespace berth::cli {

// Compact form, as json.Marshal (escape_html) or an Encoder with SetEscapeHTML(false).
// NaN and infinities, which Go refuses to encode, are written as null.
std::string go_json(const Json& value, bool escape_html);

// Indented form, as json.MarshalIndent(value, "", indent): empty arrays and objects stay "[]"
// and "{}", every member on its own line, "key": value. No trailing newline. HTML is escaped.
std::string go_json_indent(const Json& value, std::string_view indent);

}  // namespace berth::cli
