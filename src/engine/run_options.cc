// docker's flag value parsers: numbers, durations, signals, restart policy, names, capabilities
// and ulimits. The error texts are docker's own (CLI 28 and moby's daemon), because scripts and
// tests match on them. Environment, labels, logging and security: run_options_env.cc.
#include "engine/run_options.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>

#include "base/strings.h"
#include "engine/run_options_go.h"
#include "sys/caps.h"
#include "sys/rlimits.h"

namespace berth::engine {

std::string flag_error_text(std::string_view flag, std::string_view value, std::string_view why) {
  return fmt::format("invalid argument \"{}\" for \"{}\" flag: {}", value, flag, why);
}

Error flag_error(std::string_view flag, std::string_view value, std::string_view why) {
  return Error(Code::kInvalidArgument, flag_error_text(flag, value, why));
}

tl::unexpected<Error> bad_flag(std::string_view flag, std::string_view value,
                               std::string_view why) {
  return tl::unexpected(flag_error(flag, value, why));
}

using go::invalid;

Result<int64_t> parse_bytes(std::string_view value, std::string_view flag) {
  auto r = go::parse_size(value, 1024);
  if (!r) {
    return bad_flag(flag, value, r.error().message());
  }
  return r;
}

Result<int64_t> parse_decimal_bytes(std::string_view value) { return go::parse_size(value, 1000); }

Result<int64_t> parse_memory_swap(std::string_view value, std::string_view flag) {
  if (value == "-1") {
    return -1;
  }
  return parse_bytes(value, flag);
}

Result<int64_t> parse_int_flag(std::string_view value, std::string_view flag) {
  auto r = go::parse_int(value);
  if (!r) {
    return bad_flag(flag, value, r.error().message());
  }
  return r;
}

namespace {

// A number as big.Rat's SetString reads it ("a/b", or a decimal with an optional exponent),
// kept exact: ±mantissa × 10^exp10 / denom.
struct Rational {
  bool neg = false;
  std::string mantissa;  // decimal digits
  int64_t exp10 = 0;
  int64_t denom = 1;
};

std::optional<Rational> read_rational(std::string_view s) {
  Rational r;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    r.neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.find('/') != std::string_view::npos) {
    auto [num, den] = cut(s, '/');
    auto d = parse_uint(den);
    if (num.empty() || !parse_uint(num) || !d || *d == 0 || *d > INT64_MAX) {
      return std::nullopt;
    }
    r.mantissa = std::string(num);
    r.denom = static_cast<int64_t>(*d);
    return r;
  }
  size_t e = s.find_first_of("eE");
  if (e != std::string_view::npos) {
    auto ex = go::parse_int(s.substr(e + 1));
    if (!ex || s.substr(e + 1).empty() || *ex > 1000 || *ex < -1000) {
      return std::nullopt;
    }
    r.exp10 = *ex;
  }
  auto [whole, frac] = cut(s.substr(0, e), '.');
  if ((whole.empty() && frac.empty()) || (!whole.empty() && !parse_uint(whole)) ||
      (!frac.empty() && !parse_uint(frac))) {
    return std::nullopt;
  }
  r.mantissa = std::string(whole) + std::string(frac);
  r.exp10 -= static_cast<int64_t>(frac.size());
  return r;
}

}  // namespace

Result<int64_t> parse_cpus(std::string_view value, std::string_view flag) {
  auto r = read_rational(value);
  if (!r) {
    return bad_flag(flag, value, fmt::format("failed to parse {} as a rational number", value));
  }
  r->exp10 += 9;  // nano CPUs
  // Trailing zeros move into the exponent, leading zeros go.
  std::string& m = r->mantissa;
  while (m.size() > 1 && m.back() == '0') {
    m.pop_back();
    ++r->exp10;
  }
  m.erase(0, std::min(m.find_first_not_of('0'), m.size() - 1));
  if (m == "0") {
    return 0;
  }
  if (r->exp10 < 0) {
    return bad_flag(flag, value, "value is too precise");
  }
  if (m.size() + static_cast<size_t>(r->exp10) > 38) {
    return bad_flag(flag, value, "value is too large");
  }
  unsigned __int128 n = 0;
  for (char c : m) {
    n = n * 10 + static_cast<unsigned>(c - '0');
  }
  for (int64_t i = 0; i < r->exp10; ++i) {
    n *= 10;
  }
  auto denom = static_cast<unsigned __int128>(r->denom);
  if (n % denom != 0) {
    return bad_flag(flag, value, "value is too precise");
  }
  n /= denom;
  if (n > static_cast<unsigned __int128>(INT64_MAX)) {
    return bad_flag(flag, value, "value is too large");
  }
  return r->neg ? -static_cast<int64_t>(n) : static_cast<int64_t>(n);
}

namespace {

constexpr uint64_t kMaxDuration = uint64_t{1} << 63;

// Leading decimal digits of s, consumed. scale (when given) gets 10^digits kept; digits past
// what 63 bits hold are dropped (fractions) or reported as overflow (whole numbers).
struct Digits {
  uint64_t value = 0;
  double scale = 1;
  size_t count = 0;
  bool overflow = false;
};
Digits read_digits(std::string_view& s) {
  Digits d;
  while (d.count < s.size() && std::isdigit(static_cast<unsigned char>(s[d.count]))) {
    if (d.value > (kMaxDuration - 1) / 10) {
      d.overflow = true;
    } else {
      d.value = d.value * 10 + static_cast<uint64_t>(s[d.count] - '0');
      d.scale *= 10;
    }
    ++d.count;
  }
  s.remove_prefix(d.count);
  return d;
}

uint64_t duration_unit(std::string_view name) {
  static const std::pair<std::string_view, uint64_t> kUnits[] = {
      {"ns", 1},       {"us", 1000},      {"\xc2\xb5s", 1000},   {"\xce\xbcs", 1000},
      {"ms", 1000000}, {"s", 1000000000}, {"m", 60000000000ULL}, {"h", 3600000000000ULL},
  };
  for (const auto& [unit, ns] : kUnits) {
    if (unit == name) {
      return ns;
    }
  }
  return 0;
}

// One "<number>[.<fraction>]<unit>" of a Go duration, consumed from s, in nanoseconds. Errors
// are Go's texts about `whole`.
Result<uint64_t> duration_term(std::string_view& s, std::string_view whole) {
  auto bad = [&] { return invalid(fmt::format("time: invalid duration \"{}\"", whole)); };
  if (!(s[0] == '.' || std::isdigit(static_cast<unsigned char>(s[0])))) {
    return bad();
  }
  Digits integer = read_digits(s);
  Digits fraction;
  if (!s.empty() && s[0] == '.') {
    s.remove_prefix(1);
    fraction = read_digits(s);
  }
  if (integer.overflow || (integer.count == 0 && fraction.count == 0)) {
    return bad();
  }
  size_t u = 0;
  while (u < s.size() && s[u] != '.' && !std::isdigit(static_cast<unsigned char>(s[u]))) {
    ++u;
  }
  if (u == 0) {
    return invalid(fmt::format("time: missing unit in duration \"{}\"", whole));
  }
  std::string_view name = s.substr(0, u);
  s.remove_prefix(u);
  uint64_t unit = duration_unit(name);
  if (unit == 0) {
    return invalid(fmt::format("time: unknown unit \"{}\" in duration \"{}\"", name, whole));
  }
  if (integer.value > kMaxDuration / unit) {
    return bad();
  }
  uint64_t v = integer.value * unit;
  v += static_cast<uint64_t>(static_cast<double>(fraction.value) *
                             (static_cast<double>(unit) / fraction.scale));
  if (v > kMaxDuration) {
    return bad();
  }
  return v;
}

// Go's time.ParseDuration with its bare error texts.
Result<int64_t> go_duration(std::string_view value) {
  std::string_view s = value;
  bool neg = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    s.remove_prefix(1);
  }
  if (s == "0") {
    return 0;
  }
  if (s.empty()) {
    return invalid(fmt::format("time: invalid duration \"{}\"", value));
  }
  uint64_t total = 0;
  while (!s.empty()) {
    total += BERTH_TRY(duration_term(s, value));
    if (total > kMaxDuration || (!neg && total == kMaxDuration)) {
      return invalid(fmt::format("time: invalid duration \"{}\"", value));
    }
  }
  if (total == kMaxDuration) {
    return INT64_MIN;  // neg: -2^63 is a valid Duration
  }
  return neg ? -static_cast<int64_t>(total) : static_cast<int64_t>(total);
}

}  // namespace

Result<int64_t> parse_go_duration(std::string_view value, std::string_view flag) {
  auto d = go_duration(value);
  if (!d) {
    return bad_flag(flag, value, d.error().message());
  }
  return d;
}

// --- signals ------------------------------------------------------------------------------

namespace {

constexpr int kSigRtMin = 34;  // docker's fixed numbers, not glibc's SIGRTMIN()
constexpr int kSigRtMax = 64;

// The classic signals in number order; a number's first entry is its display name.
constexpr std::pair<std::string_view, int> kSignals[] = {
    {"HUP", 1},   {"INT", 2},   {"QUIT", 3},  {"ILL", 4},     {"TRAP", 5},    {"ABRT", 6},
    {"IOT", 6},   {"BUS", 7},   {"FPE", 8},   {"KILL", 9},    {"USR1", 10},   {"SEGV", 11},
    {"USR2", 12}, {"PIPE", 13}, {"ALRM", 14}, {"TERM", 15},   {"STKFLT", 16}, {"CHLD", 17},
    {"CLD", 17},  {"CONT", 18}, {"STOP", 19}, {"TSTP", 20},   {"TTIN", 21},   {"TTOU", 22},
    {"URG", 23},  {"XCPU", 24}, {"XFSZ", 25}, {"VTALRM", 26}, {"PROF", 27},   {"WINCH", 28},
    {"IO", 29},   {"POLL", 29}, {"PWR", 30},  {"SYS", 31},
};

std::optional<int> signal_from_name(std::string_view upper) {
  for (const auto& [name, num] : kSignals) {
    if (name == upper) {
      return num;
    }
  }
  // RTMIN, RTMIN+1..15, RTMAX-14..-1, RTMAX: the names docker's table has.
  for (std::string_view base : {"RTMIN", "RTMAX"}) {
    if (upper.substr(0, base.size()) != base) {
      continue;
    }
    std::string_view rest = upper.substr(base.size());
    int anchor = base == "RTMIN" ? kSigRtMin : kSigRtMax;
    if (rest.empty()) {
      return anchor;
    }
    char sign = base == "RTMIN" ? '+' : '-';
    auto n = parse_uint(rest.substr(1));
    if (rest[0] == sign && n && *n >= 1 && *n <= 15 && !(rest.size() > 2 && rest[1] == '0')) {
      if (base == "RTMAX" && *n > 14) {
        return std::nullopt;
      }
      return sign == '+' ? anchor + static_cast<int>(*n) : anchor - static_cast<int>(*n);
    }
  }
  return std::nullopt;
}

}  // namespace

Result<int> parse_signal(std::string_view value) {
  auto bad = [&] { return invalid(fmt::format("invalid signal: {}", value)); };
  std::string_view digits = value;
  if (!digits.empty() && digits[0] == '+') {
    digits.remove_prefix(1);
  }
  if (auto n = parse_uint(digits); n && !digits.empty()) {
    if (*n == 0 || *n > static_cast<uint64_t>(kSigRtMax)) {
      return bad();
    }
    return static_cast<int>(*n);
  }
  std::string upper(value);
  for (auto& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  std::string_view name = upper;
  if (name.substr(0, 3) == "SIG") {
    name.remove_prefix(3);
  }
  auto sig = signal_from_name(name);
  if (!sig) {
    return bad();
  }
  return *sig;
}

std::string signal_name(int sig) {
  for (const auto& [name, num] : kSignals) {
    if (num == sig) {
      return fmt::format("SIG{}", name);
    }
  }
  if (sig == kSigRtMin) {
    return "SIGRTMIN";
  }
  if (sig == kSigRtMax) {
    return "SIGRTMAX";
  }
  if (sig > kSigRtMin && sig <= kSigRtMin + 15) {
    return fmt::format("SIGRTMIN+{}", sig - kSigRtMin);
  }
  if (sig > kSigRtMin + 15 && sig < kSigRtMax) {
    return fmt::format("SIGRTMAX-{}", kSigRtMax - sig);
  }
  return std::to_string(sig);
}

// --- restart policy and names --------------------------------------------------------------

Result<RestartPolicy> parse_restart_policy(std::string_view value) {
  RestartPolicy p;
  if (value.empty()) {
    return p;
  }
  bool has_count = false;
  auto [name, count] = cut(value, ':', &has_count);
  if (has_count && name.empty()) {
    return invalid("invalid restart policy format: no policy provided before colon");
  }
  if (!count.empty()) {
    auto n = go::parse_int(count);
    if (!n || count.find_first_not_of("+-0123456789") != std::string_view::npos || *n > INT32_MAX ||
        *n < INT32_MIN) {
      return invalid("invalid restart policy format: maximum retry count must be an integer");
    }
    p.maximum_retry_count = static_cast<int>(*n);
  }
  p.name = std::string(name);
  if (p.name == "no" || p.name == "always" || p.name == "unless-stopped") {
    if (p.maximum_retry_count != 0) {
      return invalid(fmt::format(
          "invalid restart policy: maximum retry count can only be used with 'on-failure'{}",
          p.maximum_retry_count < 0 ? " and cannot be negative" : ""));
    }
    return p;
  }
  if (p.name == "on-failure") {
    if (p.maximum_retry_count < 0) {
      return invalid("invalid restart policy: maximum retry count cannot be negative");
    }
    return p;
  }
  return invalid(fmt::format(
      "invalid restart policy: unknown policy '{}'; use one of 'no', 'always', 'on-failure', or "
      "'unless-stopped'",
      p.name));
}

Result<std::string> validate_container_name(std::string_view name) {
  std::string_view bare = name.substr(0, 1) == "/" ? name.substr(1) : name;
  bool ok = bare.size() >= 2;
  for (size_t i = 0; ok && i < bare.size(); ++i) {
    ok = is_docker_name_char(bare[i], i == 0);
  }
  if (!ok) {
    return invalid(fmt::format(
        "Invalid container name ({}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name));
  }
  return std::string(bare);
}

Result<void> validate_hostname(std::string_view hostname) {
  if (hostname.size() > 64) {
    return invalid(fmt::format("hostname \"{}\" is too long (maximum 64 bytes)", hostname));
  }
  return {};
}

Result<void> validate_capabilities(const std::vector<std::string>& add,
                                   const std::vector<std::string>& drop) {
  for (const auto* list : {&add, &drop}) {
    for (const auto& name : *list) {
      if (to_lower(name) == "all" || sys::capability_from_name(name)) {
        continue;
      }
      std::string upper = name;
      for (auto& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
      if (upper.rfind("CAP_", 0) != 0) {
        upper = "CAP_" + upper;
      }
      return invalid(fmt::format("invalid {}: unknown capability: \"{}\"",
                                 list == &add ? "CapAdd" : "CapDrop", upper));
    }
  }
  return {};
}

Result<std::vector<UlimitSpec>> parse_ulimit_flags(const std::vector<std::string>& values) {
  auto parsed = BERTH_TRY(sys::parse_ulimits(values));
  std::vector<UlimitSpec> out;
  for (const auto& u : parsed) {
    out.push_back(UlimitSpec{u.name, u.soft, u.hard});
  }
  return out;
}

}  // namespace berth::engine
