#include "cli/format/go_json.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "cli/format/utf8.h"

namespace berth::cli {
namespace {

// encoding/json's float encoder: 'f' form unless the magnitude is below 1e-6 or at least 1e21,
// then 'e' form with a one-digit negative exponent where possible ("1e-7", not "1e-07").
void append_float(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  double abs = std::fabs(v);
  bool exp_form = abs != 0 && (abs < 1e-6 || abs >= 1e21);
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v,
                           exp_form ? std::chars_format::scientific : std::chars_format::fixed);
  std::string s(buf, res.ptr);
  if (exp_form) {
    size_t n = s.size();
    if (n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' && s[n - 2] == '0') {
      s.erase(n - 2, 1);
    }
  }
  out += s;
}

void append_string(std::string& out, std::string_view s, bool escape_html) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (c < 0x20 || (escape_html && (c == '<' || c == '>' || c == '&'))) {
            out += fmt::format("\\u00{:02x}", c);
          } else {
            out += static_cast<char>(c);
          }
      }
      continue;
    }
    size_t start = i;
    bool valid = true;
    char32_t cp = utf8::decode(s, i, &valid);
    if (!valid) {
      out += "\\ufffd";
    } else if (cp == 0x2028 || cp == 0x2029) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(cp));
    } else {
      out.append(s.substr(start, i - start));
    }
  }
  out += '"';
}

void append_scalar(std::string& out, const Json& v, bool escape_html) {
  switch (v.type()) {
    case Json::value_t::string:
      append_string(out, v.get_ref<const std::string&>(), escape_html);
      break;
    case Json::value_t::number_float:
      append_float(out, v.get<double>());
      break;
    case Json::value_t::number_integer:
      out += std::to_string(v.get<int64_t>());
      break;
    case Json::value_t::number_unsigned:
      out += std::to_string(v.get<uint64_t>());
      break;
    case Json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      break;
    default:  // null, discarded, binary: Go has no counterpart but nil
      out += "null";
      break;
  }
}

// One encoder for both forms: indent empty means compact.
void append_value(std::string& out, const Json& v, bool escape_html, std::string_view indent,
                  int depth) {
  bool pretty = !indent.empty();
  auto newline = [&](int d) {
    if (pretty) {
      out += '\n';
      for (int k = 0; k < d; ++k) {
        out.append(indent);
      }
    }
  };
  if (v.is_object()) {
    if (v.empty()) {
      out += "{}";
      return;
    }
    out += '{';
    bool first = true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (!first) {
        out += ',';
      }
      first = false;
      newline(depth + 1);
      append_string(out, it.key(), escape_html);
      out += pretty ? ": " : ":";
      append_value(out, it.value(), escape_html, indent, depth + 1);
    }
    newline(depth);
    out += '}';
  } else if (v.is_array()) {
    if (v.empty()) {
      out += "[]";
      return;
    }
    out += '[';
    for (size_t i = 0; i < v.size(); ++i) {
      if (i > 0) {
        out += ',';
      }
      newline(depth + 1);
      append_value(out, v[i], escape_html, indent, depth + 1);
    }
    newline(depth);
    out += ']';
  } else {
    append_scalar(out, v, escape_html);
  }
}

}  // namespace

std::string go_json(const Json& value, bool escape_html) {
  std::string out;
  append_value(out, value, escape_html, {}, 0);
  return out;
}

std::string go_json_indent(const Json& value, std::string_view indent) {
  std::string out;
  append_value(out, value, true, indent, 0);
  return out;
}

}  // namespace berth::cli
