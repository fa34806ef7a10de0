#include "monitor/monitor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "base/fs.h"

namespace berth::monitor {

namespace {

constexpr size_t kChunk = 32 * 1024;

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

Result<std::pair<UniqueFd, UniqueFd>> make_pipe() {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) {
    return fail_errno("creating a pipe for the container's stdio");
  }
  return std::make_pair(UniqueFd(p[0]), UniqueFd(p[1]));
}

// Writes everything to a client's fd; false when the client cannot take it any more.
bool write_client(int fd, const char* data, size_t n) {
  return fd >= 0 && write_all(fd, data, n).has_value();
}

void handle_control(Attachment& a, int master) {
  char buf[256];
  ssize_t n = ::read(a.control.get(), buf, sizeof buf - 1);
  if (n <= 0) {
    a.control.reset();
    return;
  }
  buf[n] = '\0';
  // "resize <rows> <cols>\n" lines; anything else is ignored.
  unsigned rows = 0, cols = 0;
  for (char* line = buf; line != nullptr && *line != '\0';) {
    char* next = std::strchr(line, '\n');
    if (next != nullptr) {
      *next++ = '\0';
    }
    if (master >= 0 && std::sscanf(line, "resize %u %u", &rows, &cols) == 2) {
      struct winsize ws {};
      ws.ws_row = static_cast<unsigned short>(rows);
      ws.ws_col = static_cast<unsigned short>(cols);
      (void)::ioctl(master, TIOCSWINSZ, &ws);
    }
    line = next;
  }
}

}  // namespace

Result<void> Monitor::make_stdio() {
  if (options_.tty) {
    auto [master, slave] = BERTH_TRY(runtime::open_pty());
    child_out_ = std::move(slave);
    master_ = std::move(master);
    spec_.stdio[0] = spec_.stdio[1] = spec_.stdio[2] = child_out_.get();
    spec_.tty = true;
    return {};
  }
  if (options_.open_stdin) {
    auto [r, w] = BERTH_TRY(make_pipe());
    child_in_ = std::move(r);
    in_w_ = std::move(w);
  } else {
    child_in_ = UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!child_in_) {
      return fail_errno("opening /dev/null");
    }
  }
  auto [or_, ow] = BERTH_TRY(make_pipe());
  auto [er, ew] = BERTH_TRY(make_pipe());
  out_r_ = std::move(or_);
  child_out_ = std::move(ow);
  err_r_ = std::move(er);
  child_err_ = std::move(ew);
  spec_.stdio[0] = child_in_.get();
  spec_.stdio[1] = child_out_.get();
  spec_.stdio[2] = child_err_.get();
  spec_.tty = false;
  return {};
}

void Monitor::close_child_ends() {
  child_in_.reset();
  child_out_.reset();
  child_err_.reset();
}

Result<pid_t> Monitor::start() {
  BERTH_CHECK(make_stdio());
  stdin_closed_ = false;
  auto init = BERTH_TRY(runtime::clone_init(spec_));
  auto ready = cgroup_.add_process(init.pid());
  if (ready) {
    ready = hooks_.before_release(init.pid());
  }
  if (!ready) {
    runtime::abort_init(init);
    close_child_ends();
    return tl::unexpected(std::move(ready.error()));
  }
  pid_t pid = init.pid();
  auto released = runtime::release_init(init, spec_);
  close_child_ends();
  if (!released) {
    master_.reset();
    out_r_.reset();
    err_r_.reset();
    in_w_.reset();
    return tl::unexpected(std::move(released.error()));
  }
  pid_ = pid;
  pidfd_ = init.take_pidfd();
  hooks_.started(pid_);
  return pid_;
}

void Monitor::attach(Attachment a) { clients_.push_back(std::move(a)); }

void Monitor::drop_client(size_t i) { clients_.erase(clients_.begin() + static_cast<long>(i)); }

bool Monitor::pump(int fd, Stream stream) {
  char buf[kChunk];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
    return true;
  }
  if (n <= 0) {
    return false;  // EOF, or EIO from a pty whose slave is gone
  }
  hooks_.output(stream, buf, static_cast<size_t>(n));
  for (auto& c : clients_) {
    UniqueFd& dest = stream == Stream::kStderr ? c.err : c.out;
    if (dest && !write_client(dest.get(), buf, static_cast<size_t>(n))) {
      dest.reset();
    }
  }
  return true;
}

void Monitor::forward_stdin(size_t i) {
  auto& c = clients_[i];
  char buf[kChunk];
  ssize_t n = ::read(c.in.get(), buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
    return;
  }
  int dest = master_ ? master_.get() : in_w_.get();
  if (n <= 0) {
    c.in.reset();
    if (options_.stdin_once && !master_) {
      in_w_.reset();
      stdin_closed_ = true;
    }
    return;
  }
  if (dest >= 0 && !write_all(dest, buf, static_cast<size_t>(n))) {
    in_w_.reset();
    stdin_closed_ = true;
  }
}

void Monitor::accept_client() {
  UniqueFd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn) {
    return;
  }
  // A client that connects and sends nothing must not stall the container: wait 1 s at most.
  struct timeval tv {
    1, 0
  };
  (void)::setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  auto a = receive_attachment(std::move(conn));
  if (a) {
    struct timeval none {
      0, 0
    };
    (void)::setsockopt(a->control.get(), SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
    attach(std::move(*a));
  }
}

int Monitor::reap() {
  siginfo_t info{};
  while (::waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED) < 0 && errno == EINTR) {
  }
  pidfd_.reset();
  pid_ = -1;
  if (info.si_code == CLD_EXITED) {
    return info.si_status;
  }
  return 128 + info.si_status;
}

int Monitor::run() {
  for (;;) {
    int code = -1;
    int64_t drain_deadline = 0;
    int64_t next_tick = hooks_.tick_ms() > 0 ? now_ms() + hooks_.tick_ms() : -1;
    int64_t shed_at = options_.shed_memory_after_ms >= 0 && !memory_shed_
                          ? now_ms() + options_.shed_memory_after_ms
                          : -1;
    for (;;) {
      std::vector<pollfd> fds;
      enum Kind { kPid, kOut, kErr, kMaster, kControl, kIn, kListen, kHook };
      std::vector<std::pair<Kind, size_t>> what;
      auto add = [&](int fd, Kind k, size_t i = 0) {
        fds.push_back(pollfd{fd, POLLIN, 0});
        what.emplace_back(k, i);
      };
      if (pidfd_) {
        add(pidfd_.get(), kPid);
      }
      if (out_r_) {
        add(out_r_.get(), kOut);
      }
      if (err_r_) {
        add(err_r_.get(), kErr);
      }
      if (master_) {
        add(master_.get(), kMaster);
      }
      for (size_t i = 0; i < clients_.size(); ++i) {
        if (clients_[i].control) {
          add(clients_[i].control.get(), kControl, i);
        }
        if (clients_[i].in && (master_ || in_w_) && code < 0) {
          add(clients_[i].in.get(), kIn, i);
        }
      }
      if (listener_) {
        add(listener_.get(), kListen);
      }
      hook_fds_.clear();
      hooks_.hook_fds(hook_fds_);
      for (int fd : hook_fds_) {
        add(fd, kHook);
      }
      bool outputs_open = out_r_ || err_r_ || master_;
      if (code >= 0 && (!outputs_open || now_ms() >= drain_deadline)) {
        break;
      }
      int timeout = -1;
      if (code >= 0) {
        timeout = static_cast<int>(std::max<int64_t>(0, drain_deadline - now_ms()));
      } else {
        int64_t wake = next_tick > 0 && shed_at > 0 ? std::min(next_tick, shed_at)
                                                    : std::max(next_tick, shed_at);
        if (wake > 0) {
          timeout = static_cast<int>(std::max<int64_t>(0, wake - now_ms()));
        }
      }
      int n = ::poll(fds.data(), fds.size(), timeout);
      if (n < 0 && errno != EINTR) {
        break;
      }
      if (shed_at > 0 && code < 0 && now_ms() >= shed_at) {
        shed_memory();
        memory_shed_ = true;
        shed_at = -1;
      }
      if (next_tick > 0 && code < 0 && now_ms() >= next_tick) {
        hooks_.tick();
        next_tick = now_ms() + hooks_.tick_ms();
      }
      std::vector<size_t> gone;
      for (size_t k = 0; n > 0 && k < fds.size(); ++k) {
        if (fds[k].revents == 0) {
          continue;
        }
        auto [kind, i] = what[k];
        switch (kind) {
          case kPid:
            code = reap();
            drain_deadline = now_ms() + 2000;
            break;
          case kOut:
            if (!pump(out_r_.get(), Stream::kStdout)) {
              out_r_.reset();
            }
            break;
          case kErr:
            if (!pump(err_r_.get(), Stream::kStderr)) {
              err_r_.reset();
            }
            break;
          case kMaster:
            if (!pump(master_.get(), Stream::kStdout)) {
              master_.reset();
            }
            break;
          case kControl:
            handle_control(clients_[i], master_.get());
            if (!clients_[i].control) {
              gone.push_back(i);
            }
            break;
          case kIn:
            forward_stdin(i);
            break;
          case kListen:
            accept_client();
            break;
          case kHook:
            hooks_.ready(fds[k].fd);
            break;
        }
      }
      for (auto it = gone.rbegin(); it != gone.rend(); ++it) {
        drop_client(*it);
      }
    }
    out_r_.reset();
    err_r_.reset();
    master_.reset();
    in_w_.reset();
    auto delay = hooks_.exited(code);
    if (!delay) {
      return code;
    }
    if (*delay > 0) {
      ::usleep(static_cast<useconds_t>(std::min<int64_t>(*delay, 60000) * 1000));
    }
    if (auto r = start(); !r) {
      hooks_.restart_failed(r.error());
      return code;
    }
  }
}

void Monitor::notify_exit(int code) {
  char line[32];
  int n = std::snprintf(line, sizeof line, "exit %d\n", code);
  for (auto& c : clients_) {
    if (c.control) {
      (void)write_all(c.control.get(), line, static_cast<size_t>(n));
    }
  }
  clients_.clear();
}

Result<void> send_attachment(int socket, int in, int out, int err) {
  int fds[3];
  int count = 0;
  char mask = 0;
  const int given[3] = {in, out, err};
  for (int i = 0; i < 3; ++i) {
    if (given[i] >= 0) {
      mask = static_cast<char>(mask | (1 << i));
      fds[count++] = given[i];
    }
  }
  char cbuf[CMSG_SPACE(sizeof fds)]{};
  struct iovec iov {
    &mask, 1
  };
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (count > 0) {
    msg.msg_control = cbuf;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * count);
    struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int) * count);
    std::memcpy(CMSG_DATA(cm), fds, sizeof(int) * count);
  }
  if (::sendmsg(socket, &msg, MSG_NOSIGNAL) != 1) {
    return fail_errno("sending the attach request to the container's monitor");
  }
  return {};
}

Result<Attachment> receive_attachment(UniqueFd socket) {
  char mask = 0;
  char cbuf[CMSG_SPACE(sizeof(int) * 3)]{};
  struct iovec iov {
    &mask, 1
  };
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof cbuf;
  if (::recvmsg(socket.get(), &msg, MSG_CMSG_CLOEXEC) != 1) {
    return fail_errno("receiving an attach request");
  }
  int fds[3] = {-1, -1, -1};
  int count = 0;
  for (struct cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm != nullptr; cm = CMSG_NXTHDR(&msg, cm)) {
    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
      count = static_cast<int>((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
      std::memcpy(fds, CMSG_DATA(cm), sizeof(int) * static_cast<size_t>(std::min(count, 3)));
    }
  }
  Attachment a;
  a.control = std::move(socket);
  int k = 0;
  UniqueFd* slots[3] = {&a.in, &a.out, &a.err};
  for (int i = 0; i < 3; ++i) {
    if ((mask & (1 << i)) != 0 && k < count) {
      slots[i]->reset(fds[k++]);
    }
  }
  for (; k < count; ++k) {
    ::close(fds[k]);
  }
  return a;
}

}  // namespace berth::monitor
