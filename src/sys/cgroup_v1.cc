// cgroup v1: limits, freezer, devices and stats in the legacy file formats.

#include <cerrno>

#include <fmt/format.h>

#include "base/strings.h"
#include "sys/cgroup_internal.h"

namespace berth::sys::cgroup_detail {

Result<std::vector<FileWrite>> plan_v1_memory(const CgroupLimits& limits,
                                              int64_t current_memory_limit, bool memsw_supported) {
  const char* kMem = "memory.limit_in_bytes";
  const char* kMemsw = "memory.memsw.limit_in_bytes";
  auto mem = nonzero(limits.memory);
  auto swap = nonzero(limits.memory_swap);
  if (swap && !memsw_supported) {
    if (*swap != -1) {
      return fail(Code::kUnsupported,
                  fmt::format("--memory-swap {}: the kernel does not account swap ({} is missing)",
                              *swap, kMemsw));
    }
    swap.reset();  // without swap accounting, swap is unlimited already
  }
  if (mem && *mem == -1 && memsw_supported && !swap) {
    swap = -1;  // lifting the memory limit must lift the total first, or the kernel refuses
  }
  std::vector<FileWrite> out;
  FileWrite mem_write{kMem, mem ? std::to_string(*mem) : ""};
  FileWrite swap_write{kMemsw, swap ? std::to_string(*swap) : ""};
  if (mem && swap) {
    // The kernel keeps memsw >= memory after every write: raise the total first when it ends up
    // at or above the current memory limit, else lower memory first.
    if (*swap == -1 || *swap >= current_memory_limit) {
      out = {swap_write, mem_write};
    } else {
      out = {mem_write, swap_write};
    }
  } else if (mem) {
    out = {mem_write};
  } else if (swap) {
    out = {swap_write};
  }
  if (auto soft = nonzero(limits.memory_reservation)) {
    out.push_back({"memory.soft_limit_in_bytes", std::to_string(*soft)});
  }
  return out;
}

std::vector<FileWrite> plan_v1_cpu(const CgroupLimits& limits) {
  std::vector<FileWrite> out;
  auto quota = nonzero(limits.cpu_quota);
  auto period = nonzero(limits.cpu_period);
  if (quota && !period) {
    period = 100000;
  }
  if (period) {
    out.push_back({"cpu.cfs_period_us", std::to_string(*period)});
  }
  if (quota) {
    out.push_back({"cpu.cfs_quota_us", std::to_string(*quota)});
  }
  if (limits.cpu_shares && *limits.cpu_shares != 0) {
    out.push_back({"cpu.shares", std::to_string(*limits.cpu_shares)});
  }
  return out;
}

const std::vector<std::string>& default_device_rules() {
  static const std::vector<std::string> rules = {
      "c *:* m",   "b *:* m",   "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm",   "c 1:8 rwm",
      "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm",
  };
  return rules;
}

Result<void> v1_copy_cpuset(const std::string& parent, const std::string& dir) {
  // A new v1 cpuset starts empty and refuses tasks (ENOSPC) until it has cpus and mems.
  for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
    auto own = BERTH_TRY(read_trimmed(dir, file));
    if (!own.empty()) {
      continue;
    }
    auto inherited = BERTH_TRY(read_trimmed(parent, file));
    BERTH_CHECK(write_file(dir, file, inherited));
  }
  return {};
}

Result<void> v1_apply_default_devices(const std::string& dir) {
  BERTH_CHECK(write_file(dir, "devices.deny", "a"));
  for (const auto& rule : default_device_rules()) {
    BERTH_CHECK(write_file(dir, "devices.allow", rule));
  }
  return {};
}

Result<void> v1_apply_memory(const std::string& dir, const CgroupLimits& limits) {
  bool memsw = file_exists(dir, "memory.memsw.limit_in_bytes");
  int64_t current = BERTH_TRY(read_int(dir, "memory.limit_in_bytes"));
  return write_plan(dir, BERTH_TRY(plan_v1_memory(limits, current, memsw)));
}

Result<void> v1_apply_cpu(const std::string& dir, const CgroupLimits& limits) {
  auto plan = plan_v1_cpu(limits);
  for (size_t i = 0; i < plan.size(); ++i) {
    auto r = write_file(dir, plan[i].file, plan[i].value);
    if (r) {
      continue;
    }
    // A new period can clash with the quota in place (the kernel checks them together); then
    // the quota goes first.
    bool period_then_quota = plan[i].file == "cpu.cfs_period_us" && i + 1 < plan.size() &&
                             plan[i + 1].file == "cpu.cfs_quota_us";
    if (!period_then_quota || r.error().sys_errno() != EINVAL) {
      return r;
    }
    BERTH_CHECK(write_file(dir, plan[i + 1].file, plan[i + 1].value));
    BERTH_CHECK(write_file(dir, plan[i].file, plan[i].value));
    ++i;
  }
  return {};
}

Result<void> v1_set_frozen(const std::string& dir, bool frozen) {
  const char* want = frozen ? "FROZEN" : "THAWED";
  BERTH_CHECK(write_file(dir, "freezer.state", want));
  // Reading freezer.state makes the kernel recheck the tasks: FREEZING until all are frozen.
  std::string state;
  bool reached = BERTH_TRY(await_freezer([&]() -> Result<bool> {
    state = BERTH_TRY(read_trimmed(dir, "freezer.state"));
    return state == want;
  }));
  if (reached) {
    return {};
  }
  if (frozen) {
    (void)write_file(dir, "freezer.state", "THAWED");
  }
  return fail(Code::kUnavailable, fmt::format("{}/freezer.state stayed {} instead of {} for {} s",
                                              dir, state, want, kFreezeTimeout.count()));
}

Result<bool> v1_frozen(const std::string& dir) {
  auto state = BERTH_TRY(read_trimmed(dir, "freezer.state"));
  return state == "FROZEN";
}

Result<uint64_t> v1_oom_kills(const std::string& dir) {
  auto text = BERTH_TRY(read_trimmed(dir, "memory.oom_control"));
  auto v = keyed_value(text, "oom_kill");
  if (!v) {
    return fail(
        Code::kUnsupported,
        fmt::format("{}/memory.oom_control has no oom_kill count (kernel before 4.13)", dir));
  }
  auto n = parse_uint(*v);
  if (!n) {
    return fail(Code::kCorrupt, fmt::format("{}/memory.oom_control: bad oom_kill \"{}\"", dir, *v));
  }
  return *n;
}

Result<void> v1_memory_stats(const std::string& dir, CgroupStats* stats) {
  stats->memory_usage = BERTH_TRY(read_int(dir, "memory.usage_in_bytes"));
  int64_t limit = BERTH_TRY(read_int(dir, "memory.limit_in_bytes"));
  stats->memory_limit = limit >= kV1Unlimited ? -1 : limit;
  auto stat = BERTH_TRY(read_trimmed(dir, "memory.stat"));
  if (auto v = keyed_value(stat, "total_inactive_file")) {
    stats->memory_inactive_file = static_cast<int64_t>(parse_uint(*v).value_or(0));
  }
  stats->oom_kills = BERTH_TRY(v1_oom_kills(dir));
  return {};
}

}  // namespace berth::sys::cgroup_detail
