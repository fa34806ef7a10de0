// Resource limits applied for real in a forked child: the child applies a plan and checks
// getrlimit; the parent reaps it by its pid.
#include "sys/rlimits.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "system/sys/child_process.h"

namespace berth::sys {
namespace {

using berth::testing::child_succeeds;
using berth::testing::report_errno;

// In the child: the current limits of resource must be soft/hard.
bool expect_limit(int fd, int resource, rlim_t soft, rlim_t hard) {
  struct rlimit lim {};
  if (::getrlimit(static_cast<__rlimit_resource>(resource), &lim) != 0) {
    report_errno(fd, "getrlimit", errno);
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
  EXPECT_TRUE(child_succeeds([&](int fd) {
    if (int err = apply_rlimits(plan); err != 0) {
      report_errno(fd, "apply_rlimits", err);
      return 1;
    }
    bool ok = expect_limit(fd, RLIMIT_NOFILE, 100, 200) & expect_limit(fd, RLIMIT_CORE, 0, 0);
    return ok ? 0 : 2;
  }));
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
  EXPECT_TRUE(child_succeeds([&](int fd) {
    if (int err = apply_rlimits(plan); err != 0) {
      report_errno(fd, "apply_rlimits of the clamped plan", err);
      return 1;
    }
    return expect_limit(fd, RLIMIT_NOFILE, ceiling, ceiling) ? 0 : 2;
  }));
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
  EXPECT_TRUE(child_succeeds([&](int fd) {
    int err = apply_rlimits(raw);
    if (err != EPERM) {
      report_errno(fd, "apply_rlimits above the ceiling should fail with EPERM", err);
      return 1;
    }
    return 0;
  }));
}

}  // namespace
}  // namespace berth::sys
