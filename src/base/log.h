// Minimal leveled logging to stderr. The level comes from BERTH_LOG (error, warn, info, debug);
// the default is warn so that commands print only their own output.
#pragma once

#include <string_view>

#include <fmt/format.h>

namespace berth::log {

enum class Level { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

bool enabled(Level level);
void write(Level level, std::string_view message);

template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::kDebug)) {
    write(Level::kDebug, fmt::format(f, std::forward<Args>(args)...));
  }
}
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::kInfo)) {
    write(Level::kInfo, fmt::format(f, std::forward<Args>(args)...));
  }
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::kWarn)) {
    write(Level::kWarn, fmt::format(f, std::forward<Args>(args)...));
  }
}

}  // namespace berth::log
