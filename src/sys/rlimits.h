// Resource limits for containers: docker's --ulimit flag and applying it in the container's init.
//
// Two halves, because the container's init may only make async-signal-safe calls between
// clone() and execve() (DESIGN.md "Errors"):
//   - in the parent: parse_ulimit() for each flag, then prepare_rlimits() clamps the requests to
//     what this process may set and says what it changed;
//   - in the child: apply_rlimits() with setrlimit() only; noexcept, returns an errno.
// Apply them before apply_capabilities(): raising a hard limit needs CAP_SYS_RESOURCE, which
// the container usually does not keep.
#pragma once

#include <sys/resource.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::sys {

// One --ulimit value as docker parses it (go-units ParseUlimit). -1 is "unlimited".
struct Ulimit {
  std::string name;  // "nofile"
  int resource = 0;  // RLIMIT_NOFILE
  int64_t soft = 0;
  int64_t hard = 0;
};

// The resource for docker's ulimit name: core cpu data fsize locks memlock msgqueue nice nofile
// nproc rss rtprio rttime sigpending stack. ("as" is refused, as docker does.)
std::optional<int> rlimit_from_name(std::string_view name);
// The docker name of a resource ("nofile"), or "rlimit<n>" for one without a name.
std::string rlimit_name(int resource);

// Parses "nofile=1024:2048" or "nproc=512" (hard = soft). Errors (InvalidArgument), one line:
//   --ulimit "nofile": expected name=soft[:hard]
//   --ulimit "foo=1": unknown limit "foo"
//   --ulimit "nofile=abc": invalid number "abc"
//   ulimit nofile: soft limit 4096 is above hard limit 1024
Result<Ulimit> parse_ulimit(std::string_view value);

// Parses every value; a later value for the same name replaces the earlier one (docker keeps
// one per name). The result keeps the order in which names first appeared.
Result<std::vector<Ulimit>> parse_ulimits(const std::vector<std::string>& values);

// The highest hard limit this process may set, per resource (index = RLIMIT_*): its own current
// hard limit, unless it holds CAP_SYS_RESOURCE, in which case only RLIMIT_NOFILE is bounded (by
// /proc/sys/fs/nr_open) and the rest is RLIM_INFINITY.
using RlimitCeilings = std::array<rlim_t, RLIM_NLIMITS>;
Result<RlimitCeilings> current_rlimit_ceilings();

// A limit to set, in the kernel's terms (RLIM_INFINITY for unlimited).
struct Rlimit {
  int resource = 0;
  rlim_t soft = 0;
  rlim_t hard = 0;
};

// What the child sets, and what the parent should print about it.
struct RlimitPlan {
  std::vector<Rlimit> limits;
  // One line per lowered value, for the caller to print, e.g. "ulimit nofile: hard limit 40000
  // lowered to 20000, the most this process may set".
  std::vector<std::string> warnings;
};

// Clamps each request to ceilings[resource]: a hard limit above it is lowered to it, and a soft
// limit above the (new) hard limit is lowered to that. Never fails.
RlimitPlan prepare_rlimits(const std::vector<Ulimit>& requested, const RlimitCeilings& ceilings);

// Child side, async-signal-safe: setrlimit() for each limit, in order. Returns 0, or the errno
// of the first that failed (EPERM: a hard limit above the current one without
// CAP_SYS_RESOURCE). Allocates nothing.
int apply_rlimits(const RlimitPlan& plan) noexcept;

}  // namespace berth::sys
