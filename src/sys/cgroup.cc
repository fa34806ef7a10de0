// The Cgroup object: one directory per hierarchy, each controller served by the hierarchy that
// holds it (v1 or v2), so hybrid machines need no special case beyond that lookup.

#include "sys/cgroup.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"
#include "base/undo.h"
#include "sys/cgroup_internal.h"

namespace berth::sys {

using cgroup_detail::file_exists;
using cgroup_detail::nonzero;
using cgroup_detail::plan_pids;
using cgroup_detail::procs_recursive;
using cgroup_detail::read_int;
using cgroup_detail::read_trimmed;
using cgroup_detail::split_cgroup_path;
using cgroup_detail::subdirs;
using cgroup_detail::v1_apply_cpu;
using cgroup_detail::v1_apply_default_devices;
using cgroup_detail::v1_apply_memory;
using cgroup_detail::v1_copy_cpuset;
using cgroup_detail::v1_frozen;
using cgroup_detail::v1_memory_stats;
using cgroup_detail::v1_oom_kills;
using cgroup_detail::v1_set_frozen;
using cgroup_detail::v2_apply_cpu;
using cgroup_detail::v2_apply_memory;
using cgroup_detail::v2_controllers;
using cgroup_detail::v2_cpu_usage_ns;
using cgroup_detail::v2_enable_controllers;
using cgroup_detail::v2_frozen;
using cgroup_detail::v2_memory_stats;
using cgroup_detail::v2_oom_kills;
using cgroup_detail::v2_set_frozen;
using cgroup_detail::validate_limits;
using cgroup_detail::write_file;
using cgroup_detail::write_plan;

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kKillTimeout = std::chrono::seconds(5);
constexpr auto kRemoveTimeout = std::chrono::seconds(2);

// The v1 hierarchies a container joins (with name=systemd). berth sets nothing in the others
// (net_cls, perf_event, hugetlb, rdma), so it leaves them alone.
constexpr std::array<std::string_view, 8> kV1Used = {"cpu",  "cpuacct", "cpuset",  "memory",
                                                     "pids", "freezer", "devices", "blkio"};
// Controllers enabled on the way down a v2 tree. The extra ones only on a unified machine, so a
// hybrid machine's cgroup2 root (which may hold hugetlb) is left as it was.
constexpr std::array<std::string_view, 5> kV2Used = {"cpu", "cpuset", "io", "memory", "pids"};
constexpr std::array<std::string_view, 3> kV2UnifiedExtra = {"hugetlb", "rdma", "misc"};

bool has(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

bool used(const CgroupHierarchy& h) {
  if (h.v2 || h.name == "systemd") {
    return true;
  }
  return std::any_of(h.controllers.begin(), h.controllers.end(), [](const std::string& c) {
    return std::find(kV1Used.begin(), kV1Used.end(), c) != kV1Used.end();
  });
}

std::string join_dir(const CgroupHierarchy& h, const std::string& path) {
  std::string base = h.mount_point;
  while (base.size() > 1 && base.back() == '/') {
    base.pop_back();
  }
  return base + path;
}

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Result<std::vector<CgroupHierarchy>> used_hierarchies(bool* unified) {
  auto all = BERTH_TRY(cgroup_hierarchies());
  *unified = cgroup_layout(all) == CgroupLayout::kUnified;
  std::vector<CgroupHierarchy> out;
  std::copy_if(all.begin(), all.end(), std::back_inserter(out), used);
  if (out.empty()) {
    return fail(Code::kUnsupported, "no cgroup hierarchy that berth uses is mounted");
  }
  return out;
}

// rmdir of a cgroup and its descendants, deepest first. EBUSY (tasks still exiting) is retried
// until the deadline; then Conflict naming the pids still inside.
Result<void> remove_dir_tree(const std::string& dir, Clock::time_point deadline) {
  auto children = subdirs(dir);
  if (!children) {
    return children.error().sys_errno() == ENOENT ? Result<void>()
                                                  : tl::unexpected(children.error());
  }
  for (const auto& child : *children) {
    BERTH_CHECK(remove_dir_tree(child, deadline));
  }
  while (::rmdir(dir.c_str()) != 0) {
    if (errno == ENOENT) {
      return {};
    }
    if (errno != EBUSY) {
      return fail_errno(fmt::format("removing {}", dir));
    }
    if (Clock::now() >= deadline) {
      auto procs = read_trimmed(dir, "cgroup.procs");
      std::string who = procs && !procs->empty() ? join(split(*procs, '\n'), " ") : "none listed";
      return tl::unexpected(
          Error(Code::kConflict,
                fmt::format("removing {}: still busy, processes inside: {}", dir, who), EBUSY));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return {};
}

// Creates path's directories in one hierarchy, registering an undo for each one made.
Result<std::string> make_dirs(const CgroupHierarchy& h, const std::vector<std::string>& parts,
                              const std::vector<std::string>& v2_wanted, UndoStack& undo) {
  std::string cur = join_dir(h, "");
  bool cpuset = !h.v2 && has(h.controllers, "cpuset");
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string parent = cur;
    cur += "/" + parts[i];
    if (h.v2) {
      BERTH_CHECK(v2_enable_controllers(parent, v2_wanted));
    }
    if (::mkdir(cur.c_str(), 0755) == 0) {
      undo.add([cur] { ::rmdir(cur.c_str()); });
    } else if (errno != EEXIST) {
      return fail_errno(fmt::format("creating {}", cur));
    } else if (i + 1 == parts.size()) {
      return tl::unexpected(Error(Code::kConflict, fmt::format("{} already exists", cur), EEXIST));
    }
    if (cpuset) {
      BERTH_CHECK(v1_copy_cpuset(parent, cur));
    }
  }
  return cur;
}

}  // namespace

namespace cgroup_detail {

Result<void> write_plan(const std::string& dir, const std::vector<FileWrite>& plan) {
  for (const auto& w : plan) {
    BERTH_CHECK(write_file(dir, w.file, w.value));
  }
  return {};
}

Result<bool> await_freezer(const std::function<Result<bool>()>& reached) {
  // The kernel stops tasks one by one (v1 rechecks them on each read of freezer.state), so
  // poll often at first and back off.
  auto deadline = Clock::now() + kFreezeTimeout;
  auto pause = std::chrono::milliseconds(1);
  while (!BERTH_TRY(reached())) {
    if (Clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
  return true;
}

Result<void> validate_limits(const CgroupLimits& l) {
  auto bad = [](std::string what) { return fail(Code::kInvalidArgument, std::move(what)); };
  int64_t mem = l.memory.value_or(0);
  int64_t swap = l.memory_swap.value_or(0);
  if (mem < -1) {
    return bad(fmt::format("--memory {}: must be positive or -1", mem));
  }
  if (swap < -1) {
    return bad(fmt::format("--memory-swap {}: must be positive or -1", swap));
  }
  if (swap > 0 && mem == -1) {
    return bad(fmt::format("--memory-swap {} needs a memory limit", swap));
  }
  if (swap > 0 && mem > 0 && swap < mem) {
    return bad(fmt::format("--memory-swap {} must be at least --memory {}", swap, mem));
  }
  int64_t quota = l.cpu_quota.value_or(0);
  if (quota < -1 || (quota > 0 && quota < 1000)) {
    return bad(fmt::format("--cpu-quota {}: must be at least 1000 (1 ms) or -1", quota));
  }
  int64_t period = l.cpu_period.value_or(0);
  if (period < 0 || (period > 0 && (period < 1000 || period > 1000000))) {
    return bad(fmt::format("--cpu-period {}: must be between 1000 and 1000000", period));
  }
  return {};
}

std::vector<FileWrite> plan_pids(const CgroupLimits& limits) {
  if (!limits.pids_max) {
    return {};
  }
  return {{"pids.max", *limits.pids_max <= 0 ? "max" : std::to_string(*limits.pids_max)}};
}

}  // namespace cgroup_detail

Result<Cgroup> Cgroup::create(const std::string& path, const CgroupLimits& limits) {
  std::string ctx = fmt::format("cgroup {}", path);
  auto parts = BERTH_TRY_CTX(split_cgroup_path(path), ctx);
  BERTH_CHECK_CTX(validate_limits(limits), ctx);
  bool unified = false;
  auto hierarchies = BERTH_TRY_CTX(used_hierarchies(&unified), ctx);
  std::vector<std::string> v2_wanted(kV2Used.begin(), kV2Used.end());
  if (unified) {
    v2_wanted.insert(v2_wanted.end(), kV2UnifiedExtra.begin(), kV2UnifiedExtra.end());
  }
  UndoStack undo;
  std::vector<Dir> dirs;
  for (auto& h : hierarchies) {
    auto dir = BERTH_TRY_CTX(make_dirs(h, parts, v2_wanted, undo), ctx);
    if (h.v2) {
      h.controllers = BERTH_TRY_CTX(v2_controllers(dir), ctx);
    }
    dirs.push_back({std::move(h), std::move(dir)});
  }
  Cgroup cg(path, std::move(dirs));
  if (const Dir* d = cg.controller_dir("devices"); d != nullptr && !d->hierarchy.v2) {
    BERTH_CHECK_CTX(v1_apply_default_devices(d->dir), ctx);
  }
  BERTH_CHECK_CTX(cg.apply(limits, /*default_swap=*/true), ctx);
  undo.disarm();
  return cg;
}

Result<Cgroup> Cgroup::open(const std::string& path) {
  std::string ctx = fmt::format("cgroup {}", path);
  BERTH_TRY_CTX(split_cgroup_path(path), ctx);
  bool unified = false;
  auto hierarchies = BERTH_TRY_CTX(used_hierarchies(&unified), ctx);
  std::vector<Dir> dirs;
  for (auto& h : hierarchies) {
    std::string dir = join_dir(h, path);
    if (!is_dir(dir)) {
      continue;
    }
    if (h.v2) {
      h.controllers = BERTH_TRY_CTX(v2_controllers(dir), ctx);
    }
    dirs.push_back({std::move(h), std::move(dir)});
  }
  if (dirs.empty()) {
    return fail(Code::kNotFound, fmt::format("cgroup {} does not exist", path));
  }
  return Cgroup(path, std::move(dirs));
}

const Cgroup::Dir* Cgroup::controller_dir(std::string_view controller) const {
  // A controller is bound to one hierarchy at a time: v1 if it is mounted there, else v2.
  for (const auto& d : dirs_) {
    if (!d.hierarchy.v2 && has(d.hierarchy.controllers, controller)) {
      return &d;
    }
  }
  const Dir* v2 = v2_dir();
  return v2 != nullptr && has(v2->hierarchy.controllers, controller) ? v2 : nullptr;
}

const Cgroup::Dir* Cgroup::v2_dir() const {
  for (const auto& d : dirs_) {
    if (d.hierarchy.v2) {
      return &d;
    }
  }
  return nullptr;
}

std::vector<std::pair<CgroupHierarchy, std::string>> Cgroup::directories() const {
  std::vector<std::pair<CgroupHierarchy, std::string>> out;
  for (const auto& d : dirs_) {
    out.emplace_back(d.hierarchy, d.dir);
  }
  return out;
}

Result<void> Cgroup::add_process(pid_t pid) const {
  for (const auto& d : dirs_) {
    BERTH_CHECK_CTX(write_file(d.dir, "cgroup.procs", std::to_string(pid)),
                    fmt::format("cgroup {}", path_));
  }
  return {};
}

Result<std::vector<pid_t>> Cgroup::processes() const {
  std::vector<pid_t> out;
  for (const auto& d : dirs_) {
    auto pids = BERTH_TRY_CTX(procs_recursive(d.dir), fmt::format("cgroup {}", path_));
    out.insert(out.end(), pids.begin(), pids.end());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<void> Cgroup::update(const CgroupLimits& limits) const {
  BERTH_CHECK_CTX(validate_limits(limits), fmt::format("cgroup {}", path_));
  return with_context(apply(limits, /*default_swap=*/false), fmt::format("cgroup {}", path_));
}

Result<void> Cgroup::apply(const CgroupLimits& limits, bool default_swap) const {
  BERTH_CHECK(apply_memory(limits, default_swap));
  BERTH_CHECK(apply_cpu(limits));
  return apply_pids(limits);
}

Result<void> Cgroup::apply_memory(const CgroupLimits& limits, bool default_swap) const {
  CgroupLimits l;
  l.memory = nonzero(limits.memory);
  l.memory_swap = nonzero(limits.memory_swap);
  l.memory_reservation = nonzero(limits.memory_reservation);
  if (!l.memory && !l.memory_swap && !l.memory_reservation) {
    return {};
  }
  const Dir* d = controller_dir("memory");
  if (d == nullptr) {
    return fail(Code::kUnsupported, "memory limit: no memory controller in any hierarchy");
  }
  bool v2 = d->hierarchy.v2;
  if (default_swap && l.memory > 0 && !l.memory_swap &&
      file_exists(d->dir, v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes")) {
    l.memory_swap = 2 * *l.memory;  // docker's default: as much swap as memory
  }
  return v2 ? v2_apply_memory(d->dir, l) : v1_apply_memory(d->dir, l);
}

Result<void> Cgroup::apply_cpu(const CgroupLimits& limits) const {
  if (limits.cpu_quota.value_or(0) == 0 && limits.cpu_period.value_or(0) == 0 &&
      limits.cpu_shares.value_or(0) == 0) {
    return {};
  }
  const Dir* d = controller_dir("cpu");
  if (d == nullptr) {
    return fail(Code::kUnsupported, "cpu limit: no cpu controller in any hierarchy");
  }
  return d->hierarchy.v2 ? v2_apply_cpu(d->dir, limits) : v1_apply_cpu(d->dir, limits);
}

Result<void> Cgroup::apply_pids(const CgroupLimits& limits) const {
  auto plan = plan_pids(limits);
  if (plan.empty()) {
    return {};
  }
  const Dir* d = controller_dir("pids");
  if (d == nullptr) {
    return fail(Code::kUnsupported, "--pids-limit: no pids controller in any hierarchy");
  }
  return write_plan(d->dir, plan);
}

Result<CgroupStats> Cgroup::stats() const {
  std::string ctx = fmt::format("cgroup {}", path_);
  CgroupStats s;
  if (const Dir* d = controller_dir("memory")) {
    BERTH_CHECK_CTX(d->hierarchy.v2 ? v2_memory_stats(d->dir, &s) : v1_memory_stats(d->dir, &s),
                    ctx);
  }
  const Dir* acct = controller_dir("cpuacct");
  if (acct != nullptr && !acct->hierarchy.v2) {
    s.cpu_usage_ns =
        static_cast<uint64_t>(BERTH_TRY_CTX(read_int(acct->dir, "cpuacct.usage"), ctx));
  } else if (const Dir* v2 = v2_dir()) {
    s.cpu_usage_ns = BERTH_TRY_CTX(v2_cpu_usage_ns(v2->dir), ctx);
  }
  if (const Dir* d = controller_dir("pids")) {
    s.pids_current = BERTH_TRY_CTX(read_int(d->dir, "pids.current"), ctx);
  }
  return s;
}

Result<uint64_t> Cgroup::oom_kills() const {
  const Dir* d = controller_dir("memory");
  if (d == nullptr) {
    return 0;
  }
  return with_context(d->hierarchy.v2 ? v2_oom_kills(d->dir) : v1_oom_kills(d->dir),
                      fmt::format("cgroup {}", path_));
}

const Cgroup::Dir* Cgroup::freezer_dir() const {
  const Dir* d = controller_dir("freezer");
  return d != nullptr ? d : v2_dir();  // v2's freezer is core: cgroup.freeze
}

Result<void> Cgroup::set_frozen(bool frozen) const {
  const Dir* d = freezer_dir();
  if (d == nullptr) {
    return fail(Code::kUnsupported, fmt::format("cgroup {}: no freezer is mounted", path_));
  }
  return with_context(
      d->hierarchy.v2 ? v2_set_frozen(d->dir, frozen) : v1_set_frozen(d->dir, frozen),
      fmt::format("cgroup {}", path_));
}

Result<void> Cgroup::freeze() const { return set_frozen(true); }
Result<void> Cgroup::thaw() const { return set_frozen(false); }

Result<bool> Cgroup::frozen() const {
  const Dir* d = freezer_dir();
  if (d == nullptr) {
    return false;
  }
  return with_context(d->hierarchy.v2 ? v2_frozen(d->dir) : v1_frozen(d->dir),
                      fmt::format("cgroup {}", path_));
}

Result<void> Cgroup::kill_all(int sig) const {
  if (sig == SIGKILL) {
    return kill_everything();
  }
  for (pid_t pid : BERTH_TRY(processes())) {
    if (::kill(pid, sig) != 0 && errno != ESRCH) {
      return fail_errno(fmt::format("cgroup {}: signal {} to {}", path_, sig, pid));
    }
  }
  return {};
}

Result<void> Cgroup::kill_everything() const {
  // A directory removed meanwhile (a monitor cleaning up after its container while `rm -f`
  // kills it): only an empty cgroup can be removed, so nothing is left there to kill or thaw,
  // and the pid path covers the other hierarchies.
  auto removed = [](const Dir* d) { return !path_exists(d->dir); };
  std::string ctx = fmt::format("cgroup {}", path_);
  const Dir* v2 = v2_dir();
  bool cgroup_kill = v2 != nullptr && file_exists(v2->dir, "cgroup.kill");
  const Dir* fz = freezer_dir();
  auto deadline = Clock::now() + kKillTimeout;
  while (true) {
    if (cgroup_kill) {
      // The kernel kills the whole subtree and races no fork.
      auto killed = write_file(v2->dir, "cgroup.kill", "1");
      if (!killed && removed(v2)) {
        cgroup_kill = false;
      } else if (!killed) {
        return tl::unexpected(std::move(killed.error()).context(ctx));
      }
    } else if (fz != nullptr) {
      (void)set_frozen(true);  // frozen tasks cannot fork behind our back; best effort
    }
    // Also by pid: a process may sit outside the v2 tree on a hybrid machine.
    for (pid_t pid : BERTH_TRY(processes())) {
      if (::kill(pid, SIGKILL) != 0 && errno != ESRCH) {
        return fail_errno(fmt::format("{}: SIGKILL to {}", ctx, pid));
      }
    }
    // Killed tasks wait in a frozen cgroup (v1) until it thaws.
    if (fz != nullptr && frozen().value_or(true)) {
      auto thawed = set_frozen(false);
      if (!thawed && removed(fz)) {
        fz = nullptr;
      } else if (!thawed) {
        return thawed;
      }
    }
    auto left = BERTH_TRY(processes());
    if (left.empty()) {
      return {};
    }
    if (Clock::now() >= deadline) {
      std::vector<std::string> names;
      for (pid_t p : left) {
        names.push_back(std::to_string(p));
      }
      return fail(Code::kUnavailable, fmt::format("{}: processes survived SIGKILL for {} s: {}",
                                                  ctx, kKillTimeout.count(), join(names, " ")));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Result<void> Cgroup::destroy() const {
  auto deadline = Clock::now() + kRemoveTimeout;
  std::optional<Error> first;
  for (const auto& d : dirs_) {
    if (auto r = remove_dir_tree(d.dir, deadline); !r && !first) {
      first = std::move(r.error());
    }
  }
  if (first) {
    return tl::unexpected(std::move(*first).context(fmt::format("cgroup {}", path_)));
  }
  return {};
}

Result<void> remove_cgroup_parent(const std::string& path) {
  std::string ctx = fmt::format("cgroup {}", path);
  BERTH_TRY_CTX(split_cgroup_path(path), ctx);
  bool unified = false;
  auto hierarchies = BERTH_TRY_CTX(used_hierarchies(&unified), ctx);
  auto deadline = Clock::now() + kRemoveTimeout / 2;
  std::optional<Error> first;
  for (const auto& h : hierarchies) {
    std::string dir = join_dir(h, path);
    while (::rmdir(dir.c_str()) != 0 && errno != ENOENT) {
      if (errno != EBUSY || Clock::now() >= deadline) {
        Error e(errno == EBUSY ? Code::kConflict : code_from_errno(errno),
                fmt::format("removing {}", dir), errno);
        if (!first) {
          first = std::move(e.context(ctx));
        }
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  if (first) {
    return tl::unexpected(std::move(*first));
  }
  return {};
}

}  // namespace berth::sys
