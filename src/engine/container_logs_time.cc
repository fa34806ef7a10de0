// `--since` / `--until` values for `berth logs`: docker's CLI parsing (timestamp.GetTimestamp)
// with Go's duration and time grammars.
#include "engine/container_logs.h"

#include <time.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "base/strings.h"

namespace berth::engine {
namespace {

constexpr uint64_t kMaxDuration = uint64_t{1} << 63;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Go's leadingFraction: digits after '.', scaled; digits past int64 precision are dropped.
uint64_t leading_fraction(std::string_view& s, double* scale) {
  uint64_t f = 0;
  bool overflow = false;
  size_t i = 0;
  for (; i < s.size() && is_digit(s[i]); ++i) {
    if (overflow || f > (kMaxDuration - 1) / 10) {
      overflow = true;
      continue;
    }
    uint64_t y = f * 10 + static_cast<uint64_t>(s[i] - '0');
    if (y > kMaxDuration) {
      overflow = true;
      continue;
    }
    f = y;
    *scale *= 10;
  }
  s.remove_prefix(i);
  return f;
}

uint64_t duration_unit(std::string_view u) {
  static const std::pair<std::string_view, uint64_t> kUnits[] = {
      {"ns", 1},       {"us", 1000},         {"\xC2\xB5s", 1000},   {"\xCE\xBCs", 1000},
      {"ms", 1000000}, {"s", 1000000000ULL}, {"m", 60000000000ULL}, {"h", 3600000000000ULL}};
  for (const auto& [name, nanos] : kUnits) {
    if (name == u) {
      return nanos;
    }
  }
  return 0;
}

// Go's time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?unit)+ with ns, us, µs, ms, s, m, h; "0" too.
std::optional<int64_t> parse_go_duration(std::string_view s) {
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") {
    return 0;
  }
  if (s.empty()) {
    return std::nullopt;
  }
  uint64_t total = 0;
  while (!s.empty()) {
    if (s[0] != '.' && !is_digit(s[0])) {
      return std::nullopt;
    }
    uint64_t v = 0;
    size_t i = 0;
    for (; i < s.size() && is_digit(s[i]); ++i) {
      if (v > kMaxDuration / 10) {
        return std::nullopt;
      }
      v = v * 10 + static_cast<uint64_t>(s[i] - '0');
      if (v > kMaxDuration) {
        return std::nullopt;
      }
    }
    bool pre = i > 0;
    s.remove_prefix(i);
    uint64_t f = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      size_t before = s.size();
      f = leading_fraction(s, &scale);
      post = s.size() != before;
    }
    if (!pre && !post) {
      return std::nullopt;
    }
    size_t u = 0;
    while (u < s.size() && s[u] != '.' && !is_digit(s[u])) {
      ++u;
    }
    uint64_t unit = duration_unit(s.substr(0, u));
    if (unit == 0 || v > kMaxDuration / unit) {
      return std::nullopt;
    }
    s.remove_prefix(u);
    v *= unit;
    if (f > 0) {
      v += static_cast<uint64_t>(static_cast<double>(f) * (static_cast<double>(unit) / scale));
    }
    total += v;
    if (v > kMaxDuration || total > kMaxDuration) {
      return std::nullopt;
    }
  }
  if (neg) {
    return static_cast<int64_t>(0 - total);
  }
  if (total > kMaxDuration - 1) {
    return std::nullopt;
  }
  return static_cast<int64_t>(total);
}

// The Go layout docker's GetTimestamp picks for a value, in parts: how many of hour, minute and
// second follow a 'T' (0: a date only), whether a fraction and a zone are part of it.
struct Layout {
  int clock_parts = 0;
  bool fraction = false;
  bool zone = false;
  std::string text() const {
    std::string t = "2006-01-02";
    const char* parts[] = {"T15", ":04", ":05"};
    for (int i = 0; i < clock_parts; ++i) {
      t += parts[i];
    }
    return t + (fraction ? ".999999999" : "") + (zone ? "Z07:00" : "");
  }
};

Layout pick_layout(std::string_view v, bool local) {
  Layout l;
  l.zone = !local;
  if (v.find('.') != std::string_view::npos) {
    l.clock_parts = 3;
    l.fraction = true;
  } else if (v.find('T') != std::string_view::npos) {
    auto colons = static_cast<int>(std::count(v.begin(), v.end(), ':'));
    if (!local && v.find_first_of("zZ") == std::string_view::npos && colons > 0) {
      --colons;  // the zone offset's colon
    }
    l.clock_parts = std::min(colons, 2) + 1;
  }
  return l;
}

bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in(int month, int64_t year) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : kDays[month - 1];
}

// Unix nanoseconds of secs + nanos, held at the ends of int64 (years before 1678 or after 2262):
// docker keeps such bounds as seconds, so a --since in the year 2999 still means "after all".
int64_t saturating_nanos(int64_t secs, int64_t nanos) {
  int64_t t = 0;
  if (__builtin_mul_overflow(secs, kNanosPerSecond, &t) || __builtin_add_overflow(t, nanos, &t)) {
    return secs < 0 ? INT64_MIN : INT64_MAX;
  }
  return t;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// Go's time.Parse of v against the layout (ParseInLocation with a fixed offset when the layout
// has no zone). On failure *why is Go's message.
std::optional<int64_t> parse_go_time(std::string_view v, const Layout& layout, int64_t local_offset,
                                     std::string* why) {
  std::string_view rest = v;
  auto cannot = [&](std::string_view elem) {
    *why = fmt::format("parsing time \"{}\" as \"{}\": cannot parse \"{}\" as \"{}\"", v,
                       layout.text(), rest, elem);
    return std::nullopt;
  };
  auto range = [&](std::string_view what) {
    *why = fmt::format("parsing time \"{}\": {} out of range", v, what);
    return std::nullopt;
  };
  auto number = [&](size_t min_digits, size_t max_digits, int* out) {
    size_t n = 0;
    while (n < max_digits && n < rest.size() && is_digit(rest[n])) {
      ++n;
    }
    if (n < min_digits) {
      return false;
    }
    *out = std::stoi(std::string(rest.substr(0, n)));
    rest.remove_prefix(n);
    return true;
  };
  auto literal = [&](char c) {
    if (rest.empty() || rest[0] != c) {
      return false;
    }
    rest.remove_prefix(1);
    return true;
  };
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!number(4, 4, &year)) {
    return cannot("2006");
  }
  if (!literal('-')) {
    return cannot("-");
  }
  if (!number(2, 2, &month)) {
    return cannot("01");
  }
  if (month < 1 || month > 12) {
    return range("month");
  }
  if (!literal('-')) {
    return cannot("-");
  }
  if (!number(2, 2, &day)) {
    return cannot("02");
  }
  struct Clock {
    char sep;
    const char* elem;
    size_t min;
    int limit;
    const char* name;
    int* out;
  } clock[] = {{'T', "15", 1, 24, "hour", &hour},
               {':', "04", 2, 60, "minute", &minute},
               {':', "05", 2, 60, "second", &second}};
  for (int i = 0; i < layout.clock_parts; ++i) {
    const Clock& c = clock[i];
    if (!literal(c.sep)) {
      return cannot(std::string(1, c.sep));
    }
    if (!number(c.min, 2, c.out)) {
      return cannot(c.elem);
    }
    if (*c.out >= c.limit) {
      return range(c.name);
    }
  }
  int64_t nanos = 0;
  // Go takes a fraction after the seconds even when the layout has none.
  if (layout.clock_parts == 3 && rest.size() >= 2 && (rest[0] == '.' || rest[0] == ',') &&
      is_digit(rest[1])) {
    size_t n = 1;
    while (n < rest.size() && is_digit(rest[n])) {
      if (n <= 9) {
        nanos = nanos * 10 + (rest[n] - '0');
      }
      ++n;
    }
    for (size_t d = n - 1; d < 9; ++d) {
      nanos *= 10;
    }
    rest.remove_prefix(n);
  }
  int64_t offset = local_offset;
  if (layout.zone) {
    if (literal('Z')) {
      offset = 0;
    } else {
      int oh = 0, om = 0;
      std::string_view zone = rest;
      if (zone.size() < 6 || zone[3] != ':' || (zone[0] != '+' && zone[0] != '-') ||
          !is_digit(zone[1]) || !is_digit(zone[2]) || !is_digit(zone[4]) || !is_digit(zone[5])) {
        return cannot("Z07:00");
      }
      oh = (zone[1] - '0') * 10 + (zone[2] - '0');
      om = (zone[4] - '0') * 10 + (zone[5] - '0');
      if (oh > 24) {
        return range("time zone offset hour");
      }
      if (om > 60) {
        return range("time zone offset minute");
      }
      offset = (zone[0] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
      rest.remove_prefix(6);
    }
  }
  if (!rest.empty()) {
    *why = fmt::format("parsing time \"{}\": extra text: \"{}\"", v, rest);
    return std::nullopt;
  }
  if (day < 1 || day > days_in(month, year)) {
    return range("day");
  }
  int64_t secs = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  return saturating_nanos(secs - offset, nanos);
}

// Unix seconds with an optional fraction ("1700000000.5"), as docker's parseTimestamp reads them.
std::optional<int64_t> parse_unix_time(std::string_view v) {
  bool found = false;
  auto [secs_text, frac_text] = cut(v, '.', &found);
  if (!secs_text.empty() && secs_text[0] == '+') {
    secs_text.remove_prefix(1);
  }
  auto secs = parse_uint(secs_text);
  if (!secs || *secs > static_cast<uint64_t>(INT64_MAX)) {
    return std::nullopt;
  }
  int64_t nanos = 0;
  if (found) {
    auto frac = frac_text.size() <= 18 ? parse_uint(frac_text) : std::nullopt;
    if (!frac) {
      return std::nullopt;
    }
    nanos = static_cast<int64_t>(*frac);
    for (size_t d = frac_text.size(); d < 9; ++d) {
      nanos *= 10;
    }
    for (size_t d = 9; d < frac_text.size(); ++d) {
      nanos /= 10;
    }
  }
  return saturating_nanos(static_cast<int64_t>(*secs), nanos);
}

int64_t local_offset_at(int64_t unix_nanos) {
  time_t t = static_cast<time_t>(floor_div(unix_nanos, kNanosPerSecond));
  struct tm tm {};
  localtime_r(&t, &tm);
  return tm.tm_gmtoff;
}

}  // namespace

Result<int64_t> parse_log_time(std::string_view value, int64_t now_nanos) {
  if (value != "0") {
    if (auto d = parse_go_duration(value)) {
      int64_t t = 0;
      if (__builtin_sub_overflow(now_nanos, *d, &t)) {
        return fail(Code::kInvalidArgument, fmt::format("duration out of range: \"{}\"", value));
      }
      return floor_div(t, kNanosPerSecond) * kNanosPerSecond;
    }
  }
  bool local = value.find_first_of("zZ+") == std::string_view::npos &&
               std::count(value.begin(), value.end(), '-') != 3;
  std::string why;
  if (auto t = parse_go_time(value, pick_layout(value, local), local_offset_at(now_nanos), &why)) {
    return *t;
  }
  if (value.find('-') != std::string_view::npos) {
    return fail(Code::kInvalidArgument, why);
  }
  if (auto t = parse_unix_time(value)) {
    return *t;
  }
  return fail(Code::kInvalidArgument,
              fmt::format("failed to parse value as time or duration: \"{}\"", value));
}

}  // namespace berth::engine
