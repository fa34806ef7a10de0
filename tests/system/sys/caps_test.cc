// Capabilities applied for real in a forked child (root needed). The child applies a set and
// reports /proc/self/status through a pipe (or exec's cat to show what survives execve); the
// parent reads it, and reaps the child by its pid, killing it first if anything went wrong.
#include "sys/caps.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "system/sys/child_process.h"

namespace berth::sys {
namespace {

constexpr uid_t kUser = 1000;

using berth::testing::child_succeeds;
using berth::testing::ChildResult;
using berth::testing::exited_zero;
using berth::testing::report_errno;
using berth::testing::run_child;

// Copies /proc/self/status to fd.
bool dump_status(int fd) {
  int in = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    return false;
  }
  char buf[8192];
  ssize_t n;
  while ((n = ::read(in, buf, sizeof buf)) > 0) {
    (void)!::write(fd, buf, static_cast<size_t>(n));
  }
  ::close(in);
  return true;
}

// The value of "key:\t<hex>" in the nth status dump of text; ~0 when missing.
CapMask status_field(const std::string& text, const std::string& key, int nth = 0) {
  size_t pos = 0;
  for (int i = 0; i <= nth; ++i) {
    pos = text.find(key + ":\t", i == 0 ? 0 : pos + 1);
    if (pos == std::string::npos) {
      return ~CapMask{0};
    }
  }
  return std::strtoull(text.c_str() + pos + key.size() + 2, nullptr, 16);
}

class CapsSystem : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "system tests run as root (CI does): these give a child capabilities and "
                      "a uid that only root may set";
    }
    auto last = read_last_cap();
    ASSERT_TRUE(last) << last.error().str();
    last_cap_ = *last;
  }
  int last_cap_ = 0;
};

TEST_F(CapsSystem, DefaultSetIsWhatTheKernelShowsAndSysAdminIsGone) {
  CapabilitySet set = prepare_capabilities(default_capabilities(), last_cap_);
  ChildResult r = run_child([&](int fd) {
    if (int err = apply_capabilities(set); err != 0) {
      report_errno(fd, "apply_capabilities", err);
      return 1;
    }
    if (!dump_status(fd)) {
      return 2;
    }
    if (::unshare(CLONE_NEWUTS) == 0 || errno != EPERM) {
      report_errno(fd, "unshare(CLONE_NEWUTS) without CAP_SYS_ADMIN", errno);
      return 3;
    }
    return 0;
  });
  ASSERT_TRUE(exited_zero(r.status)) << r.output;
  EXPECT_EQ(status_field(r.output, "CapEff"), CapMask{0xa80425fb});
  EXPECT_EQ(status_field(r.output, "CapPrm"), CapMask{0xa80425fb});
  EXPECT_EQ(status_field(r.output, "CapBnd"), CapMask{0xa80425fb});
  EXPECT_EQ(status_field(r.output, "CapInh"), CapMask{0});
  EXPECT_EQ(status_field(r.output, "CapAmb"), CapMask{0});
  EXPECT_EQ(status_field(r.output, "CapEff") & cap_bit(CAP_SYS_ADMIN), CapMask{0});
}

TEST_F(CapsSystem, AddedCapabilityIsHeldAndDroppedOneIsRefusedByTheKernel) {
  auto host = current_capability_host();
  ASSERT_TRUE(host) << host.error().str();
  auto caps = resolve_capabilities({"NET_ADMIN"}, {"CHOWN"}, false, *host);
  ASSERT_TRUE(caps) << caps.error().str();
  char path[] = "/tmp/berth-caps-XXXXXX";
  int tmp = ::mkstemp(path);
  ASSERT_GE(tmp, 0);
  ::close(tmp);
  CapabilitySet set = prepare_capabilities(*caps, last_cap_);
  ChildResult r = run_child([&](int fd) {
    if (int err = apply_capabilities(set); err != 0) {
      report_errno(fd, "apply_capabilities", err);
      return 1;
    }
    dump_status(fd);
    if (::chown(path, kUser, static_cast<gid_t>(-1)) == 0 || errno != EPERM) {
      report_errno(fd, "chown without CAP_CHOWN", errno);
      return 2;
    }
    return 0;
  });
  ::unlink(path);
  ASSERT_TRUE(exited_zero(r.status)) << r.output;
  EXPECT_EQ(status_field(r.output, "CapEff"), *caps);
  EXPECT_NE(status_field(r.output, "CapEff") & cap_bit(CAP_NET_ADMIN), CapMask{0});
}

TEST_F(CapsSystem, NonRootUserKeepsTheBoundingSetButLosesEffectiveCapsAtExec) {
  CapabilitySet set = prepare_capabilities(default_capabilities(), last_cap_);
  ChildResult r = run_child([&](int fd) {
    if (int err = keep_capabilities_across_setuid(); err != 0) {
      report_errno(fd, "keep caps", err);
      return 1;
    }
    if (::setgroups(0, nullptr) != 0 || ::setgid(kUser) != 0 || ::setuid(kUser) != 0) {
      report_errno(fd, "setuid", errno);
      return 2;
    }
    if (int err = apply_capabilities(set); err != 0) {
      report_errno(fd, "apply_capabilities after setuid", err);
      return 3;
    }
    dump_status(fd);  // before execve
    if (::dup2(fd, STDOUT_FILENO) < 0) {
      return 4;
    }
    ::execl("/bin/cat", "cat", "/proc/self/status", static_cast<char*>(nullptr));
    report_errno(fd, "execl /bin/cat", errno);
    return 127;
  });
  ASSERT_TRUE(exited_zero(r.status)) << r.output;
  // Before execve the non-root process holds the whole set...
  EXPECT_EQ(status_field(r.output, "CapEff", 0), default_capabilities());
  EXPECT_EQ(status_field(r.output, "CapPrm", 0), default_capabilities());
  // ...and after it only the bounding set remains, as `docker run --user 1000` shows.
  EXPECT_EQ(status_field(r.output, "CapEff", 1), CapMask{0});
  EXPECT_EQ(status_field(r.output, "CapPrm", 1), CapMask{0});
  EXPECT_EQ(status_field(r.output, "CapBnd", 1), default_capabilities());
  EXPECT_NE(r.output.find("Uid:\t1000\t1000\t1000\t1000"), std::string::npos) << r.output;
}

TEST_F(CapsSystem, AmbientCapabilitySurvivesExecForANonRootUser) {
  CapabilitySet set = prepare_capabilities(default_capabilities(), last_cap_);
  set.inheritable = cap_bit(CAP_NET_BIND_SERVICE);
  set.ambient = cap_bit(CAP_NET_BIND_SERVICE);
  ChildResult r = run_child([&](int fd) {
    if (keep_capabilities_across_setuid() != 0 || ::setgroups(0, nullptr) != 0 ||
        ::setgid(kUser) != 0 || ::setuid(kUser) != 0) {
      report_errno(fd, "setuid", errno);
      return 1;
    }
    if (int err = apply_capabilities(set); err != 0) {
      report_errno(fd, "apply_capabilities", err);
      return 2;
    }
    if (::dup2(fd, STDOUT_FILENO) < 0) {
      return 3;
    }
    ::execl("/bin/cat", "cat", "/proc/self/status", static_cast<char*>(nullptr));
    return 127;
  });
  ASSERT_TRUE(exited_zero(r.status)) << r.output;
  EXPECT_EQ(status_field(r.output, "CapAmb"), cap_bit(CAP_NET_BIND_SERVICE));
  EXPECT_EQ(status_field(r.output, "CapEff"), cap_bit(CAP_NET_BIND_SERVICE));
  EXPECT_EQ(status_field(r.output, "CapBnd"), default_capabilities());
}

TEST_F(CapsSystem, ASetCannotGrowBeyondWhatTheProcessHolds) {
  CapabilitySet small = prepare_capabilities(default_capabilities(), last_cap_);
  CapabilitySet bigger =
      prepare_capabilities(default_capabilities() | cap_bit(CAP_SYS_ADMIN), last_cap_);
  EXPECT_TRUE(child_succeeds([&](int fd) {
    if (int err = apply_capabilities(small); err != 0) {
      report_errno(fd, "first apply", err);
      return 1;
    }
    int err = apply_capabilities(bigger);
    if (err != EPERM) {
      report_errno(fd, "second apply should fail with EPERM", err);
      return 2;
    }
    return 0;
  }));
}

}  // namespace
}  // namespace berth::sys
