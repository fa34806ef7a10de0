// The fixture of the cgroup system tests (cgroup_*_test.cc): every test works under its own
// parent "/berth-test-<random>", which TearDown kills and removes from every hierarchy, whatever
// happened, checking that nothing is left. Needs root (skips otherwise).
#pragma once

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/strings.h"
#include "sys/cgroup.h"
#include "system/sys/child_process.h"

// Not in an anonymous namespace: the tests of one suite in several files must share one fixture
// type.
namespace berth::sys::cgroup_test {

using berth::testing::Child;

class CgroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "system tests run as root (CI does): only root may make cgroups";
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

// A child body that sleeps until it is killed.
inline int sleep_until_killed(int /*report_fd*/) {
  ::pause();
  return 0;
}

// Moves child (started, not necessarily released) into cg; says what failed otherwise.
inline ::testing::AssertionResult joined(const Cgroup& cg, const Child& child) {
  if (!child.ok()) {
    return ::testing::AssertionFailure() << "the child could not be started";
  }
  if (auto r = cg.add_process(child.pid()); !r) {
    return ::testing::AssertionFailure() << r.error().str();
  }
  return ::testing::AssertionSuccess();
}

}  // namespace berth::sys::cgroup_test
