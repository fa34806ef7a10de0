// Limits and stats of real cgroups on this machine's layout (root): the files each limit lands
// in, updates in an order the kernel takes, and what a child in the cgroup meets (OOM kill,
// fork failing at the pids limit). The fixture removes every cgroup it made; children are held
// on a pipe until they are in the cgroup, and killed and reaped by their own pid on the way out.
#include "sys/cgroup.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "system/sys/cgroup_fixture.h"
#include "system/sys/child_process.h"

namespace berth::sys::cgroup_test {
namespace {

using namespace std::chrono_literals;
using berth::testing::report_text;

int spin_cpu(std::chrono::milliseconds ms) {
  timespec start{}, now{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &start);
  volatile uint64_t x = 0;
  do {
    for (int i = 0; i < 100000; ++i) {
      x = x + 1;
    }
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  } while ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 <
           ms.count());
  return 0;
}

// A memory limit and, when given, the memory+swap total (docker's --memory, --memory-swap).
CgroupLimits memory_limits(int64_t memory, std::optional<int64_t> memory_swap = std::nullopt) {
  CgroupLimits l;
  l.memory = memory;
  l.memory_swap = memory_swap;
  return l;
}

// In the child: maps n bytes and writes to every page, so they are charged to its cgroup.
bool touch_memory(size_t n) {
  auto* p = static_cast<char*>(
      ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  if (p == MAP_FAILED) {
    return false;
  }
  for (size_t i = 0; i < n; i += 4096) {
    p[i] = 1;
  }
  return true;
}

TEST_F(CgroupTest, LimitsLandInTheFilesOfThisLayout) {
  CgroupLimits l = memory_limits(64 << 20);
  l.cpu_quota = 150000;
  l.cpu_shares = 512;
  l.pids_max = 100;
  auto cg = make("limits", l);
  ASSERT_TRUE(cg) << cg.error().str();
  auto mem = dir_for(*cg, "memory");
  ASSERT_TRUE(mem);
  if (mem->first) {
    EXPECT_EQ(read(mem->second, "memory.max"), "67108864");
    if (path_exists(mem->second + "/memory.swap.max")) {
      EXPECT_EQ(read(mem->second, "memory.swap.max"), "67108864") << "docker's 2x default";
    }
  } else {
    EXPECT_EQ(read(mem->second, "memory.limit_in_bytes"), "67108864");
    if (path_exists(mem->second + "/memory.memsw.limit_in_bytes")) {
      EXPECT_EQ(read(mem->second, "memory.memsw.limit_in_bytes"), "134217728");
    }
  }
  auto cpu = dir_for(*cg, "cpu");
  ASSERT_TRUE(cpu);
  if (cpu->first) {
    EXPECT_EQ(read(cpu->second, "cpu.max"), "150000 100000");
    EXPECT_EQ(read(cpu->second, "cpu.weight"), std::to_string(cpu_shares_to_weight(512)));
  } else {
    EXPECT_EQ(read(cpu->second, "cpu.cfs_quota_us"), "150000");
    EXPECT_EQ(read(cpu->second, "cpu.cfs_period_us"), "100000");
    EXPECT_EQ(read(cpu->second, "cpu.shares"), "512");
  }
  auto pids = dir_for(*cg, "pids");
  ASSERT_TRUE(pids);
  EXPECT_EQ(read(pids->second, "pids.max"), "100");
  if (auto dev = dir_for(*cg, "devices"); dev && !dev->first) {
    std::string list = read(dev->second, "devices.list");
    EXPECT_EQ(list.find("a *:* rwm"), std::string::npos) << list;
    EXPECT_NE(list.find("c 1:3 rwm"), std::string::npos) << list;
    EXPECT_NE(list.find("c 10:200 rwm"), std::string::npos) << list;
  }
  if (auto cpuset = dir_for(*cg, "cpuset"); cpuset && !cpuset->first) {
    EXPECT_FALSE(read(cpuset->second, "cpuset.cpus").empty());
    EXPECT_FALSE(read(cpuset->second, "cpuset.mems").empty());
  }
}

TEST_F(CgroupTest, UpdateGrowsAndShrinksMemoryInAnOrderTheKernelTakes) {
  auto cg = make("update", memory_limits(32 << 20, 64 << 20));
  ASSERT_TRUE(cg) << cg.error().str();
  auto mem = dir_for(*cg, "memory");
  ASSERT_TRUE(mem);
  std::string mem_file = mem->first ? "memory.max" : "memory.limit_in_bytes";
  for (auto [m, s] : {std::pair<int64_t, int64_t>{256 << 20, 512 << 20},
                      {16 << 20, 16 << 20},
                      {48 << 20, 48 << 20},
                      {8 << 20, -1}}) {
    auto r = cg->update(memory_limits(m, s));
    ASSERT_TRUE(r) << m << "/" << s << ": " << r.error().str();
    EXPECT_EQ(read(mem->second, mem_file), std::to_string(m));
  }
  CgroupLimits cpu;
  cpu.cpu_quota = 50000;
  cpu.cpu_period = 200000;
  ASSERT_TRUE(cg->update(cpu));
  CgroupLimits pids;
  pids.pids_max = 0;
  ASSERT_TRUE(cg->update(pids));
  EXPECT_EQ(read(dir_for(*cg, "pids")->second, "pids.max"), "max");
  auto r = cg->update(memory_limits(64 << 20, 32 << 20));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
}

TEST_F(CgroupTest, AWriteTheKernelRefusesNamesTheFileAndTheValue) {
  auto cg = make("refused", memory_limits(32 << 20, 32 << 20));
  ASSERT_TRUE(cg) << cg.error().str();
  auto mem = dir_for(*cg, "memory");
  ASSERT_TRUE(mem);
  if (mem->first || !path_exists(mem->second + "/memory.memsw.limit_in_bytes")) {
    GTEST_SKIP() << "the kernel refuses memory above memory+swap only on cgroup v1 with swap "
                    "accounting (memory.memsw.limit_in_bytes); here memory is on v2 or has no "
                    "swap accounting, so the write succeeds and there is no refusal to check";
  }
  // Memory above the 32 MiB memory+swap total, which stays.
  auto r = cg->update(memory_limits(64 << 20));
  ASSERT_FALSE(r);
  std::string msg = r.error().str();
  EXPECT_NE(msg.find("cgroup " + cg->path()), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"67108864\""), std::string::npos) << msg;
  EXPECT_NE(msg.find(mem->second + "/memory.limit_in_bytes"), std::string::npos) << msg;
  EXPECT_EQ(r.error().sys_errno(), EINVAL) << msg;
}

TEST_F(CgroupTest, StatsReportMemoryAndCpuOfABusyChild) {
  auto cg = make("stats", memory_limits(256 << 20));
  ASSERT_TRUE(cg) << cg.error().str();
  Child child([](int report) {
    if (!touch_memory(32 << 20)) {
      return 2;
    }
    spin_cpu(300ms);
    report_text(report, "k");
    ::pause();
    return 0;
  });
  ASSERT_TRUE(joined(*cg, child));
  child.release();
  ASSERT_EQ(child.report(1), "k");
  auto s = cg->stats();
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_GE(s->memory_usage, 16 << 20);
  EXPECT_EQ(s->memory_limit, 256 << 20);
  EXPECT_GE(s->cpu_usage_ns, 200'000'000u);
  if (dir_for(*cg, "pids")) {
    EXPECT_EQ(s->pids_current, 1);
  }
  EXPECT_EQ(s->oom_kills, 0u);
}

TEST_F(CgroupTest, AChildTouchingMoreThanTheMemoryLimitIsOomKilled) {
  auto cg = make("oom", memory_limits(16 << 20, 16 << 20));  // no swap to escape to
  ASSERT_TRUE(cg) << cg.error().str();
  Child child([](int) { return touch_memory(64 << 20) ? 0 : 2; });
  ASSERT_TRUE(joined(*cg, child));
  child.release();
  int st = child.wait();
  ASSERT_TRUE(WIFSIGNALED(st)) << "exit status " << WEXITSTATUS(st);
  EXPECT_EQ(WTERMSIG(st), SIGKILL);
  auto kills = cg->oom_kills();
  ASSERT_TRUE(kills) << kills.error().str();
  EXPECT_GE(*kills, 1u);
  auto s = cg->stats();
  ASSERT_TRUE(s);
  EXPECT_GE(s->oom_kills, 1u);
}

TEST_F(CgroupTest, PidsLimitMakesForkFailWithEagain) {
  CgroupLimits l;
  l.pids_max = 5;
  auto cg = make("pids", l);
  ASSERT_TRUE(cg) << cg.error().str();
  Child child(
      [](int report) {
        pid_t kids[32];
        int n = 0;
        int err = 0;
        while (n < 32) {
          pid_t p = ::fork();
          if (p == 0) {
            ::pause();
            ::_exit(0);
          }
          if (p < 0) {
            err = errno;
            break;
          }
          kids[n++] = p;
        }
        for (int i = 0; i < n; ++i) {
          ::kill(kids[i], SIGKILL);
          ::waitpid(kids[i], nullptr, 0);
        }
        unsigned char out[2] = {static_cast<unsigned char>(n), static_cast<unsigned char>(err)};
        return ::write(report, out, 2) == 2 ? 0 : 1;
      },
      Child::Mode::kSubreaper);
  ASSERT_TRUE(joined(*cg, child));
  child.release();
  std::string got = child.report(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(static_cast<int>(got[1]), EAGAIN);
  EXPECT_EQ(static_cast<int>(got[0]), 4) << "5 tasks: the child and 4 forks";
  EXPECT_EQ(WEXITSTATUS(child.wait()), 0);
}

}  // namespace
}  // namespace berth::sys::cgroup_test
