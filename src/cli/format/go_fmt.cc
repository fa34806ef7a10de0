#include "cli/format/go_fmt.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include "cli/format/utf8.h"

namespace berth::cli {
namespace {

// One parsed %-directive of a Printf format.
struct Spec {
  bool minus = false;
  bool plus = false;
  bool space = false;
  bool zero = false;
  bool sharp = false;
  int width = -1;
  int prec = -1;
  char32_t verb = 'v';
};

// An object's members in byte order of their keys, as fmt prints Go maps.
std::vector<std::pair<std::string_view, const Json*>> sorted_members(const Json& object) {
  std::vector<std::pair<std::string_view, const Json*>> members;
  for (auto it = object.begin(); it != object.end(); ++it) {
    members.emplace_back(it.key(), &it.value());
  }
  std::sort(members.begin(), members.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return members;
}

std::string verb_text(char32_t verb) {
  std::string s;
  utf8::append(s, verb);
  return s;
}

std::string bad_verb(const Spec& spec, const Json& v) {
  if (v.is_null()) {
    return "%!" + verb_text(spec.verb) + "(<nil>)";
  }
  return "%!" + verb_text(spec.verb) + "(" + go_type_name(v) + "=" + go_print(v) + ")";
}

// Pads to the width in runes: spaces on the left, on the right with '-', zeros with '0'.
std::string pad(const Spec& spec, std::string s) {
  if (spec.width < 0) {
    return s;
  }
  size_t n = utf8::rune_count(s);
  if (n >= static_cast<size_t>(spec.width)) {
    return s;
  }
  size_t fill = static_cast<size_t>(spec.width) - n;
  if (spec.minus) {
    return s + std::string(fill, ' ');
  }
  if (spec.zero) {
    // Zeros go after a sign.
    size_t at = (!s.empty() && (s[0] == '-' || s[0] == '+' || s[0] == ' ')) ? 1 : 0;
    return s.insert(at, std::string(fill, '0'));
  }
  return std::string(fill, ' ') + s;
}

std::string format_int(const Spec& spec, const Json& v) {
  bool neg = false;
  uint64_t mag = 0;
  if (v.is_number_unsigned()) {
    mag = v.get<uint64_t>();
  } else {
    int64_t i = v.get<int64_t>();
    neg = i < 0;
    mag = neg ? static_cast<uint64_t>(-(i + 1)) + 1 : static_cast<uint64_t>(i);
  }
  if (spec.verb == 'c' || spec.verb == 'q') {
    std::string s;
    char32_t cp = (neg || mag > 0x10FFFF) ? utf8::kInvalid : static_cast<char32_t>(mag);
    utf8::append(s, cp);
    if (spec.verb == 'q') {
      s = go_quote(s);
      s = "'" + s.substr(1, s.size() - 2) + "'";
    }
    return pad(spec, s);
  }
  int base = spec.verb == 'x' || spec.verb == 'X' ? 16
             : spec.verb == 'o'                   ? 8
             : spec.verb == 'b'                   ? 2
                                                  : 10;
  char buf[80];
  auto res = std::to_chars(buf, buf + sizeof(buf), mag, base);
  std::string digits(buf, res.ptr);
  if (spec.verb == 'X') {
    std::transform(digits.begin(), digits.end(), digits.begin(), ::toupper);
  }
  if (spec.prec >= 0 && digits.size() < static_cast<size_t>(spec.prec)) {
    digits.insert(0, static_cast<size_t>(spec.prec) - digits.size(), '0');
  } else if (spec.prec == 0 && mag == 0) {
    digits.clear();
  }
  if (spec.sharp && base == 16) {
    digits.insert(0, spec.verb == 'X' ? "0X" : "0x");
  }
  std::string sign = neg ? "-" : spec.plus ? "+" : spec.space ? " " : "";
  Spec padding = spec;
  padding.zero = spec.zero && spec.prec < 0;
  return pad(padding, sign + digits);
}

std::string format_float(const Spec& spec, double v) {
  std::string s;
  if (spec.prec < 0 && (spec.verb == 'v' || spec.verb == 'g' || spec.verb == 'G')) {
    s = go_format_float(v);
  } else if (!std::isfinite(v)) {
    s = go_format_float(v);
  } else {
    char conv = spec.verb == 'v' ? 'g' : static_cast<char>(spec.verb);
    int prec = spec.prec >= 0 ? spec.prec : 6;
    char fmtbuf[8] = {'%', '.', '*', conv, '\0'};
    char buf[512];
    int n = std::snprintf(buf, sizeof(buf), fmtbuf, prec, v);
    s.assign(buf, static_cast<size_t>(std::clamp(n, 0, static_cast<int>(sizeof(buf)) - 1)));
  }
  if (spec.verb == 'G' || spec.verb == 'E') {
    std::transform(s.begin(), s.end(), s.begin(), ::toupper);
  }
  if (!s.empty() && s[0] != '-' && s[0] != '+') {
    s.insert(0, spec.plus ? "+" : spec.space ? " " : "");
  }
  return pad(spec, s);
}

std::string format_string(const Spec& spec, const std::string& s) {
  switch (spec.verb) {
    case 'v':
    case 's':
      if (spec.prec >= 0) {
        size_t i = 0;
        for (int k = 0; k < spec.prec && i < s.size(); ++k) {
          utf8::decode(s, i);
        }
        return pad(spec, s.substr(0, i));
      }
      return pad(spec, s);
    case 'q':
      return pad(spec, go_quote(s));
    case 'x':
    case 'X': {
      std::string hex;
      for (unsigned char c : s) {
        hex += spec.verb == 'x' ? fmt::format("{:02x}", c) : fmt::format("{:02X}", c);
      }
      return pad(spec, hex);
    }
    default:
      return bad_verb(spec, s);
  }
}

std::string format_value(const Spec& spec, const Json& v);

// Go applies the directive to each element of a slice or map.
std::string format_container(const Spec& spec, const Json& v) {
  std::string out = v.is_array() ? "[" : "map[";
  bool first = true;
  if (v.is_array()) {
    for (const Json& e : v) {
      out += first ? "" : " ";
      out += format_value(spec, e);
      first = false;
    }
  } else {
    for (const auto& [key, member] : sorted_members(v)) {
      out += first ? "" : " ";
      out += format_value(spec, std::string(key)) + ":" + format_value(spec, *member);
      first = false;
    }
  }
  return out + "]";
}

std::string format_value(const Spec& spec, const Json& v) {
  if (spec.verb == 'T') {
    return pad(spec, go_type_name(v));
  }
  switch (v.type()) {
    case Json::value_t::string:
      return format_string(spec, v.get_ref<const std::string&>());
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      if (std::string_view("vdxXobcq").find(static_cast<char>(spec.verb)) ==
              std::string_view::npos ||
          spec.verb > 0x7f) {
        return bad_verb(spec, v);
      }
      return format_int(spec, v);
    case Json::value_t::number_float:
      if (std::string_view("veEfFgG").find(static_cast<char>(spec.verb)) ==
              std::string_view::npos ||
          spec.verb > 0x7f) {
        return bad_verb(spec, v);
      }
      return format_float(spec, v.get<double>());
    case Json::value_t::boolean:
      if (spec.verb != 'v' && spec.verb != 't') {
        return bad_verb(spec, v);
      }
      return pad(spec, v.get<bool>() ? "true" : "false");
    case Json::value_t::array:
    case Json::value_t::object:
      return format_container(spec, v);
    default:
      if (spec.verb != 'v') {
        return bad_verb(spec, v);
      }
      return pad(spec, "<nil>");
  }
}

// Parses flags, width and precision after a '%' at format[i]; leaves i at the verb.
Spec parse_spec(std::string_view format, size_t& i) {
  Spec spec;
  for (; i < format.size(); ++i) {
    char c = format[i];
    if (c == '-') {
      spec.minus = true;
    } else if (c == '+') {
      spec.plus = true;
    } else if (c == ' ') {
      spec.space = true;
    } else if (c == '0') {
      spec.zero = !spec.minus;
    } else if (c == '#') {
      spec.sharp = true;
    } else {
      break;
    }
  }
  auto number = [&]() {
    int n = 0;
    while (i < format.size() && format[i] >= '0' && format[i] <= '9') {
      n = std::min(n * 10 + (format[i] - '0'), 1'000'000);
      ++i;
    }
    return n;
  };
  if (i < format.size() && format[i] >= '1' && format[i] <= '9') {
    spec.width = number();
  }
  if (i < format.size() && format[i] == '.') {
    ++i;
    spec.prec = number();
  }
  return spec;
}

}  // namespace

std::string go_type_name(const Json& value) {
  switch (value.type()) {
    case Json::value_t::string:
      return "string";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "int";
    case Json::value_t::number_float:
      return "float64";
    case Json::value_t::boolean:
      return "bool";
    case Json::value_t::array:
      return "[]interface {}";
    case Json::value_t::object:
      return "map[string]interface {}";
    default:
      return "<nil>";
  }
}

std::string go_format_float(double v) {
  if (std::isnan(v)) {
    return "NaN";
  }
  if (std::isinf(v)) {
    return v > 0 ? "+Inf" : "-Inf";
  }
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  int exp = std::atoi(sci.c_str() + sci.find('e') + 1);
  if (exp < -4 || exp >= 6) {
    return sci;  // to_chars writes at least two exponent digits, as Go does
  }
  res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  return std::string(buf, res.ptr);
}

std::string go_print(const Json& value) {
  switch (value.type()) {
    case Json::value_t::string:
      return value.get<std::string>();
    case Json::value_t::number_integer:
      return std::to_string(value.get<int64_t>());
    case Json::value_t::number_unsigned:
      return std::to_string(value.get<uint64_t>());
    case Json::value_t::number_float:
      return go_format_float(value.get<double>());
    case Json::value_t::boolean:
      return value.get<bool>() ? "true" : "false";
    case Json::value_t::array:
    case Json::value_t::object:
      return format_container(Spec{}, value);
    default:
      return "<nil>";
  }
}

std::string go_sprint(const std::vector<Json>& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0 && !args[i].is_string() && !args[i - 1].is_string()) {
      out += ' ';
    }
    out += go_print(args[i]);
  }
  return out;
}

std::string go_sprintln(const std::vector<Json>& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    out += i > 0 ? " " : "";
    out += go_print(args[i]);
  }
  return out + "\n";
}

std::string go_sprintf(std::string_view format, const std::vector<Json>& args) {
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < format.size();) {
    if (format[i] != '%') {
      out += format[i++];
      continue;
    }
    ++i;
    Spec spec = parse_spec(format, i);
    if (i >= format.size()) {
      out += "%!(NOVERB)";
      break;
    }
    spec.verb = utf8::decode(format, i);
    if (spec.verb == '%') {
      out += '%';
    } else if (next >= args.size()) {
      out += "%!" + verb_text(spec.verb) + "(MISSING)";
    } else {
      out += format_value(spec, args[next++]);
    }
  }
  if (next < args.size()) {
    out += "%!(EXTRA ";
    for (size_t k = next; k < args.size(); ++k) {
      out += k > next ? ", " : "";
      out += args[k].is_null() ? "<nil>" : go_type_name(args[k]) + "=" + go_print(args[k]);
    }
    out += ")";
  }
  return out;
}

std::string go_quote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    size_t start = i;
    bool valid = true;
    char32_t cp = utf8::decode(s, i, &valid);
    if (!valid) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(s[start]));
    } else if (cp == '"' || cp == '\\') {
      out += '\\';
      out += static_cast<char>(cp);
    } else if (cp >= 0x20 && cp < 0x7f) {
      out += static_cast<char>(cp);
    } else if (cp == '\a' || cp == '\b' || cp == '\f' || cp == '\n' || cp == '\r' || cp == '\t' ||
               cp == '\v') {
      static constexpr std::string_view kLetters = "abtnvfr";
      out += '\\';
      out += kLetters[cp - '\a'];
    } else if (cp < 0x20 || cp == 0x7f) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned>(cp));
    } else if (cp < 0xA0 || cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(cp));
    } else {
      out.append(s.substr(start, i - start));
    }
  }
  return out + "\"";
}

}  // namespace berth::cli
