// `berth logs`: reading a container's json-file log (written by monitor/json_log.h) as docker's
// daemon serves it: rotated files oldest first, --tail, --since, --until, -t, --details and -f.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/stream.h"

namespace berth::engine {

inline constexpr int64_t kNanosPerSecond = 1000000000;

// a / b rounded towards negative infinity (times before 1970 still split into whole seconds).
inline int64_t floor_div(int64_t a, int64_t b) {
  return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

struct LogsOptions {
  bool follow = false;      // -f
  bool timestamps = false;  // -t
  // --tail: "all", or a number of lines counted back from the end over all files. Like docker's
  // daemon, anything that is not an integer, and any negative number, means all.
  std::string tail = "all";
  // --since / --until as unix nanoseconds (parse_log_time). Entries before `since` are skipped
  // until the first one at or after it (later ones are then shown even if their clocks went
  // back, as docker does); the first entry after `until` ends the output. An until of 0 means
  // none, as docker's daemon treats "--until 0".
  std::optional<int64_t> since, until;
  bool details = false;  // --details: the entry's attrs ("k=v,k2=v2", URL-query-escaped) first
};

// Parses a --since/--until value as docker's CLI does (timestamp.GetTimestamp), against now:
//   a Go duration ("10m", "1h30m", "1.5h", "-5s"): now minus it, truncated to whole seconds;
//   RFC 3339 with or without fraction or zone ("2026-11-23T10:00:00.5Z", "2026-11-23T10:00",
//   "2026-11-23T10+01:00"), or a date ("2026-11-23", "2026-11-23Z"); without a zone the time
//   is local, at the UTC offset the local zone has now (Go's FixedZone(now.Zone()));
//   unix seconds, with an optional fraction ("1700000000", "1700000000.123456789").
// Returns unix nanoseconds. InvalidArgument with docker's wording otherwise
// (`failed to parse value as time or duration: "x"`, or Go's `parsing time …` for a value
// with a '-' that is no valid time); the caller adds `invalid value for "since": `.
Result<int64_t> parse_log_time(std::string_view value, int64_t now_nanos);

// OK when `logs` can read a container that uses this log driver ("" and "json-file", the one
// berth writes); otherwise Unsupported with docker's "configured logging driver does not
// support reading" (driver "none" among them).
Result<void> check_logs_readable(std::string_view log_driver);

// Writes the log at log_path (and log_path.1, .2 … before it) to out (stdout entries) and err
// (stderr entries): each entry's text as it was logged, after "<time> " with -t (RFC 3339 with
// nine fraction digits, docker's RFC3339NanoFixed) and "<attrs> " with --details. Lines that
// are no valid entry are skipped. A missing log is empty, not an error.
//
// Without follow it reads what exists when it starts and returns. With follow it then keeps
// reading what the monitor appends (woken by inotify on the directory, and at least every
// 100 ms), follows rotations (the file renamed to .1 and a new one created, even several
// between two looks), and returns once running() has returned false and everything written
// before that call is out, or when an entry after `until` comes, or when `until` has passed.
// running is called from this thread only, at most every 100 ms; it may be empty (then: not
// running). Blocks.
// Errors: a failed read (Io, naming the file) or the writers' errors.
Result<void> read_logs(const std::string& log_path, const LogsOptions& options, Writer& out,
                       Writer& err, std::function<bool()> running);

}  // namespace berth::engine
