#include "sys/rlimits.h"

#include <linux/capability.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <utility>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"
#include "sys/caps.h"

namespace berth::sys {

namespace {

constexpr std::array<std::pair<std::string_view, int>, 15> kNames = {{
    {"core", RLIMIT_CORE},
    {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},
    {"fsize", RLIMIT_FSIZE},
    {"locks", RLIMIT_LOCKS},
    {"memlock", RLIMIT_MEMLOCK},
    {"msgqueue", RLIMIT_MSGQUEUE},
    {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE},
    {"nproc", RLIMIT_NPROC},
    {"rss", RLIMIT_RSS},
    {"rtprio", RLIMIT_RTPRIO},
    {"rttime", RLIMIT_RTTIME},
    {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},
}};

// A limit value: a non-negative int64, or -1 for unlimited (as docker, which parses int64).
std::optional<int64_t> parse_value(std::string_view s) {
  if (s == "-1") {
    return -1;
  }
  if (!s.empty() && s[0] == '+') {
    s.remove_prefix(1);
  }
  auto v = parse_uint(s);
  if (!v || *v > static_cast<uint64_t>(INT64_MAX)) {
    return std::nullopt;
  }
  return static_cast<int64_t>(*v);
}

std::string show(int64_t v) { return v < 0 ? "unlimited" : std::to_string(v); }

std::string show(rlim_t v) { return v == RLIM_INFINITY ? "unlimited" : std::to_string(v); }

rlim_t to_rlim(int64_t v) { return v < 0 ? RLIM_INFINITY : static_cast<rlim_t>(v); }

}  // namespace

std::optional<int> rlimit_from_name(std::string_view name) {
  for (const auto& [n, r] : kNames) {
    if (n == name) {
      return r;
    }
  }
  return std::nullopt;
}

std::string rlimit_name(int resource) {
  for (const auto& [n, r] : kNames) {
    if (r == resource) {
      return std::string(n);
    }
  }
  return fmt::format("rlimit{}", resource);
}

Result<Ulimit> parse_ulimit(std::string_view value) {
  auto bad = [&](const std::string& why) {
    return fail(Code::kInvalidArgument, fmt::format("--ulimit \"{}\": {}", value, why));
  };
  bool has_eq = false;
  auto [name, limits] = cut(value, '=', &has_eq);
  if (!has_eq || name.empty()) {
    return bad("expected name=soft[:hard]");
  }
  Ulimit u;
  u.name = std::string(name);
  auto resource = rlimit_from_name(name);
  if (!resource) {
    return bad(fmt::format("unknown limit \"{}\"", name));
  }
  u.resource = *resource;
  auto parts = split(limits, ':');
  if (parts.size() > 2) {
    return bad("expected name=soft[:hard]");
  }
  for (const auto& p : parts) {
    if (!parse_value(p)) {
      return bad(fmt::format("invalid number \"{}\"", p));
    }
  }
  u.soft = *parse_value(parts[0]);
  u.hard = parts.size() == 2 ? *parse_value(parts[1]) : u.soft;
  if (u.hard != -1 && (u.soft == -1 || u.soft > u.hard)) {
    return fail(Code::kInvalidArgument,
                fmt::format("ulimit {}: soft limit {} is above hard limit {}", u.name, show(u.soft),
                            show(u.hard)));
  }
  return u;
}

Result<std::vector<Ulimit>> parse_ulimits(const std::vector<std::string>& values) {
  std::vector<Ulimit> out;
  for (const auto& v : values) {
    Ulimit u = BERTH_TRY(parse_ulimit(v));
    auto same = std::find_if(out.begin(), out.end(),
                             [&](const Ulimit& o) { return o.resource == u.resource; });
    if (same != out.end()) {
      *same = std::move(u);
    } else {
      out.push_back(std::move(u));
    }
  }
  return out;
}

Result<RlimitCeilings> current_rlimit_ceilings() {
  RlimitCeilings c;
  c.fill(RLIM_INFINITY);
  auto host = BERTH_TRY(current_capability_host());
  if ((host.available & cap_bit(CAP_SYS_RESOURCE)) != 0) {
    // Even CAP_SYS_RESOURCE cannot lift nofile above nr_open.
    auto text = BERTH_TRY(read_file("/proc/sys/fs/nr_open"));
    if (auto n = parse_uint(trim(text))) {
      c[RLIMIT_NOFILE] = static_cast<rlim_t>(*n);
    }
    return c;
  }
  for (int r = 0; r < RLIM_NLIMITS; ++r) {
    struct rlimit lim {};
    if (::getrlimit(static_cast<__rlimit_resource>(r), &lim) != 0) {
      return fail_errno(fmt::format("getrlimit {}", rlimit_name(r)));
    }
    c[static_cast<size_t>(r)] = lim.rlim_max;
  }
  return c;
}

RlimitPlan prepare_rlimits(const std::vector<Ulimit>& requested, const RlimitCeilings& ceilings) {
  RlimitPlan plan;
  for (const auto& u : requested) {
    Rlimit l{u.resource, to_rlim(u.soft), to_rlim(u.hard)};
    rlim_t ceiling = u.resource >= 0 && u.resource < RLIM_NLIMITS
                         ? ceilings[static_cast<size_t>(u.resource)]
                         : RLIM_INFINITY;
    // RLIM_INFINITY is the largest rlim_t, so plain comparisons order "unlimited" last.
    if (l.hard > ceiling) {
      plan.warnings.push_back(
          fmt::format("ulimit {}: hard limit {} lowered to {}, the most this process may set",
                      u.name, show(l.hard), show(ceiling)));
      l.hard = ceiling;
    }
    if (l.soft > l.hard) {
      plan.warnings.push_back(fmt::format("ulimit {}: soft limit {} lowered to {}, the hard limit",
                                          u.name, show(l.soft), show(l.hard)));
      l.soft = l.hard;
    }
    plan.limits.push_back(l);
  }
  return plan;
}

int apply_rlimits(const RlimitPlan& plan) noexcept {
  for (const auto& l : plan.limits) {
    struct rlimit lim {
      l.soft, l.hard
    };
    if (::setrlimit(static_cast<__rlimit_resource>(l.resource), &lim) != 0) {
      return errno;
    }
  }
  return 0;
}

}  // namespace berth::sys
