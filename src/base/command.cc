#include "base/command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/unique_fd.h"

namespace berth {

namespace {

struct Pipe {
  UniqueFd read, write;
};

Result<Pipe> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) {
    return fail_errno("making a pipe");
  }
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// The child's stdin is a socket, so that writing to a child that stopped reading fails with
// EPIPE (MSG_NOSIGNAL) instead of raising SIGPIPE in a process that may not ignore it.
Result<Pipe> make_stdin_channel() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) {
    return fail_errno("making a socket pair");
  }
  ::shutdown(fds[0], SHUT_WR);
  ::shutdown(fds[1], SHUT_RD);
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

[[noreturn]] void exec_child(const std::vector<std::string>& argv, int in, int out, int err) {
  ::dup2(in, STDIN_FILENO);
  ::dup2(out, STDOUT_FILENO);
  if (err >= 0) {
    ::dup2(err, STDERR_FILENO);
  }
  ::signal(SIGPIPE, SIG_DFL);
  std::vector<char*> args;
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  ::execvp(args[0], args.data());
  ::_exit(127);
}

// Feeds input and drains both outputs until the child has closed them.
void pump(UniqueFd& in, std::string_view input, UniqueFd& out, UniqueFd& err, CommandResult& r) {
  size_t written = 0;
  if (input.empty()) {
    in.reset();
  }
  while (in || out || err) {
    pollfd p[3] = {{in.get(), POLLOUT, 0}, {out.get(), POLLIN, 0}, {err.get(), POLLIN, 0}};
    if (::poll(p, 3, -1) < 0 && errno != EINTR) {
      return;
    }
    if (in && p[0].revents != 0) {
      ssize_t n = ::send(in.get(), input.data() + written, input.size() - written,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        written += static_cast<size_t>(n);
      }
      if ((n < 0 && errno != EINTR && errno != EAGAIN) || written == input.size()) {
        in.reset();
      }
    }
    for (auto [fd, text, i] : {std::tuple{&out, &r.out, 1}, std::tuple{&err, &r.err, 2}}) {
      if (*fd && p[i].revents != 0) {
        char buf[8192];
        ssize_t n = ::read(fd->get(), buf, sizeof buf);
        if (n > 0 && text->size() < kMaxCommandOutput) {
          text->append(buf, std::min(static_cast<size_t>(n), kMaxCommandOutput - text->size()));
        } else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
          fd->reset();
        }
      }
    }
  }
}

}  // namespace

Result<CommandResult> run_command(const std::vector<std::string>& argv, std::string_view input,
                                  bool pass_stderr) {
  std::string what = "running " + (argv.empty() ? std::string("nothing") : argv[0]);
  if (argv.empty()) {
    return fail(Code::kInvalidArgument, what);
  }
  auto in = BERTH_TRY_CTX(make_stdin_channel(), what);
  auto out = BERTH_TRY_CTX(make_pipe(), what);
  Pipe err;
  if (!pass_stderr) {
    err = BERTH_TRY_CTX(make_pipe(), what);
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    return fail_errno(what);
  }
  if (pid == 0) {
    exec_child(argv, in.read.get(), out.write.get(), pass_stderr ? -1 : err.write.get());
  }
  in.read.reset();
  out.write.reset();
  err.write.reset();
  CommandResult r;
  pump(in.write, input, out.read, err.read, r);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

}  // namespace berth
