// Linux capabilities for containers, the way docker chooses them (--cap-add, --cap-drop,
// --privileged) and the way runc applies them.
//
// Two halves, because the container's init may only make async-signal-safe calls between
// clone() and execve() (DESIGN.md "Errors"):
//   - in the parent: resolve_capabilities() turns docker's flags into a mask, and
//     prepare_capabilities() turns the mask into a CapabilitySet (plain data, no heap);
//   - in the child: apply_capabilities() installs that set with raw syscalls only. It is
//     noexcept, allocates nothing, takes no lock and returns an errno (0 on success).
//
// Order in the child (as runc does it), for any target user:
//   keep_capabilities_across_setuid();   // prctl(PR_SET_KEEPCAPS, 1)
//   setgroups(); setgid(); setuid();     // the container's user
//   apply_capabilities(set);             // bounding drop, capset, ambient
// setuid() from root to another uid clears the effective set (and without PR_SET_KEEPCAPS the
// permitted set too); apply_capabilities() copes with that by first raising the effective set to
// whatever is still permitted, so that it holds CAP_SETPCAP for the bounding-set drops. Keep-caps
// itself is reset by the kernel at execve(), so nobody needs to clear it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::sys {

// A set of capabilities as a bit mask: bit n is capability number n (CAP_CHOWN is bit 0).
using CapMask = uint64_t;

constexpr CapMask cap_bit(int cap) { return CapMask{1} << cap; }

// The highest capability number berth has a name for (CAP_CHECKPOINT_RESTORE, 40).
constexpr int kLastKnownCapability = 40;

// A capability number from a name as docker accepts it: "CAP_NET_ADMIN" or "NET_ADMIN", in any
// case. nullopt for unknown names and for "ALL" (which is not one capability).
std::optional<int> capability_from_name(std::string_view name);

// "CAP_NET_ADMIN" for 12; "CAP_<n>" for a number berth has no name for.
std::string capability_name(int cap);

// The names of the capabilities in a mask, lowest number first.
std::vector<std::string> capability_names(CapMask caps);

// The highest capability number this kernel supports (/proc/sys/kernel/cap_last_cap).
Result<int> read_last_cap();

// docker's default set: CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW, SETGID, SETUID,
// SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE (0x00000000a80425fb).
CapMask default_capabilities();

// What the host lets a container have.
struct CapabilityHost {
  int last_cap = kLastKnownCapability;  // the kernel's highest capability number
  CapMask available = 0;  // this process's effective set: what "ALL" and --privileged grant
};

// Reads the kernel's last capability and this process's effective set (via capget).
Result<CapabilityHost> current_capability_host();

// docker's rules (moby's TweakCapabilities) for a container's capabilities:
//   - privileged: every capability available on the host;
//   - no add and no drop: docker's default set;
//   - "ALL" in add: every available capability except those in drop;
//   - else "ALL" in drop: exactly those in add;
//   - else: the default set minus drop, plus add.
// Names as capability_from_name() accepts them. Errors (InvalidArgument):
// `unknown capability: "CAP_FOO"` for a name berth does not know, and
// `capability not supported by your kernel or not available in the current environment:
// "CAP_X"` for one the kernel lacks or this process does not hold (docker checks both lists).
Result<CapMask> resolve_capabilities(const std::vector<std::string>& add,
                                     const std::vector<std::string>& drop, bool privileged,
                                     const CapabilityHost& host);

// The five capability sets of a process, and how far the bounding set reaches.
struct CapabilitySet {
  CapMask bounding = 0;
  CapMask permitted = 0;
  CapMask effective = 0;
  CapMask inheritable = 0;
  CapMask ambient = 0;
  int last_cap = kLastKnownCapability;  // apply drops bounding bits 0..last_cap
};

// The sets runc installs for docker's capability list, whatever the target user: bounding,
// permitted and effective = caps; inheritable and ambient empty (inheritable was emptied in
// docker 20.10.14 for CVE-2022-24769). For a non-root user nothing more is needed: execve()
// then computes permitted = effective = 0 (the binary has no file capabilities and nothing is
// inheritable or ambient) while the bounding set stays caps, which is what docker shows. The
// uid therefore does not enter here; callers who want a non-root user to keep a capability
// across execve() put it in inheritable and ambient too.
CapabilitySet prepare_capabilities(CapMask caps, int last_cap);

// Child side, async-signal-safe: prctl(PR_SET_KEEPCAPS, 1), so that a following setuid() away
// from root keeps the permitted set. Returns 0 or an errno.
int keep_capabilities_across_setuid() noexcept;

// Child side, async-signal-safe: installs set in the calling thread (see the order at the top).
// Steps: raise effective to the current permitted set if setuid() cleared it; drop from the
// bounding set every capability 0..last_cap not in set.bounding (PR_CAPBSET_DROP, needs
// CAP_SETPCAP); capset() effective/permitted/inheritable; clear the ambient set and raise
// set.ambient. Returns 0, or the errno of the first step that failed (EPERM when set.permitted
// holds a capability this process does not have). Allocates nothing, takes no lock.
int apply_capabilities(const CapabilitySet& set) noexcept;

}  // namespace berth::sys
