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

namespace {

using go::invalid;

tl::unexpected<Error> bad_flag(std::string_view flag, std::string_view value,
                               std::string_view why) {
  return tl::unexpected(flag_error(flag, value, why));
}

}  // namespace

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

Result<int64_t> parse_cpus(std::string_view value, std::string_view flag) {
  // big.Rat's SetString: "a/b", or a decimal with an optional exponent. The value times 1e9 must
  // be a whole number. Work in exact integers: mantissa × 10^exp10 / denominator.
  auto not_rational = [&] {
    return bad_flag(flag, value, fmt::format("failed to parse {} as a rational number", value));
  };
  std::string_view s = value;
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  std::string mantissa;
  int64_t exp10 = 9;
  int64_t denom = 1;
  auto [num_part, den_part] = cut(s, '/');
  if (s.find('/') != std::string_view::npos) {
    auto d = parse_uint(den_part);
    if (num_part.empty() || !parse_uint(num_part) || !d || *d == 0 || *d > INT64_MAX) {
      return not_rational();
    }
    mantissa = std::string(num_part);
    denom = static_cast<int64_t>(*d);
  } else {
    size_t e = s.find_first_of("eE");
    std::string_view body = s.substr(0, e);
    if (e != std::string_view::npos) {
      auto ex = go::parse_int(s.substr(e + 1));
      if (!ex || s.substr(e + 1).empty() || *ex > 1000 || *ex < -1000) {
        return not_rational();
      }
      exp10 += *ex;
    }
    auto [whole, frac] = cut(body, '.');
    if ((whole.empty() && frac.empty()) || (!whole.empty() && !parse_uint(whole)) ||
        (!frac.empty() && !parse_uint(frac))) {
      return not_rational();
    }
    mantissa = std::string(whole) + std::string(frac);
    exp10 -= static_cast<int64_t>(frac.size());
  }
  // Trailing zeros move into the exponent, leading zeros go.
  while (mantissa.size() > 1 && mantissa.back() == '0') {
    mantissa.pop_back();
    ++exp10;
  }
  mantissa.erase(0, std::min(mantissa.find_first_not_of('0'), mantissa.size() - 1));
  if (mantissa == "0") {
    return 0;
  }
  if (exp10 < 0) {
    return bad_flag(flag, value, "value is too precise");
  }
  if (mantissa.size() + static_cast<size_t>(exp10) > 38) {
    return bad_flag(flag, value, "value is too large");
  }
  unsigned __int128 n = 0;
  for (char c : mantissa) {
    n = n * 10 + static_cast<unsigned>(c - '0');
  }
  for (int64_t i = 0; i < exp10; ++i) {
    n *= 10;
  }
  if (n % static_cast<unsigned __int128>(denom) != 0) {
    return bad_flag(flag, value, "value is too precise");
  }
  n /= static_cast<unsigned __int128>(denom);
  if (n > static_cast<unsigned __int128>(INT64_MAX)) {
    return bad_flag(flag, value, "value is too large");
  }
  return neg ? -static_cast<int64_t>(n) : static_cast<int64_t>(n);
}

Result<int64_t> parse_go_duration(std::string_view value, std::string_view flag) {
  auto invalid_duration = [&] {
    return bad_flag(flag, value, fmt::format("time: invalid duration \"{}\"", value));
  };
  std::string_view s = value;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") {
    return 0;
  }
  if (s.empty()) {
    return invalid_duration();
  }
  static const std::pair<std::string_view, uint64_t> kUnits[] = {
      {"ns", 1},       {"us", 1000},      {"\xc2\xb5s", 1000},   {"\xce\xbcs", 1000},
      {"ms", 1000000}, {"s", 1000000000}, {"m", 60000000000ULL}, {"h", 3600000000000ULL},
  };
  constexpr uint64_t kMax = uint64_t{1} << 63;
  uint64_t total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || std::isdigit(static_cast<unsigned char>(s[0])))) {
      return invalid_duration();
    }
    uint64_t v = 0;
    size_t i = 0;
    for (; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i) {
      if (v > (kMax - 1) / 10) {
        return invalid_duration();
      }
      v = v * 10 + static_cast<uint64_t>(s[i] - '0');
    }
    bool pre = i > 0;
    s.remove_prefix(i);
    uint64_t frac = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      size_t j = 0;
      bool overflow = false;
      for (; j < s.size() && std::isdigit(static_cast<unsigned char>(s[j])); ++j) {
        if (overflow || frac > (kMax - 1) / 10) {
          overflow = true;  // Go drops the digits it cannot hold
          continue;
        }
        frac = frac * 10 + static_cast<uint64_t>(s[j] - '0');
        scale *= 10;
      }
      post = j > 0;
      s.remove_prefix(j);
    }
    if (!pre && !post) {
      return invalid_duration();
    }
    size_t u = 0;
    while (u < s.size() && s[u] != '.' && !std::isdigit(static_cast<unsigned char>(s[u]))) {
      ++u;
    }
    if (u == 0) {
      return bad_flag(flag, value, fmt::format("time: missing unit in duration \"{}\"", value));
    }
    std::string_view unit_name = s.substr(0, u);
    s.remove_prefix(u);
    uint64_t unit = 0;
    for (const auto& [name, ns] : kUnits) {
      if (name == unit_name) {
        unit = ns;
      }
    }
    if (unit == 0) {
      return bad_flag(
          flag, value,
          fmt::format("time: unknown unit \"{}\" in duration \"{}\"", unit_name, value));
    }
    if (v > kMax / unit) {
      return invalid_duration();
    }
    v *= unit;
    if (frac > 0) {
      v += static_cast<uint64_t>(static_cast<double>(frac) * (static_cast<double>(unit) / scale));
      if (v > kMax) {
        return invalid_duration();
      }
    }
    total += v;
    if (total > kMax) {
      return invalid_duration();
    }
  }
  if (neg) {
    return -static_cast<int64_t>(total - 1) - 1;
  }
  if (total > kMax - 1) {
    return invalid_duration();
  }
  return static_cast<int64_t>(total);
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

namespace {

bool name_char(char c, bool first) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         (!first && (c == '_' || c == '.' || c == '-'));
}

}  // namespace

Result<std::string> validate_container_name(std::string_view name) {
  std::string_view bare = name.substr(0, 1) == "/" ? name.substr(1) : name;
  bool ok = bare.size() >= 2;
  for (size_t i = 0; ok && i < bare.size(); ++i) {
    ok = name_char(bare[i], i == 0);
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
