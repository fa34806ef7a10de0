// docker's default seccomp profile, as berth's own table. Equivalent in effect to moby's
// profiles/seccomp/default.json: default EPERM; an allow-list of ordinary syscalls grouped here
// by topic; a few argument rules (socket families, personality values, clone flags); and
// syscalls that a capability unlocks. Names libseccomp does not know are skipped at compile.
#include <sched.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <vector>

#include "sys/seccomp_filter.h"

namespace berth::sys {

namespace {

using Names = std::vector<std::string>;

const Names kFiles = {
    "access",
    "chdir",
    "chmod",
    "chown",
    "chown32",
    "close",
    "close_range",
    "copy_file_range",
    "creat",
    "dup",
    "dup2",
    "dup3",
    "faccessat",
    "faccessat2",
    "fadvise64",
    "fadvise64_64",
    "fallocate",
    "fchdir",
    "fchmod",
    "fchmodat",
    "fchmodat2",
    "fchown",
    "fchown32",
    "fchownat",
    "fcntl",
    "fcntl64",
    "fdatasync",
    "flock",
    "fstat",
    "fstat64",
    "fstatat64",
    "fstatfs",
    "fstatfs64",
    "fsync",
    "ftruncate",
    "ftruncate64",
    "futimesat",
    "getcwd",
    "getdents",
    "getdents64",
    "lchown",
    "lchown32",
    "link",
    "linkat",
    "_llseek",
    "lseek",
    "lstat",
    "lstat64",
    "mkdir",
    "mkdirat",
    "mknod",
    "mknodat",
    "name_to_handle_at",
    "newfstatat",
    "open",
    "openat",
    "openat2",
    "pread64",
    "preadv",
    "preadv2",
    "pwrite64",
    "pwritev",
    "pwritev2",
    "read",
    "readahead",
    "readlink",
    "readlinkat",
    "readv",
    "rename",
    "renameat",
    "renameat2",
    "rmdir",
    "sendfile",
    "sendfile64",
    "splice",
    "stat",
    "stat64",
    "statfs",
    "statfs64",
    "statx",
    "symlink",
    "symlinkat",
    "sync",
    "sync_file_range",
    "syncfs",
    "tee",
    "truncate",
    "truncate64",
    "umask",
    "unlink",
    "unlinkat",
    "utime",
    "utimensat",
    "utimensat_time64",
    "utimes",
    "vmsplice",
    "write",
    "writev",
    "listmount",
    "statmount",
};

const Names kXattrs = {
    "fgetxattr",   "flistxattr",    "fremovexattr", "fsetxattr",  "getxattr",     "getxattrat",
    "lgetxattr",   "listxattr",     "listxattrat",  "llistxattr", "lremovexattr", "lsetxattr",
    "removexattr", "removexattrat", "setxattr",     "setxattrat",
};

const Names kEvents = {
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_ctl_old",
    "epoll_pwait",
    "epoll_pwait2",
    "epoll_wait",
    "epoll_wait_old",
    "eventfd",
    "eventfd2",
    "fanotify_mark",
    "inotify_add_watch",
    "inotify_init",
    "inotify_init1",
    "inotify_rm_watch",
    "poll",
    "ppoll",
    "ppoll_time64",
    "pselect6",
    "pselect6_time64",
    "select",
    "_newselect",
    "signalfd",
    "signalfd4",
    "timerfd_create",
    "timerfd_gettime",
    "timerfd_gettime64",
    "timerfd_settime",
    "timerfd_settime64",
    "io_cancel",
    "io_destroy",
    "io_getevents",
    "io_pgetevents",
    "io_pgetevents_time64",
    "io_setup",
    "io_submit",
    "ioctl",
    "ioprio_get",
    "ioprio_set",
};

const Names kMemory = {
    "brk",        "cachestat",    "madvise",       "map_shadow_stack",
    "membarrier", "memfd_create", "memfd_secret",  "mincore",
    "mlock",      "mlock2",       "mlockall",      "mmap",
    "mmap2",      "mprotect",     "mremap",        "mseal",
    "msync",      "munlock",      "munlockall",    "munmap",
    "pkey_alloc", "pkey_free",    "pkey_mprotect", "remap_file_pages",
};

const Names kProcesses = {
    "capget",
    "capset",
    "execve",
    "execveat",
    "exit",
    "exit_group",
    "fork",
    "vfork",
    "get_robust_list",
    "set_robust_list",
    "get_thread_area",
    "set_thread_area",
    "set_tid_address",
    "gettid",
    "getpid",
    "getppid",
    "getpgid",
    "getpgrp",
    "getsid",
    "setsid",
    "setpgid",
    "getpriority",
    "setpriority",
    "getrlimit",
    "setrlimit",
    "prlimit64",
    "ugetrlimit",
    "getrusage",
    "prctl",
    "rseq",
    "seccomp",
    "uretprobe",
    "wait4",
    "waitid",
    "waitpid",
    "pidfd_open",
    "pidfd_send_signal",
    "process_mrelease",
    "restart_syscall",
    "sched_getaffinity",
    "sched_getattr",
    "sched_getparam",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "sched_getscheduler",
    "sched_rr_get_interval",
    "sched_rr_get_interval_time64",
    "sched_setaffinity",
    "sched_setattr",
    "sched_setparam",
    "sched_setscheduler",
    "sched_yield",
    "landlock_add_rule",
    "landlock_create_ruleset",
    "landlock_restrict_self",
    "getcpu",
    "uname",
    "sysinfo",
    "times",
    "getrandom",
    "riscv_hwprobe",
    "futex",
    "futex_requeue",
    "futex_time64",
    "futex_wait",
    "futex_waitv",
    "futex_wake",
};

const Names kCredentials = {
    "getegid",   "getegid32",   "geteuid",   "geteuid32",   "getgid",    "getgid32",
    "getgroups", "getgroups32", "getresgid", "getresgid32", "getresuid", "getresuid32",
    "getuid",    "getuid32",    "setfsgid",  "setfsgid32",  "setfsuid",  "setfsuid32",
    "setgid",    "setgid32",    "setgroups", "setgroups32", "setregid",  "setregid32",
    "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid",  "setreuid32",
    "setuid",    "setuid32",
};

const Names kSignalsAndTime = {
    "alarm",
    "getitimer",
    "setitimer",
    "kill",
    "tgkill",
    "tkill",
    "pause",
    "rt_sigaction",
    "rt_sigpending",
    "rt_sigprocmask",
    "rt_sigqueueinfo",
    "rt_sigreturn",
    "rt_sigsuspend",
    "rt_sigtimedwait",
    "rt_sigtimedwait_time64",
    "rt_tgsigqueueinfo",
    "sigaltstack",
    "sigprocmask",
    "sigreturn",
    "adjtimex",
    "clock_adjtime",
    "clock_adjtime64",
    "clock_getres",
    "clock_getres_time64",
    "clock_gettime",
    "clock_gettime64",
    "clock_nanosleep",
    "clock_nanosleep_time64",
    "gettimeofday",
    "nanosleep",
    "time",
    "timer_create",
    "timer_delete",
    "timer_getoverrun",
    "timer_gettime",
    "timer_gettime64",
    "timer_settime",
    "timer_settime64",
};

const Names kNetworkAndIpc = {
    "accept",
    "accept4",
    "bind",
    "connect",
    "getpeername",
    "getsockname",
    "getsockopt",
    "listen",
    "recv",
    "recvfrom",
    "recvmmsg",
    "recvmmsg_time64",
    "recvmsg",
    "send",
    "sendmmsg",
    "sendmsg",
    "sendto",
    "setsockopt",
    "shutdown",
    "socketcall",
    "socketpair",
    "ipc",
    "mq_getsetattr",
    "mq_notify",
    "mq_open",
    "mq_timedreceive",
    "mq_timedreceive_time64",
    "mq_timedsend",
    "mq_timedsend_time64",
    "mq_unlink",
    "msgctl",
    "msgget",
    "msgrcv",
    "msgsnd",
    "semctl",
    "semget",
    "semop",
    "semtimedop",
    "semtimedop_time64",
    "shmat",
    "shmctl",
    "shmdt",
    "shmget",
    "pipe",
    "pipe2",
};

// What each capability unlocks on top of the allow-list.
struct CapGate {
  const char* cap;
  Names names;
};

const CapGate kCapGates[] = {
    {"CAP_DAC_READ_SEARCH", {"open_by_handle_at"}},
    {"CAP_SYS_ADMIN",
     {"bpf",
      "clone",
      "clone3",
      "fanotify_init",
      "fsconfig",
      "fsmount",
      "fsopen",
      "fspick",
      "lookup_dcookie",
      "lsm_get_self_attr",
      "lsm_list_modules",
      "lsm_set_self_attr",
      "mount",
      "mount_setattr",
      "move_mount",
      "open_tree",
      "perf_event_open",
      "quotactl",
      "quotactl_fd",
      "setdomainname",
      "sethostname",
      "setns",
      "syslog",
      "umount",
      "umount2",
      "unshare"}},
    {"CAP_SYS_BOOT", {"reboot"}},
    {"CAP_SYS_CHROOT", {"chroot"}},
    {"CAP_SYS_MODULE", {"delete_module", "init_module", "finit_module"}},
    {"CAP_SYS_PACCT", {"acct"}},
    {"CAP_SYS_PTRACE",
     {"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"}},
    {"CAP_SYS_RAWIO", {"iopl", "ioperm"}},
    {"CAP_SYS_TIME", {"settimeofday", "stime", "clock_settime", "clock_settime64"}},
    {"CAP_SYS_TTY_CONFIG", {"vhangup"}},
    {"CAP_SYS_NICE", {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}},
    {"CAP_SYSLOG", {"syslog"}},
    {"CAP_BPF", {"bpf"}},
    {"CAP_PERFMON", {"perf_event_open"}},
};

// Syscalls that exist, or are harmless, only on some architectures.
struct ArchGate {
  Names arches;
  Names names;
};

const ArchGate kArchGates[] = {
    {{"ppc64le"}, {"sync_file_range2", "swapcontext"}},
    {{"arm", "arm64"},
     {"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush",
      "set_tls"}},
    {{"amd64", "x32"}, {"arch_prctl"}},
    {{"amd64", "x32", "x86"}, {"modify_ldt"}},
    {{"s390", "s390x"}, {"s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"}},
    {{"riscv64"}, {"riscv_flush_icache"}},
};

// personality(2) values a container may set: PER_LINUX, PER_LINUX32, UNAME26,
// UNAME26|PER_LINUX32, and 0xffffffff (query only).
constexpr uint64_t kPersonalities[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

// Any of these in clone's flags creates a namespace.
constexpr uint64_t kCloneNamespaceFlags = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS |
                                          CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
                                          CLONE_NEWNET;

SeccompRule allow(Names names) {
  SeccompRule r;
  r.names = std::move(names);
  r.action = SeccompAction::kAllow;
  return r;
}

SeccompRule allow_if(std::string name, unsigned index, SeccompOp op, uint64_t value,
                     uint64_t value_two = 0) {
  SeccompRule r = allow({std::move(name)});
  r.args.push_back({index, value, value_two, op});
  return r;
}

void add_always_allowed(SeccompProfile& p) {
  Names all;
  for (const Names* group : {&kFiles, &kXattrs, &kEvents, &kMemory, &kProcesses, &kCredentials,
                             &kSignalsAndTime, &kNetworkAndIpc}) {
    all.insert(all.end(), group->begin(), group->end());
  }
  p.syscalls.push_back(allow(std::move(all)));
  // Since 4.8 a seccomp filter cannot be bypassed through ptrace, so tracing is harmless.
  SeccompRule trace = allow({"process_vm_readv", "process_vm_writev", "ptrace"});
  trace.includes.min_kernel = KernelVersion{4, 8};
  p.syscalls.push_back(std::move(trace));
}

static_assert(AF_ALG == 38 && AF_VSOCK == 40, "the socket rules assume AF_ALG + 2 == AF_VSOCK");

void add_argument_rules(SeccompProfile& p) {
  // Every socket family but AF_ALG (kernel crypto) and AF_VSOCK (host sockets).
  p.syscalls.push_back(allow_if("socket", 0, SeccompOp::kLessThan, AF_ALG));
  p.syscalls.push_back(allow_if("socket", 0, SeccompOp::kEqual, AF_ALG + 1));
  p.syscalls.push_back(allow_if("socket", 0, SeccompOp::kGreaterThan, AF_VSOCK));
  for (uint64_t v : kPersonalities) {
    p.syscalls.push_back(allow_if("personality", 0, SeccompOp::kEqual, v));
  }
  for (const auto& gate : kArchGates) {
    SeccompRule r = allow(gate.names);
    r.includes.arches = gate.arches;
    p.syscalls.push_back(std::move(r));
  }
}

void add_capability_rules(SeccompProfile& p) {
  for (const auto& gate : kCapGates) {
    SeccompRule r = allow(gate.names);
    r.includes.caps = {gate.cap};
    p.syscalls.push_back(std::move(r));
  }
  // Without CAP_SYS_ADMIN: clone only without namespace flags (flags are the second argument
  // on s390), and clone3, whose flags sit in memory a filter cannot read, answers ENOSYS so
  // that libc falls back to clone.
  SeccompRule clone = allow_if("clone", 0, SeccompOp::kMaskedEq, kCloneNamespaceFlags, 0);
  clone.excludes.caps = {"CAP_SYS_ADMIN"};
  clone.excludes.arches = {"s390", "s390x"};
  p.syscalls.push_back(std::move(clone));
  SeccompRule s390 = allow_if("clone", 1, SeccompOp::kMaskedEq, kCloneNamespaceFlags, 0);
  s390.includes.arches = {"s390", "s390x"};
  s390.excludes.caps = {"CAP_SYS_ADMIN"};
  p.syscalls.push_back(std::move(s390));
  SeccompRule clone3;
  clone3.names = {"clone3"};
  clone3.action = SeccompAction::kErrno;
  clone3.errno_ret = ENOSYS;
  clone3.excludes.caps = {"CAP_SYS_ADMIN"};
  p.syscalls.push_back(std::move(clone3));
}

SeccompProfile build_default_profile() {
  SeccompProfile p;
  p.default_action = SeccompAction::kErrno;
  p.default_errno_ret = EPERM;
  p.arch_map = {
      {"SCMP_ARCH_X86_64", {"SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
      {"SCMP_ARCH_AARCH64", {"SCMP_ARCH_ARM"}},
      {"SCMP_ARCH_MIPS64", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"}},
      {"SCMP_ARCH_MIPS64N32", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64"}},
      {"SCMP_ARCH_MIPSEL64", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"}},
      {"SCMP_ARCH_MIPSEL64N32", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64"}},
      {"SCMP_ARCH_S390X", {"SCMP_ARCH_S390"}},
      {"SCMP_ARCH_RISCV64", {}},
      {"SCMP_ARCH_LOONGARCH64", {}},
  };
  add_always_allowed(p);
  add_argument_rules(p);
  add_capability_rules(p);
  return p;
}

}  // namespace

const SeccompProfile& docker_default_seccomp_profile() {
  static const SeccompProfile profile = build_default_profile();
  return profile;
}

}  // namespace berth::sys
