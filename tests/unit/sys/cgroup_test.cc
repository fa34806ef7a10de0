// Parsing and planning of cgroups: no root, nothing written to the kernel.
#include "sys/cgroup.h"

#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/strings.h"
#include "sys/cgroup_internal.h"

namespace berth::sys {
namespace {

using cgroup_detail::FileWrite;

// A pure v2 machine (Debian 12, Fedora): one cgroup2 mount, no v1.
constexpr std::string_view kUnifiedMountinfo =
    "22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "26 22 0:25 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n"
    "27 22 0:26 / /sys/fs/bpf rw,nosuid,nodev,noexec,relatime shared:8 - bpf bpf rw,mode=700\n";

// A pure v1 machine (CentOS 7): co-mounted cpu,cpuacct and net_cls,net_prio, name=systemd.
constexpr std::string_view kLegacyMountinfo =
    "25 18 0:20 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
    "26 25 0:21 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup "
    "cgroup rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd\n"
    "29 25 0:24 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:13 - cgroup "
    "cgroup rw,cpuacct,cpu\n"
    "30 25 0:25 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:14 - "
    "cgroup cgroup rw,net_prio,net_cls\n"
    "31 25 0:26 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup "
    "cgroup rw,memory\n"
    "32 25 0:27 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:16 - cgroup "
    "cgroup rw,cpuset,clone_children\n"
    "33 25 0:28 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup "
    "rw,pids\n"
    "34 25 0:29 / /sys/fs/cgroup/freezer rw,nosuid,nodev,noexec,relatime shared:18 - cgroup "
    "cgroup rw,freezer\n"
    "35 25 0:30 / /sys/fs/cgroup/devices rw,nosuid,nodev,noexec,relatime shared:19 - cgroup "
    "cgroup rw,devices\n"
    "36 25 0:31 / /sys/fs/cgroup/blkio rw,nosuid,nodev,noexec,relatime shared:20 - cgroup "
    "cgroup rw,blkio\n";

// This build machine: every v1 controller alone, plus a cgroup2 mount holding hugetlb.
constexpr std::string_view kHybridMountinfo =
    "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "35 30 0:32 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "36 30 0:33 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "37 30 0:34 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
    "38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

const CgroupHierarchy* find_mount(const std::vector<CgroupHierarchy>& hs, std::string_view mp) {
  auto it = std::find_if(hs.begin(), hs.end(),
                         [&](const CgroupHierarchy& h) { return h.mount_point == mp; });
  return it == hs.end() ? nullptr : &*it;
}

TEST(CgroupParse, UnifiedMachineHasOneV2HierarchyAndNothingElse) {
  auto hs = parse_cgroup_hierarchies(kUnifiedMountinfo);
  ASSERT_TRUE(hs) << hs.error().str();
  ASSERT_EQ(hs->size(), 1u);
  EXPECT_EQ((*hs)[0].mount_point, "/sys/fs/cgroup");
  EXPECT_TRUE((*hs)[0].v2);
  EXPECT_EQ((*hs)[0].root, "/");
  EXPECT_TRUE((*hs)[0].controllers.empty());  // they live in cgroup.controllers
  EXPECT_EQ(cgroup_layout(*hs), CgroupLayout::kUnified);
}

TEST(CgroupParse, LegacyMachineListsControllersAndNamedHierarchy) {
  auto hs = parse_cgroup_hierarchies(kLegacyMountinfo);
  ASSERT_TRUE(hs) << hs.error().str();
  ASSERT_EQ(hs->size(), 9u);
  const auto* cpu = find_mount(*hs, "/sys/fs/cgroup/cpu,cpuacct");
  ASSERT_NE(cpu, nullptr);
  EXPECT_EQ(cpu->controllers, (std::vector<std::string>{"cpuacct", "cpu"}));
  const auto* systemd = find_mount(*hs, "/sys/fs/cgroup/systemd");
  ASSERT_NE(systemd, nullptr);
  EXPECT_EQ(systemd->name, "systemd");
  EXPECT_TRUE(systemd->controllers.empty());  // xattr and release_agent= are not controllers
  const auto* cpuset = find_mount(*hs, "/sys/fs/cgroup/cpuset");
  ASSERT_NE(cpuset, nullptr);
  EXPECT_EQ(cpuset->controllers, std::vector<std::string>{"cpuset"});  // not clone_children
  EXPECT_TRUE(std::none_of(hs->begin(), hs->end(), [](const auto& h) { return h.v2; }));
  EXPECT_EQ(cgroup_layout(*hs), CgroupLayout::kLegacy);
}

TEST(CgroupParse, HybridMachineHasV1ControllersAndAV2Mount) {
  auto hs = parse_cgroup_hierarchies(kHybridMountinfo);
  ASSERT_TRUE(hs) << hs.error().str();
  ASSERT_EQ(hs->size(), 10u);
  const auto* unified = find_mount(*hs, "/sys/fs/cgroup/unified");
  ASSERT_NE(unified, nullptr);
  EXPECT_TRUE(unified->v2);
  for (std::string c :
       {"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids"}) {
    const auto* h = find_mount(*hs, "/sys/fs/cgroup/" + c);
    ASSERT_NE(h, nullptr) << c;
    EXPECT_FALSE(h->v2);
    EXPECT_EQ(h->controllers, std::vector<std::string>{c});
  }
  EXPECT_EQ(cgroup_layout(*hs), CgroupLayout::kHybrid);
  EXPECT_EQ(cgroup_layout_name(cgroup_layout(*hs)), "hybrid");
}

TEST(CgroupParse, NamedV1HierarchyAloneBesideV2IsStillUnified) {
  std::string text(kUnifiedMountinfo);
  text += "50 26 0:40 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n";
  auto hs = parse_cgroup_hierarchies(text);
  ASSERT_TRUE(hs) << hs.error().str();
  EXPECT_EQ(hs->size(), 2u);
  EXPECT_EQ(cgroup_layout(*hs), CgroupLayout::kUnified);
}

TEST(CgroupParse, EscapedMountPointsAreDecoded) {
  auto hs = parse_cgroup_hierarchies(
      "40 30 0:37 / /mnt/my\\040cgroups rw,relatime - cgroup2 cgroup2 rw\n");
  ASSERT_TRUE(hs) << hs.error().str();
  ASSERT_EQ(hs->size(), 1u);
  EXPECT_EQ((*hs)[0].mount_point, "/mnt/my cgroups");
}

TEST(CgroupParse, AHierarchyMountedTwiceIsListedOncePreferringItsRoot) {
  auto hs = parse_cgroup_hierarchies(
      "60 30 0:31 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
      "61 30 0:31 / /host/memory rw master:3 - cgroup cgroup rw,memory\n");
  ASSERT_TRUE(hs) << hs.error().str();
  ASSERT_EQ(hs->size(), 1u);
  EXPECT_EQ((*hs)[0].mount_point, "/host/memory");
  EXPECT_EQ((*hs)[0].root, "/");
}

TEST(CgroupParse, NonCgroupMountsAreIgnoredAndMalformedLinesRejected) {
  auto none = parse_cgroup_hierarchies("1 0 8:1 / / rw - ext4 /dev/sda1 rw\n\n");
  ASSERT_TRUE(none) << none.error().str();
  EXPECT_TRUE(none->empty());
  auto bad = parse_cgroup_hierarchies("31 30 0:28 / /sys/fs/cgroup/cpu rw cgroup rw,cpu\n");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Code::kCorrupt);
  EXPECT_NE(bad.error().str().find("mountinfo"), std::string::npos);
}

TEST(CgroupParse, ThisMachinesHierarchiesAreReadable) {
  auto hs = cgroup_hierarchies();
  if (!hs && hs.error().code() == Code::kUnsupported) {
    GTEST_SKIP() << "no cgroup hierarchy is mounted here";
  }
  ASSERT_TRUE(hs) << hs.error().str();
  for (const auto& h : *hs) {
    EXPECT_TRUE(path_exists(h.mount_point + "/cgroup.procs")) << h.mount_point;
    if (h.v2) {
      auto text = read_file(h.mount_point + "/cgroup.controllers");
      ASSERT_TRUE(text);
      EXPECT_EQ(join(h.controllers, " "), trim(*text));
    }
  }
}

TEST(CgroupPath, AbsoluteCleanPathsSplitIntoComponents) {
  auto parts = cgroup_detail::split_cgroup_path("/berth/abc123");
  ASSERT_TRUE(parts) << parts.error().str();
  EXPECT_EQ(*parts, (std::vector<std::string>{"berth", "abc123"}));
  for (std::string bad : {"", "berth/abc", "/", "/a//b", "/a/../b", "/a/./b", "/a/"}) {
    auto r = cgroup_detail::split_cgroup_path(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code(), Code::kInvalidArgument) << bad;
  }
}

TEST(CgroupPlan, KeyedValuesAreFoundByExactKey) {
  std::string events = "populated 1\nfrozen 0\n";
  EXPECT_EQ(cgroup_detail::keyed_value(events, "frozen"), "0");
  EXPECT_EQ(cgroup_detail::keyed_value(events, "populated"), "1");
  EXPECT_EQ(cgroup_detail::keyed_value(events, "froze"), std::nullopt);
  EXPECT_EQ(cgroup_detail::keyed_value("oom_kill_disable 0\noom_kill 3\n", "oom_kill"), "3");
}

TEST(CgroupPlan, CpuSharesMapToTheWeightRuntimesUse) {
  EXPECT_EQ(cpu_shares_to_weight(0), 0u);
  EXPECT_EQ(cpu_shares_to_weight(2), 1u);
  EXPECT_EQ(cpu_shares_to_weight(1024), 100u);
  EXPECT_EQ(cpu_shares_to_weight(262144), 10000u);
  EXPECT_EQ(cpu_shares_to_weight(1000000), 10000u);
  uint64_t last = 0;
  for (uint64_t s = 2; s <= 262144; s *= 2) {
    EXPECT_GT(cpu_shares_to_weight(s), last) << s;
    last = cpu_shares_to_weight(s);
  }
}

TEST(CgroupPlan, V1MemoryRaisesTheSwapTotalFirstWhenGrowing) {
  CgroupLimits l;
  l.memory = 64 << 20;
  l.memory_swap = 128 << 20;
  auto plan = cgroup_detail::plan_v1_memory(l, /*current=*/16 << 20, true);
  ASSERT_TRUE(plan) << plan.error().str();
  EXPECT_EQ(*plan, (std::vector<FileWrite>{{"memory.memsw.limit_in_bytes", "134217728"},
                                           {"memory.limit_in_bytes", "67108864"}}));
}

TEST(CgroupPlan, MemoryReservationIsTheSoftLimitOnV1AndMemoryLowOnV2) {
  CgroupLimits l;
  l.memory = 64 << 20;
  l.memory_reservation = 32 << 20;
  auto v1 = cgroup_detail::plan_v1_memory(l, cgroup_detail::kV1Unlimited, true);
  ASSERT_TRUE(v1) << v1.error().str();
  EXPECT_EQ(v1->back(), (FileWrite{"memory.soft_limit_in_bytes", "33554432"}));
  auto v2 = cgroup_detail::plan_v2_memory(l, -1, true);
  ASSERT_TRUE(v2) << v2.error().str();
  EXPECT_EQ(*v2, (std::vector<FileWrite>{{"memory.max", "67108864"}, {"memory.low", "33554432"}}));
}

TEST(CgroupPlan, V1MemoryLowersMemoryFirstWhenShrinking) {
  CgroupLimits l;
  l.memory = 8 << 20;
  l.memory_swap = 8 << 20;
  auto plan = cgroup_detail::plan_v1_memory(l, /*current=*/16 << 20, true);
  ASSERT_TRUE(plan) << plan.error().str();
  EXPECT_EQ(*plan, (std::vector<FileWrite>{{"memory.limit_in_bytes", "8388608"},
                                           {"memory.memsw.limit_in_bytes", "8388608"}}));
  // From no limit at all, memory goes first too (the total is unlimited).
  auto fresh = cgroup_detail::plan_v1_memory(l, cgroup_detail::kV1Unlimited, true);
  ASSERT_TRUE(fresh);
  EXPECT_EQ((*fresh)[0].file, "memory.limit_in_bytes");
}

TEST(CgroupPlan, V1UnlimitedSwapOrMemoryLiftsTheTotalFirst) {
  CgroupLimits l;
  l.memory = 8 << 20;
  l.memory_swap = -1;
  auto plan = cgroup_detail::plan_v1_memory(l, 16 << 20, true);
  ASSERT_TRUE(plan);
  EXPECT_EQ(*plan, (std::vector<FileWrite>{{"memory.memsw.limit_in_bytes", "-1"},
                                           {"memory.limit_in_bytes", "8388608"}}));
  CgroupLimits unlimited;
  unlimited.memory = -1;
  auto lift = cgroup_detail::plan_v1_memory(unlimited, 16 << 20, true);
  ASSERT_TRUE(lift);
  EXPECT_EQ(*lift, (std::vector<FileWrite>{{"memory.memsw.limit_in_bytes", "-1"},
                                           {"memory.limit_in_bytes", "-1"}}));
}

TEST(CgroupPlan, V1SwapLimitWithoutSwapAccountingIsUnsupported) {
  CgroupLimits l;
  l.memory = 8 << 20;
  l.memory_swap = 16 << 20;
  auto plan = cgroup_detail::plan_v1_memory(l, 0, /*memsw_supported=*/false);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code(), Code::kUnsupported);
  EXPECT_NE(plan.error().str().find("memory.memsw.limit_in_bytes"), std::string::npos);
  l.memory_swap = -1;  // unlimited swap asks for nothing
  auto ok = cgroup_detail::plan_v1_memory(l, 0, false);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, (std::vector<FileWrite>{{"memory.limit_in_bytes", "8388608"}}));
}

TEST(CgroupPlan, V2SwapIsTheTotalMinusMemory) {
  CgroupLimits l;
  l.memory = 16 << 20;
  l.memory_swap = 48 << 20;
  auto plan = cgroup_detail::plan_v2_memory(l, -1, true);
  ASSERT_TRUE(plan) << plan.error().str();
  EXPECT_EQ(*plan,
            (std::vector<FileWrite>{{"memory.max", "16777216"}, {"memory.swap.max", "33554432"}}));
  l.memory_swap = l.memory;
  EXPECT_EQ((*cgroup_detail::plan_v2_memory(l, -1, true))[1].value, "0");
  l.memory_swap = -1;
  EXPECT_EQ((*cgroup_detail::plan_v2_memory(l, -1, true))[1].value, "max");
  l.memory = -1;
  l.memory_swap.reset();
  EXPECT_EQ(*cgroup_detail::plan_v2_memory(l, 16 << 20, true),
            (std::vector<FileWrite>{{"memory.max", "max"}}));
}

TEST(CgroupPlan, V2SwapAloneUsesTheCurrentMemoryLimit) {
  CgroupLimits l;
  l.memory_swap = 40 << 20;
  auto plan = cgroup_detail::plan_v2_memory(l, 16 << 20, true);
  ASSERT_TRUE(plan) << plan.error().str();
  EXPECT_EQ(*plan, (std::vector<FileWrite>{{"memory.swap.max", "25165824"}}));
  auto none = cgroup_detail::plan_v2_memory(l, -1, true);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), Code::kInvalidArgument);
  auto unsupported = cgroup_detail::plan_v2_memory(l, 16 << 20, false);
  ASSERT_FALSE(unsupported);
  EXPECT_EQ(unsupported.error().code(), Code::kUnsupported);
}

TEST(CgroupPlan, CpuQuotaGetsTheDefaultPeriodOnBothVersions) {
  CgroupLimits l;
  l.cpu_quota = 150000;
  l.cpu_shares = 512;
  EXPECT_EQ(cgroup_detail::plan_v1_cpu(l), (std::vector<FileWrite>{{"cpu.cfs_period_us", "100000"},
                                                                   {"cpu.cfs_quota_us", "150000"},
                                                                   {"cpu.shares", "512"}}));
  EXPECT_EQ(cgroup_detail::plan_v2_cpu(l, "max 100000"),
            (std::vector<FileWrite>{{"cpu.max", "150000 100000"},
                                    {"cpu.weight", std::to_string(cpu_shares_to_weight(512))}}));
  l.cpu_quota = -1;
  EXPECT_EQ(cgroup_detail::plan_v2_cpu(l, "50000 100000")[0].value, "max 100000");
}

TEST(CgroupPlan, V2PeriodAloneKeepsTheCurrentQuota) {
  CgroupLimits l;
  l.cpu_period = 50000;
  EXPECT_EQ(cgroup_detail::plan_v2_cpu(l, "25000 100000"),
            (std::vector<FileWrite>{{"cpu.max", "25000 50000"}}));
  EXPECT_EQ(cgroup_detail::plan_v1_cpu(l),
            (std::vector<FileWrite>{{"cpu.cfs_period_us", "50000"}}));
}

TEST(CgroupPlan, PidsLimitAtOrBelowZeroIsUnlimited) {
  CgroupLimits l;
  EXPECT_TRUE(cgroup_detail::plan_pids(l).empty());
  l.pids_max = 5;
  EXPECT_EQ(cgroup_detail::plan_pids(l), (std::vector<FileWrite>{{"pids.max", "5"}}));
  l.pids_max = 0;
  EXPECT_EQ(cgroup_detail::plan_pids(l)[0].value, "max");
  l.pids_max = -1;
  EXPECT_EQ(cgroup_detail::plan_pids(l)[0].value, "max");
}

TEST(CgroupPlan, InvalidLimitCombinationsAreRejectedWithTheirFlag) {
  auto check = [](CgroupLimits l, std::string_view flag) {
    auto r = cgroup_detail::validate_limits(l);
    ASSERT_FALSE(r) << flag;
    EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
    EXPECT_NE(r.error().str().find(flag), std::string::npos) << r.error().str();
  };
  auto limits = [](std::optional<int64_t> memory, std::optional<int64_t> swap,
                   std::optional<int64_t> quota, std::optional<int64_t> period) {
    CgroupLimits l;
    l.memory = memory;
    l.memory_swap = swap;
    l.cpu_quota = quota;
    l.cpu_period = period;
    return l;
  };
  auto none = std::nullopt;
  check(limits(32 << 20, 16 << 20, none, none), "--memory-swap");
  check(limits(-2, none, none, none), "--memory");
  check(limits(-1, 16 << 20, none, none), "--memory-swap");
  check(limits(none, none, 500, none), "--cpu-quota");
  check(limits(none, none, none, 2000000), "--cpu-period");
  EXPECT_TRUE(cgroup_detail::validate_limits(limits(16 << 20, 16 << 20, none, none)));
  EXPECT_TRUE(cgroup_detail::validate_limits(limits(16 << 20, -1, 150000, none)));
  EXPECT_TRUE(cgroup_detail::validate_limits({}));
}

TEST(CgroupPlan, DefaultDeviceRulesAreDockersAllowList) {
  const auto& rules = cgroup_detail::default_device_rules();
  EXPECT_EQ(rules.front(), "c *:* m");
  for (std::string r :
       {"b *:* m", "c 1:3 rwm", "c 1:9 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm"}) {
    EXPECT_NE(std::find(rules.begin(), rules.end(), r), rules.end()) << r;
  }
  EXPECT_EQ(rules.size(), 12u);
}

}  // namespace
}  // namespace berth::sys
