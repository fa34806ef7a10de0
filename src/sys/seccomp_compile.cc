// compile_seccomp (declared in seccomp_filter.h): a resolved profile → libseccomp → BPF.
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <memory>

#include <fmt/format.h>
#include <seccomp.h>

#include "base/fs.h"
#include "base/strings.h"
#include "base/unique_fd.h"
#include "sys/seccomp_filter.h"

namespace berth::sys {

namespace {

struct FilterDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Filter = std::unique_ptr<void, FilterDeleter>;

Result<uint32_t> libseccomp_action(SeccompAction action, std::optional<unsigned> errno_ret) {
  switch (action) {
    case SeccompAction::kKillThread:
      return SCMP_ACT_KILL_THREAD;
    case SeccompAction::kKillProcess:
      return SCMP_ACT_KILL_PROCESS;
    case SeccompAction::kTrap:
      return SCMP_ACT_TRAP;
    case SeccompAction::kErrno:
      return SCMP_ACT_ERRNO(errno_ret.value_or(EPERM));
    case SeccompAction::kTrace:
      return SCMP_ACT_TRACE(errno_ret.value_or(EPERM));
    case SeccompAction::kAllow:
      return SCMP_ACT_ALLOW;
    case SeccompAction::kLog:
      return SCMP_ACT_LOG;
    case SeccompAction::kNotify:
      break;
  }
  return fail(Code::kUnsupported, "seccomp: SCMP_ACT_NOTIFY is not supported (no listener)");
}

constexpr std::array<scmp_compare, 7> kCompare = {SCMP_CMP_NE,       SCMP_CMP_LT, SCMP_CMP_LE,
                                                  SCMP_CMP_EQ,       SCMP_CMP_GE, SCMP_CMP_GT,
                                                  SCMP_CMP_MASKED_EQ};

// "SCMP_ARCH_X86_64" → libseccomp's token (which is the kernel's AUDIT_ARCH value).
uint32_t arch_token(std::string_view name) {
  std::string s = to_lower(name.substr(std::string_view("SCMP_ARCH_").size()));
  return seccomp_arch_resolve_name(s.c_str());
}

Result<void> add_rule(void* ctx, const SeccompRule& r, uint32_t action, const std::string& name) {
  int nr = seccomp_syscall_resolve_name(name.c_str());
  if (nr == __NR_SCMP_ERROR) {
    return {};  // unknown to this libseccomp: skipped, as runc does
  }
  std::vector<scmp_arg_cmp> cmps;
  std::array<int, 6> per_index{};
  for (const auto& a : r.args) {
    cmps.push_back({a.index, kCompare[static_cast<size_t>(a.op)], a.value, a.value_two});
    ++per_index[a.index];
  }
  // Several conditions on one argument cannot be ANDed by libseccomp; runc (and so docker)
  // then adds one rule per condition, which ORs them. Profiles rely on that.
  bool split = std::any_of(per_index.begin(), per_index.end(), [](int n) { return n > 1; });
  int rc = 0;
  if (split) {
    for (const auto& c : cmps) {
      if ((rc = seccomp_rule_add_array(ctx, action, nr, 1, &c)) != 0) {
        break;
      }
    }
  } else {
    rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(cmps.size()), cmps.data());
  }
  if (rc != 0) {
    return fail(Code::kInvalidArgument,
                fmt::format("seccomp: adding the rule for {}: {}", name, std::strerror(-rc)));
  }
  return {};
}

Result<std::vector<sock_filter>> export_bpf(void* ctx) {
  UniqueFd fd(::memfd_create("berth-seccomp", MFD_CLOEXEC));
  if (!fd) {
    return fail_errno("seccomp: memfd_create");
  }
  if (int rc = seccomp_export_bpf(ctx, fd.get()); rc != 0) {
    return fail_errno("seccomp: exporting the filter", -rc);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || ::lseek(fd.get(), 0, SEEK_SET) != 0) {
    return fail_errno("seccomp: reading the exported filter");
  }
  std::vector<sock_filter> prog(static_cast<size_t>(st.st_size) / sizeof(sock_filter));
  size_t want = prog.size() * sizeof(sock_filter);
  size_t got = 0;
  while (got < want) {
    size_t n =
        BERTH_TRY(read_some(fd.get(), reinterpret_cast<char*>(prog.data()) + got, want - got));
    if (n == 0) {
      return fail(Code::kIo, "seccomp: the exported filter is shorter than its size");
    }
    got += n;
  }
  return prog;
}

// runc's trick for syscalls newer than libseccomp or the profile: before libseccomp's program,
// per architecture, "nr above the highest number the profile names → ENOSYS", so libc falls
// back instead of failing with EPERM.
std::vector<sock_filter> enosys_prefix(const std::vector<uint32_t>& arches,
                                       const std::vector<SeccompRule>& rules) {
  std::vector<sock_filter> out;
  for (uint32_t arch : arches) {
    if (arch == SCMP_ARCH_X32) {
      continue;  // the kernel reports x32 calls as x86_64 with bit 30 set: handled there
    }
    int max = -1;
    for (const auto& r : rules) {
      for (const auto& n : r.names) {
        max = std::max(max, seccomp_syscall_resolve_name_arch(arch, n.c_str()));
      }
    }
    if (max < 0) {
      continue;
    }
    const bool x86_64 = arch == SCMP_ARCH_X86_64;
    const uint8_t rest = x86_64 ? 4 : 3;  // instructions after the arch test
    out.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
    out.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 0, rest));
    out.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
    if (x86_64) {
      out.push_back(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x40000000U, 2, 0));
    }
    out.push_back(BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, static_cast<uint32_t>(max), 0, 1));
    out.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS));
  }
  return out;
}

Result<std::vector<uint32_t>> add_arches(void* ctx, const ResolvedSeccomp& rs,
                                         const SeccompHost& host) {
  uint32_t native = seccomp_arch_native();
  if (rs.host_arch.empty() || arch_token(rs.host_arch) != native) {
    return fail(
        Code::kUnsupported,
        fmt::format("seccomp: cannot compile for architecture \"{}\" on this host", host.arch));
  }
  std::vector<uint32_t> tokens{native};
  for (const auto& a : rs.architectures) {
    uint32_t t = arch_token(a);
    if (t == 0) {
      return fail(Code::kUnsupported,
                  fmt::format("seccomp: architecture \"{}\" is unknown to libseccomp", a));
    }
    if (std::find(tokens.begin(), tokens.end(), t) != tokens.end()) {
      continue;
    }
    if (int rc = seccomp_arch_add(ctx, t); rc != 0 && rc != -EEXIST) {
      return fail(Code::kInvalidArgument,
                  fmt::format("seccomp: adding architecture {}: {}", a, std::strerror(-rc)));
    }
    tokens.push_back(t);
  }
  return tokens;
}

}  // namespace

Result<SeccompProgram> compile_seccomp(const SeccompProfile& profile, CapMask caps,
                                       const SeccompHost& host) {
  SeccompProgram out;
  if (!profile.default_action && profile.syscalls.empty()) {
    return out;  // docker: an empty profile means no filter
  }
  auto rs = BERTH_TRY(resolve_seccomp(profile, caps, host));
  uint32_t def = BERTH_TRY(libseccomp_action(rs.default_action, rs.default_errno_ret));
  Filter ctx(seccomp_init(def));
  if (!ctx) {
    return fail(Code::kInternal, "seccomp: seccomp_init failed");
  }
  auto arches = BERTH_TRY(add_arches(ctx.get(), rs, host));
  size_t names = 0;
  for (const auto& r : rs.rules) {
    names += r.names.size();
  }
  // Binary search over syscalls for long profiles, as runc; libseccomp 2.5.4 mishandles it for
  // tiny ones.
  if (names > 32) {
    (void)seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);
  }
  for (const auto& r : rs.rules) {
    uint32_t act = BERTH_TRY(libseccomp_action(r.action, r.errno_ret));
    if (act == def) {
      continue;  // libseccomp refuses rules that repeat the default; they change nothing
    }
    for (const auto& name : r.names) {
      BERTH_CHECK(add_rule(ctx.get(), r, act, name));
    }
  }
  auto prog = BERTH_TRY(export_bpf(ctx.get()));
  const auto d = rs.default_action;
  if (d != SeccompAction::kAllow && d != SeccompAction::kLog && d != SeccompAction::kTrace) {
    auto prefix = enosys_prefix(arches, rs.rules);
    prog.insert(prog.begin(), prefix.begin(), prefix.end());
  }
  if (prog.size() > BPF_MAXINSNS) {
    return fail(Code::kInvalidArgument,
                fmt::format("seccomp: the filter has {} instructions, the kernel takes {}",
                            prog.size(), BPF_MAXINSNS));
  }
  out.flags = rs.filter_flags;
  out.instructions = std::move(prog);
  return out;
}

}  // namespace berth::sys
