// The functions a docker --format template can call: Go's text/template builtins (and or not len
// index slice print printf println eq ne lt le gt ge html urlquery) and the ones docker adds
// (json split join title lower upper pad truncate), over Json values.
#include <algorithm>
#include <cctype>
#include <cmath>

#include <fmt/format.h>

#include "cli/format/go_fmt.h"
#include "cli/format/go_json.h"
#include "cli/format/template_ast.h"
#include "cli/format/utf8.h"

namespace berth::cli::tmpl {
namespace {

using Args = std::vector<Json>;
using Fn = Result<Json> (*)(Args& args);

tl::unexpected<Error> call_error(std::string_view name, std::string_view msg) {
  return fail(Code::kInvalidArgument, fmt::format("error calling {}: {}", name, msg));
}

tl::unexpected<Error> wrong_type(std::string_view want, const Json& got) {
  return fail(Code::kInvalidArgument,
              fmt::format("wrong type for value; expected {}; got {}", want, go_type_name(got)));
}

Result<std::string> want_string(const Json& v) {
  if (!v.is_string()) {
    return wrong_type("string", v);
  }
  return v.get<std::string>();
}

// An int argument; an integral float (a constant like 2.0) is accepted too.
Result<int64_t> want_int(const Json& v) {
  if (v.is_number_integer()) {
    return v.get<int64_t>();
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (d == std::trunc(d) && std::fabs(d) < 9e18) {
      return static_cast<int64_t>(d);
    }
  }
  return wrong_type("int", v);
}

// --- comparisons (Go's eq/lt on basic kinds; ints and floats compare by value) ---

enum class Kind { kBool, kInt, kFloat, kString, kNil, kOther };

Kind kind_of(const Json& v) {
  if (v.is_boolean()) {
    return Kind::kBool;
  }
  if (v.is_number_integer()) {
    return Kind::kInt;
  }
  if (v.is_number_float()) {
    return Kind::kFloat;
  }
  if (v.is_string()) {
    return Kind::kString;
  }
  return v.is_null() ? Kind::kNil : Kind::kOther;
}

// -1, 0 or 1 for two numbers; integers of different signedness compare exactly.
int compare_numbers(const Json& a, const Json& b) {
  if (a.is_number_float() || b.is_number_float()) {
    double x = a.get<double>();
    double y = b.get<double>();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  bool a_neg = a.is_number_unsigned() ? false : a.get<int64_t>() < 0;
  bool b_neg = b.is_number_unsigned() ? false : b.get<int64_t>() < 0;
  if (a_neg != b_neg) {
    return a_neg ? -1 : 1;
  }
  if (a_neg) {
    int64_t x = a.get<int64_t>();
    int64_t y = b.get<int64_t>();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  uint64_t x = a.get<uint64_t>();
  uint64_t y = b.get<uint64_t>();
  return x < y ? -1 : (x > y ? 1 : 0);
}

Result<bool> equal(const Json& a, const Json& b) {
  Kind ka = kind_of(a);
  Kind kb = kind_of(b);
  if (ka == Kind::kNil || kb == Kind::kNil) {
    return ka == kb;
  }
  if (ka == Kind::kOther || kb == Kind::kOther) {
    return fail(Code::kInvalidArgument, "error calling eq: non-comparable type");
  }
  bool numbers =
      (ka == Kind::kInt || ka == Kind::kFloat) && (kb == Kind::kInt || kb == Kind::kFloat);
  if (numbers) {
    return compare_numbers(a, b) == 0;
  }
  if (ka != kb) {
    return fail(Code::kInvalidArgument, "error calling eq: incompatible types for comparison");
  }
  return a == b;
}

Result<bool> less(std::string_view name, const Json& a, const Json& b) {
  Kind ka = kind_of(a);
  Kind kb = kind_of(b);
  auto ordered = [](Kind k) { return k == Kind::kInt || k == Kind::kFloat || k == Kind::kString; };
  if (!ordered(ka) || !ordered(kb)) {
    return call_error(name, "invalid type for comparison");
  }
  if (ka == Kind::kString || kb == Kind::kString) {
    if (ka != kb) {
      return call_error(name, "incompatible types for comparison");
    }
    return a.get_ref<const std::string&>() < b.get_ref<const std::string&>();
  }
  return compare_numbers(a, b) < 0;
}

Result<Json> fn_eq(Args& a) {
  for (size_t i = 1; i < a.size(); ++i) {
    if (BERTH_TRY(equal(a[0], a[i]))) {
      return Json(true);
    }
  }
  return Json(false);
}

Result<Json> fn_ne(Args& a) { return Json(!BERTH_TRY(equal(a[0], a[1]))); }
Result<Json> fn_lt(Args& a) { return Json(BERTH_TRY(less("lt", a[0], a[1]))); }
Result<Json> fn_ge(Args& a) { return Json(!BERTH_TRY(less("ge", a[0], a[1]))); }
Result<Json> fn_le(Args& a) {
  bool lt = BERTH_TRY(less("le", a[0], a[1]));
  return Json(lt || BERTH_TRY(equal(a[0], a[1])));
}
Result<Json> fn_gt(Args& a) {
  bool lt = BERTH_TRY(less("gt", a[0], a[1]));
  return Json(!lt && !BERTH_TRY(equal(a[0], a[1])));
}

// --- builtins ---

Result<Json> fn_not(Args& a) { return Json(!truth(a[0])); }

Result<Json> fn_len(Args& a) {
  const Json& v = a[0];
  if (v.is_string()) {
    return Json(static_cast<int64_t>(v.get_ref<const std::string&>().size()));
  }
  if (v.is_array() || v.is_object()) {
    return Json(static_cast<int64_t>(v.size()));
  }
  if (v.is_null()) {
    return call_error("len", "len of nil pointer");
  }
  return call_error("len", fmt::format("len of type {}", go_type_name(v)));
}

// An object whose values are all strings reads like Go's map[string]string (labels, options),
// where a missing key yields "" rather than no value.
bool looks_like_string_map(const Json& v) {
  return std::all_of(v.begin(), v.end(), [](const Json& e) { return e.is_string(); });
}

Result<Json> index_one(const Json& item, const Json& key) {
  if (item.is_object() || item.is_null()) {
    if (!key.is_string()) {
      return call_error("index",
                        fmt::format("value has type {}; should be string", go_type_name(key)));
    }
    if (item.is_null()) {
      return Json("");
    }
    auto it = item.find(key.get<std::string>());
    if (it != item.end()) {
      return *it;
    }
    return looks_like_string_map(item) ? Json("") : Json(nullptr);
  }
  if (!item.is_array() && !item.is_string()) {
    return call_error("index", fmt::format("can't index item of type {}", go_type_name(item)));
  }
  if (!key.is_number_integer()) {
    return call_error("index",
                      fmt::format("cannot index slice/array with type {}", go_type_name(key)));
  }
  int64_t i = key.get<int64_t>();
  size_t n = item.is_string() ? item.get_ref<const std::string&>().size() : item.size();
  if (i < 0 || static_cast<uint64_t>(i) >= n) {
    return call_error("index", fmt::format("index out of range: {}", i));
  }
  if (item.is_string()) {
    return Json(static_cast<int64_t>(
        static_cast<unsigned char>(item.get_ref<const std::string&>()[static_cast<size_t>(i)])));
  }
  return item[static_cast<size_t>(i)];
}

Result<Json> fn_index(Args& a) {
  Json item = a[0];
  for (size_t k = 1; k < a.size(); ++k) {
    item = BERTH_TRY(index_one(item, a[k]));
  }
  return item;
}

Result<Json> fn_slice(Args& a) {
  const Json& item = a[0];
  if (!item.is_string() && !item.is_array()) {
    return call_error("slice", fmt::format("can't slice item of type {}", go_type_name(item)));
  }
  size_t n = item.is_string() ? item.get_ref<const std::string&>().size() : item.size();
  if (a.size() > 3) {
    return call_error("slice", "too many slice indexes");
  }
  int64_t idx[2] = {0, static_cast<int64_t>(n)};
  for (size_t k = 1; k < a.size(); ++k) {
    idx[k - 1] = BERTH_TRY(want_int(a[k]));
  }
  if (idx[0] < 0 || idx[1] < idx[0] || static_cast<uint64_t>(idx[1]) > n) {
    return call_error("slice", fmt::format("index out of range: {}", idx[0] < 0 ? idx[0] : idx[1]));
  }
  auto from = static_cast<size_t>(idx[0]);
  auto to = static_cast<size_t>(idx[1]);
  if (item.is_string()) {
    return Json(item.get_ref<const std::string&>().substr(from, to - from));
  }
  Json out = Json::array();
  for (size_t i = from; i < to; ++i) {
    out.push_back(item[i]);
  }
  return out;
}

Result<Json> fn_print(Args& a) { return Json(go_sprint(a)); }
Result<Json> fn_println(Args& a) { return Json(go_sprintln(a)); }
Result<Json> fn_printf(Args& a) {
  std::string format = BERTH_TRY(want_string(a[0]));
  return Json(go_sprintf(format, Args(a.begin() + 1, a.end())));
}

std::string sprint_args(const Args& a) {
  return a.size() == 1 && a[0].is_string() ? a[0].get<std::string>() : go_sprint(a);
}

Result<Json> fn_html(Args& a) {
  std::string out;
  for (char c : sprint_args(a)) {
    switch (c) {
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\0':
        out += "\uFFFD";
        break;
      default:
        out += c;
    }
  }
  return Json(out);
}

Result<Json> fn_urlquery(Args& a) {
  std::string out;
  for (unsigned char c : sprint_args(a)) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return Json(out);
}

// --- docker's functions ---

Result<Json> fn_json(Args& a) { return Json(go_json(a[0], false)); }

Result<Json> fn_split(Args& a) {
  std::string s = BERTH_TRY(want_string(a[0]));
  std::string sep = BERTH_TRY(want_string(a[1]));
  Json out = Json::array();
  if (sep.empty()) {
    for (size_t i = 0; i < s.size();) {
      size_t start = i;
      utf8::decode(s, i);
      out.push_back(s.substr(start, i - start));
    }
    return out;
  }
  size_t start = 0;
  for (size_t at; (at = s.find(sep, start)) != std::string::npos; start = at + sep.size()) {
    out.push_back(s.substr(start, at - start));
  }
  out.push_back(s.substr(start));
  return out;
}

// strings.Join; elements that are not strings print as Go prints them. Unlike Go, the list may
// also come last, so that the piped form {{.Names | join ","}} works.
Result<Json> fn_join(Args& a) {
  if (a[0].is_string() && a[1].is_array()) {
    std::swap(a[0], a[1]);
  }
  if (!a[0].is_array()) {
    return wrong_type("[]string", a[0]);
  }
  std::string sep = BERTH_TRY(want_string(a[1]));
  std::string out;
  for (size_t i = 0; i < a[0].size(); ++i) {
    out += i > 0 ? sep : "";
    out += go_print(a[0][i]);
  }
  return Json(out);
}

// ASCII case mapping; other bytes pass through.
Result<Json> map_ascii(const Json& v, int (*f)(int)) {
  std::string s = BERTH_TRY(want_string(v));
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x80) {
      c = static_cast<char>(f(static_cast<unsigned char>(c)));
    }
  }
  return Json(s);
}
Result<Json> fn_lower(Args& a) { return map_ascii(a[0], ::tolower); }
Result<Json> fn_upper(Args& a) { return map_ascii(a[0], ::toupper); }

// strings.Title for ASCII: a letter after a separator (anything but a letter, digit, '_' or a
// non-ASCII byte) is upper-cased.
Result<Json> fn_title(Args& a) {
  std::string s = BERTH_TRY(want_string(a[0]));
  bool after_separator = true;
  for (char& c : s) {
    auto u = static_cast<unsigned char>(c);
    if (after_separator && u < 0x80) {
      c = static_cast<char>(std::toupper(u));
    }
    after_separator = u < 0x80 && std::isalnum(u) == 0 && c != '_';
  }
  return Json(s);
}

Result<Json> fn_pad(Args& a) {
  std::string s = BERTH_TRY(want_string(a[0]));
  int64_t prefix = BERTH_TRY(want_int(a[1]));
  int64_t suffix = BERTH_TRY(want_int(a[2]));
  if (prefix < 0 || suffix < 0 || prefix > 1'000'000 || suffix > 1'000'000) {
    return call_error("pad", "strings: negative Repeat count");
  }
  if (s.empty()) {
    return Json(s);
  }
  return Json(std::string(static_cast<size_t>(prefix), ' ') + s +
              std::string(static_cast<size_t>(suffix), ' '));
}

// docker's truncateWithLength: bytes, not runes.
Result<Json> fn_truncate(Args& a) {
  std::string s = BERTH_TRY(want_string(a[0]));
  int64_t n = BERTH_TRY(want_int(a[1]));
  if (static_cast<int64_t>(s.size()) < n) {
    return Json(s);
  }
  if (n < 0) {
    return call_error("truncate", fmt::format("slice bounds out of range [:{}]", n));
  }
  return Json(s.substr(0, static_cast<size_t>(n)));
}

struct FuncDef {
  std::string_view name;
  int min_args;
  int max_args;  // -1: any number
  Fn fn;         // null for the lazy and/or
  bool header_identity;
};

constexpr FuncDef kFuncs[] = {
    {"and", 1, -1, nullptr, false},
    {"or", 1, -1, nullptr, false},
    {"not", 1, 1, fn_not, false},
    {"len", 1, 1, fn_len, false},
    {"index", 1, -1, fn_index, false},
    {"slice", 1, -1, fn_slice, false},
    {"print", 0, -1, fn_print, false},
    {"println", 0, -1, fn_println, false},
    {"printf", 1, -1, fn_printf, false},
    {"html", 0, -1, fn_html, false},
    {"urlquery", 0, -1, fn_urlquery, false},
    {"eq", 2, -1, fn_eq, false},
    {"ne", 2, 2, fn_ne, false},
    {"lt", 2, 2, fn_lt, false},
    {"le", 2, 2, fn_le, false},
    {"gt", 2, 2, fn_gt, false},
    {"ge", 2, 2, fn_ge, false},
    {"json", 1, 1, fn_json, true},
    {"split", 2, 2, fn_split, true},
    {"join", 2, 2, fn_join, true},
    {"title", 1, 1, fn_title, true},
    {"lower", 1, 1, fn_lower, true},
    {"upper", 1, 1, fn_upper, true},
    {"pad", 3, 3, fn_pad, false},
    {"truncate", 2, 2, fn_truncate, true},
};

const FuncDef* find_func(std::string_view name) {
  for (const FuncDef& f : kFuncs) {
    if (f.name == name) {
      return &f;
    }
  }
  return nullptr;
}

}  // namespace

bool is_function(std::string_view name) { return find_func(name) != nullptr; }

bool is_lazy_function(std::string_view name) { return name == "and" || name == "or"; }

bool truth(const Json& v) {
  switch (v.type()) {
    case Json::value_t::boolean:
      return v.get<bool>();
    case Json::value_t::number_integer:
      return v.get<int64_t>() != 0;
    case Json::value_t::number_unsigned:
      return v.get<uint64_t>() != 0;
    case Json::value_t::number_float:
      return v.get<double>() != 0;
    case Json::value_t::string:
      return !v.get_ref<const std::string&>().empty();  // Json::empty() is false for strings
    case Json::value_t::array:
    case Json::value_t::object:
      return !v.empty();
    default:
      return false;
  }
}

Result<Json> call_function(std::string_view name, std::vector<Json>& args, bool piped,
                           bool header) {
  const FuncDef* f = find_func(name);
  if (f == nullptr || f->fn == nullptr) {
    return fail(Code::kInternal, fmt::format("function \"{}\" is not callable here", name));
  }
  auto n = static_cast<int>(args.size());
  if (n < f->min_args || (f->max_args >= 0 && n > f->max_args)) {
    if (f->max_args < 0) {
      return fail(Code::kInvalidArgument, fmt::format("wrong number of args for {}: want at "
                                                      "least {} got {}",
                                                      name, f->min_args, n));
    }
    return fail(Code::kInvalidArgument,
                fmt::format("wrong number of args for {}: want {} got {}", name, f->min_args, n));
  }
  if (header && f->header_identity) {
    return piped ? args.back() : args[0];
  }
  return f->fn(args);
}

}  // namespace berth::cli::tmpl
