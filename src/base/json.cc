#include "base/json.h"

#include <fmt/format.h>

namespace berth {

Result<Json> parse_json(std::string_view text, std::string_view what) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    // nlohmann's message starts with "[json.exception.parse_error.101] parse error at line 1…";
    // keep the part after the bracket for a readable one-liner.
    std::string msg = e.what();
    if (auto pos = msg.find("] "); pos != std::string::npos) {
      msg = msg.substr(pos + 2);
    }
    return fail(Code::kCorrupt, fmt::format("{}: invalid JSON: {}", what, msg));
  } catch (const std::exception& e) {
    return fail(Code::kCorrupt, fmt::format("{}: invalid JSON: {}", what, e.what()));
  }
}

std::string to_go_json(const Json& j) {
  std::string s = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  std::string out;
  out.reserve(s.size());
  bool in_string = false;
  bool escaped = false;
  for (char c : s) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      } else if (c == '<') {
        out += "\\u003c";
        continue;
      } else if (c == '>') {
        out += "\\u003e";
        continue;
      } else if (c == '&') {
        out += "\\u0026";
        continue;
      }
    } else if (c == '"') {
      in_string = true;
    }
    out += c;
  }
  return out;
}

Result<std::string> json_string(const Json& j, std::string_view key, std::string_view what) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) {
    return fail(Code::kCorrupt, fmt::format("{}: missing string field '{}'", what, key));
  }
  return it->get<std::string>();
}

}  // namespace berth
