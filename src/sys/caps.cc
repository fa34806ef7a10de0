#include "sys/caps.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"

namespace berth::sys {

namespace {

// Index = capability number, as in <linux/capability.h>.
constexpr std::array<std::string_view, kLastKnownCapability + 1> kNames = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

constexpr std::string_view kAll = "ALL";

// "net_admin" → "CAP_NET_ADMIN"; "all" → "ALL" (moby's NormalizeLegacyCapabilities).
std::string normalize(std::string_view name) {
  std::string up(name);
  std::transform(up.begin(), up.end(), up.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (up == kAll || up.starts_with("CAP_")) {
    return up;
  }
  return "CAP_" + up;
}

// Each name as a capability number, or -1 for "ALL".
Result<std::vector<int>> normalize_list(const std::vector<std::string>& names,
                                        const CapabilityHost& host) {
  std::vector<int> out;
  for (const auto& raw : names) {
    std::string name = normalize(raw);
    if (name == kAll) {
      out.push_back(-1);
      continue;
    }
    auto cap = capability_from_name(name);
    if (!cap) {
      return fail(Code::kInvalidArgument, fmt::format("unknown capability: \"{}\"", name));
    }
    if (*cap > host.last_cap || (host.available & cap_bit(*cap)) == 0) {
      return fail(Code::kInvalidArgument,
                  fmt::format("capability not supported by your kernel or not available in the "
                              "current environment: \"{}\"",
                              name));
    }
    out.push_back(*cap);
  }
  return out;
}

bool contains(const std::vector<int>& list, int v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

CapMask mask_of(const std::vector<int>& list) {
  CapMask m = 0;
  for (int c : list) {
    if (c >= 0) {
      m |= cap_bit(c);
    }
  }
  return m;
}

// capget/capset through syscall(2): libcap's wrappers are not documented as async-signal-safe,
// and version 3 of the ABI carries 64 bits in two 32-bit halves.
struct RawCaps {
  CapMask effective = 0;
  CapMask permitted = 0;
  CapMask inheritable = 0;
};

int raw_capget(RawCaps* out) noexcept {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &hdr, data) != 0) {
    return errno;
  }
  out->effective = data[0].effective | (CapMask{data[1].effective} << 32);
  out->permitted = data[0].permitted | (CapMask{data[1].permitted} << 32);
  out->inheritable = data[0].inheritable | (CapMask{data[1].inheritable} << 32);
  return 0;
}

int raw_capset(const RawCaps& caps) noexcept {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  data[0].effective = static_cast<uint32_t>(caps.effective);
  data[1].effective = static_cast<uint32_t>(caps.effective >> 32);
  data[0].permitted = static_cast<uint32_t>(caps.permitted);
  data[1].permitted = static_cast<uint32_t>(caps.permitted >> 32);
  data[0].inheritable = static_cast<uint32_t>(caps.inheritable);
  data[1].inheritable = static_cast<uint32_t>(caps.inheritable >> 32);
  if (::syscall(SYS_capset, &hdr, data) != 0) {
    return errno;
  }
  return 0;
}

int drop_bounding(const CapabilitySet& set) noexcept {
  for (int cap = 0; cap <= set.last_cap && cap < 64; ++cap) {
    if ((set.bounding & cap_bit(cap)) != 0) {
      continue;
    }
    // Skipping what is already gone lets a process without CAP_SETPCAP apply a set that
    // needs no further drop.
    int present = ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (present < 0) {
      return errno;
    }
    if (present == 1 && ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      return errno;
    }
  }
  return 0;
}

int set_ambient(CapMask ambient, int last_cap) noexcept {
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
    // Kernels before 4.3 have no ambient set: fine as long as nothing is asked of it.
    return ambient == 0 && errno == EINVAL ? 0 : errno;
  }
  for (int cap = 0; cap <= last_cap && cap < 64; ++cap) {
    if ((ambient & cap_bit(cap)) != 0 &&
        ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) {
      return errno;
    }
  }
  return 0;
}

}  // namespace

std::optional<int> capability_from_name(std::string_view name) {
  std::string n = normalize(name);
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == n) {
      return static_cast<int>(i);
    }
  }
  return std::nullopt;
}

std::string capability_name(int cap) {
  if (cap >= 0 && static_cast<size_t>(cap) < kNames.size()) {
    return std::string(kNames[cap]);
  }
  return fmt::format("CAP_{}", cap);
}

std::vector<std::string> capability_names(CapMask caps) {
  std::vector<std::string> out;
  for (int cap = 0; cap < 64; ++cap) {
    if ((caps & cap_bit(cap)) != 0) {
      out.push_back(capability_name(cap));
    }
  }
  return out;
}

Result<int> read_last_cap() {
  const std::string path = "/proc/sys/kernel/cap_last_cap";
  auto text = BERTH_TRY_CTX(read_file(path), "reading " + path);
  auto n = parse_uint(trim(text));
  if (!n || *n > 63) {
    return fail(Code::kCorrupt, fmt::format("{}: unexpected content \"{}\"", path, trim(text)));
  }
  return static_cast<int>(*n);
}

CapMask default_capabilities() {
  return cap_bit(CAP_CHOWN) | cap_bit(CAP_DAC_OVERRIDE) | cap_bit(CAP_FSETID) |
         cap_bit(CAP_FOWNER) | cap_bit(CAP_MKNOD) | cap_bit(CAP_NET_RAW) | cap_bit(CAP_SETGID) |
         cap_bit(CAP_SETUID) | cap_bit(CAP_SETFCAP) | cap_bit(CAP_SETPCAP) |
         cap_bit(CAP_NET_BIND_SERVICE) | cap_bit(CAP_SYS_CHROOT) | cap_bit(CAP_KILL) |
         cap_bit(CAP_AUDIT_WRITE);
}

Result<CapabilityHost> current_capability_host() {
  CapabilityHost host;
  host.last_cap = BERTH_TRY(read_last_cap());
  RawCaps raw;
  if (int err = raw_capget(&raw); err != 0) {
    return fail_errno("capget", err);
  }
  host.available = raw.effective;
  return host;
}

Result<CapMask> resolve_capabilities(const std::vector<std::string>& add,
                                     const std::vector<std::string>& drop, bool privileged,
                                     const CapabilityHost& host) {
  if (privileged) {
    return host.available;
  }
  if (add.empty() && drop.empty()) {
    return default_capabilities();
  }
  auto drops = BERTH_TRY(normalize_list(drop, host));
  auto adds = BERTH_TRY(normalize_list(add, host));
  if (contains(adds, -1)) {
    return host.available & ~mask_of(drops);
  }
  if (contains(drops, -1)) {
    return mask_of(adds);
  }
  return (default_capabilities() & ~mask_of(drops)) | mask_of(adds);
}

CapabilitySet prepare_capabilities(CapMask caps, int last_cap) {
  CapabilitySet set;
  set.bounding = caps;
  set.permitted = caps;
  set.effective = caps;
  set.last_cap = last_cap;
  return set;
}

int keep_capabilities_across_setuid() noexcept {
  return ::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == 0 ? 0 : errno;
}

int apply_capabilities(const CapabilitySet& set) noexcept {
  RawCaps now;
  if (int err = raw_capget(&now); err != 0) {
    return err;
  }
  // After setuid() with keep-caps the effective set is empty but the permitted set is not;
  // the bounding drops below need CAP_SETPCAP effective.
  if (now.effective != now.permitted) {
    now.effective = now.permitted;
    if (int err = raw_capset(now); err != 0) {
      return err;
    }
  }
  if (int err = drop_bounding(set); err != 0) {
    return err;
  }
  RawCaps want{set.effective, set.permitted, set.inheritable};
  if (int err = raw_capset(want); err != 0) {
    return err;
  }
  return set_ambient(set.ambient, set.last_cap);
}

}  // namespace berth::sys
