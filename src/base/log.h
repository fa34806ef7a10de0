// Minimal leveled logging to stderr. The level comes from BERTH_LOG (error, warn, info, debug);
// the default is warn so that commands print only their own output. BERTH_LOG_FILE sends the
// lines to that file instead (appended), which is how a monitor, whose stderr is /dev/null,
// can be heard.
#pragma once

#include <string_view>

#include <fmt/format.h>

namespace berth::log {

enum class Level { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

bool enabled(Level level);
void write(Level level, std::string_view message);

// At debug level: "phase <what> <ms>" with the CLOCK_MONOTONIC time in milliseconds, so that
// the phases of one `run` line up across the CLI, the monitor and the init.
void phase(std::string_view what);

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
