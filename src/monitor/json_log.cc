#include "monitor/json_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace berth::monitor {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// The length of the valid UTF-8 sequence at p, or 0 when Go's utf8.DecodeRune would return
// (RuneError, 1): a stray continuation byte, an overlong form, a surrogate, a code point above
// U+10FFFF, or a sequence cut short by the end of the data.
size_t utf8_sequence(const unsigned char* p, size_t avail) {
  unsigned char c = p[0];
  size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c == 0xE0) {
    len = 3;
    lo = 0xA0;
  } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
    len = 3;
  } else if (c == 0xED) {
    len = 3;
    hi = 0x9F;
  } else if (c == 0xF0) {
    len = 4;
    lo = 0x90;
  } else if (c >= 0xF1 && c <= 0xF3) {
    len = 4;
  } else if (c == 0xF4) {
    len = 4;
    hi = 0x8F;
  } else {
    return 0;
  }
  if (avail < len || p[1] < lo || p[1] > hi) {
    return 0;
  }
  for (size_t i = 2; i < len; ++i) {
    if (p[i] < 0x80 || p[i] > 0xBF) {
      return 0;
    }
  }
  return len;
}

// The error for a failed call, from errno, before anything else can change it.
Error errno_error(std::string what) {
  int err = errno;
  return Error(code_from_errno(err), std::move(what), err);
}

char* put(char* o, const char* s, size_t n) {
  std::memcpy(o, s, n);
  return o + n;
}

char* put(char* o, const char* s) { return put(o, s, std::strlen(s)); }

char* put_digits(char* o, unsigned value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    o[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return o + width;
}

}  // namespace

size_t json_escape(const char* data, size_t n, char* out) {
  const auto* s = reinterpret_cast<const unsigned char*>(data);
  char* o = out;
  size_t i = 0;
  while (i < n) {
    unsigned char b = s[i];
    if (b < 0x80) {
      if (b >= 0x20 && b != '\\' && b != '"' && b != '<' && b != '>' && b != '&') {
        *o++ = static_cast<char>(b);
      } else if (b == '\\' || b == '"') {
        *o++ = '\\';
        *o++ = static_cast<char>(b);
      } else if (b == '\n') {
        o = put(o, "\\n", 2);
      } else if (b == '\r') {
        o = put(o, "\\r", 2);
      } else {
        // docker's writer has no short form for \t, \b or \f (Go's encoding/json does).
        o = put(o, "\\u00", 4);
        *o++ = kHex[b >> 4];
        *o++ = kHex[b & 0xF];
      }
      ++i;
      continue;
    }
    size_t len = utf8_sequence(s + i, n - i);
    if (len == 0) {
      o = put(o, "\\ufffd", 6);
      ++i;
      continue;
    }
    // U+2028 and U+2029 end a line in JavaScript, so JSON meant for browsers escapes them.
    if (len == 3 && b == 0xE2 && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
      o = put(o, "\\u202", 5);
      *o++ = s[i + 2] == 0xA8 ? '8' : '9';
    } else {
      o = put(o, data + i, len);
    }
    i += len;
  }
  return static_cast<size_t>(o - out);
}

size_t format_rfc3339_nano(int64_t unix_nanos, char* out) {
  int64_t secs = unix_nanos / 1000000000;
  int64_t frac = unix_nanos % 1000000000;
  if (frac < 0) {
    frac += 1000000000;
    secs -= 1;
  }
  time_t t = static_cast<time_t>(secs);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char* o = out;
  o = put_digits(o, static_cast<unsigned>(tm.tm_year + 1900) % 10000, 4);
  *o++ = '-';
  o = put_digits(o, static_cast<unsigned>(tm.tm_mon + 1), 2);
  *o++ = '-';
  o = put_digits(o, static_cast<unsigned>(tm.tm_mday), 2);
  *o++ = 'T';
  o = put_digits(o, static_cast<unsigned>(tm.tm_hour), 2);
  *o++ = ':';
  o = put_digits(o, static_cast<unsigned>(tm.tm_min), 2);
  *o++ = ':';
  o = put_digits(o, static_cast<unsigned>(tm.tm_sec), 2);
  if (frac != 0) {
    *o++ = '.';
    char* digits = o;
    o = put_digits(o, static_cast<unsigned>(frac), 9);
    while (o > digits && o[-1] == '0') {
      --o;
    }
  }
  *o++ = 'Z';
  return static_cast<size_t>(o - out);
}

Result<JsonLogWriter> JsonLogWriter::open(const std::string& path, int64_t max_size, int max_file,
                                          std::string attrs_json) {
  JsonLogWriter w;
  w.path_ = path;
  w.max_size_ = max_size > 0 ? max_size : -1;
  w.max_file_ = max_file < 1 ? 1 : max_file;
  w.attrs_json_ = std::move(attrs_json);
  w.fd_.reset(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  if (!w.fd_) {
    return fail_errno("opening log " + path);
  }
  struct stat st {};
  if (::fstat(w.fd_.get(), &st) != 0) {
    return fail_errno("opening log " + path);
  }
  // Mode 0640 whatever the umask, as docker's files are (never a device given as the path).
  if (S_ISREG(st.st_mode)) {
    (void)::fchmod(w.fd_.get(), 0640);
  }
  w.size_ = st.st_size;
  for (Pending& p : w.pending_) {
    p.buf.reset(new char[kLineBuffer]);
  }
  // Worst case: every byte of a full line escapes to 6, plus "\n" and the fixed members.
  w.out_.reset(new char[6 * kLineBuffer + 128 + w.attrs_json_.size()]);
  return w;
}

void JsonLogWriter::write(LogStream s, const char* data, size_t n, int64_t unix_nanos) {
  Pending& p = pending_[static_cast<int>(s)];
  while (n > 0) {
    size_t take = kLineBuffer - p.n < n ? kLineBuffer - p.n : n;
    std::memcpy(p.buf.get() + p.n, data, take);
    p.n += take;
    data += take;
    n -= take;
    cut_lines(s, unix_nanos);
  }
}

void JsonLogWriter::flush_partial(LogStream s, int64_t unix_nanos) {
  Pending& p = pending_[static_cast<int>(s)];
  if (p.n > 0) {
    write_partial(s, unix_nanos);
  }
  p.in_partial = false;
}

// Writes the complete lines in the buffer and keeps the rest, as docker's copier does after
// each read: a full buffer without any newline goes out as a partial entry.
void JsonLogWriter::cut_lines(LogStream s, int64_t unix_nanos) {
  Pending& p = pending_[static_cast<int>(s)];
  char* buf = p.buf.get();
  size_t start = 0;
  while (start < p.n) {
    auto* nl = static_cast<char*>(std::memchr(buf + start, '\n', p.n - start));
    if (nl == nullptr) {
      break;
    }
    size_t len = static_cast<size_t>(nl - (buf + start));
    // The last piece of a line cut into partials keeps the time of its first piece.
    write_entry(s, buf + start, len, true, p.in_partial ? p.partial_time : unix_nanos);
    p.in_partial = false;
    start += len + 1;
  }
  if (start == 0 && p.n == kLineBuffer) {
    write_partial(s, unix_nanos);
    return;
  }
  if (start > 0) {
    std::memmove(buf, buf + start, p.n - start);
    p.n -= start;
  }
}

void JsonLogWriter::write_partial(LogStream s, int64_t unix_nanos) {
  Pending& p = pending_[static_cast<int>(s)];
  if (!p.in_partial) {
    p.in_partial = true;
    p.partial_time = unix_nanos;
  }
  write_entry(s, p.buf.get(), p.n, false, p.partial_time);
  p.n = 0;
}

void JsonLogWriter::write_entry(LogStream s, const char* line, size_t n, bool newline,
                                int64_t unix_nanos) {
  char* o = out_.get();
  o = put(o, "{\"log\":\"");
  o += json_escape(line, n, o);
  if (newline) {
    o = put(o, "\\n", 2);
  }
  o = put(o, s == LogStream::kStdout ? "\",\"stream\":\"stdout\"," : "\",\"stream\":\"stderr\",");
  if (!attrs_json_.empty()) {
    o = put(o, "\"attrs\":");
    o = put(o, attrs_json_.data(), attrs_json_.size());
    *o++ = ',';
  }
  o = put(o, "\"time\":\"");
  o += format_rfc3339_nano(unix_nanos, o);
  o = put(o, "\"}\n", 3);
  size_t len = static_cast<size_t>(o - out_.get());

  if (max_size_ > 0 && size_ >= max_size_) {
    rotate();
  }
  if (!fd_ && !reopen(false)) {
    ++dropped_;
    return;
  }
  const char* q = out_.get();
  size_t left = len;
  while (left > 0) {
    ssize_t w = ::write(fd_.get(), q, left);
    if (w < 0 && errno == EINTR) {
      continue;
    }
    if (w <= 0) {
      note_error(w < 0 ? errno_error("writing log " + path_)
                       : Error(Code::kIo, "writing log " + path_ + ": short write"));
      ++dropped_;
      return;
    }
    size_ += w;
    q += w;
    left -= static_cast<size_t>(w);
  }
}

// The order of docker's rotate(): drop the oldest, shift the others up, move the current one to
// .1, then start an empty file. A failure in the shift leaves the current file where it is and
// truncates it, as docker does, so that the log cannot grow without bound.
void JsonLogWriter::rotate() {
  fd_.reset();
  if (max_file_ >= 2) {
    bool shifted = true;
    std::string last = path_ + "." + std::to_string(max_file_ - 1);
    if (::unlink(last.c_str()) != 0 && errno != ENOENT) {
      note_error(errno_error("rotating log: removing " + last));
      shifted = false;
    }
    for (int i = max_file_ - 1; shifted && i > 1; --i) {
      std::string from = path_ + "." + std::to_string(i - 1);
      std::string to = path_ + "." + std::to_string(i);
      if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) {
        note_error(errno_error("rotating log: renaming " + from));
        shifted = false;
      }
    }
    std::string first = path_ + ".1";
    if (shifted && ::rename(path_.c_str(), first.c_str()) != 0 && errno != ENOENT) {
      note_error(errno_error("rotating log: renaming " + path_));
    }
  } else if (::unlink(path_.c_str()) != 0 && errno != ENOENT) {
    note_error(errno_error("rotating log: removing " + path_));
  }
  reopen(true);
}

bool JsonLogWriter::reopen(bool truncate) {
  int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : 0);
  fd_.reset(::open(path_.c_str(), flags, 0640));
  if (!fd_) {
    note_error(errno_error("opening log " + path_));
    return false;
  }
  struct stat st {};
  size_ = ::fstat(fd_.get(), &st) == 0 ? st.st_size : 0;
  if (S_ISREG(st.st_mode)) {
    (void)::fchmod(fd_.get(), 0640);
  }
  return true;
}

void JsonLogWriter::note_error(Error e) {
  if (!error_) {
    error_ = std::move(e);
  }
}

}  // namespace berth::monitor
