#include "sys/rlimits.h"

#include <sys/resource.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace berth::sys {
namespace {

TEST(Ulimit, SoftAndHardAreParsed) {
  auto u = parse_ulimit("nofile=1024:2048");
  ASSERT_TRUE(u) << u.error().str();
  EXPECT_EQ(u->name, "nofile");
  EXPECT_EQ(u->resource, RLIMIT_NOFILE);
  EXPECT_EQ(u->soft, 1024);
  EXPECT_EQ(u->hard, 2048);
}

TEST(Ulimit, ASingleValueIsBothLimits) {
  auto u = parse_ulimit("nproc=512");
  ASSERT_TRUE(u) << u.error().str();
  EXPECT_EQ(u->resource, RLIMIT_NPROC);
  EXPECT_EQ(u->soft, 512);
  EXPECT_EQ(u->hard, 512);
}

TEST(Ulimit, MinusOneIsUnlimited) {
  auto u = parse_ulimit("core=-1");
  ASSERT_TRUE(u) << u.error().str();
  EXPECT_EQ(u->soft, -1);
  EXPECT_EQ(u->hard, -1);
  auto soft_only = parse_ulimit("memlock=65536:-1");
  ASSERT_TRUE(soft_only) << soft_only.error().str();
  EXPECT_EQ(soft_only->soft, 65536);
  EXPECT_EQ(soft_only->hard, -1);
}

TEST(Ulimit, EveryDockerNameIsKnown) {
  const std::vector<std::pair<std::string, int>> names = {
      {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
      {"data", RLIMIT_DATA},         {"fsize", RLIMIT_FSIZE},
      {"locks", RLIMIT_LOCKS},       {"memlock", RLIMIT_MEMLOCK},
      {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
      {"nofile", RLIMIT_NOFILE},     {"nproc", RLIMIT_NPROC},
      {"rss", RLIMIT_RSS},           {"rtprio", RLIMIT_RTPRIO},
      {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
      {"stack", RLIMIT_STACK},
  };
  for (const auto& [name, resource] : names) {
    EXPECT_EQ(rlimit_from_name(name), resource) << name;
    EXPECT_EQ(rlimit_name(resource), name);
  }
  EXPECT_EQ(rlimit_from_name("as"), std::nullopt);
  EXPECT_EQ(rlimit_from_name("NOFILE"), std::nullopt);
}

void expect_ulimit_error(std::string_view value, const std::string& message) {
  auto u = parse_ulimit(value);
  ASSERT_FALSE(u) << value;
  EXPECT_EQ(u.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(u.error().str(), message);
}

TEST(Ulimit, BadValuesAreOneLineErrorsNamingThem) {
  expect_ulimit_error("nofile", "--ulimit \"nofile\": expected name=soft[:hard]");
  expect_ulimit_error("=5", "--ulimit \"=5\": expected name=soft[:hard]");
  expect_ulimit_error("foo=1", "--ulimit \"foo=1\": unknown limit \"foo\"");
  expect_ulimit_error("nofile=abc", "--ulimit \"nofile=abc\": invalid number \"abc\"");
  expect_ulimit_error("nofile=", "--ulimit \"nofile=\": invalid number \"\"");
  expect_ulimit_error("nofile=1:x", "--ulimit \"nofile=1:x\": invalid number \"x\"");
  expect_ulimit_error("nofile=-2", "--ulimit \"nofile=-2\": invalid number \"-2\"");
  expect_ulimit_error("nofile=1:2:3", "--ulimit \"nofile=1:2:3\": expected name=soft[:hard]");
  expect_ulimit_error(
      "nofile=99999999999999999999",
      "--ulimit \"nofile=99999999999999999999\": invalid number \"99999999999999999999\"");
}

TEST(Ulimit, SoftAboveHardIsRefused) {
  expect_ulimit_error("nofile=4096:1024",
                      "ulimit nofile: soft limit 4096 is above hard limit 1024");
  expect_ulimit_error("nofile=-1:1024",
                      "ulimit nofile: soft limit unlimited is above hard limit 1024");
}

TEST(Ulimit, ALaterValueForTheSameNameReplacesTheEarlierOne) {
  auto list = parse_ulimits({"nofile=10:20", "nproc=5", "nofile=30:40"});
  ASSERT_TRUE(list) << list.error().str();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "nofile");
  EXPECT_EQ((*list)[0].soft, 30);
  EXPECT_EQ((*list)[0].hard, 40);
  EXPECT_EQ((*list)[1].name, "nproc");
  auto bad = parse_ulimits({"nproc=5", "bogus"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().str(), "--ulimit \"bogus\": expected name=soft[:hard]");
}

RlimitCeilings ceilings_with_nofile(rlim_t hard) {
  RlimitCeilings c;
  c.fill(RLIM_INFINITY);
  c[RLIMIT_NOFILE] = hard;
  return c;
}

TEST(RlimitPlan, RequestsWithinTheCeilingAreKeptAsTheyAre) {
  auto list = parse_ulimits({"nofile=100:200", "core=-1"});
  ASSERT_TRUE(list);
  RlimitPlan plan = prepare_rlimits(*list, ceilings_with_nofile(20000));
  EXPECT_TRUE(plan.warnings.empty());
  ASSERT_EQ(plan.limits.size(), 2u);
  EXPECT_EQ(plan.limits[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ(plan.limits[0].soft, 100u);
  EXPECT_EQ(plan.limits[0].hard, 200u);
  EXPECT_EQ(plan.limits[1].resource, RLIMIT_CORE);
  EXPECT_EQ(plan.limits[1].soft, RLIM_INFINITY);
  EXPECT_EQ(plan.limits[1].hard, RLIM_INFINITY);
}

TEST(RlimitPlan, RequestsAboveTheCeilingAreClampedWithAWarning) {
  auto list = parse_ulimits({"nofile=30000:40000"});
  ASSERT_TRUE(list);
  RlimitPlan plan = prepare_rlimits(*list, ceilings_with_nofile(20000));
  ASSERT_EQ(plan.limits.size(), 1u);
  EXPECT_EQ(plan.limits[0].soft, 20000u);
  EXPECT_EQ(plan.limits[0].hard, 20000u);
  EXPECT_EQ(plan.warnings,
            (std::vector<std::string>{
                "ulimit nofile: hard limit 40000 lowered to 20000, the most this process may set",
                "ulimit nofile: soft limit 30000 lowered to 20000, the hard limit"}));
}

TEST(RlimitPlan, OnlyTheHardLimitIsLoweredWhenTheSoftOneFits) {
  auto list = parse_ulimits({"nofile=1024:-1"});
  ASSERT_TRUE(list);
  RlimitPlan plan = prepare_rlimits(*list, ceilings_with_nofile(20000));
  ASSERT_EQ(plan.limits.size(), 1u);
  EXPECT_EQ(plan.limits[0].soft, 1024u);
  EXPECT_EQ(plan.limits[0].hard, 20000u);
  EXPECT_EQ(plan.warnings, (std::vector<std::string>{"ulimit nofile: hard limit unlimited lowered "
                                                     "to 20000, the most this process may set"}));
}

TEST(RlimitPlan, CeilingsAreAtLeastThisProcesssOwnHardLimits) {
  auto c = current_rlimit_ceilings();
  ASSERT_TRUE(c) << c.error().str();
  for (int r = 0; r < RLIM_NLIMITS; ++r) {
    struct rlimit lim {};
    ASSERT_EQ(::getrlimit(static_cast<__rlimit_resource>(r), &lim), 0);
    EXPECT_GE((*c)[static_cast<size_t>(r)], lim.rlim_max) << rlimit_name(r);
  }
}

}  // namespace
}  // namespace berth::sys
