#include "engine/container_logs.h"

#include <fcntl.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/stream.h"
#include "base/strings.h"
#include "base/unique_fd.h"
#include "monitor/json_log.h"
#include "store/temp_dir.h"

namespace berth::engine {
namespace {

using berth::monitor::JsonLogWriter;
using berth::monitor::LogStream;
using berth::testing::TempDir;

constexpr int64_t kSecond = 1000000000;

int64_t utc(int year, int month, int day, int hour = 0, int minute = 0, int second = 0) {
  struct tm tm {};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm)) * kSecond;
}

// The UTC offset of the local zone now, which docker applies to times without a zone.
int64_t local_offset(int64_t now) {
  time_t t = static_cast<time_t>(now / kSecond);
  struct tm tm {};
  localtime_r(&t, &tm);
  return tm.tm_gmtoff * kSecond;
}

const int64_t kBase = utc(2026, 11, 23, 10);
const int64_t kNow = utc(2026, 11, 23, 12) + 500000000;

std::string line_text(int i) { return "line-" + std::to_string(i) + "\n"; }

// Writes lines [from, to) as "line-<i>\n" at kBase + i seconds; odd ones to stderr when split.
void write_numbered(JsonLogWriter& w, int from, int to, bool split_streams = false) {
  for (int i = from; i < to; ++i) {
    std::string line = line_text(i);
    LogStream s = split_streams && i % 2 == 1 ? LogStream::kStderr : LogStream::kStdout;
    w.write(s, line.data(), line.size(), kBase + i * kSecond);
  }
}

std::string numbered(int from, int to) {
  std::string out;
  for (int i = from; i < to; ++i) {
    out += line_text(i);
  }
  return out;
}

struct Output {
  std::string out, err;
};

Result<Output> read_all(const std::string& path, const LogsOptions& o,
                        std::function<bool()> running = {}) {
  Output r;
  StringWriter out(&r.out);
  StringWriter err(&r.err);
  BERTH_CHECK(read_logs(path, o, out, err, std::move(running)));
  return r;
}

// A log of 30 lines over several rotated files (about 4 lines a file, 10 files kept).
struct RotatedLog {
  TempDir dir;
  std::string path = dir.path() + "/c-json.log";
  RotatedLog() {
    auto w = JsonLogWriter::open(path, 250, 10);
    EXPECT_TRUE(w);
    write_numbered(*w, 0, 30);
  }
};

TEST(ParseLogTime, GoDurationsCountBackFromNowInWholeSeconds) {
  int64_t whole = kNow - kNow % kSecond;
  struct Case {
    const char* in;
    int64_t want;
  } cases[] = {
      {"10m", whole - 600 * kSecond},
      {"1h30m", whole - 5400 * kSecond},
      {"1.5h", whole - 5400 * kSecond},
      {"90s", whole - 90 * kSecond},
      {"-5s", whole + 5 * kSecond},
      {"+2m", whole - 120 * kSecond},
      {"1500ms", whole - 1 * kSecond},
      {"2h0m0.5s", whole - 7200 * kSecond},
      {"3\xC2\xB5s", whole},
      {".5m", whole - 30 * kSecond},
  };
  for (const auto& c : cases) {
    auto t = parse_log_time(c.in, kNow);
    ASSERT_TRUE(t) << c.in << ": " << t.error().str();
    EXPECT_EQ(*t, c.want) << c.in;
  }
}

TEST(ParseLogTime, Rfc3339WithZoneIsExact) {
  int64_t t = utc(2026, 11, 23, 10);
  struct Case {
    const char* in;
    int64_t want;
  } cases[] = {
      {"2026-11-23T10:00:00Z", t},
      {"2026-11-23T10:00:00.123456789Z", t + 123456789},
      {"2026-11-23T10:00:00.5Z", t + 500000000},
      {"2026-11-23T10:00:00,25Z", t + 250000000},
      {"2026-11-23T12:00:00+02:00", t},
      {"2026-11-23T08:30:00.5-01:30", t + 500000000},
      {"2026-11-23T10Z", t},
      {"2026-11-23T10:30Z", t + 1800 * kSecond},
      {"2026-11-23T11+01:00", t},
      {"2026-11-23T11:00+01:00", t},
      {"2026-11-23Z", utc(2026, 11, 23)},
      {"2026-11-24+01:00", utc(2026, 11, 23, 23)},
      {"2024-02-29T00:00:00Z", utc(2024, 2, 29)},
  };
  for (const auto& c : cases) {
    auto got = parse_log_time(c.in, kNow);
    ASSERT_TRUE(got) << c.in << ": " << got.error().str();
    EXPECT_EQ(*got, c.want) << c.in;
  }
}

TEST(ParseLogTime, TimesWithoutZoneAreLocal) {
  int64_t off = local_offset(kNow);
  struct Case {
    const char* in;
    int64_t utc_value;
  } cases[] = {
      {"2026-11-23", utc(2026, 11, 23)},
      {"2026-11-23T10", utc(2026, 11, 23, 10)},
      {"2026-11-23T10:15", utc(2026, 11, 23, 10, 15)},
      {"2026-11-23T10:15:30", utc(2026, 11, 23, 10, 15, 30)},
      {"2026-11-23T10:15:30.000000042", utc(2026, 11, 23, 10, 15, 30) + 42},
  };
  for (const auto& c : cases) {
    auto got = parse_log_time(c.in, kNow);
    ASSERT_TRUE(got) << c.in << ": " << got.error().str();
    EXPECT_EQ(*got, c.utc_value - off) << c.in;
  }
}

TEST(ParseLogTime, UnixSecondsWithOptionalFraction) {
  EXPECT_EQ(*parse_log_time("1700000000", kNow), 1700000000 * kSecond);
  EXPECT_EQ(*parse_log_time("1700000000.123456789", kNow), 1700000000 * kSecond + 123456789);
  EXPECT_EQ(*parse_log_time("1700000000.5", kNow), 1700000000 * kSecond + 500000000);
  EXPECT_EQ(*parse_log_time("1700000000.1234567891", kNow), 1700000000 * kSecond + 123456789);
  EXPECT_EQ(*parse_log_time("0", kNow), 0);
}

// Nanoseconds in int64 end in 2262; docker keeps bounds as seconds, so later (and much earlier)
// times must still order after (before) every entry instead of wrapping around.
TEST(ParseLogTime, TimesBeyondTheNanosecondRangeAreHeldAtItsEnds) {
  EXPECT_EQ(*parse_log_time("2999-01-01T00:00:00Z", kNow), INT64_MAX);
  EXPECT_EQ(*parse_log_time("99999999999", kNow), INT64_MAX);
  EXPECT_EQ(*parse_log_time("1000-01-01T00:00:00Z", kNow), INT64_MIN);
}

TEST(ParseLogTime, BadValuesAreRefusedWithDockersWords) {
  struct Case {
    const char* in;
    const char* message;
  } cases[] = {
      {"yesterday", "failed to parse value as time or duration: \"yesterday\""},
      {"", "failed to parse value as time or duration: \"\""},
      {"10x", "failed to parse value as time or duration: \"10x\""},
      {"1700000000.", "failed to parse value as time or duration: \"1700000000.\""},
      {"2026-13-01", "parsing time \"2026-13-01\": month out of range"},
      {"2026-02-29", "parsing time \"2026-02-29\": day out of range"},
      {"2026-11-23T24:00:00Z", "parsing time \"2026-11-23T24:00:00Z\": hour out of range"},
      {"2026-11-23T10:60Z", "parsing time \"2026-11-23T10:60Z\": minute out of range"},
      {"2026-11-23Tnoon",
       "parsing time \"2026-11-23Tnoon\" as \"2006-01-02T15\": cannot parse \"noon\" as \"15\""},
      {"26-11-23",
       "parsing time \"26-11-23\" as \"2006-01-02\": cannot parse \"26-11-23\" as "
       "\"2006\""},
      {"2026-11-23 10:00", "parsing time \"2026-11-23 10:00\": extra text: \" 10:00\""},
      {"2026-11-23T10:00:00+0200",
       "parsing time \"2026-11-23T10:00:00+0200\" as \"2006-01-02T15:04Z07:00\": cannot parse "
       "\":00+0200\" as \"Z07:00\""},
  };
  for (const auto& c : cases) {
    auto got = parse_log_time(c.in, kNow);
    ASSERT_FALSE(got) << c.in;
    EXPECT_EQ(got.error().code(), Code::kInvalidArgument);
    EXPECT_EQ(got.error().str(), c.message);
  }
}

TEST(CheckLogsReadable, OnlyJsonFileCanBeRead) {
  EXPECT_TRUE(check_logs_readable("json-file"));
  EXPECT_TRUE(check_logs_readable(""));
  auto none = check_logs_readable("none");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), Code::kUnsupported);
  EXPECT_EQ(none.error().str(), "configured logging driver does not support reading");
  EXPECT_FALSE(check_logs_readable("syslog"));
}

TEST(ReadLogs, StreamsGoToTheirWriters) {
  TempDir dir;
  std::string path = dir.path() + "/log";
  auto w = JsonLogWriter::open(path, -1, 1);
  ASSERT_TRUE(w);
  write_numbered(*w, 0, 4, true);
  auto r = read_all(path, {});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->out, line_text(0) + line_text(2));
  EXPECT_EQ(r->err, line_text(1) + line_text(3));
}

TEST(ReadLogs, RotatedFilesAreReadOldestFirst) {
  RotatedLog log;
  ASSERT_TRUE(path_exists(log.path + ".3"));
  auto r = read_all(log.path, {});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->out, numbered(0, 30));
}

TEST(ReadLogs, TailCountsLinesBackOverAllFiles) {
  RotatedLog log;
  for (auto [tail, want] : std::vector<std::pair<std::string, std::string>>{
           {"5", numbered(25, 30)},
           {"13", numbered(17, 30)},
           {"1", numbered(29, 30)},
           {"0", ""},
           {"30", numbered(0, 30)},
           {"1000", numbered(0, 30)},
           {"all", numbered(0, 30)},
           {"-1", numbered(0, 30)},
           {"lots", numbered(0, 30)},
       }) {
    LogsOptions o;
    o.tail = tail;
    auto r = read_all(log.path, o);
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(r->out, want) << "--tail " << tail;
  }
}

TEST(ReadLogs, SinceAndUntilSelectByEntryTime) {
  RotatedLog log;
  LogsOptions o;
  o.since = kBase + 10 * kSecond;
  EXPECT_EQ(read_all(log.path, o)->out, numbered(10, 30));
  o.until = kBase + 20 * kSecond;
  EXPECT_EQ(read_all(log.path, o)->out, numbered(10, 21));
  o.since.reset();
  EXPECT_EQ(read_all(log.path, o)->out, numbered(0, 21));
  o.until = 0;  // docker's "--until 0": no limit
  EXPECT_EQ(read_all(log.path, o)->out, numbered(0, 30));
  // --tail picks the lines first, --since then filters them.
  o.until.reset();
  o.tail = "5";
  o.since = kBase + 27 * kSecond;
  EXPECT_EQ(read_all(log.path, o)->out, numbered(27, 30));
}

TEST(ReadLogs, TimestampsAndDetailsPrefixEachEntry) {
  TempDir dir;
  std::string path = dir.path() + "/log";
  auto w = JsonLogWriter::open(path, -1, 1, R"({"tag":"web","a b":"x/y&z"})");
  ASSERT_TRUE(w);
  w->write(LogStream::kStdout, "hi\n", 3, kBase + 1200);
  w->write(LogStream::kStderr, "err\n", 4, kBase + kSecond);
  LogsOptions o;
  o.timestamps = true;
  auto r = read_all(path, o);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->out, "2026-11-23T10:00:00.000001200Z hi\n");
  EXPECT_EQ(r->err, "2026-11-23T10:00:01.000000000Z err\n");
  o.details = true;
  r = read_all(path, o);
  EXPECT_EQ(r->out, "2026-11-23T10:00:00.000001200Z a+b=x%2Fy%26z,tag=web hi\n");
  o.timestamps = false;
  r = read_all(path, o);
  EXPECT_EQ(r->err, "a+b=x%2Fy%26z,tag=web err\n");

  TempDir plain_dir;
  std::string plain = plain_dir.path() + "/log";
  auto pw = JsonLogWriter::open(plain, -1, 1);
  pw->write(LogStream::kStdout, "hi\n", 3, kBase);
  EXPECT_EQ(read_all(plain, o)->out, " hi\n");  // docker: empty attrs, then the space
}

TEST(ReadLogs, CorruptLinesAreSkipped) {
  TempDir dir;
  std::string path = dir.path() + "/log";
  std::string good = R"({"log":"ok\n","stream":"stdout","time":"2026-11-23T10:00:00Z"})";
  std::string text = good + "\n" + "garbage\n\n{\"log\":\"x\"}\n[1,2]\n" +
                     R"({"log":"t\n","stream":"stdout","time":"not a time"})" + "\n" +
                     R"({"log":"?\n","stream":"stdin","time":"2026-11-23T10:00:00Z"})" + "\n" +
                     std::string("\xff\xfe\x00\n", 4) + good + "\n" + "{\"log\":\"cut";
  ASSERT_TRUE(write_file_atomic(path, text));
  LogsOptions o;
  auto r = read_all(path, o);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->out, "ok\nok\n");
  o.tail = "1";
  EXPECT_EQ(read_all(path, o)->out, "ok\n");
}

TEST(ReadLogs, EntriesInAnyJsonShapeAreDecoded) {
  TempDir dir;
  std::string path = dir.path() + "/log";
  std::vector<std::string> lines = {
      // escapes: short forms, \u, a surrogate pair, a lone surrogate
      R"({"log":"a\"b\\c\/d\b\f\r\t\u00e9\u003c\ud83d\ude00\ud800!\n","stream":"stdout","time":"2026-11-23T10:00:00Z"})",
      // members in another order, spaces, attrs, an unknown member
      R"( { "time" : "2026-11-23T10:00:01Z" , "attrs":{"k":"v"},"x":"y", "stream":"stderr","log":"two\n" } )",
      // a number where a string could be: the general parser takes it
      R"({"log":"three\n","stream":"stdout","time":"2026-11-23T10:00:02.5Z","n":12,"attrs":{}})",
      // a zone offset in the time
      R"({"log":"four\n","stream":"stdout","time":"2026-11-23T12:00:03+02:00"})",
  };
  ASSERT_TRUE(write_file_atomic(path, join(lines, "\n") + "\n"));
  LogsOptions o;
  o.timestamps = true;
  auto r = read_all(path, o);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(
      r->out,
      "2026-11-23T10:00:00.000000000Z a\"b\\c/d\b\f\r\t\xC3\xA9<\xF0\x9F\x98\x80\xEF\xBF\xBD!\n"
      "2026-11-23T10:00:02.500000000Z three\n"
      "2026-11-23T10:00:03.000000000Z four\n");
  EXPECT_EQ(r->err, "2026-11-23T10:00:01.000000000Z two\n");
  o.timestamps = false;
  o.details = true;
  EXPECT_EQ(read_all(path, o)->err, "k=v two\n");
}

TEST(ReadLogs, AnOverlongLineIsSkippedAndReadingGoesOn) {
  TempDir dir;
  std::string path = dir.path() + "/log";
  std::string good = R"({"log":"ok\n","stream":"stdout","time":"2026-11-23T10:00:00Z"})";
  std::string junk(5 * 1024 * 1024, '{');
  std::string text = good + "\n" + junk + "\n" + good + "\n" + junk;
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0640));
  ASSERT_TRUE(write_all(fd.get(), text.data(), text.size()));
  auto r = read_all(path, {});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->out, "ok\nok\n");
}

TEST(ReadLogs, AMissingLogIsEmpty) {
  TempDir dir;
  auto r = read_all(dir.path() + "/none-json.log", {});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->out, "");
  LogsOptions o;
  o.follow = true;
  r = read_all(dir.path() + "/none-json.log", o, [] { return false; });
  ASSERT_TRUE(r) << r.error().str();
}

// A running() that gives up after a while, so that a broken follow fails instead of hanging.
struct Deadline {
  std::chrono::steady_clock::time_point end =
      std::chrono::steady_clock::now() + std::chrono::seconds(20);
  bool passed() const { return std::chrono::steady_clock::now() > end; }
};

TEST(ReadLogsFollow, SeesLinesAppendedByAWriterThreadAndRotations) {
  TempDir dir;
  std::string path = dir.path() + "/log";
  auto w = JsonLogWriter::open(path, 400, 5);
  ASSERT_TRUE(w);
  write_numbered(*w, 0, 3);
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 3; i < 40; ++i) {
      write_numbered(*w, i, i + 1);
      std::this_thread::sleep_for(std::chrono::milliseconds(i % 7 == 0 ? 120 : 3));
    }
    done = true;
  });
  LogsOptions o;
  o.follow = true;
  Deadline deadline;
  auto r = read_all(path, o, [&] { return !done && !deadline.passed(); });
  writer.join();
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_FALSE(deadline.passed());
  EXPECT_TRUE(path_exists(path + ".3"));  // it did rotate, several times
  EXPECT_EQ(r->out, numbered(0, 40));
}

TEST(ReadLogsFollow, CatchesUpOnSeveralRotationsBetweenTwoLooks) {
  TempDir dir;
  std::string path = dir.path() + "/log";
  auto w = JsonLogWriter::open(path, 150, 20);
  ASSERT_TRUE(w);
  write_numbered(*w, 0, 2);
  int calls = 0;
  // running() is asked once per look: each look finds a burst of several rotations.
  auto running = [&] {
    ++calls;
    if (calls <= 3) {
      write_numbered(*w, 2 + (calls - 1) * 10, 2 + calls * 10);
    }
    return calls <= 3;
  };
  LogsOptions o;
  o.follow = true;
  o.tail = "1";
  auto r = read_all(path, o, running);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->out, numbered(1, 32));
}

TEST(ReadLogsFollow, FollowsAFileStartedAnewWithMaxFileOne) {
  TempDir dir;
  std::string path = dir.path() + "/log";
  auto w = JsonLogWriter::open(path, 50, 1);
  ASSERT_TRUE(w);
  write_numbered(*w, 0, 1);
  int calls = 0;
  auto running = [&] {
    ++calls;
    if (calls <= 4) {
      write_numbered(*w, calls, calls + 1);  // each entry after the first starts a new file
    }
    return calls <= 4;
  };
  LogsOptions o;
  o.follow = true;
  auto r = read_all(path, o, running);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->out, numbered(0, 5));
}

TEST(ReadLogsFollow, StopsAtTheFirstEntryAfterUntil) {
  TempDir dir;
  std::string path = dir.path() + "/log";
  auto w = JsonLogWriter::open(path, -1, 1);
  ASSERT_TRUE(w);
  // Times an hour ahead: `until` has not passed yet, so only an entry after it ends the output.
  int64_t base = now_nanos() + 3600 * kSecond;
  auto write = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      w->write(LogStream::kStdout, line_text(i).data(), line_text(i).size(), base + i * kSecond);
    }
  };
  write(0, 3);
  int calls = 0;
  auto running = [&] {
    ++calls;
    if (calls == 2) {
      write(3, 8);
    }
    return calls < 50;
  };
  LogsOptions o;
  o.follow = true;
  o.until = base + 5 * kSecond;
  auto r = read_all(path, o, running);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->out, numbered(0, 6));
  EXPECT_EQ(calls, 2);
}

TEST(ReadLogsFollow, EndsOnceUntilHasPassed) {
  TempDir dir;
  std::string path = dir.path() + "/log";
  auto w = JsonLogWriter::open(path, -1, 1);
  ASSERT_TRUE(w);
  write_numbered(*w, 0, 2);
  LogsOptions o;
  o.follow = true;
  o.until = now_nanos() + 300 * 1000 * 1000;
  Deadline deadline;
  auto r = read_all(path, o, [&] { return !deadline.passed(); });
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_FALSE(deadline.passed());
  EXPECT_EQ(r->out, numbered(0, 2));
}

TEST(ReadLogsFollow, APartialLastLineWaitsForItsNewline) {
  TempDir dir;
  std::string path = dir.path() + "/log";
  std::string entry = R"({"log":"whole\n","stream":"stdout","time":"2026-11-23T10:00:00Z"})";
  ASSERT_TRUE(write_file_atomic(path, entry.substr(0, 20)));
  int calls = 0;
  auto running = [&] {
    ++calls;
    if (calls == 3) {
      auto fd = UniqueFd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
      EXPECT_TRUE(write_all(fd.get(), entry.data() + 20, entry.size() - 20));
      EXPECT_TRUE(write_all(fd.get(), "\n", 1));
    }
    return calls < 5;
  };
  LogsOptions o;
  o.follow = true;
  auto r = read_all(path, o, running);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->out, "whole\n");
}

}  // namespace
}  // namespace berth::engine
