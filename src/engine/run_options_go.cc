// Go's standard texts for the run option parsers (see run_options_go.h).
#include "engine/run_options_go.h"

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "base/strings.h"

namespace berth::engine::go {

tl::unexpected<Error> invalid(std::string message) {
  return fail(Code::kInvalidArgument, std::move(message));
}

// Go's os error text for a file we could not read: "open f: no such file or directory".
Error open_error(const std::string& path, const Error& e) {
  std::string why = e.sys_errno() != 0 ? std::strerror(e.sys_errno()) : e.message();
  if (!why.empty()) {
    why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
  }
  Code code = e.sys_errno() != 0 ? code_from_errno(e.sys_errno()) : e.code();
  return Error(code, fmt::format("open {}: {}", path, why));
}

// go-units parseSize with the given unit base (1024: RAMInBytes, 1000: FromHumanSize). Returns
// the bare reason on error.
Result<int64_t> parse_size(std::string_view s, int64_t base) {
  std::string in(s);
  std::string num, sfx;
  if (size_t sp = in.find(' '); sp != std::string::npos) {
    num = in.substr(0, sp);
    sfx = in.substr(sp + 1);
  } else {
    size_t sep = in.find_last_of("0123456789.");
    if (sep == std::string::npos) {
      return invalid(fmt::format("invalid size: '{}'", s));
    }
    num = in.substr(0, sep + 1);
    sfx = in.substr(sep + 1);
  }
  // strconv.ParseFloat: a plain decimal number (optionally signed, with an exponent).
  char* end = nullptr;
  bool plain = !num.empty() && num.find_first_not_of("+-0123456789.eE") == std::string::npos;
  double size = plain ? std::strtod(num.c_str(), &end) : 0;
  if (!plain || end != num.c_str() + num.size()) {
    return invalid(fmt::format("strconv.ParseFloat: parsing \"{}\": invalid syntax", num));
  }
  if (size < 0) {
    return invalid(fmt::format("invalid size: '{}'", s));
  }
  auto bad_suffix = [&] { return invalid(fmt::format("invalid suffix: '{}'", sfx)); };
  if (!sfx.empty()) {
    if (sfx.size() > 3) {
      return bad_suffix();
    }
    std::string lower = to_lower(sfx);
    if (lower[0] != 'b') {
      static constexpr std::string_view kUnits = "kmgtp";
      size_t power = kUnits.find(lower[0]);
      if (power == std::string_view::npos || (lower.size() == 2 && lower[1] != 'b') ||
          (lower.size() == 3 && lower.substr(1) != "ib")) {
        return bad_suffix();
      }
      for (size_t i = 0; i <= power; ++i) {
        size *= static_cast<double>(base);
      }
    } else if (lower.size() > 1) {
      return bad_suffix();
    }
  }
  if (size >= 9.2233720368547758e18) {
    return std::numeric_limits<int64_t>::max();
  }
  return static_cast<int64_t>(size);
}

// Go's strconv.ParseInt(s, 0, 64): optional sign, then 0x/0o/0b prefixes or a leading 0 for
// octal. Returns the reason on error ("invalid syntax", "value out of range").
Result<int64_t> parse_int(std::string_view s) {
  std::string_view digits = s;
  bool neg = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    neg = digits[0] == '-';
    digits.remove_prefix(1);
  }
  int base = 10;
  if (digits.size() > 1 && digits[0] == '0') {
    char p = static_cast<char>(std::tolower(static_cast<unsigned char>(digits[1])));
    base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 8;
    digits.remove_prefix(p == 'x' || p == 'o' || p == 'b' ? 2 : 1);
  }
  auto syntax = [&] {
    return invalid(fmt::format("strconv.ParseInt: parsing \"{}\": invalid syntax", s));
  };
  if (digits.empty()) {
    return syntax();
  }
  unsigned __int128 v = 0;
  for (char c : digits) {
    int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
            : std::isxdigit(static_cast<unsigned char>(c))
                ? std::tolower(static_cast<unsigned char>(c)) - 'a' + 10
                : 99;
    if (d >= base) {
      return syntax();
    }
    v = v * static_cast<unsigned>(base) + static_cast<unsigned>(d);
    if (v > (static_cast<unsigned __int128>(1) << 64)) {
      v = static_cast<unsigned __int128>(1) << 64;  // saturate; reported below
    }
  }
  unsigned __int128 limit = static_cast<unsigned __int128>(INT64_MAX) + (neg ? 1 : 0);
  if (v > limit) {
    return invalid(fmt::format("strconv.ParseInt: parsing \"{}\": value out of range", s));
  }
  return neg ? static_cast<int64_t>(-static_cast<__int128>(v)) : static_cast<int64_t>(v);
}

// Go's strconv.ParseBool.
std::optional<bool> parse_bool(std::string_view s) {
  for (std::string_view t : {"1", "t", "T", "TRUE", "true", "True"}) {
    if (s == t) {
      return true;
    }
  }
  for (std::string_view f : {"0", "f", "F", "FALSE", "false", "False"}) {
    if (s == f) {
      return false;
    }
  }
  return std::nullopt;
}

namespace {

// whole, then '.' and the fraction's digits (of `digits` places) without trailing zeros.
std::string decimal(uint64_t whole, uint64_t fraction, int digits) {
  std::string out = std::to_string(whole);
  if (fraction == 0) {
    return out;
  }
  std::string f = std::to_string(fraction);
  f.insert(0, static_cast<size_t>(digits) - f.size(), '0');
  f.erase(f.find_last_not_of('0') + 1);
  return out + "." + f;
}

}  // namespace

std::string duration_string(int64_t nanos) {
  if (nanos == 0) {
    return "0s";
  }
  std::string sign = nanos < 0 ? "-" : "";
  uint64_t d = nanos < 0 ? 0 - static_cast<uint64_t>(nanos) : static_cast<uint64_t>(nanos);
  if (d < 1000) {
    return sign + std::to_string(d) + "ns";
  }
  if (d < 1'000'000) {
    return sign + decimal(d / 1000, d % 1000, 3) + "\u00b5s";
  }
  if (d < 1'000'000'000) {
    return sign + decimal(d / 1'000'000, d % 1'000'000, 6) + "ms";
  }
  constexpr uint64_t kSecond = 1'000'000'000, kMinute = 60 * kSecond, kHour = 60 * kMinute;
  std::string out = sign;
  if (d >= kHour) {
    out += std::to_string(d / kHour) + "h";
  }
  if (d >= kMinute) {
    out += std::to_string(d % kHour / kMinute) + "m";
  }
  return out + decimal(d % kMinute / kSecond, d % kSecond, 9) + "s";
}

}  // namespace berth::engine::go
