#include "cli/commands/attach_session.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"

namespace berth::cli {

namespace {

void send_size(int control) {
  struct winsize ws {};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) {
    std::string line = fmt::format("resize {} {}\n", ws.ws_row, ws.ws_col);
    (void)write_all(control, line.data(), line.size());
  }
}

}  // namespace

AttachTerminal::AttachTerminal(bool enable) {
  if (enable && ::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved_) == 0) {
    struct termios raw = saved_;
    ::cfmakeraw(&raw);
    raw.c_oflag |= OPOST;  // keep "\n" → "\r\n" for our own messages
    active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
}

AttachTerminal::~AttachTerminal() {
  if (active_) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
}

Result<void> AttachSession::wait(int control, bool sig_proxy) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGWINCH);
  const int proxied[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  if (sig_proxy && !c_.config.tty) {
    for (int s : proxied) {
      sigaddset(&set, s);
    }
  }
  sigset_t old;
  ::sigprocmask(SIG_BLOCK, &set, &old);
  UniqueFd sfd(::signalfd(-1, &set, SFD_CLOEXEC));
  if (c_.config.tty) {
    send_size(control);
  }
  std::string got;
  for (;;) {
    pollfd fds[2] = {{control, POLLIN, 0}, {sfd.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) {
      break;
    }
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo si{};
      if (::read(sfd.get(), &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGWINCH) {
          send_size(control);
        } else {
          (void)eng_.kill_container(c_.id, static_cast<int>(si.ssi_signo));
        }
      }
    }
    if (fds[0].revents != 0) {
      char buf[64];
      ssize_t n = ::read(control, buf, sizeof buf);
      if (n <= 0) {
        break;
      }
      got.append(buf, static_cast<size_t>(n));
    }
  }
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  if (got.rfind("exit ", 0) == 0) {
    ctx_.exit_code = static_cast<int>(parse_uint(trim(got.substr(5))).value_or(255));
    return {};
  }
  // The monitor went away without a word (killed): the container's fate is in its state.
  auto code = eng_.wait_container(c_.id);
  ctx_.exit_code = code ? *code : 255;
  return {};
}

Result<void> AttachSession::start_and_wait(bool with_stdin, bool sig_proxy) {
  engine::StartOptions so;
  so.attach = true;
  so.in = with_stdin ? STDIN_FILENO : -1;
  so.out = STDOUT_FILENO;
  so.err = STDERR_FILENO;
  AttachTerminal raw(c_.config.tty && with_stdin);
  auto started = eng_.start_container(c_.id, so);
  if (!started) {
    ctx_.error(started.error(), engine::start_failure_exit(started.error().str()));
    return {};
  }
  for (const auto& w : started->warnings) {
    std::string line = "WARNING: " + w + "\n";
    (void)write_all(STDERR_FILENO, line.data(), line.size());
  }
  if (!started->control) {
    return attach_and_wait(with_stdin, sig_proxy);  // it was already running
  }
  return wait(started->control.get(), sig_proxy);
}

Result<void> AttachSession::attach_and_wait(bool with_stdin, bool sig_proxy) {
  AttachTerminal raw(c_.config.tty && with_stdin);
  auto control = BERTH_TRY(
      eng_.attach_container(c_.id, with_stdin ? STDIN_FILENO : -1, STDOUT_FILENO, STDERR_FILENO));
  return wait(control.get(), sig_proxy);
}

}  // namespace berth::cli
