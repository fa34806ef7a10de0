// JSON adapter: nlohmann's ordered_json (keeps member order, so documents we write read like
// docker's) with parsing that returns a Result instead of throwing.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace berth {

using Json = nlohmann::ordered_json;

// Parses text; the error (Corrupt) names `what` and the parser's position.
Result<Json> parse_json(std::string_view text, std::string_view what);

// Serialises compactly, escaping like Go's encoding/json (<, > and & as \u003c, \u003e, \u0026)
// so that digests of documents we write match those Go tools write for the same content.
std::string to_go_json(const Json& j);

// Typed field access that reports a missing or mistyped member as Corrupt naming `what`.
Result<std::string> json_string(const Json& j, std::string_view key, std::string_view what);

}  // namespace berth
