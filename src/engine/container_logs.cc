#include "engine/container_logs.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/strings.h"
#include "base/unique_fd.h"

namespace berth::engine {

Result<void> check_logs_readable(std::string_view log_driver) {
  if (log_driver.empty() || log_driver == "json-file") {
    return {};
  }
  return fail(Code::kUnsupported, "configured logging driver does not support reading");
}

namespace {

// Longer lines are skipped unread (an entry is at most 6 * 16 KiB escaped, plus its attrs).
constexpr size_t kMaxLine = 4 * 1024 * 1024;

// url.QueryEscape, which docker applies to --details attributes.
std::string query_escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (alnum || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// RFC3339NanoFixed, the form of `logs -t`: always nine fraction digits.
std::string fixed_time(int64_t unix_nanos) {
  time_t secs = static_cast<time_t>(floor_div(unix_nanos, kNanosPerSecond));
  struct tm tm {};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:09d}Z", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     unix_nanos - floor_div(unix_nanos, kNanosPerSecond) * kNanosPerSecond);
}

// One decoded log line.
struct Entry {
  std::string log, stream, time;
  std::vector<std::pair<std::string, std::string>> attrs;
  void clear() {
    log.clear();
    stream.clear();
    time.clear();
    attrs.clear();
  }
};

size_t skip_space(std::string_view s, size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) {
    ++i;
  }
  return i;
}

void append_utf8(std::string* out, uint32_t c) {
  if (c < 0x80) {
    *out += static_cast<char>(c);
  } else if (c < 0x800) {
    *out += static_cast<char>(0xC0 | (c >> 6));
    *out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    *out += static_cast<char>(0xE0 | (c >> 12));
    *out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (c >> 18));
    *out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

std::optional<uint32_t> hex4(std::string_view s, size_t i) {
  if (i + 4 > s.size()) {
    return std::nullopt;
  }
  uint32_t v = 0;
  for (size_t k = i; k < i + 4; ++k) {
    char c = s[k];
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0) {
      return std::nullopt;
    }
    v = v * 16 + static_cast<uint32_t>(d);
  }
  return v;
}

// Decodes the JSON string starting at s[i] == '"' into *out; the index after it, or npos.
// A lone surrogate becomes U+FFFD, as Go's decoder makes it.
size_t scan_string(std::string_view s, size_t i, std::string* out) {
  if (i >= s.size() || s[i] != '"') {
    return std::string_view::npos;
  }
  for (++i; i < s.size();) {
    size_t run = i;
    while (run < s.size() && s[run] != '"' && s[run] != '\\' &&
           static_cast<unsigned char>(s[run]) >= 0x20) {
      ++run;
    }
    out->append(s.data() + i, run - i);
    i = run;
    if (i >= s.size() || static_cast<unsigned char>(s[i]) < 0x20) {
      return std::string_view::npos;
    }
    if (s[i] == '"') {
      return i + 1;
    }
    if (++i >= s.size()) {
      return std::string_view::npos;
    }
    char c = s[i++];
    static constexpr std::string_view kFrom = "\"\\/bfnrt", kTo = "\"\\/\b\f\n\r\t";
    if (size_t k = kFrom.find(c); k != std::string_view::npos) {
      *out += kTo[k];
      continue;
    }
    auto u = c == 'u' ? hex4(s, i) : std::nullopt;
    if (!u) {
      return std::string_view::npos;
    }
    i += 4;
    uint32_t cp = *u;
    if (cp >= 0xD800 && cp < 0xDC00 && i + 1 < s.size() && s[i] == '\\' && s[i + 1] == 'u') {
      auto lo = hex4(s, i + 2);
      if (lo && *lo >= 0xDC00 && *lo < 0xE000) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (*lo - 0xDC00);
        i += 6;
      }
    }
    append_utf8(out, cp >= 0xD800 && cp < 0xE000 ? 0xFFFD : cp);
  }
  return std::string_view::npos;
}

// The shape every entry has: an object of string members, "attrs" an object of strings. False
// for anything else, which the general parser then judges.
bool decode_fast(std::string_view s, Entry& e) {
  std::string key, ignored;
  size_t i = skip_space(s, 0);
  if (i >= s.size() || s[i] != '{') {
    return false;
  }
  bool in_attrs = false;
  i = skip_space(s, i + 1);
  if (i < s.size() && s[i] == '}') {
    return skip_space(s, i + 1) == s.size();
  }
  for (;;) {
    key.clear();
    i = skip_space(s, scan_string(s, i, &key));
    if (i >= s.size() || s[i] != ':') {
      return false;
    }
    i = skip_space(s, i + 1);
    if (!in_attrs && key == "attrs" && i < s.size() && s[i] == '{') {
      in_attrs = true;
      i = skip_space(s, i + 1);
      if (i < s.size() && s[i] == '}') {
        in_attrs = false;
        i = skip_space(s, i + 1);
      } else {
        continue;
      }
    } else {
      std::string* dst = &ignored;
      if (in_attrs) {
        dst = &e.attrs.emplace_back(std::move(key), std::string()).second;
      } else if (key == "log" || key == "stream" || key == "time") {
        dst = key == "log" ? &e.log : key == "stream" ? &e.stream : &e.time;
        dst->clear();
      }
      i = skip_space(s, scan_string(s, i, dst));
    }
    if (i < s.size() && s[i] == '}' && in_attrs) {
      in_attrs = false;
      i = skip_space(s, i + 1);
    }
    if (i >= s.size()) {
      return false;
    }
    if (s[i] == ',') {
      i = skip_space(s, i + 1);
      continue;
    }
    return s[i] == '}' && !in_attrs && skip_space(s, i + 1) == s.size();
  }
}

// Any other valid JSON object: string members taken, others ignored.
bool decode_json(std::string_view s, Entry& e) {
  Json j = Json::parse(s.begin(), s.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return false;
  }
  e.clear();
  for (auto [key, dst] : {std::pair{"log", &e.log}, {"stream", &e.stream}, {"time", &e.time}}) {
    auto it = j.find(key);
    if (it != j.end() && it->is_string()) {
      *dst = it->get<std::string>();
    }
  }
  auto attrs = j.find("attrs");
  if (attrs != j.end() && attrs->is_object()) {
    for (auto it = attrs->begin(); it != attrs->end(); ++it) {
      if (it.value().is_string()) {
        e.attrs.emplace_back(it.key(), it.value().get<std::string>());
      }
    }
  }
  return true;
}

// docker's attrsByteSlice: sorted by key, both sides query-escaped, joined with ','.
std::string details(std::vector<std::pair<std::string, std::string>> attrs) {
  std::sort(attrs.begin(), attrs.end());
  std::string out;
  for (const auto& [k, v] : attrs) {
    out += (out.empty() ? "" : ",") + query_escape(k) + "=" + query_escape(v);
  }
  return out;
}

// Turns log lines into output: decodes, filters by since/until, formats, writes.
class Emitter {
 public:
  Emitter(const LogsOptions& o, Writer& out, Writer& err) : o_(o), out_(out), err_(err) {
    since_ = o.since;
    if (o.until && *o.until != 0) {
      until_ = o.until;
    }
  }

  // Handles one line of a log file (without its '\n'). False once an entry came after `until`:
  // the output is complete. A line that is no entry is skipped (docker gives up on the file).
  Result<bool> line(std::string_view text) {
    e_.clear();
    if (!decode_fast(text, e_) && !decode_json(text, e_)) {
      return true;
    }
    std::optional<int64_t> t = parse_rfc3339(e_.time);
    if (!t) {
      return true;
    }
    if (since_) {
      if (*t < *since_) {
        return true;
      }
      since_.reset();
    }
    if (until_ && *t > *until_) {
      done_ = true;
      return false;
    }
    Writer* w = e_.stream == "stdout" ? &out_ : e_.stream == "stderr" ? &err_ : nullptr;
    if (w == nullptr) {
      return true;
    }
    if (!o_.timestamps && !o_.details) {
      BERTH_CHECK(w->write(e_.log.data(), e_.log.size()));
      return true;
    }
    buf_.clear();
    if (o_.timestamps) {
      buf_ = fixed_time(*t) + " ";
    }
    if (o_.details) {
      buf_ += details(e_.attrs) + " ";
    }
    buf_ += e_.log;
    BERTH_CHECK(w->write(buf_.data(), buf_.size()));
    return true;
  }

  bool done() const { return done_; }
  std::optional<int64_t> until() const { return until_; }

 private:
  const LogsOptions& o_;
  Writer& out_;
  Writer& err_;
  std::optional<int64_t> since_, until_;
  bool done_ = false;
  Entry e_;
  std::string buf_;
};

struct LogFile {
  std::string path;
  UniqueFd fd;
  dev_t dev = 0;
  ino_t ino = 0;
  int64_t size = 0;  // when opened
  int64_t start = 0;
};

// Opens a log file; an empty fd when it does not exist.
Result<LogFile> open_log(const std::string& path) {
  LogFile f{path, UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC))};
  if (!f.fd) {
    if (errno == ENOENT) {
      return f;
    }
    return fail_errno("opening " + path);
  }
  struct stat st {};
  if (::fstat(f.fd.get(), &st) != 0) {
    return fail_errno("reading " + path);
  }
  f.dev = st.st_dev;
  f.ino = st.st_ino;
  f.size = st.st_size;
  return f;
}

bool same_file(const LogFile& f, const struct stat& st) {
  return f.fd && f.dev == st.st_dev && f.ino == st.st_ino;
}

// The log's files, oldest first, the current one (maybe without fd) last. A rotation while they
// are opened would mix generations, so the current file is checked again and the set retried.
Result<std::vector<LogFile>> open_log_set(const std::string& path) {
  std::vector<LogFile> files;
  for (int attempt = 0; attempt < 5; ++attempt) {
    files.clear();
    LogFile current = BERTH_TRY(open_log(path));
    for (int i = 1;; ++i) {
      LogFile f = BERTH_TRY(open_log(path + "." + std::to_string(i)));
      if (!f.fd) {
        break;
      }
      files.push_back(std::move(f));
    }
    std::reverse(files.begin(), files.end());
    files.push_back(std::move(current));
    struct stat st {};
    bool exists = ::stat(path.c_str(), &st) == 0;
    if (exists ? same_file(files.back(), st) : !files.back().fd) {
      break;
    }
  }
  return files;
}

// Where the last n complete lines of f (up to its size) start; *found: how many there are (<= n).
Result<int64_t> tail_start(const LogFile& f, int64_t n, int64_t* found) {
  char buf[8192];
  int64_t newlines = 0;
  bool seen_end = false;  // the bytes after the last '\n' are no line yet
  for (int64_t end = f.size; end > 0;) {
    int64_t off = std::max<int64_t>(0, end - static_cast<int64_t>(sizeof buf));
    ssize_t got = ::pread(f.fd.get(), buf, static_cast<size_t>(end - off), off);
    if (got < 0) {
      return fail_errno("reading " + f.path);
    }
    for (int64_t i = got - 1; i >= 0; --i) {
      if (buf[i] != '\n') {
        continue;
      }
      if (seen_end && ++newlines == n) {
        *found = n;
        return off + i + 1;
      }
      seen_end = true;
    }
    end = off;
  }
  *found = seen_end ? newlines + 1 : 0;
  return 0;
}

// Feeds the complete lines of f from offset on (up to limit bytes, or to the end when -1) to em.
// Returns the offset after the last complete line.
Result<int64_t> pump(const LogFile& f, int64_t offset, int64_t limit, Emitter& em) {
  std::string pending;
  size_t searched = 0;  // pending has no '\n' before this
  bool skipping = false;
  std::vector<char> chunk(64 * 1024);
  int64_t pos = offset;
  while (!em.done() && (limit < 0 || pos < limit)) {
    size_t want = chunk.size();
    if (limit >= 0) {
      want = static_cast<size_t>(std::min<int64_t>(limit - pos, want));
    }
    ssize_t got = ::pread(f.fd.get(), chunk.data(), want, pos);
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0) {
      return fail_errno("reading " + f.path);
    }
    if (got == 0) {
      break;
    }
    pos += got;
    pending.append(chunk.data(), static_cast<size_t>(got));
    size_t start = 0;
    for (size_t nl; (nl = pending.find('\n', std::max(start, searched))) != std::string::npos;
         start = nl + 1) {
      offset += static_cast<int64_t>(nl + 1 - start);
      if (skipping) {
        skipping = false;  // the end of an overlong line
      } else if (!BERTH_TRY(em.line(std::string_view(pending).substr(start, nl - start)))) {
        return offset;
      }
    }
    pending.erase(0, start);
    searched = pending.size();
    // No entry of ours comes near this; a file without newlines must not fill the memory.
    if (pending.size() > kMaxLine) {
      offset += static_cast<int64_t>(pending.size());
      pending.clear();
      searched = 0;
      skipping = true;
    }
  }
  return offset;
}

// Wakes the follower when something in the log's directory changes, or after 100 ms.
class DirWatch {
 public:
  explicit DirWatch(const std::string& dir) : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
    if (fd_ && ::inotify_add_watch(fd_.get(), dir.c_str(),
                                   IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                                       IN_CLOSE_WRITE) < 0) {
      fd_.reset();
    }
  }
  void wait() {
    if (!fd_) {
      struct timespec ts {
        0, 100 * 1000 * 1000
      };
      ::nanosleep(&ts, nullptr);
      return;
    }
    struct pollfd p {
      fd_.get(), POLLIN, 0
    };
    if (::poll(&p, 1, 100) > 0) {
      char buf[4096];
      while (::read(fd_.get(), buf, sizeof buf) > 0) {
      }
    }
  }

 private:
  UniqueFd fd_;
};

// After a rotation: the files rotated after cur and before the new current one (several
// rotations between two looks), newest last, found by cur's identity among path.1, path.2, ….
Result<std::vector<LogFile>> rotated_since(const std::string& path, const LogFile& cur) {
  std::vector<LogFile> newer;
  for (int i = 1; i < 1000; ++i) {
    LogFile f = BERTH_TRY(open_log(path + "." + std::to_string(i)));
    if (!f.fd) {
      return std::vector<LogFile>{};  // cur is gone from the set: no way to tell what followed
    }
    if (f.dev == cur.dev && f.ino == cur.ino) {
      std::reverse(newer.begin(), newer.end());
      return newer;
    }
    newer.push_back(std::move(f));
  }
  return std::vector<LogFile>{};
}

// Reads cur to its end, and on to the next generation(s) while the file at path is a newer one.
// Returns with cur the current file (maybe without fd when none exists yet) and *offset in it.
Result<void> drain(const std::string& path, LogFile& cur, int64_t* offset, Emitter& em) {
  while (!em.done()) {
    if (cur.fd) {
      *offset = BERTH_TRY(pump(cur, *offset, -1, em));
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      return {};  // between the unlink and the create of a rotation with max-file 1
    }
    if (same_file(cur, st)) {
      struct stat now {};
      if (::fstat(cur.fd.get(), &now) == 0 && now.st_size < *offset) {
        *offset = 0;  // truncated in place
        continue;
      }
      return {};
    }
    if (cur.fd) {
      (void)BERTH_TRY(pump(cur, *offset, -1, em));  // the writer finished it before rotating
      std::vector<LogFile> between = BERTH_TRY(rotated_since(path, cur));
      for (LogFile& f : between) {
        (void)BERTH_TRY(pump(f, 0, -1, em));
      }
    }
    cur = BERTH_TRY(open_log(path));
    *offset = 0;
  }
  return {};
}

Result<void> follow(const std::string& path, LogFile cur, int64_t offset, Emitter& em,
                    const std::function<bool()>& running) {
  DirWatch watch(dir_name(path));
  // A chatty container wakes us at every write; running() may read files, so it is asked at
  // most every 100 ms.
  auto asked = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  bool alive = true;
  for (;;) {
    // Asked before draining: what was written before the container stopped is then read.
    if (auto now = std::chrono::steady_clock::now();
        now - asked >= std::chrono::milliseconds(100)) {
      alive = running && running();
      asked = now;
    }
    BERTH_CHECK(drain(path, cur, &offset, em));
    if (em.done() || !alive || (em.until() && now_nanos() > *em.until())) {
      return {};
    }
    watch.wait();
  }
}

int64_t tail_lines(const std::string& tail) {
  auto n = parse_uint(tail);
  return n && *n <= static_cast<uint64_t>(INT64_MAX) ? static_cast<int64_t>(*n) : -1;
}

}  // namespace

Result<void> read_logs(const std::string& log_path, const LogsOptions& options, Writer& out,
                       Writer& err, std::function<bool()> running) {
  Emitter em(options, out, err);
  std::vector<LogFile> files = BERTH_TRY(open_log_set(log_path));
  int64_t want = tail_lines(options.tail);
  if (want >= 0) {
    for (size_t i = files.size(); i-- > 0;) {
      LogFile& f = files[i];
      f.start = f.size;
      if (f.fd && want > 0) {
        int64_t found = 0;
        f.start = BERTH_TRY(tail_start(f, want, &found));
        want -= found;
      }
    }
  }
  LogFile& current = files.back();
  int64_t offset = current.start;
  for (LogFile& f : files) {
    if (f.fd) {
      int64_t end = BERTH_TRY(pump(f, f.start, f.size, em));
      offset = &f == &current ? end : offset;
    }
  }
  if (!options.follow || em.done()) {
    return {};
  }
  return follow(log_path, std::move(current), offset, em, running);
}

}  // namespace berth::engine
