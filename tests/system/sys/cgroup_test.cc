// Real cgroups on this machine's layout (root). Every test works under its own parent
// "/berth-test-<random>" and the fixture removes it from every hierarchy, whatever happened.
// Children are forked, held on a pipe until they are in the cgroup, and killed and reaped by
// their own pid (or process group) on the way out.
#include "sys/cgroup.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/strings.h"
#include "base/undo.h"
#include "base/unique_fd.h"

namespace berth::sys {
namespace {

using namespace std::chrono_literals;

// A forked process that runs body(report_fd) once released. With a harness, the test's child is
// a subreaper that forks the body and reaps every orphan of its tree, so killed trees leave no
// zombie behind (this machine's init does not reap); its exit code mirrors the body's (128+sig
// when killed).
class Child {
 public:
  explicit Child(std::function<int(int)> body, bool harness = false) {
    int release[2], report[2], pidpipe[2];
    if (::pipe2(release, O_CLOEXEC) != 0 || ::pipe2(report, O_CLOEXEC) != 0 ||
        ::pipe2(pidpipe, O_CLOEXEC) != 0) {
      return;
    }
    UniqueFd release_r(release[0]), report_w(report[1]), pid_r(pidpipe[0]), pid_w(pidpipe[1]);
    release_w_.reset(release[1]);
    report_r_.reset(report[0]);
    auto run_body = [&]() {
      ::setpgid(0, 0);  // the whole tree can be killed by its group, which is our pid
      char c;
      if (::read(release_r.get(), &c, 1) != 1) {
        ::_exit(120);
      }
      ::_exit(body(report_w.get()));
    };
    waited_ = ::fork();
    if (waited_ == 0) {
      release_w_.reset();  // so the body sees end of file if the test dies
      report_r_.reset();
      if (!harness) {
        run_body();
      }
      ::prctl(PR_SET_CHILD_SUBREAPER, 1);
      pid_t b = ::fork();
      if (b == 0) {
        run_body();
      }
      (void)!::write(pid_w.get(), &b, sizeof b);
      int code = 121;
      while (true) {
        int st = 0;
        pid_t p = ::wait(&st);
        if (p < 0 && errno == ECHILD) {
          break;
        }
        if (p == b) {
          code = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
        }
      }
      ::_exit(code);
    }
    pid_ = waited_;
    if (harness && waited_ > 0 && ::read(pid_r.get(), &pid_, sizeof pid_) != sizeof pid_) {
      pid_ = -1;
    }
    ::setpgid(pid_, pid_);  // no race with the child's own setpgid: same result
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (waited_ > 0 && !status_) {
      ::kill(-pid_, SIGKILL);
      ::kill(pid_, SIGKILL);
      wait();
    }
  }

  bool ok() const { return pid_ > 0 && waited_ > 0; }
  pid_t pid() const { return pid_; }
  void release() {
    char c = 'g';
    (void)!::write(release_w_.get(), &c, 1);
  }
  // Reads n bytes from the body's report fd; empty after 10 s or at end of file.
  std::string report(size_t n) {
    std::string out;
    while (out.size() < n) {
      pollfd p{report_r_.get(), POLLIN, 0};
      if (::poll(&p, 1, 10000) != 1) {
        return "";
      }
      char buf[64];
      ssize_t got = ::read(report_r_.get(), buf, std::min(sizeof buf, n - out.size()));
      if (got <= 0) {
        return "";
      }
      out.append(buf, static_cast<size_t>(got));
    }
    return out;
  }
  // The wait status (for a harness, an exit status carrying the body's code).
  int wait() {
    if (!status_) {
      int st = 0;
      while (::waitpid(waited_, &st, 0) < 0 && errno == EINTR) {
      }
      status_ = st;
    }
    return *status_;
  }

 private:
  pid_t pid_ = -1;
  pid_t waited_ = -1;
  std::optional<int> status_;
  UniqueFd release_w_, report_r_;
};

bool has_word(const std::string& text, std::string_view word) {
  auto words = split(text, ' ');
  return std::find(words.begin(), words.end(), word) != words.end();
}

int report_byte(int fd, const char* what) { return ::write(fd, what, 1) == 1 ? 0 : 1; }

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

class CgroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "cgroup system tests need root";
    }
    parent_ = "/berth-test-" + random_hex(12);
  }
  void TearDown() override { cleanup(); }

  // Kills and removes every cgroup the test made, then the parent; checks nothing is left.
  void cleanup() {
    if (parent_.empty()) {
      return;
    }
    for (const auto& path : made_) {
      if (auto cg = Cgroup::open(path)) {
        EXPECT_TRUE(cg->kill_all(SIGKILL)) << path;
        auto r = cg->destroy();
        EXPECT_TRUE(r) << r.error().str();
      }
    }
    auto r = remove_cgroup_parent(parent_);
    EXPECT_TRUE(r) << r.error().str();
    EXPECT_TRUE(leftovers(parent_).empty()) << join(leftovers(parent_), " ");
  }

  // Creates parent_/name and remembers it for teardown.
  Result<Cgroup> make(const std::string& name, const CgroupLimits& limits = {}) {
    made_.push_back(parent_ + "/" + name);
    return Cgroup::create(made_.back(), limits);
  }

  // Directories of path that still exist in any mounted hierarchy.
  static std::vector<std::string> leftovers(const std::string& path) {
    std::vector<std::string> out;
    auto hs = cgroup_hierarchies();
    for (const auto& h : hs ? *hs : std::vector<CgroupHierarchy>{}) {
      if (path_exists(h.mount_point + path)) {
        out.push_back(h.mount_point + path);
      }
    }
    return out;
  }

  // The directory serving a controller: its v1 hierarchy, else v2 if enabled there.
  static std::optional<std::pair<bool, std::string>> dir_for(const Cgroup& cg,
                                                             std::string_view controller) {
    std::optional<std::pair<bool, std::string>> v2;
    for (const auto& [h, dir] : cg.directories()) {
      bool has =
          std::find(h.controllers.begin(), h.controllers.end(), controller) != h.controllers.end();
      if (has && !h.v2) {
        return std::make_pair(false, dir);
      }
      if (has) {
        v2 = std::make_pair(true, dir);
      }
    }
    return v2;
  }

  static std::string read(const std::string& dir, const std::string& file) {
    auto text = read_file(dir + "/" + file);
    return text ? std::string(trim(*text)) : "<" + text.error().str() + ">";
  }

  std::string parent_;
  std::vector<std::string> made_;
};

TEST_F(CgroupTest, CreateAndDestroyLeaveNoDirectoryInAnyHierarchy) {
  auto cg = make("a");
  ASSERT_TRUE(cg) << cg.error().str();
  auto dirs = cg->directories();
  ASSERT_FALSE(dirs.empty());
  for (const auto& [h, dir] : dirs) {
    EXPECT_TRUE(path_exists(dir + "/cgroup.procs")) << dir;
    EXPECT_EQ(dir, h.mount_point + parent_ + "/a");
  }
  auto opened = Cgroup::open(parent_ + "/a");
  ASSERT_TRUE(opened) << opened.error().str();
  EXPECT_EQ(opened->directories().size(), dirs.size());
  ASSERT_TRUE(cg->destroy());
  EXPECT_TRUE(leftovers(parent_ + "/a").empty()) << join(leftovers(parent_ + "/a"), " ");
  EXPECT_TRUE(cg->destroy()) << "destroying twice is fine";
  auto gone = Cgroup::open(parent_ + "/a");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(), Code::kNotFound);
  ASSERT_TRUE(remove_cgroup_parent(parent_));
  EXPECT_TRUE(leftovers(parent_).empty()) << join(leftovers(parent_), " ");
}

TEST_F(CgroupTest, CreatingAnExistingCgroupIsAConflictAndLeavesItIntact) {
  auto cg = make("dup");
  ASSERT_TRUE(cg) << cg.error().str();
  auto again = Cgroup::create(parent_ + "/dup", {});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), Code::kConflict) << again.error().str();
  for (const auto& [h, dir] : cg->directories()) {
    EXPECT_TRUE(path_exists(dir)) << dir;
  }
}

TEST_F(CgroupTest, AFailedCreateRemovesTheDirectoriesItMade) {
  // The cgroup exists in one hierarchy only (the last one create() visits): create() must fail
  // and take back what it made in every other one, parent included.
  auto hs = cgroup_hierarchies();
  ASSERT_TRUE(hs) << hs.error().str();
  auto probe = make("probe");
  ASSERT_TRUE(probe) << probe.error().str();
  std::string last_mount = probe->directories().back().first.mount_point;
  ASSERT_TRUE(probe->destroy());
  ASSERT_TRUE(remove_cgroup_parent(parent_));
  made_.clear();
  ASSERT_TRUE(mkdir_p(last_mount + parent_ + "/x"));
  ScopeGuard remove_x([&] { ::rmdir((last_mount + parent_ + "/x").c_str()); });
  auto cg = Cgroup::create(parent_ + "/x", {});
  ASSERT_FALSE(cg);
  EXPECT_EQ(cg.error().code(), Code::kConflict) << cg.error().str();
  EXPECT_NE(cg.error().str().find(last_mount), std::string::npos) << cg.error().str();
  auto left = leftovers(parent_);
  EXPECT_EQ(left, std::vector<std::string>{last_mount + parent_});
}

TEST_F(CgroupTest, LimitsLandInTheFilesOfThisLayout) {
  CgroupLimits l;
  l.memory = 64 << 20;
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
  CgroupLimits l;
  l.memory = 32 << 20;
  l.memory_swap = 64 << 20;
  auto cg = make("update", l);
  ASSERT_TRUE(cg) << cg.error().str();
  auto mem = dir_for(*cg, "memory");
  ASSERT_TRUE(mem);
  std::string mem_file = mem->first ? "memory.max" : "memory.limit_in_bytes";
  for (auto [m, s] : {std::pair<int64_t, int64_t>{256 << 20, 512 << 20},
                      {16 << 20, 16 << 20},
                      {48 << 20, 48 << 20},
                      {8 << 20, -1}}) {
    CgroupLimits u;
    u.memory = m;
    u.memory_swap = s;
    auto r = cg->update(u);
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
  CgroupLimits bad;
  bad.memory = 64 << 20;
  bad.memory_swap = 32 << 20;
  auto r = cg->update(bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
}

TEST_F(CgroupTest, AWriteTheKernelRefusesNamesTheFileAndTheValue) {
  CgroupLimits l;
  l.memory = 32 << 20;
  l.memory_swap = 32 << 20;
  auto cg = make("refused", l);
  ASSERT_TRUE(cg) << cg.error().str();
  auto mem = dir_for(*cg, "memory");
  ASSERT_TRUE(mem);
  if (mem->first || !path_exists(mem->second + "/memory.memsw.limit_in_bytes")) {
    GTEST_SKIP() << "only v1 with swap accounting refuses memory above memory+swap";
  }
  CgroupLimits more;
  more.memory = 64 << 20;  // above the 32 MiB memory+swap total, which stays
  auto r = cg->update(more);
  ASSERT_FALSE(r);
  std::string msg = r.error().str();
  EXPECT_NE(msg.find("cgroup " + cg->path()), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"67108864\""), std::string::npos) << msg;
  EXPECT_NE(msg.find(mem->second + "/memory.limit_in_bytes"), std::string::npos) << msg;
  EXPECT_EQ(r.error().sys_errno(), EINVAL) << msg;
}

TEST_F(CgroupTest, AnAddedChildIsListedAndSeesTheCgroupInProc) {
  auto cg = make("procs");
  ASSERT_TRUE(cg) << cg.error().str();
  Child child([](int) {
    ::pause();
    return 0;
  });
  ASSERT_TRUE(child.ok());
  ASSERT_TRUE(cg->add_process(child.pid()));
  auto pids = cg->processes();
  ASSERT_TRUE(pids) << pids.error().str();
  EXPECT_EQ(*pids, std::vector<pid_t>{child.pid()});
  auto text = read_file("/proc/" + std::to_string(child.pid()) + "/cgroup");
  ASSERT_TRUE(text);
  size_t in_ours = 0;
  for (const auto& line : split(trim(*text), '\n')) {
    if (line.size() > cg->path().size() &&
        line.substr(line.size() - cg->path().size() - 1) == ":" + cg->path()) {
      ++in_ours;
    }
  }
  EXPECT_EQ(in_ours, cg->directories().size()) << *text;
}

TEST_F(CgroupTest, StatsReportMemoryAndCpuOfABusyChild) {
  CgroupLimits l;
  l.memory = 256 << 20;
  auto cg = make("stats", l);
  ASSERT_TRUE(cg) << cg.error().str();
  Child child([](int report) {
    size_t n = 32 << 20;
    auto* p = static_cast<char*>(
        ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (p == MAP_FAILED) {
      return 2;
    }
    for (size_t i = 0; i < n; i += 4096) {
      p[i] = 1;
    }
    spin_cpu(300ms);
    report_byte(report, "k");
    ::pause();
    return 0;
  });
  ASSERT_TRUE(child.ok());
  ASSERT_TRUE(cg->add_process(child.pid()));
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
  CgroupLimits l;
  l.memory = 16 << 20;
  l.memory_swap = 16 << 20;  // no swap to escape to
  auto cg = make("oom", l);
  ASSERT_TRUE(cg) << cg.error().str();
  Child child([](int) {
    size_t n = 64 << 20;
    auto* p = static_cast<char*>(
        ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (p == MAP_FAILED) {
      return 2;
    }
    for (size_t i = 0; i < n; i += 4096) {
      p[i] = 1;
    }
    return 0;
  });
  ASSERT_TRUE(child.ok());
  ASSERT_TRUE(cg->add_process(child.pid()));
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
      /*harness=*/true);
  ASSERT_TRUE(child.ok());
  ASSERT_TRUE(cg->add_process(child.pid()));
  child.release();
  std::string got = child.report(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(static_cast<int>(got[1]), EAGAIN);
  EXPECT_EQ(static_cast<int>(got[0]), 4) << "5 tasks: the child and 4 forks";
  EXPECT_EQ(WEXITSTATUS(child.wait()), 0);
}

TEST_F(CgroupTest, FreezeStopsASpinningChildAndThawLetsItFinish) {
  auto cg = make("freeze");
  ASSERT_TRUE(cg) << cg.error().str();
  auto* shared = static_cast<std::atomic<uint64_t>*>(
      ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(shared, MAP_FAILED);
  struct Unmap {
    void* p;
    ~Unmap() { ::munmap(p, 4096); }
  } unmap{shared};
  std::atomic<uint64_t>& counter = shared[0];
  std::atomic<uint64_t>& stop = shared[1];
  Child child([&](int) {
    while (stop.load() == 0) {
      counter.fetch_add(1);
    }
    return 7;
  });
  ASSERT_TRUE(child.ok());
  ASSERT_TRUE(cg->add_process(child.pid()));
  child.release();
  for (int i = 0; i < 1000 && counter.load() == 0; ++i) {
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_GT(counter.load(), 0u);
  auto r = cg->freeze();
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(cg->frozen().value_or(false), true);
  uint64_t before = counter.load();
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(counter.load(), before) << "a frozen task does not run";
  ASSERT_TRUE(cg->thaw());
  EXPECT_EQ(cg->frozen().value_or(true), false);
  for (int i = 0; i < 1000 && counter.load() == before; ++i) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_GT(counter.load(), before);
  stop.store(1);
  int st = child.wait();
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 7);
}

// Forks 3 children that fork a grandchild each, reports, then sleeps: 7 processes.
int make_tree(int report) {
  for (int i = 0; i < 3; ++i) {
    pid_t p = ::fork();
    if (p == 0) {
      if (::fork() < 0) {
        ::_exit(3);
      }
      ::pause();
      ::_exit(0);
    }
    if (p < 0) {
      return 2;
    }
  }
  report_byte(report, "t");
  ::pause();
  return 0;
}

bool wait_for_processes(const Cgroup& cg, size_t n) {
  for (int i = 0; i < 500; ++i) {
    auto pids = cg.processes();
    if (pids && pids->size() >= n) {
      return true;
    }
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

TEST_F(CgroupTest, KillAllKillsAProcessTree) {
  auto cg = make("tree");
  ASSERT_TRUE(cg) << cg.error().str();
  Child child(make_tree, /*harness=*/true);
  ASSERT_TRUE(child.ok());
  ASSERT_TRUE(cg->add_process(child.pid()));
  child.release();
  ASSERT_EQ(child.report(1), "t");
  ASSERT_TRUE(wait_for_processes(*cg, 7));
  auto r = cg->kill_all(SIGKILL);
  ASSERT_TRUE(r) << r.error().str();
  auto left = cg->processes();
  ASSERT_TRUE(left);
  EXPECT_TRUE(left->empty());
  EXPECT_EQ(WEXITSTATUS(child.wait()), 128 + SIGKILL);
  EXPECT_TRUE(cg->destroy());
}

TEST_F(CgroupTest, KillAllKillsAFrozenTreeAndLeavesItThawed) {
  auto cg = make("frozen-tree");
  ASSERT_TRUE(cg) << cg.error().str();
  Child child(make_tree, /*harness=*/true);
  ASSERT_TRUE(child.ok());
  ASSERT_TRUE(cg->add_process(child.pid()));
  child.release();
  ASSERT_EQ(child.report(1), "t");
  ASSERT_TRUE(wait_for_processes(*cg, 7));
  ASSERT_TRUE(cg->freeze());
  auto r = cg->kill_all(SIGKILL);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(cg->processes().value_or(std::vector<pid_t>{1}).empty());
  EXPECT_EQ(cg->frozen().value_or(true), false);
  EXPECT_EQ(WEXITSTATUS(child.wait()), 128 + SIGKILL);
}

TEST_F(CgroupTest, KillAllSendsOtherSignalsOnce) {
  auto cg = make("term");
  ASSERT_TRUE(cg) << cg.error().str();
  Child child([](int) {
    ::pause();
    return 0;
  });
  ASSERT_TRUE(child.ok());
  ASSERT_TRUE(cg->add_process(child.pid()));
  ASSERT_TRUE(cg->kill_all(SIGTERM));
  int st = child.wait();
  ASSERT_TRUE(WIFSIGNALED(st));
  EXPECT_EQ(WTERMSIG(st), SIGTERM);
}

// Runs scenario in a forked child inside a private mount namespace from which the cgroup
// hierarchies that `keep` rejects are unmounted: a legacy or unified machine seen from this one.
// Returns the scenario's exit code (a nonzero code names the step that failed).
int on_simulated_layout(const std::function<bool(const CgroupHierarchy&)>& keep,
                        const std::function<int()>& scenario) {
  Child child([&](int) {
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      return 2;
    }
    auto hs = cgroup_hierarchies();
    if (!hs) {
      return 3;
    }
    for (const auto& h : *hs) {
      if (!keep(h) && ::umount2(h.mount_point.c_str(), MNT_DETACH) != 0) {
        return 4;
      }
    }
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);  // orphans of the killed tree come back to be reaped
    int code = scenario();
    while (::wait(nullptr) > 0 || errno == EINTR) {
    }
    return code;
  });
  if (!child.ok()) {
    return 1;
  }
  child.release();
  int st = child.wait();
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

// Creates path, runs a 7-process tree in it, freezes it, kills it and destroys the cgroup.
int freeze_and_kill_scenario(const std::string& path, CgroupLayout layout) {
  auto hs = cgroup_hierarchies();
  if (!hs || cgroup_layout(*hs) != layout) {
    return 10;
  }
  auto cg = Cgroup::create(path, {});
  if (!cg) {
    return 11;
  }
  Child tree(make_tree);
  if (!tree.ok() || !cg->add_process(tree.pid())) {
    return 12;
  }
  tree.release();
  if (tree.report(1) != "t" || !wait_for_processes(*cg, 7)) {
    return 13;
  }
  if (!cg->freeze() || !cg->frozen().value_or(false)) {
    return 14;
  }
  auto stats = cg->stats();
  if (!stats || stats->cpu_usage_ns == 0) {
    return 15;
  }
  if (!cg->kill_all(SIGKILL) || !cg->processes().value_or(std::vector<pid_t>{1}).empty()) {
    return 16;
  }
  int st = tree.wait();
  if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL) {
    return 17;
  }
  if (cg->frozen().value_or(true) || !cg->destroy()) {
    return 18;
  }
  return 0;
}

TEST_F(CgroupTest, OnALegacyLayoutFreezeKillAndDestroyWork) {
  auto hs = cgroup_hierarchies();
  ASSERT_TRUE(hs) << hs.error().str();
  if (cgroup_layout(*hs) == CgroupLayout::kUnified) {
    GTEST_SKIP() << "no v1 hierarchy here to show alone";
  }
  std::string path = parent_ + "/legacy";
  made_.push_back(path);
  int code =
      on_simulated_layout([](const CgroupHierarchy& h) { return !h.v2; },
                          [&] { return freeze_and_kill_scenario(path, CgroupLayout::kLegacy); });
  EXPECT_EQ(code, 0) << "failed step " << code;
}

TEST_F(CgroupTest, OnAUnifiedLayoutFreezeKillAndDestroyWork) {
  auto hs = cgroup_hierarchies();
  ASSERT_TRUE(hs) << hs.error().str();
  auto v2 = std::find_if(hs->begin(), hs->end(), [](const auto& h) { return h.v2; });
  if (v2 == hs->end()) {
    GTEST_SKIP() << "no cgroup2 mount here";
  }
  // A unified machine enables more controllers at its root; put the root back as it was.
  std::string root = v2->mount_point;
  std::string before = read(root, "cgroup.subtree_control");
  ScopeGuard restore([&] {
    cleanup();  // the parent holds the controllers until it is gone
    for (const auto& c : split(read(root, "cgroup.subtree_control"), ' ')) {
      if (!c.empty() && !has_word(before, c)) {
        UniqueFd fd(::open((root + "/cgroup.subtree_control").c_str(), O_WRONLY | O_CLOEXEC));
        std::string off = "-" + c;
        (void)!::write(fd.get(), off.data(), off.size());
      }
    }
  });
  std::string path = parent_ + "/unified";
  made_.push_back(path);
  made_.push_back(path + "-limited");
  int code = on_simulated_layout(
      [](const CgroupHierarchy& h) { return h.v2; },
      [&] {
        CgroupLimits l;
        l.memory = 64 << 20;
        auto limited = Cgroup::create(path + "-limited", l);
        bool memory_on_v2 = has_word(join(v2->controllers, " "), "memory");
        if (!memory_on_v2 && (limited || limited.error().code() != Code::kUnsupported)) {
          return 20;  // a limit without its controller is refused, and nothing is left behind
        }
        if (limited) {
          (void)limited->destroy();
        }
        return freeze_and_kill_scenario(path, CgroupLayout::kUnified);
      });
  EXPECT_EQ(code, 0) << "failed step " << code;
  EXPECT_TRUE(leftovers(path + "-limited").empty());
}

// destroy() never kills: with a live process it fails (Conflict) and leaves the cgroup usable;
// the caller calls kill_all(SIGKILL) and then destroy().
TEST_F(CgroupTest, DestroyWithALiveProcessFailsUntilKillAll) {
  auto cg = make("busy");
  ASSERT_TRUE(cg) << cg.error().str();
  Child child([](int) {
    ::pause();
    return 0;
  });
  ASSERT_TRUE(child.ok());
  ASSERT_TRUE(cg->add_process(child.pid()));
  auto r = cg->destroy();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kConflict);
  EXPECT_NE(r.error().str().find(std::to_string(child.pid())), std::string::npos)
      << r.error().str();
  EXPECT_TRUE(Cgroup::open(cg->path()));
  ASSERT_TRUE(cg->kill_all(SIGKILL));
  auto again = cg->destroy();
  ASSERT_TRUE(again) << again.error().str();
  EXPECT_TRUE(leftovers(cg->path()).empty());
}

}  // namespace
}  // namespace berth::sys
