#include "base/log.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace berth::log {

namespace {
Level level_from_env() {
  const char* v = std::getenv("BERTH_LOG");
  if (v == nullptr) {
    return Level::kWarn;
  }
  std::string s = v;
  if (s == "debug") {
    return Level::kDebug;
  }
  if (s == "info") {
    return Level::kInfo;
  }
  if (s == "error") {
    return Level::kError;
  }
  return Level::kWarn;
}
}  // namespace

bool enabled(Level level) {
  static const Level current = level_from_env();
  return static_cast<int>(level) <= static_cast<int>(current);
}

void write(Level level, std::string_view message) {
  static const char* kNames[] = {"error", "warning", "info", "debug"};
  std::string line = fmt::format("berth: {}: {}\n", kNames[static_cast<int>(level)], message);
  // One write so that lines of concurrent processes do not interleave.
  const char* file = std::getenv("BERTH_LOG_FILE");
  int fd = STDERR_FILENO;
  if (file != nullptr && *file != '\0') {
    fd = ::open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
      return;
    }
  }
  ssize_t ignored = ::write(fd, line.data(), line.size());
  (void)ignored;
  if (fd != STDERR_FILENO) {
    ::close(fd);
  }
}

void phase(std::string_view what) {
  if (!enabled(Level::kDebug)) {
    return;
  }
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  double ms = static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
  write(Level::kDebug, fmt::format("phase {} {:.3f} pid {}", what, ms, ::getpid()));
}

}  // namespace berth::log
