// The life of real cgroups on this machine's layout (root): create, open and destroy in every
// hierarchy, processes joining, freeze and thaw, kill_all on trees, and the same on a legacy or
// unified layout simulated in a private mount namespace (limits and stats are in
// cgroup_limits_test.cc). The fixture removes every cgroup it made; children are held on a pipe
// until they are in the cgroup, and killed and reaped by their own pid (or process group) on the
// way out.
#include "sys/cgroup.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/strings.h"
#include "base/undo.h"
#include "base/unique_fd.h"
#include "system/sys/cgroup_fixture.h"
#include "system/sys/child_process.h"

namespace berth::sys::cgroup_test {
namespace {

using namespace std::chrono_literals;
using berth::testing::exit_code;
using berth::testing::report_text;

bool has_word(const std::string& text, std::string_view word) {
  auto words = split(text, ' ');
  return std::find(words.begin(), words.end(), word) != words.end();
}

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

TEST_F(CgroupTest, AnAddedChildIsListedAndSeesTheCgroupInProc) {
  auto cg = make("procs");
  ASSERT_TRUE(cg) << cg.error().str();
  Child child(sleep_until_killed);
  ASSERT_TRUE(joined(*cg, child));
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
  ASSERT_TRUE(joined(*cg, child));
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
  report_text(report, "t");
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

// Releases child (running make_tree, already in cg) and waits until its 7 processes are there.
::testing::AssertionResult tree_running(const Cgroup& cg, Child& child) {
  child.release();
  if (child.report(1) != "t") {
    return ::testing::AssertionFailure() << "the tree reported nothing";
  }
  if (!wait_for_processes(cg, 7)) {
    return ::testing::AssertionFailure() << "fewer than 7 processes in " << cg.path();
  }
  return ::testing::AssertionSuccess();
}

TEST_F(CgroupTest, KillAllKillsAProcessTree) {
  auto cg = make("tree");
  ASSERT_TRUE(cg) << cg.error().str();
  Child child(make_tree, Child::Mode::kSubreaper);
  ASSERT_TRUE(joined(*cg, child));
  ASSERT_TRUE(tree_running(*cg, child));
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
  Child child(make_tree, Child::Mode::kSubreaper);
  ASSERT_TRUE(joined(*cg, child));
  ASSERT_TRUE(tree_running(*cg, child));
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
  Child child(sleep_until_killed);
  ASSERT_TRUE(joined(*cg, child));
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
  return exit_code(child.wait());
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
  if (!tree_running(*cg, tree)) {
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
    GTEST_SKIP() << "this machine has no cgroup v1 hierarchy, so a legacy-only layout cannot be "
                    "simulated from its mounts";
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
    GTEST_SKIP() << "this machine mounts no cgroup2, so a unified layout cannot be simulated "
                    "from its mounts";
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
  Child child(sleep_until_killed);
  ASSERT_TRUE(joined(*cg, child));
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

// A monitor removes its container's cgroup when the container has stopped, while `rm -f` may be
// killing it at that moment: a cgroup someone else removed counts as killed.
TEST_F(CgroupTest, KillAllOfACgroupRemovedMeanwhileSucceeds) {
  auto cg = make("gone");
  ASSERT_TRUE(cg) << cg.error().str();
  auto other = Cgroup::open(cg->path());
  ASSERT_TRUE(other) << other.error().str();
  ASSERT_TRUE(other->destroy());
  auto r = cg->kill_all(SIGKILL);
  EXPECT_TRUE(r) << r.error().str();
  EXPECT_TRUE(leftovers(cg->path()).empty());
}

}  // namespace
}  // namespace berth::sys::cgroup_test
