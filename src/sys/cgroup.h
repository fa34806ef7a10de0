// Control groups for containers on every layout: pure cgroup v2 (unified), pure v1 (legacy) and
// hybrid (v1 controllers plus a cgroup2 mount, often at /sys/fs/cgroup/unified, that may hold a
// controller of its own). Each controller berth uses is found where it is mounted, v1 or v2, so
// a hybrid machine works whatever split it has; the layout is read from /proc/self/mountinfo,
// never from fixed paths.
//
// A cgroup is named by an absolute path inside each hierarchy ("/berth/<id>"); its directory in
// a hierarchy is that hierarchy's mount point joined with the path (as docker's cgroupfs driver
// does, which is also right inside a cgroup namespace). Every call is synchronous and touches
// only cgroupfs; errors name the cgroup, the file and the value written.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"

namespace berth::sys {

enum class CgroupLayout { kUnified, kLegacy, kHybrid };

// One mounted cgroup hierarchy.
struct CgroupHierarchy {
  std::string mount_point;               // "/sys/fs/cgroup/memory"
  std::string root = "/";                // the mount's root inside the hierarchy (mountinfo)
  std::vector<std::string> controllers;  // v1: from the mount options; v2: see below
  bool v2 = false;
  std::string name;  // "systemd" for a v1 name=systemd hierarchy, else ""
};

// Parses /proc/<pid>/mountinfo text into the cgroup hierarchies it mounts, in mount order, one
// entry per hierarchy (a hierarchy mounted twice is listed once, preferring a mount of its root).
// v1 controllers come from the super options (known controller names only); v2 entries have no
// controllers here, since those live in the file cgroup.controllers. Corrupt on a malformed line.
Result<std::vector<CgroupHierarchy>> parse_cgroup_hierarchies(std::string_view mountinfo);
// Reads /proc/self/mountinfo and, for v2, the controllers of the mount's root cgroup.
// Unsupported when no cgroup hierarchy is mounted.
Result<std::vector<CgroupHierarchy>> cgroup_hierarchies();
// kUnified: a cgroup2 mount and no v1 hierarchy with a controller (a v1 name=systemd mount
// alone does not count); kHybrid: both; kLegacy: v1 controllers only (or nothing mounted).
CgroupLayout cgroup_layout(const std::vector<CgroupHierarchy>& hierarchies);
std::string_view cgroup_layout_name(CgroupLayout layout);  // "unified", "legacy", "hybrid"

// Resource limits in docker's units. An unset field (or a 0 where noted) leaves the kernel's
// value alone.
struct CgroupLimits {
  std::optional<int64_t> memory;       // bytes (--memory); -1 = unlimited; 0 = unset
  std::optional<int64_t> memory_swap;  // --memory-swap: memory+swap total; -1 = unlimited; 0 unset
  // --memory-reservation: the soft limit reclaim pushes the cgroup towards under memory
  // pressure (v1 memory.soft_limit_in_bytes, v2 memory.low); 0 = unset
  std::optional<int64_t> memory_reservation;
  std::optional<int64_t> cpu_quota;    // µs per period (--cpus 1.5 → 150000); -1 = unlimited
  std::optional<int64_t> cpu_period;   // µs; 100000 when a quota is given without a period
  std::optional<uint64_t> cpu_shares;  // v1 cpu.shares; on v2 mapped to cpu.weight; 0 = unset
  std::optional<int64_t> pids_max;     // --pids-limit; <= 0 means unlimited
};

// Resource usage as docker stats reports it. Fields whose controller is absent stay as below.
struct CgroupStats {
  uint64_t cpu_usage_ns = 0;         // total CPU time of the cgroup's tasks
  int64_t memory_usage = 0;          // bytes charged, page cache included (docker's raw usage)
  int64_t memory_inactive_file = 0;  // bytes of inactive file cache (docker CLI subtracts it)
  int64_t memory_limit = -1;         // bytes; -1 = none
  int64_t pids_current = 0;
  uint64_t oom_kills = 0;  // OOM kills inside the cgroup (and its descendants)
};

// A container's cgroup, one directory in each hierarchy berth uses. A plain value: copying it
// copies names, not kernel objects; nothing is removed on destruction (see destroy()).
class Cgroup {
 public:
  // Creates `path` (absolute, e.g. "/berth/abc123") in every hierarchy berth uses: the v2 tree,
  // and on v1 the cpu, cpuacct, cpuset, memory, pids, freezer, devices, blkio and name=systemd
  // hierarchies that exist. Creates missing parents, enables the controllers berth uses in the
  // ancestors' cgroup.subtree_control on v2 (they stay enabled), copies cpuset.cpus/mems into
  // empty v1 cpusets, applies docker's default device allow-list on v1 devices, then `limits`.
  // With --memory but no --memory-swap the swap total defaults to twice the memory, as docker's,
  // where the kernel accounts swap. InvalidArgument for a bad path or limits, Conflict when the
  // cgroup exists in any hierarchy, Unsupported when a limit's controller or swap accounting is
  // missing. On failure removes every directory it made (parents too).
  static Result<Cgroup> create(const std::string& path, const CgroupLimits& limits);
  // Opens an existing cgroup in the hierarchies where its directory exists. NotFound if none.
  static Result<Cgroup> open(const std::string& path);

  const std::string& path() const { return path_; }

  // Moves the whole thread group of pid into this cgroup in every hierarchy (cgroup.procs).
  // Stops at the first failing hierarchy and names it; the caller then destroys the cgroup.
  Result<void> add_process(pid_t pid) const;
  // Applies limits to the live cgroup (docker update); no swap default here. Order of writes
  // follows what the kernel accepts (memsw before memory when growing on v1, and so on).
  Result<void> update(const CgroupLimits& limits) const;
  Result<CgroupStats> stats() const;
  // Every process (thread group id) in this cgroup and its descendants, sorted, in any
  // hierarchy.
  Result<std::vector<pid_t>> processes() const;

  // Freezes every task (v1 freezer if mounted, else v2 cgroup.freeze) and waits, up to 5 s,
  // until the kernel reports it frozen; on timeout thaws again and fails Unavailable.
  Result<void> freeze() const;
  Result<void> thaw() const;
  Result<bool> frozen() const;  // false when no freezer is available
  // OOM kills so far: v2 memory.events oom_kill, v1 memory.oom_control oom_kill; 0 without a
  // memory controller.
  Result<uint64_t> oom_kills() const;

  // Sends sig to every process in the cgroup and its descendants. For SIGKILL: writes
  // cgroup.kill where the v2 tree has it (the hybrid cgroup2 tree too), else freezes first so
  // nothing forks meanwhile; then signals every listed pid, thaws (v1-frozen tasks die only once
  // thawed) and repeats until no process is left, for up to 5 s (then Unavailable naming the
  // survivors). Other signals are sent once to the pids present, without waiting. A cgroup that
  // another process removes meanwhile counts as killed.
  Result<void> kill_all(int sig) const;
  // Removes the cgroup (descendants first) from every hierarchy; absent is fine; parents stay.
  // Retries EBUSY for up to 2 s in all (tasks that are still exiting). It never kills: with a
  // live process inside it fails with Conflict naming the directory and the pids inside, after
  // trying every hierarchy, and the cgroup stays usable. Call kill_all(SIGKILL) first.
  Result<void> destroy() const;

  // Where this cgroup lives in each hierarchy (to mount into the container at /sys/fs/cgroup).
  // For v2 the controllers listed are the ones enabled in this cgroup.
  std::vector<std::pair<CgroupHierarchy, std::string>> directories() const;

 private:
  struct Dir {
    CgroupHierarchy hierarchy;  // for v2, controllers lists those enabled in this cgroup
    std::string dir;            // mount_point + path
  };

  Cgroup(std::string path, std::vector<Dir> dirs)
      : path_(std::move(path)), dirs_(std::move(dirs)) {}
  const Dir* controller_dir(std::string_view controller) const;
  const Dir* v2_dir() const;
  const Dir* freezer_dir() const;
  Result<void> apply(const CgroupLimits& limits, bool default_swap) const;
  Result<void> apply_memory(const CgroupLimits& limits, bool default_swap) const;
  Result<void> apply_cpu(const CgroupLimits& limits) const;
  Result<void> apply_pids(const CgroupLimits& limits) const;
  Result<void> set_frozen(bool frozen) const;
  Result<void> kill_everything() const;

  std::string path_;
  std::vector<Dir> dirs_;
};

// Removes an empty parent like "/berth-test-x" from every hierarchy (for tests and prune).
// Absent is fine; Conflict when it still has children or processes.
Result<void> remove_cgroup_parent(const std::string& path);

// docker's --cpu-shares on cgroup v2: the cpu.weight runc and crun write for a cpu.shares value
// (2 → 1, 1024 → 100, 262144 → 10000, on a curve between; 0 → 0 meaning unset).
uint64_t cpu_shares_to_weight(uint64_t shares);

}  // namespace berth::sys
