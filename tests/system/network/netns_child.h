// For system tests of network code: a body run in a forked child that unshared its own network
// namespace, so the host never sees the links and rules the test makes; the namespace (and
// everything in it) vanishes with the child.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>

#include "base/fs.h"

namespace berth::network {

// Runs body in a forked child inside a fresh network namespace. body returns "" on success or
// a description of what failed, which comes back through a pipe.
inline std::string in_private_netns(const std::function<std::string()>& body) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) {
    return "pipe failed";
  }
  pid_t pid = fork();
  if (pid == 0) {
    ::close(p[0]);
    std::string err = unshare(CLONE_NEWNET) == 0 ? body() : "unshare(CLONE_NEWNET) failed";
    (void)!::write(p[1], err.data(), err.size());
    _exit(err.empty() ? 0 : 1);
  }
  ::close(p[1]);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) > 0;) {
    out.append(buf, n);
  }
  ::close(p[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (out.empty() && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    out = "child died with status " + std::to_string(status);
  }
  return out;
}

#define CHILD_TRY(expr)                                  \
  ({                                                     \
    auto r_ = (expr);                                    \
    if (!r_) {                                           \
      return std::string(#expr ": ") + r_.error().str(); \
    }                                                    \
    std::move(*r_);                                      \
  })
#define CHILD_CHECK(expr)                                \
  do {                                                   \
    auto r_ = (expr);                                    \
    if (!r_) {                                           \
      return std::string(#expr ": ") + r_.error().str(); \
    }                                                    \
  } while (0)
#define CHILD_EXPECT(cond)                      \
  do {                                          \
    if (!(cond)) {                              \
      return std::string("expected: ") + #cond; \
    }                                           \
  } while (0)

// The same, with a fresh temporary directory (a store root) passed to body and removed after.
inline std::string in_private_netns_with_root(
    const std::function<std::string(const std::string&)>& body) {
  char tmpl[] = "/tmp/berth-net-test-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    return "mkdtemp failed";
  }
  std::string root = tmpl;
  std::string out = in_private_netns([&] { return body(root); });
  (void)remove_tree(root);
  return out;
}

}  // namespace berth::network
