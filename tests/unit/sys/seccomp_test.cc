#include "sys/seccomp_filter.h"

#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <array>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

namespace berth::sys {
namespace {

uint32_t alu(uint16_t code, uint32_t a, uint32_t src) {
  switch (BPF_OP(code)) {
    case BPF_AND:
      return a & src;
    case BPF_OR:
      return a | src;
    case BPF_ADD:
      return a + src;
    case BPF_SUB:
      return a - src;
    case BPF_RSH:
      return a >> src;
    case BPF_LSH:
      return a << src;
    default:
      ADD_FAILURE() << "unexpected ALU op " << code;
      return a;
  }
}

// A classic-BPF interpreter for the instructions libseccomp emits, so filters can be checked
// without installing them.
uint32_t run_bpf(const std::vector<sock_filter>& prog, const seccomp_data& data) {
  uint32_t a = 0;
  uint32_t x = 0;
  std::array<uint32_t, BPF_MEMWORDS> mem{};
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const sock_filter& f = prog[pc];
    uint32_t src = BPF_SRC(f.code) == BPF_X ? x : f.k;
    switch (BPF_CLASS(f.code)) {
      case BPF_LD:
        if (BPF_MODE(f.code) == BPF_ABS) {
          std::memcpy(&a, reinterpret_cast<const char*>(&data) + f.k, 4);
        } else if (BPF_MODE(f.code) == BPF_MEM) {
          a = mem[f.k];
        } else {
          a = f.k;
        }
        break;
      case BPF_LDX:
        x = BPF_MODE(f.code) == BPF_MEM ? mem[f.k] : f.k;
        break;
      case BPF_ST:
        mem[f.k] = a;
        break;
      case BPF_STX:
        mem[f.k] = x;
        break;
      case BPF_ALU:
        a = alu(f.code, a, src);
        break;
      case BPF_JMP: {
        if (BPF_OP(f.code) == BPF_JA) {
          pc += f.k;
          break;
        }
        bool taken = BPF_OP(f.code) == BPF_JEQ   ? a == src
                     : BPF_OP(f.code) == BPF_JGT ? a > src
                     : BPF_OP(f.code) == BPF_JGE ? a >= src
                                                 : (a & src) != 0;
        pc += taken ? f.jt : f.jf;
        break;
      }
      case BPF_RET:
        return BPF_RVAL(f.code) == BPF_A ? a : f.k;
      case BPF_MISC:
        if (BPF_MISCOP(f.code) == BPF_TAX) {
          x = a;
        } else {
          a = x;
        }
        break;
    }
  }
  ADD_FAILURE() << "ran off the end of the program";
  return 0xdeadbeef;
}

constexpr uint32_t kAllow = SECCOMP_RET_ALLOW;
constexpr uint32_t kEperm = SECCOMP_RET_ERRNO | EPERM;
constexpr uint32_t kEnosys = SECCOMP_RET_ERRNO | ENOSYS;

uint32_t verdict(const SeccompProgram& p, int nr, uint64_t arg0 = 0, uint64_t arg1 = 0,
                 uint32_t arch = AUDIT_ARCH_X86_64) {
  seccomp_data d{};
  d.nr = nr;
  d.arch = arch;
  d.args[0] = arg0;
  d.args[1] = arg1;
  return run_bpf(p.instructions, d);
}

SeccompHost amd64_host() { return SeccompHost{"amd64", KernelVersion{6, 1}}; }

class DefaultProfile : public ::testing::Test {
 protected:
  void SetUp() override {
    auto host = current_seccomp_host();
    ASSERT_TRUE(host) << host.error().str();
    if (host->arch != "amd64") {
      GTEST_SKIP() << "the syscall numbers below are x86_64's; this host is " << host->arch;
    }
  }
  SeccompProgram compile(CapMask caps) {
    auto p = compile_seccomp(docker_default_seccomp_profile(), caps, amd64_host());
    EXPECT_TRUE(p) << p.error().str();
    return p ? *p : SeccompProgram{};
  }
};

TEST_F(DefaultProfile, CompilesForX86_64WithinTheKernelsLimit) {
  SeccompProgram p = compile(default_capabilities());
  EXPECT_FALSE(p.empty());
  EXPECT_LE(p.instructions.size(), size_t{BPF_MAXINSNS});
  EXPECT_EQ(p.flags, 0u);
}

TEST_F(DefaultProfile, AllowsOrdinaryCallsAndDeniesPrivilegedOnesWithEperm) {
  SeccompProgram p = compile(default_capabilities());
  for (int nr : {SYS_read, SYS_write, SYS_openat, SYS_close, SYS_execve, SYS_getpid, SYS_fork,
                 SYS_wait4, SYS_mmap, SYS_rt_sigaction, SYS_mkdir, SYS_setuid, SYS_capset,
                 SYS_prctl, SYS_arch_prctl, SYS_ptrace}) {
    EXPECT_EQ(verdict(p, nr), kAllow) << "syscall " << nr;
  }
  for (int nr :
       {SYS_unshare, SYS_setns, SYS_mount, SYS_umount2, SYS_keyctl, SYS_add_key, SYS_request_key,
        SYS_bpf, SYS_perf_event_open, SYS_kexec_load, SYS_reboot, SYS_swapon, SYS_init_module,
        SYS_open_by_handle_at, SYS_settimeofday, SYS_acct, SYS_sethostname, SYS_pivot_root}) {
    EXPECT_EQ(verdict(p, nr), kEperm) << "syscall " << nr;
  }
}

TEST_F(DefaultProfile, CloneNeedsSysAdminForNamespacesAndClone3AnswersEnosys) {
  SeccompProgram p = compile(default_capabilities());
  EXPECT_EQ(verdict(p, SYS_clone, SIGCHLD), kAllow);
  EXPECT_EQ(verdict(p, SYS_clone, CLONE_VM | CLONE_THREAD | CLONE_SETTLS), kAllow);
  EXPECT_EQ(verdict(p, SYS_clone, CLONE_NEWNS | SIGCHLD), kEperm);
  EXPECT_EQ(verdict(p, SYS_clone, CLONE_NEWUSER), kEperm);
  EXPECT_EQ(verdict(p, SYS_clone3), kEnosys);

  SeccompProgram admin = compile(default_capabilities() | cap_bit(CAP_SYS_ADMIN));
  EXPECT_EQ(verdict(admin, SYS_clone, CLONE_NEWNS | SIGCHLD), kAllow);
  EXPECT_EQ(verdict(admin, SYS_clone3), kAllow);
  EXPECT_EQ(verdict(admin, SYS_unshare), kAllow);
  EXPECT_EQ(verdict(admin, SYS_mount), kAllow);
  EXPECT_EQ(verdict(admin, SYS_keyctl), kEperm);  // no capability unlocks the keyring
}

TEST_F(DefaultProfile, CapabilitiesUnlockTheirSyscalls) {
  SeccompProgram p = compile(default_capabilities() | cap_bit(CAP_SYS_TIME) |
                             cap_bit(CAP_SYS_MODULE) | cap_bit(CAP_SYS_BOOT));
  EXPECT_EQ(verdict(p, SYS_settimeofday), kAllow);
  EXPECT_EQ(verdict(p, SYS_init_module), kAllow);
  EXPECT_EQ(verdict(p, SYS_reboot), kAllow);
  EXPECT_EQ(verdict(p, SYS_unshare), kEperm);
  // CAP_SYS_CHROOT is in docker's default set, and unlocks chroot.
  EXPECT_EQ(verdict(compile(default_capabilities()), SYS_chroot), kAllow);
  EXPECT_EQ(verdict(compile(default_capabilities() & ~cap_bit(CAP_SYS_CHROOT)), SYS_chroot),
            kEperm);
}

TEST_F(DefaultProfile, SocketFamiliesAndPersonalitiesFollowDocker) {
  SeccompProgram p = compile(default_capabilities());
  EXPECT_EQ(verdict(p, SYS_socket, AF_INET), kAllow);
  EXPECT_EQ(verdict(p, SYS_socket, AF_UNIX), kAllow);
  EXPECT_EQ(verdict(p, SYS_socket, AF_NETLINK), kAllow);
  EXPECT_EQ(verdict(p, SYS_socket, 39), kAllow);
  EXPECT_EQ(verdict(p, SYS_socket, 44), kAllow);
  EXPECT_EQ(verdict(p, SYS_socket, AF_ALG), kEperm);
  EXPECT_EQ(verdict(p, SYS_socket, AF_VSOCK), kEperm);
  EXPECT_EQ(verdict(p, SYS_personality, 0xffffffff), kAllow);
  EXPECT_EQ(verdict(p, SYS_personality, 0x8), kAllow);
  EXPECT_EQ(verdict(p, SYS_personality, 0x0400000), kEperm);  // ADDR_NO_RANDOMIZE
}

TEST_F(DefaultProfile, SyscallsNewerThanTheProfileAnswerEnosys) {
  SeccompProgram p = compile(default_capabilities());
  EXPECT_EQ(verdict(p, 470), kEnosys);
  EXPECT_EQ(verdict(p, 1000), kEnosys);
  // An x32 call carries bit 30 in its number: it must reach the x32 rules, not the stub.
  EXPECT_EQ(verdict(p, 0x40000000 | SYS_read), kAllow);
  EXPECT_EQ(verdict(p, 0x40000000 | SYS_unshare), kEperm);
}

TEST_F(DefaultProfile, I386CallsAreFilteredByTheirOwnNumbers) {
  SeccompProgram p = compile(default_capabilities());
  constexpr int kI386Getpid = 20;
  constexpr int kI386Unshare = 310;
  EXPECT_EQ(verdict(p, kI386Getpid, 0, 0, AUDIT_ARCH_I386), kAllow);
  EXPECT_EQ(verdict(p, kI386Unshare, 0, 0, AUDIT_ARCH_I386), kEperm);
  EXPECT_EQ(verdict(p, 1000, 0, 0, AUDIT_ARCH_I386), kEnosys);
}

TEST(SeccompResolve, PtraceNeedsKernel48OrCapSysPtrace) {
  const auto& profile = docker_default_seccomp_profile();
  auto has = [](const ResolvedSeccomp& r, const std::string& name) {
    for (const auto& rule : r.rules) {
      for (const auto& n : rule.names) {
        if (n == name && rule.action == SeccompAction::kAllow) {
          return true;
        }
      }
    }
    return false;
  };
  auto old = resolve_seccomp(profile, default_capabilities(), {"amd64", {4, 4}});
  ASSERT_TRUE(old);
  EXPECT_FALSE(has(*old, "ptrace"));
  auto traced =
      resolve_seccomp(profile, default_capabilities() | cap_bit(CAP_SYS_PTRACE), {"amd64", {4, 4}});
  ASSERT_TRUE(traced);
  EXPECT_TRUE(has(*traced, "ptrace"));
  auto recent = resolve_seccomp(profile, default_capabilities(), {"amd64", {4, 8}});
  ASSERT_TRUE(recent);
  EXPECT_TRUE(has(*recent, "ptrace"));
  EXPECT_TRUE(has(*recent, "arch_prctl"));
  auto arm = resolve_seccomp(profile, default_capabilities(), {"arm64", {6, 1}});
  ASSERT_TRUE(arm);
  EXPECT_FALSE(has(*arm, "arch_prctl"));
  EXPECT_TRUE(has(*arm, "set_tls"));
  EXPECT_EQ(arm->architectures, (std::vector<std::string>{"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}));
}

constexpr const char* kFullProfile = R"({
  "defaultAction": "SCMP_ACT_ERRNO",
  "defaultErrnoRet": 38,
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
  "flags": ["SECCOMP_FILTER_FLAG_LOG"],
  "listenerPath": null,
  "someFutureField": {"x": 1},
  "syscalls": [
    {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
    {"name": "personality", "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
              {"index": 0, "value": 2, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
    {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "comment": "no dirs",
     "includes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["amd64"], "minKernel": "4.8"},
     "excludes": {"caps": ["CAP_BPF"]}}
  ]
})";

TEST(SeccompProfileParse, ReadsEveryDockerField) {
  auto p = parse_seccomp_profile(kFullProfile, "p.json");
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ(p->default_action, SeccompAction::kErrno);
  EXPECT_EQ(p->default_errno_ret, 38u);
  EXPECT_EQ(p->architectures, (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}));
  EXPECT_EQ(p->flags, (std::vector<std::string>{"SECCOMP_FILTER_FLAG_LOG"}));
  ASSERT_EQ(p->syscalls.size(), 3u);
  EXPECT_EQ(p->syscalls[0].names, (std::vector<std::string>{"read", "write"}));
  EXPECT_EQ(p->syscalls[1].names, (std::vector<std::string>{"personality"}));
  ASSERT_EQ(p->syscalls[1].args.size(), 2u);
  EXPECT_EQ(p->syscalls[1].args[1].value, 2u);
  EXPECT_EQ(p->syscalls[1].args[1].op, SeccompOp::kEqual);
  const auto& mk = p->syscalls[2];
  EXPECT_EQ(mk.errno_ret, 13u);
  EXPECT_EQ(mk.comment, "no dirs");
  EXPECT_EQ(mk.includes.caps, (std::vector<std::string>{"CAP_SYS_ADMIN"}));
  EXPECT_EQ(mk.includes.arches, (std::vector<std::string>{"amd64"}));
  EXPECT_EQ(mk.includes.min_kernel, (KernelVersion{4, 8}));
  EXPECT_EQ(mk.excludes.caps, (std::vector<std::string>{"CAP_BPF"}));
}

void expect_profile_error(std::string_view json, const std::string& message) {
  auto p = parse_seccomp_profile(json, "p.json");
  ASSERT_FALSE(p) << json;
  EXPECT_EQ(p.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(p.error().str(), message);
}

TEST(SeccompProfileParse, ErrorsNameWhatIsWrongOnOneLine) {
  expect_profile_error(R"({"defaultAction": "SCMP_ACT_FOO"})",
                       "p.json: unknown action \"SCMP_ACT_FOO\"");
  expect_profile_error(R"({"defaultAction": "SCMP_ACT_ALLOW",
                   "syscalls": [{"names": ["read"], "action": "SCMP_ACT_BAR"}]})",
                       "p.json: syscalls[0]: unknown action \"SCMP_ACT_BAR\"");
  expect_profile_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
                   "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1,
                   "op": "SCMP_CMP_FOO"}]}]})",
                       "p.json: syscalls[0].args[0]: unknown op \"SCMP_CMP_FOO\"");
  expect_profile_error(
      R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
                   "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "op": "SCMP_CMP_EQ"}]}]})",
      "p.json: syscalls[0].args[0]: \"index\" must be a number from 0 to 5, not 6");
  expect_profile_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"name": "read",
                   "names": ["write"], "action": "SCMP_ACT_ERRNO"}]})",
                       "p.json: syscalls[0]: both \"name\" and \"names\" are given; use \"names\"");
  expect_profile_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86"],
                   "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]})",
                       "p.json: both \"architectures\" and \"archMap\" are given; use one");
  expect_profile_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_Z80"]})",
                       "p.json: unknown architecture \"SCMP_ARCH_Z80\"");
  expect_profile_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
                   "action": "SCMP_ACT_ERRNO", "includes": {"minKernel": "4"}}]})",
                       "p.json: syscalls[0].includes: invalid kernel version \"4\", expected "
                       "\"<kernel>.<major>\"");
  expect_profile_error(R"({"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO"}]})",
                       "p.json: \"defaultAction\" is missing");
  expect_profile_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_X"]})",
                       "p.json: unknown flag \"SECCOMP_FILTER_FLAG_X\"");
  expect_profile_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": "read",
                   "action": "SCMP_ACT_ERRNO"}]})",
                       "p.json: syscalls[0]: \"names\" must be a list of strings");
}

TEST(SeccompProfileParse, InvalidJsonIsAnInvalidArgumentNamingTheSource) {
  auto p = parse_seccomp_profile("{\"defaultAction\": ", "/etc/p.json");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code(), Code::kInvalidArgument);
  EXPECT_NE(p.error().str().find("/etc/p.json"), std::string::npos);
  EXPECT_EQ(p.error().str().find('\n'), std::string::npos);
}

TEST(SeccompCompile, EmptyProfileMeansNoFilter) {
  auto p = parse_seccomp_profile("{}", "p.json");
  ASSERT_TRUE(p) << p.error().str();
  auto prog = compile_seccomp(*p, default_capabilities(), amd64_host());
  ASSERT_TRUE(prog) << prog.error().str();
  EXPECT_TRUE(prog->empty());
}

class CustomProfile : public ::testing::Test {
 protected:
  void SetUp() override {
    auto host = current_seccomp_host();
    ASSERT_TRUE(host) << host.error().str();
    if (host->arch != "amd64") {
      GTEST_SKIP() << "the syscall numbers below are x86_64's; this host is " << host->arch;
    }
  }
  SeccompProgram compile(std::string_view json, CapMask caps = default_capabilities()) {
    auto p = parse_seccomp_profile(json, "p.json");
    EXPECT_TRUE(p) << p.error().str();
    if (!p) {
      return {};
    }
    auto prog = compile_seccomp(*p, caps, amd64_host());
    EXPECT_TRUE(prog) << prog.error().str();
    return prog ? *prog : SeccompProgram{};
  }
};

TEST_F(CustomProfile, AllowByDefaultWithOneDeniedSyscall) {
  SeccompProgram p = compile(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]})");
  EXPECT_EQ(verdict(p, SYS_mkdir), SECCOMP_RET_ERRNO | 1);
  EXPECT_EQ(verdict(p, SYS_mkdirat), kAllow);
  EXPECT_EQ(verdict(p, SYS_unshare), kAllow);
  EXPECT_EQ(verdict(p, 1000), kAllow);  // no ENOSYS stub when the default allows
}

TEST_F(CustomProfile, ConditionsOnOneArgumentAreAlternatives) {
  SeccompProgram p = compile(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
      {"names": ["exit_group"], "action": "SCMP_ACT_ALLOW"},
      {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
                {"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]}]})");
  EXPECT_EQ(verdict(p, SYS_personality, 1), kAllow);
  EXPECT_EQ(verdict(p, SYS_personality, 2), kAllow);
  EXPECT_EQ(verdict(p, SYS_personality, 3), kEperm);
}

TEST_F(CustomProfile, ConditionsOnDifferentArgumentsMustAllHold) {
  SeccompProgram p = compile(R"({"defaultAction": "SCMP_ACT_KILL_PROCESS", "syscalls": [
      {"names": ["exit_group"], "action": "SCMP_ACT_ALLOW"},
      {"names": ["socket"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"},
                {"index": 1, "value": 15, "valueTwo": 1, "op": "SCMP_CMP_MASKED_EQ"}]}]})");
  EXPECT_EQ(verdict(p, SYS_socket, AF_INET, SOCK_STREAM), kAllow);
  EXPECT_EQ(verdict(p, SYS_socket, AF_INET, SOCK_DGRAM), SECCOMP_RET_KILL_PROCESS);
  EXPECT_EQ(verdict(p, SYS_socket, AF_UNIX, SOCK_STREAM), SECCOMP_RET_KILL_PROCESS);
}

TEST_F(CustomProfile, IncludesAndExcludesFollowTheCapabilities) {
  constexpr const char* json = R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["rmdir"], "action": "SCMP_ACT_ERRNO", "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "includes": {"arches": ["arm64"]}}]})";
  SeccompProgram plain = compile(json);
  EXPECT_EQ(verdict(plain, SYS_mkdir), kAllow);
  EXPECT_EQ(verdict(plain, SYS_rmdir), kEperm);
  EXPECT_EQ(verdict(plain, SYS_chmod), kAllow);
  SeccompProgram admin = compile(json, default_capabilities() | cap_bit(CAP_SYS_ADMIN));
  EXPECT_EQ(verdict(admin, SYS_mkdir), kEperm);
  EXPECT_EQ(verdict(admin, SYS_rmdir), kAllow);
}

TEST_F(CustomProfile, UnknownSyscallNamesAndRulesRepeatingTheDefaultAreSkipped) {
  SeccompProgram p = compile(R"({"defaultAction": "SCMP_ACT_ERRNO", "flags":
      ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_TSYNC"], "syscalls": [
      {"names": ["read", "no_such_syscall_at_all"], "action": "SCMP_ACT_ALLOW"},
      {"names": ["write"], "action": "SCMP_ACT_ERRNO"}]})");
  EXPECT_EQ(verdict(p, SYS_read), kAllow);
  EXPECT_EQ(verdict(p, SYS_write), kEperm);
  EXPECT_EQ(p.flags, unsigned{SECCOMP_FILTER_FLAG_LOG});
}

TEST(SeccompCompile, NotifyAndForeignArchitecturesAreUnsupported) {
  auto notify = parse_seccomp_profile(
      R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"],
          "action": "SCMP_ACT_NOTIFY"}]})",
      "p.json");
  ASSERT_TRUE(notify) << notify.error().str();
  auto host = current_seccomp_host();
  ASSERT_TRUE(host);
  auto prog = compile_seccomp(*notify, 0, *host);
  ASSERT_FALSE(prog);
  EXPECT_EQ(prog.error().code(), Code::kUnsupported);

  SeccompHost foreign{host->arch == "s390x" ? "amd64" : "s390x", host->kernel};
  auto other = compile_seccomp(docker_default_seccomp_profile(), 0, foreign);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code(), Code::kUnsupported);
}

TEST(SeccompNames, ActionsAndOpsPrintAsInDockersJson) {
  EXPECT_EQ(seccomp_action_name(SeccompAction::kErrno), "SCMP_ACT_ERRNO");
  EXPECT_EQ(seccomp_action_name(SeccompAction::kKillThread), "SCMP_ACT_KILL_THREAD");
  EXPECT_EQ(seccomp_op_name(SeccompOp::kMaskedEq), "SCMP_CMP_MASKED_EQ");
}

}  // namespace
}  // namespace berth::sys
