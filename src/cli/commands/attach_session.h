// A CLI attached to a container's stdio through its monitor (`run` without -d, `start -a`,
// `attach`): the monitor writes into this process's own stdout/stderr and reads its stdin; this
// process waits for the exit line, forwards signals (docker's --sig-proxy) and, with a tty,
// puts the terminal in raw mode and passes window sizes on.
#pragma once

#include <termios.h>

#include "base/error.h"
#include "cli/context.h"
#include "engine/engine.h"

namespace berth::cli {

// Puts stdin's terminal in raw mode while it lives (when enable and stdin is a terminal) and
// restores it afterwards.
class AttachTerminal {
 public:
  explicit AttachTerminal(bool enable);
  ~AttachTerminal();
  AttachTerminal(const AttachTerminal&) = delete;
  AttachTerminal& operator=(const AttachTerminal&) = delete;

 private:
  struct termios saved_ {};
  bool active_ = false;
};

class AttachSession {
 public:
  AttachSession(Context& ctx, engine::Engine& eng, const engine::Container& c)
      : ctx_(ctx), eng_(eng), c_(c) {}

  // Starts the container attached to this process and waits for it to stop; the container's
  // exit code becomes the CLI's. A failed start is reported with docker's exit code
  // (126/127/125).
  Result<void> start_and_wait(bool with_stdin, bool sig_proxy = true);
  // Attaches to a running container through its monitor's socket and waits.
  Result<void> attach_and_wait(bool with_stdin, bool sig_proxy = true);

 private:
  Result<void> wait(int control, bool sig_proxy);

  Context& ctx_;
  engine::Engine& eng_;
  const engine::Container& c_;
};

}  // namespace berth::cli
