// Forked children for system tests. Whatever changes process state (capabilities, seccomp,
// rlimits, namespaces, cgroup membership) runs in a child so the test process stays intact; the
// child reports through a pipe and its exit code, and is killed and reaped by its own pid (and
// process group), never by name, even when an assertion fails.
//
//   EXPECT_TRUE(child_succeeds([&](int fd) { ... return 0; }));  // must exit 0
//   ChildResult r = run_child([&](int fd) { ... return 0; });  // run to the end, collect
//   Child c(body); c.release(); c.report(1); c.wait();         // hold, step and reap
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <gtest/gtest.h>

#include "base/unique_fd.h"

namespace berth::testing {

// A wait status as the shell shows it: the exit code, or 128 + the signal that killed it.
inline int exit_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

inline bool exited_zero(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

// "exit 3", "signal 9".
inline std::string describe_status(int status) {
  return WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                           : "signal " + std::to_string(WTERMSIG(status));
}

// In the child: writes "what: strerror(err)\n" to the report fd.
inline void report_errno(int fd, const char* what, int err) {
  char line[256];
  int n = std::snprintf(line, sizeof line, "%s: %s\n", what, std::strerror(err));
  (void)!::write(fd, line, static_cast<size_t>(std::clamp(n, 0, int{sizeof line} - 1)));
}

// In the child: writes text to the report fd in one write; false if it did not all go.
inline bool report_text(int fd, std::string_view text) {
  return ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
}

// One forked process running body(report_fd) once released. Not copyable; the destructor kills
// (SIGKILL to the body's process group and pid) and reaps whatever was not waited for.
class Child {
 public:
  enum class Mode {
    // The forked process runs the body; pid() is the process waited for.
    kDirect,
    // The forked process is a subreaper (PR_SET_CHILD_SUBREAPER) that forks the body and reaps
    // every orphan of its tree, so a killed tree leaves no zombie behind even where init does
    // not reap. Its exit code mirrors the body's (128 + signal when killed): wait() returns an
    // exit status carrying it. pid() is the body's.
    kSubreaper,
  };

  // Forks at once. The body's process makes itself a process group leader (pgid = its pid),
  // blocks until release() (exits 120 if the test process goes away first), then _exits with
  // body(report_fd), report_fd being the write end of a pipe (O_CLOEXEC) that report() and
  // read_to_end() read. On a failed pipe or fork there is no child and ok() is false.
  explicit Child(std::function<int(int)> body, Mode mode = Mode::kDirect) {
    int release[2], report[2], pidpipe[2];
    if (::pipe2(release, O_CLOEXEC) != 0) {
      return;
    }
    UniqueFd release_r(release[0]);
    release_w_.reset(release[1]);
    if (::pipe2(report, O_CLOEXEC) != 0) {
      return;
    }
    UniqueFd report_w(report[1]);
    report_r_.reset(report[0]);
    if (::pipe2(pidpipe, O_CLOEXEC) != 0) {
      return;
    }
    UniqueFd pid_r(pidpipe[0]), pid_w(pidpipe[1]);
    waited_ = ::fork();
    if (waited_ == 0) {
      release_w_.reset();  // so the body sees end of file if the test dies
      report_r_.reset();
      if (mode == Mode::kDirect) {
        run_body(body, release_r.get(), report_w.get());
      }
      subreap(body, release_r.get(), report_w.get(), pid_w.get());
    }
    pid_ = waited_;
    if (mode == Mode::kSubreaper && waited_ > 0 &&
        ::read(pid_r.get(), &pid_, sizeof pid_) != sizeof pid_) {
      pid_ = -1;
    }
    if (pid_ > 0) {
      ::setpgid(pid_, pid_);  // no race with the child's own setpgid: same result
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (waited_ > 0 && !status_) {
      kill();
      wait();
    }
  }

  bool ok() const { return pid_ > 0 && waited_ > 0; }
  // The body's pid, also its process group id; -1 when there is none.
  pid_t pid() const { return pid_; }
  // Lets the body run.
  void release() {
    char c = 'g';
    (void)!::write(release_w_.get(), &c, 1);
  }
  // Reads exactly n bytes of the report; "" after `timeout` without data or at end of file.
  std::string report(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::string out;
    while (out.size() < n) {
      char buf[64];
      ssize_t got = read_some(buf, std::min(sizeof buf, n - out.size()), timeout);
      if (got <= 0) {
        return "";
      }
      out.append(buf, static_cast<size_t>(got));
    }
    return out;
  }
  // Reads the report until end of file (once the body, and whatever it forked that still holds
  // the report fd, has exited). Stops early, with *silent set, when nothing comes for `silence`.
  std::string read_to_end(std::chrono::milliseconds silence, bool* silent) {
    std::string out;
    *silent = false;
    char buf[4096];
    while (true) {
      ssize_t got = read_some(buf, sizeof buf, silence);
      if (got == -2) {
        *silent = true;
      }
      if (got <= 0) {
        return out;
      }
      out.append(buf, static_cast<size_t>(got));
    }
  }
  // SIGKILL to the body's process group and to the body (to the subreaper when there is no
  // body). Never signals anything else: a missing pid is skipped, not passed to kill(2).
  void kill() {
    if (pid_ > 0) {
      ::kill(-pid_, SIGKILL);
      ::kill(pid_, SIGKILL);
    } else if (waited_ > 0) {
      ::kill(waited_, SIGKILL);
    }
  }
  // Blocks until the forked process exits and returns its wait status (for kSubreaper, an exit
  // status carrying the body's code); the same status on later calls; -1 when there is no child.
  int wait() {
    if (waited_ <= 0) {
      return -1;
    }
    if (!status_) {
      int st = 0;
      while (::waitpid(waited_, &st, 0) < 0 && errno == EINTR) {
      }
      status_ = st;
    }
    return *status_;
  }

 private:
  // In the forked process: waits for release, runs the body, never returns.
  [[noreturn]] static void run_body(const std::function<int(int)>& body, int release_r,
                                    int report_w) {
    ::setpgid(0, 0);  // the whole tree can be killed by its group, which is our pid
    char c;
    if (::read(release_r, &c, 1) != 1) {
      ::_exit(120);
    }
    ::_exit(body(report_w));
  }

  // In the forked process: forks the body, reaps every child until none is left, exits with the
  // body's code (121 if the body was never seen to exit).
  [[noreturn]] static void subreap(const std::function<int(int)>& body, int release_r, int report_w,
                                   int pid_w) {
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    pid_t b = ::fork();
    if (b == 0) {
      run_body(body, release_r, report_w);
    }
    (void)!::write(pid_w, &b, sizeof b);
    int code = 121;
    while (true) {
      int st = 0;
      pid_t p = ::wait(&st);
      if (p < 0 && errno == ECHILD) {
        break;
      }
      if (p == b) {
        code = exit_code(st);
      }
    }
    ::_exit(code);
  }

  // One read of the report: bytes read, 0 at end of file, -1 on error, -2 after `timeout`
  // without data.
  ssize_t read_some(char* buf, size_t n, std::chrono::milliseconds timeout) {
    pollfd p{report_r_.get(), POLLIN, 0};
    int ready;
    while ((ready = ::poll(&p, 1, static_cast<int>(timeout.count()))) < 0 && errno == EINTR) {
    }
    if (ready == 0) {
      return -2;
    }
    if (ready < 0) {
      return -1;
    }
    ssize_t got;
    while ((got = ::read(report_r_.get(), buf, n)) < 0 && errno == EINTR) {
    }
    return got;
  }

  pid_t pid_ = -1;
  pid_t waited_ = -1;
  std::optional<int> status_;
  UniqueFd release_w_, report_r_;
};

// What a child run by run_child did.
struct ChildResult {
  int status = -1;     // the wait status; -1 when no child could be started
  std::string output;  // all the child wrote to its report fd
};

// Runs body(report_fd) in a Child at once and returns its report and status. Blocks until the
// report reaches end of file and the child is reaped; a child that writes nothing for 30 s is
// killed and the test fails (so does one that cannot be started).
inline ChildResult run_child(const std::function<int(int)>& body) {
  ChildResult r;
  Child child(body);
  if (!child.ok()) {
    ADD_FAILURE() << "starting a child: " << std::strerror(errno);
    return r;
  }
  child.release();
  bool silent = false;
  r.output = child.read_to_end(std::chrono::seconds(30), &silent);
  if (silent) {
    ADD_FAILURE() << "child " << child.pid() << " silent for 30 s; killing it";
    child.kill();
  }
  r.status = child.wait();
  return r;
}

// Runs body as run_child does: success when the child exits 0, else a failure naming its wait
// status and carrying its report, for EXPECT_TRUE(child_succeeds([&](int fd) { ... })).
inline ::testing::AssertionResult child_succeeds(const std::function<int(int)>& body) {
  ChildResult r = run_child(body);
  if (exited_zero(r.status)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "child ended with status " << r.status << " ("
                                       << describe_status(r.status) << "): " << r.output;
}

}  // namespace berth::testing
