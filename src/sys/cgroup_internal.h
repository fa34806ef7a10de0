// Private to src/sys/cgroup*.cc (and their unit test): file access and the pure translation of
// docker's limits into cgroup file writes for each version, so the write order and values can
// be tested without root.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "sys/cgroup.h"

namespace berth::sys::cgroup_detail {

// One write of `value` to the file `file` of a cgroup directory, in plan order.
struct FileWrite {
  std::string file;
  std::string value;
  bool operator==(const FileWrite&) const = default;
};

// The components of an absolute cgroup path ("/berth/abc" → {"berth", "abc"}). InvalidArgument
// for a relative path, "/", empty, "." or ".." components.
Result<std::vector<std::string>> split_cgroup_path(const std::string& path);

// The value of `key` in a flat-keyed cgroup file ("populated 1\nfrozen 0\n"); nullopt if absent.
std::optional<std::string> keyed_value(std::string_view text, std::string_view key);

// v1 memory.limit_in_bytes reads PAGE_COUNTER_MAX pages when unlimited (0x7FFFFFFFFFFFF000
// with 4 KiB pages, a little less with larger pages); anything from here up means no limit.
inline constexpr int64_t kV1Unlimited = int64_t{1} << 62;

// docker's memory and cpu fields take 0 for "not set": nullopt for an unset or 0 value, else v.
inline std::optional<int64_t> nonzero(const std::optional<int64_t>& v) {
  if (!v || *v == 0) {
    return std::nullopt;
  }
  return v;
}

// Checks docker's rules on the combination (memory_swap >= memory, no value below -1).
Result<void> validate_limits(const CgroupLimits& limits);

// memory.limit_in_bytes and memory.memsw.limit_in_bytes, ordered so the kernel's rule
// memsw >= memory holds after each write: swap total first when it is unlimited or grows past
// the current memory limit, memory first otherwise. Unsupported for a swap limit without memsw.
Result<std::vector<FileWrite>> plan_v1_memory(const CgroupLimits& limits,
                                              int64_t current_memory_limit, bool memsw_supported);
// memory.max and memory.swap.max (= memory_swap - memory). current_memory_max (-1 = "max")
// stands in for memory when only the swap total changes. Unsupported for a swap limit without
// memory.swap.max; InvalidArgument for a swap total without any memory limit.
Result<std::vector<FileWrite>> plan_v2_memory(const CgroupLimits& limits,
                                              int64_t current_memory_max, bool swap_supported);
// cpu.cfs_period_us, cpu.cfs_quota_us, cpu.shares.
std::vector<FileWrite> plan_v1_cpu(const CgroupLimits& limits);
// cpu.max ("quota period", current_max's quota kept when only the period changes) and cpu.weight.
std::vector<FileWrite> plan_v2_cpu(const CgroupLimits& limits, std::string_view current_max);
// pids.max, the same on both versions.
std::vector<FileWrite> plan_pids(const CgroupLimits& limits);

// docker's default device cgroup rules for devices.allow, after "a" to devices.deny.
const std::vector<std::string>& default_device_rules();

// Writes value to dir/file in one write(2). The error names the value and the file.
Result<void> write_file(const std::string& dir, const std::string& file, std::string_view value);
// Writes a plan to the files of dir in order, stopping at the first write that fails (its error).
Result<void> write_plan(const std::string& dir, const std::vector<FileWrite>& plan);
// Reads dir/file, whitespace trimmed.
Result<std::string> read_trimmed(const std::string& dir, const std::string& file);
// Reads dir/file as one integer ("max" → -1).
Result<int64_t> read_int(const std::string& dir, const std::string& file);
// The unsigned value of `key` in the flat-keyed file dir/file ("usage_usec 123"); Corrupt when
// the key is missing or its value is not a number.
Result<uint64_t> read_keyed_uint(const std::string& dir, const std::string& file,
                                 std::string_view key);
bool file_exists(const std::string& dir, const std::string& file);
// The child cgroups of dir (full paths).
Result<std::vector<std::string>> subdirs(const std::string& dir);
// Pids listed in dir/cgroup.procs and in every descendant's; a directory that vanishes meanwhile
// counts as empty.
Result<std::vector<pid_t>> procs_recursive(const std::string& dir);

// How long freeze and thaw wait for the kernel to report the new state.
inline constexpr auto kFreezeTimeout = std::chrono::seconds(5);
// Blocks until reached() (a read of the kernel's freezer state) returns true, polling with a
// pause growing from 1 to 20 ms: true then, false once kFreezeTimeout has passed. An error from
// reached() ends the wait and is returned.
Result<bool> await_freezer(const std::function<Result<bool>()>& reached);

// v1 helpers (cgroup_v1.cc).
Result<void> v1_copy_cpuset(const std::string& parent, const std::string& dir);
Result<void> v1_apply_default_devices(const std::string& dir);
Result<void> v1_apply_memory(const std::string& dir, const CgroupLimits& limits);
Result<void> v1_apply_cpu(const std::string& dir, const CgroupLimits& limits);
Result<void> v1_set_frozen(const std::string& dir, bool frozen);
Result<bool> v1_frozen(const std::string& dir);
Result<uint64_t> v1_oom_kills(const std::string& dir);
Result<void> v1_memory_stats(const std::string& dir, CgroupStats* stats);

// v2 helpers (cgroup_v2.cc).
// Enables in dir/cgroup.subtree_control those of `wanted` that dir/cgroup.controllers offers and
// that are not yet enabled; one that the kernel refuses is left out (a later limit needing it
// then reports it missing).
Result<void> v2_enable_controllers(const std::string& dir, const std::vector<std::string>& wanted);
Result<std::vector<std::string>> v2_controllers(const std::string& dir);
Result<void> v2_apply_memory(const std::string& dir, const CgroupLimits& limits);
Result<void> v2_apply_cpu(const std::string& dir, const CgroupLimits& limits);
Result<void> v2_set_frozen(const std::string& dir, bool frozen);
Result<bool> v2_frozen(const std::string& dir);
Result<uint64_t> v2_oom_kills(const std::string& dir);
Result<void> v2_memory_stats(const std::string& dir, CgroupStats* stats);
Result<uint64_t> v2_cpu_usage_ns(const std::string& dir);

}  // namespace berth::sys::cgroup_detail
