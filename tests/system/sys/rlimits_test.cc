// Resource limits applied for real in a forked child: the child applies a plan and checks
// getrlimit; the parent reaps it by its pid.
#include "sys/rlimits.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "base/unique_fd.h"

namespace berth::sys {
namespace {

struct ChildResult {
  int status = -1;     // as from waitpid
  std::string output;  // all the child wrote to its report fd
};

// Forks; the child runs body(report_fd) and _exits with what it returns. The parent reads the
// report until end of file (at most 30 s), then reaps the child by its pid.
ChildResult run_child(const std::function<int(int)>& body) {
  ChildResult r;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2: " << std::strerror(errno);
    return r;
  }
  UniqueFd rd(fds[0]);
  UniqueFd wr(fds[1]);
  pid_t pid = ::fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    return r;
  }
  if (pid == 0) {
    ::close(fds[0]);
    ::_exit(body(fds[1]));
  }
  wr.reset();
  char buf[4096];
  while (true) {
    pollfd p{rd.get(), POLLIN, 0};
    int ready = ::poll(&p, 1, 30000);
    if (ready <= 0) {
      ADD_FAILURE() << "child " << pid << " silent for 30 s; killing it";
      ::kill(pid, SIGKILL);
      break;
    }
    ssize_t n = ::read(rd.get(), buf, sizeof buf);
    if (n <= 0) {
      break;
    }
    r.output.append(buf, static_cast<size_t>(n));
  }
  while (::waitpid(pid, &r.status, 0) < 0 && errno == EINTR) {
  }
  return r;
}

// The child's way to report: a line on the report fd.
void say(int fd, const char* what, int err) {
  char line[256];
  int n = std::snprintf(line, sizeof line, "%s: %s\n", what, std::strerror(err));
  (void)!::write(fd, line, static_cast<size_t>(n));
}

bool exited_zero(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

// In the child: the current limits of resource must be soft/hard.
bool expect_limit(int fd, int resource, rlim_t soft, rlim_t hard) {
  struct rlimit lim {};
  if (::getrlimit(static_cast<__rlimit_resource>(resource), &lim) != 0) {
    say(fd, "getrlimit", errno);
    return false;
  }
  if (lim.rlim_cur == soft && lim.rlim_max == hard) {
    return true;
  }
  char line[200];
  int n = std::snprintf(
      line, sizeof line, "limit %d is %llu:%llu, wanted %llu:%llu\n", resource,
      static_cast<unsigned long long>(lim.rlim_cur), static_cast<unsigned long long>(lim.rlim_max),
      static_cast<unsigned long long>(soft), static_cast<unsigned long long>(hard));
  (void)!::write(fd, line, static_cast<size_t>(n));
  return false;
}

RlimitPlan plan_for(const std::vector<std::string>& flags) {
  auto list = parse_ulimits(flags);
  EXPECT_TRUE(list) << list.error().str();
  auto ceilings = current_rlimit_ceilings();
  EXPECT_TRUE(ceilings) << ceilings.error().str();
  if (!list || !ceilings) {
    return {};
  }
  return prepare_rlimits(*list, *ceilings);
}

TEST(RlimitsSystem, ApplyLowersNofileAndTheChildSeesIt) {
  RlimitPlan plan = plan_for({"nofile=100:200", "core=0"});
  ASSERT_EQ(plan.limits.size(), 2u);
  EXPECT_TRUE(plan.warnings.empty());
  ChildResult r = run_child([&](int fd) {
    if (int err = apply_rlimits(plan); err != 0) {
      say(fd, "apply_rlimits", err);
      return 1;
    }
    bool ok = expect_limit(fd, RLIMIT_NOFILE, 100, 200) & expect_limit(fd, RLIMIT_CORE, 0, 0);
    return ok ? 0 : 2;
  });
  EXPECT_TRUE(exited_zero(r.status)) << r.output;
}

TEST(RlimitsSystem, ARequestAboveTheHardLimitIsClampedAndThenApplies) {
  auto ceilings = current_rlimit_ceilings();
  ASSERT_TRUE(ceilings) << ceilings.error().str();
  rlim_t ceiling = (*ceilings)[RLIMIT_NOFILE];
  if (ceiling == RLIM_INFINITY) {
    GTEST_SKIP() << "this process may raise nofile without bound";
  }
  std::string above = std::to_string(ceiling + 1000);
  RlimitPlan plan = plan_for({"nofile=" + above + ":" + above});
  ASSERT_EQ(plan.limits.size(), 1u);
  EXPECT_EQ(plan.limits[0].hard, ceiling);
  EXPECT_EQ(plan.limits[0].soft, ceiling);
  EXPECT_EQ(plan.warnings.size(), 2u);
  ChildResult r = run_child([&](int fd) {
    if (int err = apply_rlimits(plan); err != 0) {
      say(fd, "apply_rlimits of the clamped plan", err);
      return 1;
    }
    return expect_limit(fd, RLIMIT_NOFILE, ceiling, ceiling) ? 0 : 2;
  });
  EXPECT_TRUE(exited_zero(r.status)) << r.output;
}

TEST(RlimitsSystem, AnUnclampedRequestAboveTheHardLimitFailsWithEperm) {
  auto ceilings = current_rlimit_ceilings();
  ASSERT_TRUE(ceilings) << ceilings.error().str();
  rlim_t ceiling = (*ceilings)[RLIMIT_NOFILE];
  if (ceiling == RLIM_INFINITY) {
    GTEST_SKIP() << "this process may raise nofile without bound";
  }
  RlimitPlan raw;
  raw.limits.push_back({RLIMIT_NOFILE, 1024, ceiling + 1000});
  ChildResult r = run_child([&](int fd) {
    int err = apply_rlimits(raw);
    if (err != EPERM) {
      say(fd, "apply_rlimits above the ceiling should fail with EPERM", err);
      return 1;
    }
    return 0;
  });
  EXPECT_TRUE(exited_zero(r.status)) << r.output;
}

}  // namespace
}  // namespace berth::sys
