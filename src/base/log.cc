#include "base/log.h"

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
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace berth::log
