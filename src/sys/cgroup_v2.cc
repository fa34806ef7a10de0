// cgroup v2: controllers through subtree_control, limits, the core freezer and stats.

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "base/log.h"
#include "base/strings.h"
#include "sys/cgroup_internal.h"

namespace berth::sys {

uint64_t cpu_shares_to_weight(uint64_t shares) {
  // The curve of runc >= 1.3.2 and crun: a quadratic in log2(shares) through the three points
  // both scales agree on (2 → 1, 1024 → 100 the defaults, 262144 → 10000), so docker's default
  // shares give v2's default weight.
  if (shares == 0) {
    return 0;
  }
  if (shares <= 2) {
    return 1;
  }
  if (shares >= 262144) {
    return 10000;
  }
  double l = std::log2(static_cast<double>(shares));
  double exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
  return static_cast<uint64_t>(std::ceil(std::pow(10.0, exponent)));
}

}  // namespace berth::sys

namespace berth::sys::cgroup_detail {
namespace {

std::string max_or(int64_t v) { return v == -1 ? "max" : std::to_string(v); }

std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  for (auto& w : split(trim(s), ' ')) {
    if (!w.empty()) {
      out.push_back(std::move(w));
    }
  }
  return out;
}

}  // namespace

Result<std::vector<FileWrite>> plan_v2_memory(const CgroupLimits& limits,
                                              int64_t current_memory_max, bool swap_supported) {
  auto mem = nonzero(limits.memory);
  auto swap = nonzero(limits.memory_swap);
  if (swap && !swap_supported) {
    if (*swap != -1) {
      return fail(Code::kUnsupported,
                  fmt::format("--memory-swap {}: the kernel does not account swap "
                              "(memory.swap.max is missing)",
                              *swap));
    }
    swap.reset();
  }
  std::vector<FileWrite> out;
  if (mem) {
    out.push_back({"memory.max", max_or(*mem)});
  }
  if (swap) {
    // v2 limits swap alone; docker's figure is memory plus swap.
    if (*swap == -1) {
      out.push_back({"memory.swap.max", "max"});
    } else {
      int64_t memory = mem ? *mem : current_memory_max;
      if (memory == -1) {
        return fail(Code::kInvalidArgument,
                    fmt::format("--memory-swap {} needs a memory limit", *swap));
      }
      if (*swap < memory) {
        return fail(Code::kInvalidArgument,
                    fmt::format("--memory-swap {} is below the memory limit {}", *swap, memory));
      }
      out.push_back({"memory.swap.max", std::to_string(*swap - memory)});
    }
  }
  if (auto soft = nonzero(limits.memory_reservation)) {
    out.push_back({"memory.low", std::to_string(*soft)});
  }
  return out;
}

std::vector<FileWrite> plan_v2_cpu(const CgroupLimits& limits, std::string_view current_max) {
  std::vector<FileWrite> out;
  auto quota = nonzero(limits.cpu_quota);
  auto period = nonzero(limits.cpu_period);
  if (quota && !period) {
    period = 100000;
  }
  if (quota || period) {
    auto current = words(current_max);
    std::string q = quota ? max_or(*quota) : (current.empty() ? "max" : current[0]);
    std::string p = period ? std::to_string(*period) : (current.size() < 2 ? "100000" : current[1]);
    out.push_back({"cpu.max", fmt::format("{} {}", q, p)});
  }
  if (limits.cpu_shares && *limits.cpu_shares != 0) {
    out.push_back({"cpu.weight", std::to_string(cpu_shares_to_weight(*limits.cpu_shares))});
  }
  return out;
}

Result<std::vector<std::string>> v2_controllers(const std::string& dir) {
  return words(BERTH_TRY(read_trimmed(dir, "cgroup.controllers")));
}

Result<void> v2_enable_controllers(const std::string& dir, const std::vector<std::string>& wanted) {
  auto available = BERTH_TRY(v2_controllers(dir));
  auto enabled = words(BERTH_TRY(read_trimmed(dir, "cgroup.subtree_control")));
  std::vector<std::string> todo;
  for (const auto& c : wanted) {
    bool offered = std::find(available.begin(), available.end(), c) != available.end();
    bool on = std::find(enabled.begin(), enabled.end(), c) != enabled.end();
    if (offered && !on) {
      todo.push_back("+" + c);
    }
  }
  if (todo.empty() || write_file(dir, "cgroup.subtree_control", join(todo, " "))) {
    return {};
  }
  // One refused controller (cpu with a realtime task in the way, say) must not cost the others.
  for (const auto& c : todo) {
    if (auto r = write_file(dir, "cgroup.subtree_control", c); !r) {
      log::warn("cgroup: {}", r.error().str());
    }
  }
  return {};
}

Result<void> v2_apply_memory(const std::string& dir, const CgroupLimits& limits) {
  bool swap = file_exists(dir, "memory.swap.max");
  int64_t current = BERTH_TRY(read_int(dir, "memory.max"));
  return write_plan(dir, BERTH_TRY(plan_v2_memory(limits, current, swap)));
}

Result<void> v2_apply_cpu(const std::string& dir, const CgroupLimits& limits) {
  auto current = BERTH_TRY(read_trimmed(dir, "cpu.max"));
  return write_plan(dir, plan_v2_cpu(limits, current));
}

Result<bool> v2_frozen(const std::string& dir) {
  auto events = BERTH_TRY(read_trimmed(dir, "cgroup.events"));
  return keyed_value(events, "frozen") == "1";
}

Result<void> v2_set_frozen(const std::string& dir, bool frozen) {
  if (!file_exists(dir, "cgroup.freeze")) {
    return fail(Code::kUnsupported,
                fmt::format("{}: no freezer (cgroup.freeze needs Linux 5.2)", dir));
  }
  BERTH_CHECK(write_file(dir, "cgroup.freeze", frozen ? "1" : "0"));
  // cgroup.events turns "frozen 1" once every task has stopped.
  bool reached = BERTH_TRY(
      await_freezer([&]() -> Result<bool> { return BERTH_TRY(v2_frozen(dir)) == frozen; }));
  if (reached) {
    return {};
  }
  if (frozen) {
    (void)write_file(dir, "cgroup.freeze", "0");
  }
  return fail(Code::kUnavailable, fmt::format("{}: cgroup.events did not show frozen {} in {} s",
                                              dir, frozen ? 1 : 0, kFreezeTimeout.count()));
}

Result<uint64_t> v2_oom_kills(const std::string& dir) {
  return read_keyed_uint(dir, "memory.events", "oom_kill");
}

Result<void> v2_memory_stats(const std::string& dir, CgroupStats* stats) {
  stats->memory_usage = BERTH_TRY(read_int(dir, "memory.current"));
  stats->memory_limit = BERTH_TRY(read_int(dir, "memory.max"));
  auto stat = BERTH_TRY(read_trimmed(dir, "memory.stat"));
  if (auto v = keyed_value(stat, "inactive_file")) {
    stats->memory_inactive_file = static_cast<int64_t>(parse_uint(*v).value_or(0));
  }
  stats->oom_kills = BERTH_TRY(v2_oom_kills(dir));
  return {};
}

Result<uint64_t> v2_cpu_usage_ns(const std::string& dir) {
  // cpu.stat is a core file: usage is there with or without the cpu controller.
  return BERTH_TRY(read_keyed_uint(dir, "cpu.stat", "usage_usec")) * 1000;
}

}  // namespace berth::sys::cgroup_detail
