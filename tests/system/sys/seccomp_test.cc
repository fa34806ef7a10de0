// Seccomp applied for real in a forked child (root needed): docker's default profile and a
// custom JSON one. The child installs the filter, tries syscalls and reports any surprise as a
// line on a pipe; the parent reaps it by its pid.
#include "sys/seccomp_filter.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "system/sys/child_process.h"

extern char** environ;

namespace berth::sys {
namespace {

using berth::testing::child_succeeds;
using berth::testing::report_errno;

// In the child: a syscall's result must be -1 with errno `want`.
bool expect_errno(int fd, const char* what, long rc, int want) {
  if (rc == -1 && errno == want) {
    return true;
  }
  char line[256];
  int n = std::snprintf(line, sizeof line, "%s: returned %ld, errno %s; wanted %s\n", what, rc,
                        rc == -1 ? std::strerror(errno) : "-", std::strerror(want));
  (void)!::write(fd, line, static_cast<size_t>(n));
  return false;
}

// In the child: runs argv[0] (fork + execve, or posix_spawn) and returns its exit code, or -1.
int run_program(const char* const argv[], bool spawn) {
  pid_t pid = -1;
  if (spawn) {
    if (::posix_spawn(&pid, argv[0], nullptr, nullptr, const_cast<char* const*>(argv), environ) !=
        0) {
      return -1;
    }
  } else {
    pid = ::fork();
    if (pid == 0) {
      ::execve(argv[0], const_cast<char* const*>(argv), environ);
      ::_exit(127);
    }
  }
  int st = 0;
  if (pid < 0 || ::waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) {
    return -1;
  }
  return WEXITSTATUS(st);
}

class SeccompSystem : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "needs root: the denied calls must be ones root could otherwise make";
    }
    auto host = current_seccomp_host();
    ASSERT_TRUE(host) << host.error().str();
    host_ = *host;
  }

  SeccompProgram default_program(CapMask caps) {
    auto p = compile_seccomp(docker_default_seccomp_profile(), caps, host_);
    EXPECT_TRUE(p) << p.error().str();
    return p ? *p : SeccompProgram{};
  }

  SeccompHost host_;
};

// Installs program after no_new_privs; reports failures. For use in the child.
bool install(int fd, const SeccompProgram& program) {
  if (int err = set_no_new_privs(); err != 0) {
    report_errno(fd, "set_no_new_privs", err);
    return false;
  }
  if (int err = apply_seccomp(program); err != 0) {
    report_errno(fd, "apply_seccomp", err);
    return false;
  }
  return true;
}

TEST_F(SeccompSystem, DefaultProfileDeniesNamespacesMountsKeyringsAndKernelControl) {
  SeccompProgram program = default_program(default_capabilities());
  ASSERT_FALSE(program.empty());
  EXPECT_TRUE(child_succeeds([&](int fd) {
    if (!install(fd, program)) {
      return 1;
    }
    bool ok = true;
    // Each of these would succeed for root, or fail with another errno, without the filter.
    ok &= expect_errno(fd, "unshare(CLONE_NEWNS)", ::unshare(CLONE_NEWNS), EPERM);
    ok &= expect_errno(fd, "setns", ::setns(0, CLONE_NEWNET), EPERM);
    ok &= expect_errno(fd, "mount", ::mount("none", "/berth-no-such-dir", "tmpfs", 0, nullptr),
                       EPERM);
    ok &= expect_errno(fd, "umount2", ::umount2("/berth-no-such-dir", 0), EPERM);
    ok &= expect_errno(fd, "keyctl(KEYCTL_GET_KEYRING_ID)",
                       ::syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0),
                       EPERM);
    ok &= expect_errno(fd, "add_key",
                       ::syscall(SYS_add_key, "user", "berth", "x", 1, KEY_SPEC_PROCESS_KEYRING),
                       EPERM);
    ok &= expect_errno(fd, "request_key", ::syscall(SYS_request_key, "user", "berth", nullptr, 0),
                       EPERM);
    ok &= expect_errno(fd, "bpf", ::syscall(SYS_bpf, 0, nullptr, 0), EPERM);
    ok &= expect_errno(fd, "perf_event_open", ::syscall(SYS_perf_event_open, nullptr, 0, -1, -1, 0),
                       EPERM);
    ok &= expect_errno(fd, "swapon", ::swapon("/berth-no-such-file", 0), EPERM);
    ok &= expect_errno(fd, "init_module", ::syscall(SYS_init_module, nullptr, 0, ""), EPERM);
    // A bogus architecture in the flags: EINVAL if it ever got through, never a kexec change.
    ok &=
        expect_errno(fd, "kexec_load", ::syscall(SYS_kexec_load, 0, 0, nullptr, 0x12340000), EPERM);
    // Bad magic numbers: EINVAL if it ever got through.
    ok &= expect_errno(fd, "reboot", ::syscall(SYS_reboot, 0, 0, 0, nullptr), EPERM);
    ok &= expect_errno(fd, "clone3", ::syscall(SYS_clone3, nullptr, 0), ENOSYS);
    long c = ::syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, 0, 0, 0, 0);
    if (c == 0) {
      ::_exit(0);  // only if the filter let it through; the check below then fails
    }
    if (c > 0) {
      ::waitpid(static_cast<pid_t>(c), nullptr, 0);
    }
    ok &= expect_errno(fd, "clone(CLONE_NEWUTS)", c, EPERM);
    return ok ? 0 : 2;
  }));
}

TEST_F(SeccompSystem, DefaultProfileKeepsOrdinaryProgramsWorking) {
  SeccompProgram program = default_program(default_capabilities());
  EXPECT_TRUE(child_succeeds([&](int fd) {
    if (!install(fd, program)) {
      return 1;
    }
    if (::getpid() <= 0) {
      return 2;
    }
    int p[2];
    char c = 0;
    if (::pipe(p) != 0 || ::write(p[1], "x", 1) != 1 || ::read(p[0], &c, 1) != 1 || c != 'x') {
      report_errno(fd, "pipe/read/write", errno);
      return 3;
    }
    int f = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    char buf[64];
    if (f < 0 || ::read(f, buf, sizeof buf) <= 0) {
      report_errno(fd, "open/read", errno);
      return 4;
    }
    pid_t kid = ::fork();
    if (kid == 0) {
      ::_exit(7);
    }
    int st = 0;
    if (kid < 0 || ::waitpid(kid, &st, 0) != kid || !WIFEXITED(st) || WEXITSTATUS(st) != 7) {
      report_errno(fd, "fork", errno);
      return 5;
    }
    const char* const truth[] = {"/bin/true", nullptr};
    if (int rc = run_program(truth, false); rc != 0) {
      report_errno(fd, "fork + execve /bin/true", rc < 0 ? errno : 0);
      return 6;
    }
    // posix_spawn tries clone3 first: it must fall back to clone on ENOSYS.
    if (int rc = run_program(truth, true); rc != 0) {
      report_errno(fd, "posix_spawn /bin/true", rc < 0 ? errno : 0);
      return 7;
    }
    const char* const shell[] = {"/bin/sh", "-c", "echo hi | cat >/dev/null && exit 3", nullptr};
    if (int rc = run_program(shell, false); rc != 3) {
      report_errno(fd, "a shell pipeline", rc < 0 ? errno : 0);
      return 8;
    }
    return 0;
  }));
}

TEST_F(SeccompSystem, WithSysAdminAddedUnshareWorksUnderTheDefaultProfile) {
  SeccompProgram program = default_program(default_capabilities() | cap_bit(CAP_SYS_ADMIN));
  EXPECT_TRUE(child_succeeds([&](int fd) {
    if (!install(fd, program)) {
      return 1;
    }
    if (::unshare(CLONE_NEWNS | CLONE_NEWUTS) != 0) {
      report_errno(fd, "unshare with CAP_SYS_ADMIN", errno);
      return 2;
    }
    long rc = ::syscall(SYS_clone3, nullptr, 0);
    if (rc != -1 || errno == ENOSYS) {
      report_errno(fd, "clone3 should reach the kernel (and fail on its arguments)", errno);
      return 3;
    }
    return 0;
  }));
}

TEST_F(SeccompSystem, JsonProfileDenyingMkdirMakesItFailWithEperm) {
  auto profile = parse_seccomp_profile(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]})",
                                       "test profile");
  ASSERT_TRUE(profile) << profile.error().str();
  auto program = compile_seccomp(*profile, default_capabilities(), host_);
  ASSERT_TRUE(program) << program.error().str();
  char tmpl[] = "/tmp/berth-seccomp-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  ::testing::AssertionResult ran = child_succeeds([&](int fd) {
    if (!install(fd, *program)) {
      return 1;
    }
    bool ok = true;
#ifdef SYS_mkdir
    ok &= expect_errno(fd, "mkdir", ::syscall(SYS_mkdir, (dir + "/a").c_str(), 0755), EPERM);
#endif
    // Only mkdir is named: mkdirat still works.
    if (::mkdirat(AT_FDCWD, (dir + "/b").c_str(), 0755) != 0) {
      report_errno(fd, "mkdirat", errno);
      ok = false;
    }
    return ok ? 0 : 2;
  });
  bool made_a = path_exists(dir + "/a");
  bool made_b = path_exists(dir + "/b");
  (void)remove_tree(dir);
  EXPECT_TRUE(ran);
  EXPECT_FALSE(made_a);
  EXPECT_TRUE(made_b);
}

TEST_F(SeccompSystem, InstallingNeedsNoNewPrivsOrSysAdmin) {
  SeccompProgram program = default_program(default_capabilities());
  EXPECT_TRUE(child_succeeds([&](int fd) {
    // Drop CAP_SYS_ADMIN from the effective set only, without no_new_privs.
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (::syscall(SYS_capget, &hdr, data) != 0) {
      return 1;
    }
    data[0].effective &= ~(1U << CAP_SYS_ADMIN);
    if (::syscall(SYS_capset, &hdr, data) != 0) {
      report_errno(fd, "capset", errno);
      return 2;
    }
    int err = apply_seccomp(program);
    if (err != EACCES) {
      report_errno(fd, "apply_seccomp without no_new_privs or CAP_SYS_ADMIN", err);
      return 3;
    }
    return 0;
  }));
}

TEST_F(SeccompSystem, WithoutNoNewPrivsTheFilterGoesInWhileSysAdminIsHeld) {
  // runc's order without no-new-privileges: seccomp first, while CAP_SYS_ADMIN is held, then
  // the capabilities, whose syscalls the default profile must allow.
  SeccompProgram program = default_program(default_capabilities());
  auto last = read_last_cap();
  ASSERT_TRUE(last) << last.error().str();
  CapabilitySet caps = prepare_capabilities(default_capabilities(), *last);
  EXPECT_TRUE(child_succeeds([&](int fd) {
    if (int err = apply_seccomp(program); err != 0) {
      report_errno(fd, "apply_seccomp as root without no_new_privs", err);
      return 1;
    }
    if (int err = apply_capabilities(caps); err != 0) {
      report_errno(fd, "apply_capabilities under the filter", err);
      return 2;
    }
    return expect_errno(fd, "unshare", ::unshare(CLONE_NEWNS), EPERM) ? 0 : 3;
  }));
}

TEST_F(SeccompSystem, AnEmptyProgramIsUnconfined) {
  SeccompProgram none;
  EXPECT_TRUE(child_succeeds([&](int fd) {
    if (int err = apply_seccomp(none); err != 0) {
      report_errno(fd, "apply_seccomp(empty)", err);
      return 1;
    }
    if (::unshare(CLONE_NEWUTS) != 0) {
      report_errno(fd, "unshare without a filter", errno);
      return 2;
    }
    return 0;
  }));
}

}  // namespace
}  // namespace berth::sys
