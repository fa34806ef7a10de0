#include "runtime/spawn.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include <fmt/format.h>

#include "base/strings.h"

namespace berth::runtime {

namespace {

// Where the child failed. detail: the mount step, or the exec candidate.
enum class Step : int32_t {
  kSync = 1,
  kCgroupns,
  kSetsid,
  kTty,
  kStdio,
  kHostname,
  kLoopback,
  kMount,
  kChdir,
  kRlimits,
  kSeccomp,
  kKeepCaps,
  kSetgroups,
  kSetgid,
  kSetuid,
  kCaps,
  kNoNewPrivs,
  kExec,
  kNetns,
};

struct Failure {
  int32_t step = 0;
  int32_t err = 0;
  int32_t detail = -1;
};

[[noreturn]] void child_fail(int fd, Step step, int err, int detail = -1) noexcept {
  Failure f{static_cast<int32_t>(step), err, detail};
  (void)!::write(fd, &f, sizeof f);
  ::_exit(127);
}

int loopback_up() noexcept {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) {
    return errno;
  }
  struct ifreq ifr {};
  std::memcpy(ifr.ifr_name, "lo", 3);
  int rc = ::ioctl(s, SIOCGIFFLAGS, &ifr);
  if (rc == 0) {
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    rc = ::ioctl(s, SIOCSIFFLAGS, &ifr);
  }
  int err = rc == 0 ? 0 : errno;
  ::close(s);
  return err;
}

void reset_signals() noexcept {
  struct sigaction sa {};
  sa.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) {
      (void)::sigaction(sig, &sa, nullptr);
    }
  }
  sigset_t none;
  sigemptyset(&none);
  (void)::sigprocmask(SIG_SETMASK, &none, nullptr);
}

void setup_stdio(const InitSpec& spec, int err_fd) noexcept {
  if (::setsid() < 0) {
    child_fail(err_fd, Step::kSetsid, errno);
  }
  for (int i = 0; i < 3; ++i) {
    if (spec.stdio[i] >= 0 && spec.stdio[i] != i && ::dup2(spec.stdio[i], i) < 0) {
      child_fail(err_fd, Step::kStdio, errno, i);
    }
  }
  if (spec.tty && ::ioctl(0, TIOCSCTTY, 0) < 0) {
    child_fail(err_fd, Step::kTty, errno);
  }
  // Nothing of the monitor's (log files, client sockets, pipes) may reach the container.
  (void)::syscall(SYS_close_range, 3U, UINT_MAX, CLOSE_RANGE_CLOEXEC);
}

void setup_user(const InitSpec& spec, int err_fd) noexcept {
  int rc = sys::keep_capabilities_across_setuid();
  if (rc != 0) {
    child_fail(err_fd, Step::kKeepCaps, rc);
  }
  if (::setgroups(spec.user.groups.size(), spec.user.groups.data()) < 0) {
    child_fail(err_fd, Step::kSetgroups, errno);
  }
  if (::setgid(spec.user.gid) < 0) {
    child_fail(err_fd, Step::kSetgid, errno);
  }
  if (::setuid(spec.user.uid) < 0) {
    child_fail(err_fd, Step::kSetuid, errno);
  }
  rc = sys::apply_capabilities(spec.caps);
  if (rc != 0) {
    child_fail(err_fd, Step::kCaps, rc);
  }
}

[[noreturn]] void exec_process(const InitSpec& spec, const char* const* argv,
                               const char* const* envp, const char* const* candidates,
                               int err_fd) noexcept;

// The init, from clone() to execve(). Only async-signal-safe calls; spec is read-only.
[[noreturn]] void child_main(const InitSpec& spec, const char* const* argv, const char* const* envp,
                             const char* const* candidates, int sync_fd, int err_fd) noexcept {
  reset_signals();
  char go = 0;
  ssize_t n;
  do {
    n = ::read(sync_fd, &go, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) {
    ::_exit(1);  // the parent gave up: nothing to report to
  }
  ::close(sync_fd);
  if (spec.join_pidfd >= 0) {
    // After joining the cgroup, so that the cgroup namespace shows the container's own.
    if (::setns(spec.join_pidfd,
                CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP) < 0) {
      child_fail(err_fd, Step::kCgroupns, errno);
    }
    exec_process(spec, argv, envp, candidates, err_fd);
  }
  if (spec.join_netns_fd >= 0 && ::setns(spec.join_netns_fd, CLONE_NEWNET) < 0) {
    child_fail(err_fd, Step::kNetns, errno);
  }
  // After joining the cgroup, so that the namespace's root is the container's cgroup.
  if (spec.new_cgroupns && ::unshare(CLONE_NEWCGROUP) < 0) {
    child_fail(err_fd, Step::kCgroupns, errno);
  }
  setup_stdio(spec, err_fd);
  if (!spec.hostname.empty() && ::sethostname(spec.hostname.data(), spec.hostname.size()) < 0) {
    child_fail(err_fd, Step::kHostname, errno);
  }
  if (!spec.domainname.empty() &&
      ::setdomainname(spec.domainname.data(), spec.domainname.size()) < 0) {
    child_fail(err_fd, Step::kHostname, errno);
  }
  if (spec.new_net) {
    int rc = loopback_up();
    if (rc != 0) {
      child_fail(err_fd, Step::kLoopback, rc);
    }
  }
  sys::MountFailure mf;
  if (sys::apply_mount_plan(spec.mounts, &mf) != 0) {
    child_fail(err_fd, Step::kMount, mf.err, mf.step);
  }
  exec_process(spec, argv, envp, candidates, err_fd);
}

// The process part shared by an init and an exec: cwd, limits, user, capabilities, seccomp,
// execve.
[[noreturn]] void exec_process(const InitSpec& spec, const char* const* argv,
                               const char* const* envp, const char* const* candidates,
                               int err_fd) noexcept {
  if (spec.join_pidfd >= 0) {
    setup_stdio(spec, err_fd);
  }
  if (::chdir(spec.cwd.c_str()) < 0) {
    child_fail(err_fd, Step::kChdir, errno);
  }
  int rc = sys::apply_rlimits(spec.rlimits);
  if (rc != 0) {
    child_fail(err_fd, Step::kRlimits, rc);
  }
  if (!spec.no_new_privs && (rc = sys::apply_seccomp(spec.seccomp)) != 0) {
    child_fail(err_fd, Step::kSeccomp, rc);
  }
  setup_user(spec, err_fd);
  if (spec.no_new_privs) {
    if ((rc = sys::set_no_new_privs()) != 0) {
      child_fail(err_fd, Step::kNoNewPrivs, rc);
    }
    if ((rc = sys::apply_seccomp(spec.seccomp)) != 0) {
      child_fail(err_fd, Step::kSeccomp, rc);
    }
  }
  // execvp's rules: go on after ENOENT/ENOTDIR, remember EACCES, stop at anything else.
  int first_err = ENOENT;
  int where = -1;
  for (int i = 0; candidates[i] != nullptr; ++i) {
    ::execve(candidates[i], const_cast<char* const*>(argv), const_cast<char* const*>(envp));
    int e = errno;
    if (e == ENOENT || e == ENOTDIR) {
      continue;
    }
    if (e == EACCES) {
      if (first_err != EACCES) {
        first_err = EACCES;
        where = i;
      }
      continue;
    }
    child_fail(err_fd, Step::kExec, e, i);
  }
  child_fail(err_fd, Step::kExec, first_err, where);
}

std::vector<const char*> c_strings(const std::vector<std::string>& v) {
  std::vector<const char*> out;
  out.reserve(v.size() + 1);
  for (const auto& s : v) {
    out.push_back(s.c_str());
  }
  out.push_back(nullptr);
  return out;
}

std::string describe(const Failure& f, const InitSpec& spec) {
  const std::string& argv0 = spec.argv.empty() ? std::string() : spec.argv[0];
  auto err = [](int e) { return std::string(std::strerror(e)); };
  switch (static_cast<Step>(f.step)) {
    case Step::kExec: {
      bool has_slash = argv0.find('/') != std::string::npos;
      if (f.err == ENOENT && !has_slash) {
        return fmt::format("exec: \"{}\": executable file not found in $PATH", argv0);
      }
      if (f.err == ENOENT || f.err == ENOTDIR) {
        return fmt::format("exec: \"{}\": stat {}: no such file or directory", argv0, argv0);
      }
      if (f.err == EACCES) {
        return fmt::format("exec: \"{}\": permission denied", argv0);
      }
      return fmt::format("exec: \"{}\": {}", argv0, to_lower(err(f.err)));
    }
    case Step::kMount: {
      sys::MountFailure mf{f.detail, f.err};
      return "error mounting the container's filesystem: " + describe_failure(spec.mounts, mf);
    }
    case Step::kChdir:
      return fmt::format("chdir to cwd (\"{}\") set in config.json failed: {}", spec.cwd,
                         to_lower(err(f.err)));
    case Step::kHostname:
      return "setting the hostname: " + err(f.err);
    case Step::kLoopback:
      return "bringing up loopback: " + err(f.err);
    case Step::kRlimits:
      return "setting rlimits: " + err(f.err);
    case Step::kSeccomp:
      return "loading seccomp filter: " + err(f.err);
    case Step::kSetgroups:
    case Step::kSetgid:
    case Step::kSetuid:
      return fmt::format("setting user {}:{}: {}", spec.user.uid, spec.user.gid, err(f.err));
    case Step::kCaps:
    case Step::kKeepCaps:
      return "setting capabilities: " + err(f.err);
    case Step::kNoNewPrivs:
      return "setting no_new_privs: " + err(f.err);
    case Step::kCgroupns:
      return "creating the cgroup namespace: " + err(f.err);
    case Step::kNetns:
      return "joining the other container's network namespace: " + err(f.err);
    default:
      return fmt::format("container init failed at step {}: {}", f.step, err(f.err));
  }
}

Code failure_code(const Failure& f) {
  if (static_cast<Step>(f.step) == Step::kExec) {
    return f.err == EACCES ? Code::kPermissionDenied : Code::kNotFound;
  }
  return code_from_errno(f.err);
}

}  // namespace

Result<PendingInit> PendingInit::clone_child(const InitSpec& spec, unsigned long flags,
                                             const char* what) {
  int sync[2], errp[2];
  if (::pipe2(sync, O_CLOEXEC) < 0) {
    return fail_errno("creating the sync pipe");
  }
  UniqueFd sync_r(sync[0]), sync_w(sync[1]);
  if (::pipe2(errp, O_CLOEXEC) < 0) {
    return fail_errno("creating the error pipe");
  }
  UniqueFd err_r(errp[0]), err_w(errp[1]);
  // The child's view: prepared before clone, so that it allocates nothing.
  auto argv = c_strings(spec.argv);
  auto envp = c_strings(spec.env);
  auto candidates = c_strings(spec.exec_candidates);
  int pidfd = -1;
  // A fork-like clone (no new stack): the child runs on a copy of this stack.
  long pid = ::syscall(SYS_clone, flags | CLONE_PIDFD | SIGCHLD, nullptr, &pidfd, nullptr, nullptr);
  if (pid < 0) {
    return fail_errno(what);
  }
  if (pid == 0) {
    child_main(spec, argv.data(), envp.data(), candidates.data(), sync_r.get(), err_w.get());
  }
  PendingInit init;
  init.pid_ = static_cast<pid_t>(pid);
  init.pidfd_ = UniqueFd(pidfd);
  init.sync_w_ = std::move(sync_w);
  init.err_r_ = std::move(err_r);
  return init;
}

Result<PendingInit> clone_init(const InitSpec& spec) {
  unsigned long flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC;
  if (spec.new_net) {
    flags |= CLONE_NEWNET;
  }
  return PendingInit::clone_child(spec, flags, "cloning the container's init");
}

Result<PendingInit> clone_exec(const InitSpec& spec) {
  // Children of this process are created in the container's pid namespace from here on, until
  // the setns back into our own.
  UniqueFd own(::open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC));
  if (!own || ::setns(spec.join_pidfd, CLONE_NEWPID) < 0) {
    return fail_errno("entering the container's pid namespace");
  }
  auto init = PendingInit::clone_child(spec, 0, "cloning a process into the container");
  (void)::setns(own.get(), CLONE_NEWPID);
  return init;
}

Result<std::pair<UniqueFd, UniqueFd>> open_pty() {
  UniqueFd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  char name[128];
  if (!master || ::grantpt(master.get()) < 0 || ::unlockpt(master.get()) < 0 ||
      ::ptsname_r(master.get(), name, sizeof name) != 0) {
    return fail_errno("creating a pty");
  }
  UniqueFd slave(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave) {
    return fail_errno(fmt::format("opening the pty {}", name));
  }
  return std::make_pair(std::move(master), std::move(slave));
}

Result<void> release_init(PendingInit& init, const InitSpec& spec) {
  char go = 1;
  if (::write(init.sync_w_.get(), &go, 1) != 1) {
    int e = errno;
    abort_init(init);
    return fail_errno("releasing the container's init", e);
  }
  init.sync_w_.reset();
  Failure f;
  size_t got = 0;
  while (got < sizeof f) {
    ssize_t n = ::read(init.err_r_.get(), reinterpret_cast<char*>(&f) + got, sizeof f - got);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    got += static_cast<size_t>(n);
  }
  init.err_r_.reset();
  if (got == 0) {
    return {};  // execve closed the pipe
  }
  int status = 0;
  while (::waitpid(init.pid_, &status, 0) < 0 && errno == EINTR) {
  }
  init.pid_ = -1;
  if (got != sizeof f) {
    return fail(Code::kInternal, "the container's init died before it could start");
  }
  return tl::unexpected<Error>(Error(failure_code(f), describe(f, spec)));
}

void abort_init(PendingInit& init) noexcept {
  if (init.pid_ > 0) {
    ::kill(init.pid_, SIGKILL);
    int status = 0;
    while (::waitpid(init.pid_, &status, 0) < 0 && errno == EINTR) {
    }
    init.pid_ = -1;
  }
  init.sync_w_.reset();
  init.err_r_.reset();
}

std::vector<std::string> exec_candidates(const std::string& argv0,
                                         const std::vector<std::string>& env) {
  if (argv0.empty()) {
    return {};
  }
  if (argv0.find('/') != std::string::npos) {
    return {argv0};
  }
  std::string path = kDefaultPath;
  for (const auto& e : env) {
    if (e.rfind("PATH=", 0) == 0) {
      path = e.substr(5);
    }
  }
  std::vector<std::string> out;
  for (const auto& dir : split(path, ':')) {
    // An empty PATH entry means the current directory, as in execvp.
    out.push_back(dir.empty() ? argv0 : dir + "/" + argv0);
  }
  return out;
}

}  // namespace berth::runtime
