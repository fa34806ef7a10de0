#include "monitor/json_log.h"

#include <sys/stat.h>
#include <time.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/strings.h"
#include "store/temp_dir.h"

namespace berth::monitor {
namespace {

using berth::testing::TempDir;

constexpr int64_t kSecond = 1000000000;

std::string escape(std::string_view in) {
  std::string out(6 * in.size(), '\0');
  out.resize(json_escape(in.data(), in.size(), out.data()));
  return out;
}

std::string rfc3339(int64_t nanos) {
  char buf[kRfc3339NanoMax];
  return std::string(buf, format_rfc3339_nano(nanos, buf));
}

// 2026-11-23T10:00:00Z
int64_t base_time() {
  struct tm tm {};
  tm.tm_year = 2026 - 1900;
  tm.tm_mon = 10;
  tm.tm_mday = 23;
  tm.tm_hour = 10;
  return static_cast<int64_t>(timegm(&tm)) * kSecond;
}

std::vector<std::string> lines_of(const std::string& path) {
  auto text = read_file(path);
  if (!text) {
    return {};
  }
  std::vector<std::string> out = split(*text, '\n');
  if (!out.empty() && out.back().empty()) {
    out.pop_back();
  }
  return out;
}

std::vector<Json> entries_of(const std::string& path) {
  std::vector<Json> out;
  for (const auto& line : lines_of(path)) {
    out.push_back(Json::parse(line));
  }
  return out;
}

TEST(JsonLogEscape, EscapesLikeDockersJsonFileWriter) {
  struct Case {
    std::string in, out;
  } cases[] = {
      {"plain text 123", "plain text 123"},
      {"\"quoted\"", "\\\"quoted\\\""},
      {"back\\slash", "back\\\\slash"},
      {"\n\r", "\\n\\r"},
      {"\t", "\\u0009"},
      {std::string("\0\x01\x08\x0c\x1b\x1f", 6), "\\u0000\\u0001\\u0008\\u000c\\u001b\\u001f"},
      {"\x7f ~", "\x7f ~"},
      {"<a href=\"x\">&</a>", "\\u003ca href=\\\"x\\\"\\u003e\\u0026\\u003c/a\\u003e"},
      {"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"},
      {"\xE2\x80\xA8|\xE2\x80\xA9", "\\u2028|\\u2029"},
      {"a\xFF"
       "b",
       "a\\ufffdb"},
      {"\x80", "\\ufffd"},
      {"\xC3", "\\ufffd"},
      {"\xE2\x82", "\\ufffd\\ufffd"},
      {"\xC0\x80", "\\ufffd\\ufffd"},
      {"\xC1\xBF", "\\ufffd\\ufffd"},
      {"\xE0\x80\x80", "\\ufffd\\ufffd\\ufffd"},
      {"\xED\xA0\x80", "\\ufffd\\ufffd\\ufffd"},
      {"\xF4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd"},
      {"\xF5\x80", "\\ufffd\\ufffd"},
      {"\xED\x9F\xBF", "\xED\x9F\xBF"},
      {"\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF"},
      {"", ""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(escape(c.in), c.out)
        << "input: " << Json(c.in).dump(-1, ' ', false, Json::error_handler_t::replace);
  }
}

TEST(JsonLogEscape, ValidUtf8RoundTripsThroughAJsonParser) {
  std::string all;
  for (int c = 0; c < 0x80; ++c) {
    all += static_cast<char>(c);
  }
  all += "\xC3\xA9\xE2\x80\xA8\xE2\x80\xA9\xF0\x9F\x98\x80";
  auto parsed = parse_json("\"" + escape(all) + "\"", "escaped");
  ASSERT_TRUE(parsed) << parsed.error().str();
  EXPECT_EQ(parsed->get<std::string>(), all);
}

TEST(JsonLogTime, FormatsRfc3339NanoWithoutTrailingZeros) {
  int64_t t = base_time();
  EXPECT_EQ(rfc3339(t), "2026-11-23T10:00:00Z");
  EXPECT_EQ(rfc3339(t + 123456789), "2026-11-23T10:00:00.123456789Z");
  EXPECT_EQ(rfc3339(t + 123400000), "2026-11-23T10:00:00.1234Z");
  EXPECT_EQ(rfc3339(t + 1), "2026-11-23T10:00:00.000000001Z");
  EXPECT_EQ(rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(rfc3339(-1), "1969-12-31T23:59:59.999999999Z");
  for (int64_t v : {t, t + 5, t + 120000000, int64_t{1} << 62}) {
    EXPECT_EQ(rfc3339(v), rfc3339_nano(v));
  }
}

TEST(JsonLogWriter, WritesOneDockerShapedEntryPerLine) {
  TempDir dir;
  std::string path = dir.path() + "/c-json.log";
  auto w = JsonLogWriter::open(path, -1, 1);
  ASSERT_TRUE(w) << w.error().str();
  int64_t t = base_time();
  w->write(LogStream::kStdout, "hello\nwor", 9, t + 123456789);
  w->write(LogStream::kStdout, "ld\n", 3, t + kSecond);
  w->write(LogStream::kStderr, "oops \"<x>\"\n", 11, t + 2 * kSecond);
  EXPECT_EQ(
      lines_of(path),
      (std::vector<std::string>{
          R"({"log":"hello\n","stream":"stdout","time":"2026-11-23T10:00:00.123456789Z"})",
          R"({"log":"world\n","stream":"stdout","time":"2026-11-23T10:00:01Z"})",
          R"({"log":"oops \"\u003cx\u003e\"\n","stream":"stderr","time":"2026-11-23T10:00:02Z"})",
      }));
  EXPECT_FALSE(w->error());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(w->current_size(), st.st_size);
}

TEST(JsonLogWriter, EachStreamHasItsOwnLineBuffer) {
  TempDir dir;
  std::string path = dir.path() + "/log";
  auto w = JsonLogWriter::open(path, -1, 1);
  ASSERT_TRUE(w);
  int64_t t = base_time();
  w->write(LogStream::kStdout, "out-", 4, t);
  w->write(LogStream::kStderr, "err\n", 4, t);
  w->write(LogStream::kStdout, "line\n\n", 6, t);
  auto e = entries_of(path);
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0]["stream"], "stderr");
  EXPECT_EQ(e[0]["log"], "err\n");
  EXPECT_EQ(e[1]["stream"], "stdout");
  EXPECT_EQ(e[1]["log"], "out-line\n");
  EXPECT_EQ(e[2]["log"], "\n");
}

TEST(JsonLogWriter, AFullBufferWithoutNewlineIsWrittenAsPartialEntries) {
  TempDir dir;
  std::string path = dir.path() + "/log";
  auto w = JsonLogWriter::open(path, -1, 1);
  ASSERT_TRUE(w);
  const size_t kBuf = JsonLogWriter::kLineBuffer;
  int64_t t = base_time();
  std::string big(kBuf + 100, 'x');
  w->write(LogStream::kStdout, big.data(), big.size(), t + 1);
  w->write(LogStream::kStdout, "yz\nnext\n", 8, t + 2);
  std::string exact(kBuf, 'q');  // exactly one buffer, then its newline alone
  w->write(LogStream::kStdout, exact.data(), exact.size(), t + 3);
  w->write(LogStream::kStdout, "\n", 1, t + 4);
  auto e = entries_of(path);
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(e[0]["log"], std::string(kBuf, 'x'));  // no newline: a partial entry
  EXPECT_EQ(e[1]["log"], std::string(100, 'x') + "yz\n");
  EXPECT_EQ(e[0]["time"], e[1]["time"]);  // the pieces keep the time of the first
  EXPECT_EQ(e[0]["time"], rfc3339(t + 1));
  EXPECT_EQ(e[2]["log"], "next\n");
  EXPECT_EQ(e[2]["time"], rfc3339(t + 2));
  EXPECT_EQ(e[3]["log"], exact);
  EXPECT_EQ(e[4]["log"], "\n");
  EXPECT_EQ(e[4]["time"], rfc3339(t + 3));
}

TEST(JsonLogWriter, FlushPartialWritesTheRestWithoutNewlineAndStartsANewLine) {
  TempDir dir;
  std::string path = dir.path() + "/log";
  auto w = JsonLogWriter::open(path, -1, 1);
  ASSERT_TRUE(w);
  int64_t t = base_time();
  w->flush_partial(LogStream::kStdout, t);  // nothing buffered: nothing written
  w->write(LogStream::kStdout, "done\nno newline", 15, t + 1);
  w->flush_partial(LogStream::kStdout, t + 2);
  w->write(LogStream::kStdout, "again\n", 6, t + 3);
  auto e = entries_of(path);
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[1]["log"], "no newline");
  EXPECT_EQ(e[1]["time"], rfc3339(t + 2));
  EXPECT_EQ(e[2]["log"], "again\n");
  EXPECT_EQ(e[2]["time"], rfc3339(t + 3));
}

TEST(JsonLogWriter, InvalidUtf8AndControlBytesStayValidJson) {
  TempDir dir;
  std::string path = dir.path() + "/log";
  auto w = JsonLogWriter::open(path, -1, 1);
  ASSERT_TRUE(w);
  std::string line("bin\x00\xff\xfe\x01\tend\n", 12);
  w->write(LogStream::kStderr, line.data(), line.size(), base_time());
  auto e = entries_of(path);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0]["log"], std::string("bin\0\xEF\xBF\xBD\xEF\xBF\xBD\x01\tend\n", 16));
}

TEST(JsonLogWriter, AttrsAreWrittenBetweenStreamAndTime) {
  TempDir dir;
  std::string path = dir.path() + "/log";
  auto w = JsonLogWriter::open(path, -1, 1, R"({"tag":"web"})");
  ASSERT_TRUE(w);
  w->write(LogStream::kStdout, "hi\n", 3, base_time());
  EXPECT_EQ(
      lines_of(path),
      (std::vector<std::string>{
          R"({"log":"hi\n","stream":"stdout","attrs":{"tag":"web"},"time":"2026-11-23T10:00:00Z"})"}));
}

// Writes n numbered lines "line-<i>\n" at times base+i seconds.
void write_numbered(JsonLogWriter& w, int from, int to) {
  for (int i = from; i < to; ++i) {
    std::string line = "line-" + std::to_string(i) + "\n";
    w.write(LogStream::kStdout, line.data(), line.size(), base_time() + i * kSecond);
  }
}

TEST(JsonLogWriter, RotationKeepsMaxFileFilesWithTheNewestContent) {
  TempDir dir;
  std::string path = dir.path() + "/c-json.log";
  const int64_t kMax = 300;
  auto w = JsonLogWriter::open(path, kMax, 3);
  ASSERT_TRUE(w);
  write_numbered(*w, 0, 100);
  EXPECT_FALSE(w->error());
  EXPECT_TRUE(path_exists(path));
  EXPECT_TRUE(path_exists(path + ".1"));
  EXPECT_TRUE(path_exists(path + ".2"));
  EXPECT_FALSE(path_exists(path + ".3"));
  // Docker rotates before an entry once the file holds max-size: rotated files reach it and
  // pass it by less than one entry.
  size_t entry = lines_of(path).front().size() + 1;
  std::vector<std::string> all;
  for (const std::string& f : {path + ".2", path + ".1", path}) {
    struct stat st {};
    ASSERT_EQ(::stat(f.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0640u) << f;
    if (f != path) {
      EXPECT_GE(st.st_size, kMax) << f;
      EXPECT_LT(st.st_size, kMax + static_cast<int64_t>(entry) + 1) << f;
    }
    for (const Json& e : entries_of(f)) {
      all.push_back(e["log"].get<std::string>());
    }
  }
  // The newest lines, contiguous, ending with the last one written.
  ASSERT_FALSE(all.empty());
  int first = 100 - static_cast<int>(all.size());
  EXPECT_GT(first, 0);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i], "line-" + std::to_string(first + static_cast<int>(i)) + "\n");
  }
}

TEST(JsonLogWriter, MaxFileOneStartsTheFileAnew) {
  TempDir dir;
  std::string path = dir.path() + "/log";
  auto w = JsonLogWriter::open(path, 200, 1);
  ASSERT_TRUE(w);
  write_numbered(*w, 0, 50);
  EXPECT_FALSE(path_exists(path + ".1"));
  auto e = entries_of(path);
  ASSERT_FALSE(e.empty());
  EXPECT_EQ(e.back()["log"], "line-49\n");
  EXPECT_LT(e.size(), 5u);
}

TEST(JsonLogWriter, ReopeningContinuesTheFileAndCountsItsSize) {
  TempDir dir;
  std::string path = dir.path() + "/log";
  {
    auto w = JsonLogWriter::open(path, 1000, 2);
    ASSERT_TRUE(w);
    write_numbered(*w, 0, 3);
  }
  auto w = JsonLogWriter::open(path, 1000, 2);
  ASSERT_TRUE(w);
  auto size = read_file(path)->size();
  EXPECT_EQ(w->current_size(), static_cast<int64_t>(size));
  write_numbered(*w, 3, 4);
  auto e = entries_of(path);
  ASSERT_EQ(e.size(), 4u);
  EXPECT_EQ(e[3]["log"], "line-3\n");
}

TEST(JsonLogWriter, WriteErrorsAreRememberedAndNotFatal) {
  auto w = JsonLogWriter::open("/dev/full", -1, 1);
  if (!w) {
    GTEST_SKIP() << "no /dev/full to make writes fail: " << w.error().str();
  }
  write_numbered(*w, 0, 3);
  ASSERT_TRUE(w->error());
  EXPECT_EQ(w->error()->sys_errno(), ENOSPC);
  EXPECT_NE(w->error()->str().find("writing log /dev/full"), std::string::npos);
  EXPECT_EQ(w->dropped_entries(), 3u);
}

TEST(JsonLogWriter, AFailedRotationIsRetriedOnTheNextEntry) {
  TempDir dir;
  std::string sub = dir.path() + "/c";
  ASSERT_TRUE(mkdir_p(sub));
  std::string path = sub + "/log";
  auto w = JsonLogWriter::open(path, 10, 2);
  ASSERT_TRUE(w);
  write_numbered(*w, 0, 1);
  ASSERT_TRUE(remove_tree(sub));  // the rotation can neither rename nor create now
  write_numbered(*w, 1, 2);
  ASSERT_TRUE(w->error());
  EXPECT_EQ(w->dropped_entries(), 1u);
  ASSERT_TRUE(mkdir_p(sub));
  w->clear_error();
  write_numbered(*w, 2, 3);
  EXPECT_FALSE(w->error());
  auto e = entries_of(path);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0]["log"], "line-2\n");
}

TEST(JsonLogWriter, OpenFailsNamingThePath) {
  auto w = JsonLogWriter::open("/nonexistent-berth-dir/x/log", -1, 1);
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().str().find("/nonexistent-berth-dir/x/log"), std::string::npos);
}

}  // namespace
}  // namespace berth::monitor
