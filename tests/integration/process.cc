// Running programs for the tests: fork/exec with captured stdio and a timeout, no shell.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "sandbox.h"

extern char** environ;

namespace berth::it {

namespace {

std::string quote_arg(const std::string& a) {
  if (!a.empty() && a.find_first_of(" \t\n'\"\\$*?[]{}()<>|&;") == std::string::npos) {
    return a;
  }
  std::string q = "'";
  for (char c : a) {
    q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return q + "'";
}

std::vector<std::string> child_environment(const RunOptions& o) {
  std::vector<std::string> env;
  auto key_of = [](const std::string& kv) { return kv.substr(0, kv.find('=')); };
  auto overridden = [&](const std::string& key) {
    for (const auto& u : o.unset_env) {
      if (u == key) {
        return true;
      }
    }
    for (const auto& kv : o.env) {
      if (key_of(kv) == key) {
        return true;
      }
    }
    return false;
  };
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    if (!overridden(key_of(kv))) {
      env.push_back(kv);
    }
  }
  for (const auto& kv : o.env) {
    env.push_back(kv);
  }
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) {
    out.push_back(s.data());
  }
  out.push_back(nullptr);
  return out;
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Reads what is available; false at end of file (or error).
bool drain(int fd, std::string& into) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      into.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

int status_code(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return -1;
}

}  // namespace

std::string ProcResult::describe() const {
  std::string s = "`" + cmdline + "` ";
  s += timed_out ? "timed out (killed)" : "exited " + std::to_string(exit_code);
  s += "\n--- stdout ---\n" + (out.size() > 4000 ? out.substr(0, 4000) + "…" : out);
  s += "\n--- stderr ---\n" + (err.size() > 4000 ? err.substr(0, 4000) + "…" : err);
  return s;
}

std::optional<std::string> find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    return ::access(name.c_str(), X_OK) == 0 ? std::optional(name) : std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  dirs += ":/usr/local/sbin:/usr/sbin:/sbin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) {
      end = dirs.size();
    }
    std::string cand = dirs.substr(start, end - start) + "/" + name;
    struct stat st {};
    if (end > start && ::stat(cand.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(cand.c_str(), X_OK) == 0) {
      return cand;
    }
    start = end + 1;
  }
  return std::nullopt;
}

std::string missing_tool_message(const std::string& name) {
  return "required tool '" + name + "' is not installed: install it with " + "`apt-get install " +
         name + "` (scripts/install-deps.sh installs it)";
}

std::string berth_binary() {
  const char* env = std::getenv("BERTH_BINARY");
  if (env != nullptr && *env != '\0') {
    return env;
  }
  return BERTH_BINARY;
}

std::string source_dir() { return BERTH_SOURCE_DIR; }

ProcResult run_process(const std::vector<std::string>& argv, const RunOptions& o) {
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { ::signal(SIGPIPE, SIG_IGN); });

  ProcResult r;
  for (const auto& a : argv) {
    r.cmdline += (r.cmdline.empty() ? "" : " ") + quote_arg(a);
  }
  auto program = find_program(argv.at(0));
  if (!program) {
    r.exit_code = 127;
    r.err = "program not found: " + argv[0];
    return r;
  }
  // Everything the child needs is prepared before fork: between fork and exec only
  // async-signal-safe calls (other test threads may hold locks).
  std::vector<std::string> args = argv;
  std::vector<std::string> env = child_environment(o);
  auto c_args = c_strings(args);
  auto c_env = c_strings(env);
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    r.err = std::string("pipe2: ") + std::strerror(errno);
    return r;
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    if (!o.cwd.empty() && ::chdir(o.cwd.c_str()) != 0) {
      ::_exit(126);
    }
    ::execve(program->c_str(), c_args.data(), c_env.data());
    const char msg[] = "exec failed\n";
    (void)!::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (pid < 0) {
    ::close(in[1]);
    ::close(out[0]);
    ::close(err[0]);
    r.err = std::string("fork: ") + std::strerror(errno);
    return r;
  }
  int in_fd = in[1];
  set_nonblocking(in_fd);
  set_nonblocking(out[0]);
  set_nonblocking(err[0]);
  size_t written = 0;
  if (o.input.empty()) {
    ::close(in_fd);
    in_fd = -1;
  }
  bool out_open = true, err_open = true;
  auto deadline = std::chrono::steady_clock::now() + o.timeout;
  int status = 0;
  bool reaped = false;
  while (!reaped) {
    std::vector<pollfd> fds;
    if (out_open) {
      fds.push_back({out[0], POLLIN, 0});
    }
    if (err_open) {
      fds.push_back({err[0], POLLIN, 0});
    }
    if (in_fd >= 0) {
      fds.push_back({in_fd, POLLOUT, 0});
    }
    ::poll(fds.data(), fds.size(), 50);
    if (out_open) {
      out_open = drain(out[0], r.out);
    }
    if (err_open) {
      err_open = drain(err[0], r.err);
    }
    while (in_fd >= 0) {
      ssize_t n = ::write(in_fd, o.input.data() + written, o.input.size() - written);
      if (n > 0) {
        written += static_cast<size_t>(n);
        if (written == o.input.size()) {
          ::close(in_fd);
          in_fd = -1;
        }
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        break;
      }
      ::close(in_fd);  // the child closed its stdin (EPIPE): it has what it wanted
      in_fd = -1;
    }
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) {
      reaped = true;
      // What the child wrote before exiting; a grandchild keeping the pipe open must not
      // keep us waiting.
      if (out_open) {
        drain(out[0], r.out);
      }
      if (err_open) {
        drain(err[0], r.err);
      }
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      r.timed_out = true;
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      reaped = true;
    }
  }
  if (in_fd >= 0) {
    ::close(in_fd);
  }
  ::close(out[0]);
  ::close(err[0]);
  r.exit_code = status_code(status);
  return r;
}

}  // namespace berth::it
