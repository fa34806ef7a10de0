// Seccomp for containers: docker's profile format (--security-opt seccomp=FILE), docker's
// default profile, compilation to a BPF program with libseccomp, and installing it.
//
// Two halves, because the container's init may only make async-signal-safe calls between
// clone() and execve() (DESIGN.md "Errors"):
//   - in the parent: parse_seccomp_profile() or docker_default_seccomp_profile(), then
//     compile_seccomp() for the container's capabilities → SeccompProgram (plain data);
//   - in the child: apply_seccomp() with one raw syscall; noexcept, returns an errno.
//
// Installing a filter needs no_new_privs or CAP_SYS_ADMIN in the effective set at that moment
// (else EACCES). So, as runc does it:
//   - with --security-opt no-new-privileges: set_no_new_privs(), drop capabilities, then
//     apply_seccomp() last, just before execve(), so the filter sees as few of berth's own
//     syscalls as possible;
//   - without it: apply_seccomp() before apply_capabilities() while CAP_SYS_ADMIN is still
//     held; the filter must then allow what follows (capset, prctl, setuid, execve...), which
//     docker's default profile does.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "sys/caps.h"

namespace berth::sys {

// libseccomp's actions, by their names in docker's JSON ("SCMP_ACT_ERRNO"...). SCMP_ACT_KILL
// is kKillThread, as in runc.
enum class SeccompAction {
  kKillThread,
  kKillProcess,
  kTrap,
  kErrno,
  kTrace,
  kAllow,
  kLog,
  kNotify
};

// Comparison of one syscall argument ("SCMP_CMP_EQ"...). kMaskedEq compares
// (arg & value) == value_two.
enum class SeccompOp {
  kNotEqual,
  kLessThan,
  kLessEqual,
  kEqual,
  kGreaterEqual,
  kGreaterThan,
  kMaskedEq
};

std::string_view seccomp_action_name(SeccompAction action);
std::string_view seccomp_op_name(SeccompOp op);

struct SeccompArg {
  unsigned index = 0;  // 0..5
  uint64_t value = 0;
  uint64_t value_two = 0;
  SeccompOp op = SeccompOp::kEqual;
};

// A kernel version as docker's profiles give it ("4.8": kernel 4, major revision 8).
struct KernelVersion {
  unsigned kernel = 0;
  unsigned major = 0;
  auto operator<=>(const KernelVersion&) const = default;
};

// The conditions of a rule ("includes" / "excludes"). arches are Go-style names ("amd64", "x32",
// "arm64", "s390x"); caps are "CAP_*" names.
struct SeccompCondition {
  std::vector<std::string> caps;
  std::vector<std::string> arches;
  std::optional<KernelVersion> min_kernel;
};

struct SeccompRule {
  std::vector<std::string> names;
  SeccompAction action = SeccompAction::kAllow;
  std::optional<unsigned> errno_ret;  // for kErrno / kTrace; EPERM when absent
  std::vector<SeccompArg> args;       // all must match (several on one index: any, as runc)
  SeccompCondition includes;          // rule applies only if all of these hold
  SeccompCondition excludes;          // rule is dropped if any of these holds
  std::string comment;
};

// An architecture and the ones that run on it ("SCMP_ARCH_X86_64" → X86, X32).
struct SeccompArchMap {
  std::string arch;
  std::vector<std::string> sub_arches;
};

// docker's JSON profile. A profile with no default action and no rules means "no filter", as in
// docker.
struct SeccompProfile {
  std::optional<SeccompAction> default_action;
  std::optional<unsigned> default_errno_ret;
  std::vector<std::string> architectures;  // "SCMP_ARCH_*"; exclusive with arch_map
  std::vector<SeccompArchMap> arch_map;
  std::vector<std::string> flags;  // "SECCOMP_FILTER_FLAG_*"
  std::vector<SeccompRule> syscalls;
};

// Parses docker's profile format. `what` names the source in errors
// ("seccomp profile /etc/p.json: syscalls[3]: unknown action \"SCMP_ACT_FOO\""). Errors
// (InvalidArgument): invalid JSON, a mistyped field, an unknown action, op, architecture or
// flag, an argument index above 5, a bad minKernel, "name" with "names", "architectures" with
// "archMap", rules without a default action. Unknown fields are ignored, as docker does.
Result<SeccompProfile> parse_seccomp_profile(std::string_view json_text, std::string_view what);

// docker's default profile (moby profiles/seccomp/default.json), kept as berth's own table in
// seccomp_default.cc. Allows what ordinary programs need; namespace, mount, keyring, module,
// reboot, swap, bpf, perf and ptrace-ish calls only with the matching capability; clone with a
// CLONE_NEW* flag only with CAP_SYS_ADMIN; clone3 answers ENOSYS without CAP_SYS_ADMIN so that
// libc falls back to clone. Everything else fails with EPERM.
const SeccompProfile& docker_default_seccomp_profile();

// Where a profile is compiled for: includes/excludes are decided against these.
struct SeccompHost {
  std::string arch;  // Go-style name of the native architecture: "amd64", "arm64"...
  KernelVersion kernel;
};

// The native architecture (at build time) and the running kernel's version (uname).
Result<SeccompHost> current_seccomp_host();

// The rules that apply for a container with capabilities `caps` on `host`, with includes and
// excludes decided (moby's setupSeccomp), and the architectures to filter: the profile's list,
// or the arch_map entry of the host's architecture with its sub-architectures.
struct ResolvedSeccomp {
  SeccompAction default_action = SeccompAction::kAllow;
  unsigned default_errno_ret = 1;
  std::string host_arch;                   // "SCMP_ARCH_X86_64"; empty if berth has no name
  std::vector<std::string> architectures;  // "SCMP_ARCH_*" besides the host's
  unsigned filter_flags = 0;               // SECCOMP_FILTER_FLAG_* bits for seccomp(2)
  std::vector<SeccompRule> rules;          // includes/excludes empty
};
Result<ResolvedSeccomp> resolve_seccomp(const SeccompProfile& profile, CapMask caps,
                                        const SeccompHost& host);

// A BPF program ready for seccomp(2). Empty means no filter (unconfined).
struct SeccompProgram {
  std::vector<sock_filter> instructions;
  unsigned flags = 0;  // SECCOMP_FILTER_FLAG_LOG / _SPEC_ALLOW from the profile
  bool empty() const { return instructions.empty(); }
};

// Compiles a profile with libseccomp (seccomp_init, seccomp_rule_add_array, export to a memfd)
// for a container holding `caps`. host.arch must be the native architecture (Unsupported
// otherwise). Syscall names libseccomp does not know are skipped, and rules whose action is the
// default action are dropped, as runc does. Like runc, when the default action denies, syscalls
// numbered above the highest one the profile names (per architecture) answer ENOSYS instead, so
// that a libc newer than libseccomp falls back from calls the profile cannot name (fchmodat2,
// ...). Errors: Unsupported for SCMP_ACT_NOTIFY (no listener), InvalidArgument for what
// libseccomp rejects, Io for the export.
Result<SeccompProgram> compile_seccomp(const SeccompProfile& profile, CapMask caps,
                                       const SeccompHost& host);

// Child side, async-signal-safe: prctl(PR_SET_NO_NEW_PRIVS, 1). Returns 0 or an errno.
int set_no_new_privs() noexcept;

// Child side, async-signal-safe: installs the program in the calling thread with
// seccomp(SECCOMP_SET_MODE_FILTER, program.flags) (prctl(PR_SET_SECCOMP) on kernels without
// seccomp(2)). No SECCOMP_FILTER_FLAG_TSYNC: the container's init is single-threaded between
// clone and execve, and execve leaves one thread anyway. An empty program is a no-op. Returns 0
// or an errno: EACCES without no_new_privs or CAP_SYS_ADMIN (see the top of this file), EINVAL
// for a program the kernel rejects. Allocates nothing.
int apply_seccomp(const SeccompProgram& program) noexcept;

}  // namespace berth::sys
