// Helpers shared by probe's verbs; contracts in probe.h.
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "probe.h"

namespace probe {

void write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = write(fd, s.data(), s.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return;
    }
    s.remove_prefix(static_cast<size_t>(n));
  }
}

void say(std::string_view line) { write_all(1, std::string(line) + "\n"); }

[[noreturn]] void die(int code, const std::string& msg) {
  write_all(2, "probe: " + msg + "\n");
  exit(code);
}

std::string errname(int e) {
  const char* n = strerrorname_np(e);
  return n != nullptr ? n : "E" + std::to_string(e);
}

std::string result(long rc) { return rc >= 0 ? "ok" : errname(errno); }

std::string signame(int sig) {
  if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
    return "SIGRTMIN+" + std::to_string(sig - SIGRTMIN);
  }
  const char* n = sigabbrev_np(sig);
  return n != nullptr ? std::string("SIG") + n : "SIG" + std::to_string(sig);
}

int parse_signal(const std::string& s) {
  std::string name = s.rfind("SIG", 0) == 0 ? s.substr(3) : s;
  for (int sig = 1; sig < SIGRTMIN; ++sig) {
    const char* n = sigabbrev_np(sig);
    if ((n != nullptr && name == n) || name == std::to_string(sig)) {
      return sig;
    }
  }
  die(2, "unknown signal \"" + s + "\"");
}

long long parse_int(const std::string& s, const char* what) {
  char* end = nullptr;
  errno = 0;
  long long v = strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || errno != 0 || v < 0) {
    die(2, std::string(what) + ": invalid number \"" + s + "\"");
  }
  return v;
}

double parse_seconds(const std::string& s) {
  char* end = nullptr;
  double v = strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !std::isfinite(v) || v < 0 || v > 1e9) {
    die(2, "invalid seconds \"" + s + "\"");
  }
  return v;
}

void sleep_for(double seconds) {
  timespec ts{
      static_cast<time_t>(seconds),
      static_cast<long>((seconds - static_cast<double>(static_cast<time_t>(seconds))) * 1e9)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

std::string js(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string jn(long long v) { return std::to_string(v); }
std::string jb(bool b) { return b ? "true" : "false"; }

std::string jo(const Obj& o) {
  std::string out = "{";
  for (const auto& [k, v] : o) {
    out += (out.size() > 1 ? "," : "") + js(k) + ":" + v;
  }
  return out + "}";
}

std::string ja(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const auto& v : items) {
    out += (out.size() > 1 ? "," : "") + v;
  }
  return out + "]";
}

bool read_file(const std::string& path, std::string* out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  out->clear();
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    out->append(buf, static_cast<size_t>(std::max<ssize_t>(n, 0)));
  }
  int saved = errno;
  close(fd);
  errno = saved;
  return n == 0;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t end = s.find(sep, start);
    end = end == std::string_view::npos ? s.size() : end;
    out.emplace_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\n");
  size_t e = s.find_last_not_of(" \t\n");
  return b == std::string_view::npos ? "" : std::string(s.substr(b, e - b + 1));
}

double now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace probe
