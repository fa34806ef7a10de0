#include "sys/seccomp_filter.h"

#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <utility>

#include <fmt/format.h>
#include <seccomp.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/strings.h"
#include "base/unique_fd.h"

namespace berth::sys {

namespace {

constexpr std::array<std::pair<std::string_view, SeccompAction>, 9> kActions = {{
    {"SCMP_ACT_KILL", SeccompAction::kKillThread},
    {"SCMP_ACT_KILL_THREAD", SeccompAction::kKillThread},
    {"SCMP_ACT_KILL_PROCESS", SeccompAction::kKillProcess},
    {"SCMP_ACT_TRAP", SeccompAction::kTrap},
    {"SCMP_ACT_ERRNO", SeccompAction::kErrno},
    {"SCMP_ACT_TRACE", SeccompAction::kTrace},
    {"SCMP_ACT_ALLOW", SeccompAction::kAllow},
    {"SCMP_ACT_LOG", SeccompAction::kLog},
    {"SCMP_ACT_NOTIFY", SeccompAction::kNotify},
}};

constexpr std::array<std::pair<std::string_view, SeccompOp>, 7> kOps = {{
    {"SCMP_CMP_NE", SeccompOp::kNotEqual},
    {"SCMP_CMP_LT", SeccompOp::kLessThan},
    {"SCMP_CMP_LE", SeccompOp::kLessEqual},
    {"SCMP_CMP_EQ", SeccompOp::kEqual},
    {"SCMP_CMP_GE", SeccompOp::kGreaterEqual},
    {"SCMP_CMP_GT", SeccompOp::kGreaterThan},
    {"SCMP_CMP_MASKED_EQ", SeccompOp::kMaskedEq},
}};

// The runtime spec's architecture names; libseccomp may still lack some (checked at compile).
constexpr std::array<std::string_view, 20> kArches = {
    "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",     "SCMP_ARCH_LOONGARCH64",
};

// Host architecture names (as moby spells them for includes/excludes) → the profile's names.
constexpr std::array<std::pair<std::string_view, std::string_view>, 16> kHostArches = {{
    {"x86", "SCMP_ARCH_X86"},
    {"amd64", "SCMP_ARCH_X86_64"},
    {"arm", "SCMP_ARCH_ARM"},
    {"arm64", "SCMP_ARCH_AARCH64"},
    {"loongarch64", "SCMP_ARCH_LOONGARCH64"},
    {"mips64", "SCMP_ARCH_MIPS64"},
    {"mips64n32", "SCMP_ARCH_MIPS64N32"},
    {"mipsel64", "SCMP_ARCH_MIPSEL64"},
    {"mipsel64n32", "SCMP_ARCH_MIPSEL64N32"},
    {"mipsel", "SCMP_ARCH_MIPSEL"},
    {"ppc", "SCMP_ARCH_PPC"},
    {"ppc64", "SCMP_ARCH_PPC64"},
    {"ppc64le", "SCMP_ARCH_PPC64LE"},
    {"riscv64", "SCMP_ARCH_RISCV64"},
    {"s390", "SCMP_ARCH_S390"},
    {"s390x", "SCMP_ARCH_S390X"},
}};

constexpr std::array<std::pair<std::string_view, unsigned>, 3> kFlags = {{
    {"SECCOMP_FILTER_FLAG_TSYNC", 0},  // nothing to do: see apply_seccomp
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
}};

template <typename Table>
auto lookup(const Table& table, std::string_view key) -> std::optional<decltype(table[0].second)> {
  for (const auto& [k, v] : table) {
    if (k == key) {
      return v;
    }
  }
  return std::nullopt;
}

bool known_arch(std::string_view name) {
  return std::find(kArches.begin(), kArches.end(), name) != kArches.end();
}

// Reads docker's JSON with Go's leniency: null is the same as absent; unknown keys are ignored.
class ProfileParser {
 public:
  explicit ProfileParser(std::string_view what) : what_(what) {}

  tl::unexpected<Error> bad(std::string_view where, const std::string& msg) const {
    if (where.empty()) {
      return fail(Code::kInvalidArgument, fmt::format("{}: {}", what_, msg));
    }
    return fail(Code::kInvalidArgument, fmt::format("{}: {}: {}", what_, where, msg));
  }

  static const Json* field(const Json& obj, std::string_view key) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
      return nullptr;
    }
    return &*it;
  }

  Result<std::optional<std::string>> opt_string(const Json& obj, std::string_view key,
                                                std::string_view where) const {
    const Json* v = field(obj, key);
    if (v == nullptr) {
      return std::nullopt;
    }
    if (!v->is_string()) {
      return bad(where, fmt::format("\"{}\" must be a string", key));
    }
    return v->get<std::string>();
  }

  Result<std::vector<std::string>> strings(const Json& obj, std::string_view key,
                                           std::string_view where) const {
    std::vector<std::string> out;
    const Json* v = field(obj, key);
    if (v == nullptr) {
      return out;
    }
    if (!v->is_array()) {
      return bad(where, fmt::format("\"{}\" must be a list of strings", key));
    }
    for (const auto& e : *v) {
      if (!e.is_string()) {
        return bad(where, fmt::format("\"{}\" must be a list of strings", key));
      }
      out.push_back(e.get<std::string>());
    }
    return out;
  }

  Result<std::optional<uint64_t>> opt_uint(const Json& obj, std::string_view key,
                                           std::string_view where, uint64_t max) const {
    const Json* v = field(obj, key);
    if (v == nullptr) {
      return std::nullopt;
    }
    if (!v->is_number_unsigned() || v->get<uint64_t>() > max) {
      return bad(where,
                 fmt::format("\"{}\" must be a number from 0 to {}, not {}", key, max, v->dump()));
    }
    return v->get<uint64_t>();
  }

  Result<std::optional<SeccompAction>> action(const Json& obj, std::string_view key,
                                              std::string_view where) const {
    auto name = BERTH_TRY(opt_string(obj, key, where));
    if (!name || name->empty()) {
      return std::nullopt;
    }
    auto a = lookup(kActions, *name);
    if (!a) {
      return bad(where, fmt::format("unknown action \"{}\"", *name));
    }
    return *a;
  }

  Result<SeccompProfile> profile(const Json& doc) const;

 private:
  Result<SeccompArg> arg(const Json& j, const std::string& where) const;
  Result<SeccompCondition> condition(const Json& rule, std::string_view key,
                                     const std::string& where) const;
  Result<SeccompRule> rule(const Json& j, const std::string& where) const;
  Result<std::vector<std::string>> arches(const Json& obj, std::string_view key,
                                          std::string_view where) const;

  std::string_view what_;
};

Result<std::optional<KernelVersion>> parse_kernel_version(std::string_view s) {
  if (s.empty()) {
    return std::nullopt;
  }
  auto parts = split(s, '.');
  std::optional<uint64_t> k;
  std::optional<uint64_t> m;
  if (parts.size() == 2) {
    k = parse_uint(parts[0]);
    m = parse_uint(parts[1]);
  }
  if (!k || !m || *k > 255 || *m > 255 || (*k == 0 && *m == 0)) {
    return fail(Code::kInvalidArgument,
                fmt::format("invalid kernel version \"{}\", expected \"<kernel>.<major>\"", s));
  }
  return KernelVersion{static_cast<unsigned>(*k), static_cast<unsigned>(*m)};
}

Result<std::vector<std::string>> ProfileParser::arches(const Json& obj, std::string_view key,
                                                       std::string_view where) const {
  auto list = BERTH_TRY(strings(obj, key, where));
  for (const auto& a : list) {
    if (!known_arch(a)) {
      return bad(where, fmt::format("unknown architecture \"{}\"", a));
    }
  }
  return list;
}

Result<SeccompArg> ProfileParser::arg(const Json& j, const std::string& where) const {
  if (!j.is_object()) {
    return bad(where, "must be an object");
  }
  SeccompArg a;
  auto index = BERTH_TRY(opt_uint(j, "index", where, 5));
  a.index = static_cast<unsigned>(index.value_or(0));
  a.value = BERTH_TRY(opt_uint(j, "value", where, UINT64_MAX)).value_or(0);
  a.value_two = BERTH_TRY(opt_uint(j, "valueTwo", where, UINT64_MAX)).value_or(0);
  auto op = BERTH_TRY(opt_string(j, "op", where));
  if (!op) {
    return bad(where, "\"op\" is missing");
  }
  auto o = lookup(kOps, *op);
  if (!o) {
    return bad(where, fmt::format("unknown op \"{}\"", *op));
  }
  a.op = *o;
  return a;
}

Result<SeccompCondition> ProfileParser::condition(const Json& rule, std::string_view key,
                                                  const std::string& where) const {
  SeccompCondition c;
  const Json* j = field(rule, key);
  if (j == nullptr) {
    return c;
  }
  std::string here = fmt::format("{}.{}", where, key);
  if (!j->is_object()) {
    return bad(here, "must be an object");
  }
  c.caps = BERTH_TRY(strings(*j, "caps", here));
  c.arches = BERTH_TRY(strings(*j, "arches", here));
  auto mk = BERTH_TRY(opt_string(*j, "minKernel", here));
  if (mk) {
    auto v = parse_kernel_version(*mk);
    if (!v) {
      return bad(here, v.error().message());
    }
    c.min_kernel = *v;
  }
  return c;
}

Result<SeccompRule> ProfileParser::rule(const Json& j, const std::string& where) const {
  if (!j.is_object()) {
    return bad(where, "must be an object");
  }
  SeccompRule r;
  r.names = BERTH_TRY(strings(j, "names", where));
  auto name = BERTH_TRY(opt_string(j, "name", where));
  if (name && !name->empty()) {
    if (!r.names.empty()) {
      return bad(where, "both \"name\" and \"names\" are given; use \"names\"");
    }
    r.names.push_back(*name);
  }
  auto act = BERTH_TRY(action(j, "action", where));
  if (!act) {
    return bad(where, "\"action\" is missing");
  }
  r.action = *act;
  auto err = BERTH_TRY(opt_uint(j, "errnoRet", where, 0xffff));
  if (err) {
    r.errno_ret = static_cast<unsigned>(*err);
  }
  if (const Json* args = field(j, "args"); args != nullptr) {
    if (!args->is_array()) {
      return bad(where, "\"args\" must be a list");
    }
    for (size_t i = 0; i < args->size(); ++i) {
      r.args.push_back(BERTH_TRY(arg((*args)[i], fmt::format("{}.args[{}]", where, i))));
    }
  }
  r.includes = BERTH_TRY(condition(j, "includes", where));
  r.excludes = BERTH_TRY(condition(j, "excludes", where));
  r.comment = BERTH_TRY(opt_string(j, "comment", where)).value_or("");
  return r;
}

Result<SeccompProfile> ProfileParser::profile(const Json& doc) const {
  if (!doc.is_object()) {
    return bad("", "a profile must be a JSON object");
  }
  SeccompProfile p;
  p.default_action = BERTH_TRY(action(doc, "defaultAction", ""));
  auto err = BERTH_TRY(opt_uint(doc, "defaultErrnoRet", "", 0xffff));
  if (err) {
    p.default_errno_ret = static_cast<unsigned>(*err);
  }
  p.architectures = BERTH_TRY(arches(doc, "architectures", ""));
  if (const Json* map = field(doc, "archMap"); map != nullptr) {
    if (!map->is_array()) {
      return bad("", "\"archMap\" must be a list");
    }
    for (size_t i = 0; i < map->size(); ++i) {
      std::string where = fmt::format("archMap[{}]", i);
      const Json& e = (*map)[i];
      if (!e.is_object()) {
        return bad(where, "must be an object");
      }
      SeccompArchMap m;
      auto arch = BERTH_TRY(opt_string(e, "architecture", where));
      if (!arch || !known_arch(*arch)) {
        return bad(where, fmt::format("unknown architecture \"{}\"", arch.value_or("")));
      }
      m.arch = *arch;
      m.sub_arches = BERTH_TRY(arches(e, "subArchitectures", where));
      p.arch_map.push_back(std::move(m));
    }
  }
  if (!p.architectures.empty() && !p.arch_map.empty()) {
    return bad("", "both \"architectures\" and \"archMap\" are given; use one");
  }
  p.flags = BERTH_TRY(strings(doc, "flags", ""));
  for (const auto& f : p.flags) {
    if (!lookup(kFlags, f)) {
      return bad("", fmt::format("unknown flag \"{}\"", f));
    }
  }
  if (const Json* calls = field(doc, "syscalls"); calls != nullptr) {
    if (!calls->is_array()) {
      return bad("", "\"syscalls\" must be a list");
    }
    for (size_t i = 0; i < calls->size(); ++i) {
      p.syscalls.push_back(BERTH_TRY(rule((*calls)[i], fmt::format("syscalls[{}]", i))));
    }
  }
  if (!p.default_action && !p.syscalls.empty()) {
    return bad("", "\"defaultAction\" is missing");
  }
  return p;
}

bool has_cap(CapMask caps, const std::string& name) {
  auto c = capability_from_name(name);
  return c && (caps & cap_bit(*c)) != 0;
}

bool contains(const std::vector<std::string>& list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

// moby's setupSeccomp: every include must hold, and no exclude may.
bool rule_applies(const SeccompRule& r, CapMask caps, const SeccompHost& host) {
  const auto& ex = r.excludes;
  if (contains(ex.arches, host.arch)) {
    return false;
  }
  for (const auto& c : ex.caps) {
    if (has_cap(caps, c)) {
      return false;
    }
  }
  if (ex.min_kernel && host.kernel >= *ex.min_kernel) {
    return false;
  }
  const auto& in = r.includes;
  if (!in.arches.empty() && !contains(in.arches, host.arch)) {
    return false;
  }
  for (const auto& c : in.caps) {
    if (!has_cap(caps, c)) {
      return false;
    }
  }
  return !(in.min_kernel && host.kernel < *in.min_kernel);
}

}  // namespace

std::string_view seccomp_action_name(SeccompAction action) {
  for (const auto& [name, a] : kActions) {
    if (a == action && name != "SCMP_ACT_KILL") {
      return name;
    }
  }
  return "SCMP_ACT_UNKNOWN";
}

std::string_view seccomp_op_name(SeccompOp op) {
  for (const auto& [name, o] : kOps) {
    if (o == op) {
      return name;
    }
  }
  return "SCMP_CMP_UNKNOWN";
}

Result<SeccompProfile> parse_seccomp_profile(std::string_view json_text, std::string_view what) {
  auto doc = parse_json(json_text, what);
  if (!doc) {
    return fail(Code::kInvalidArgument, doc.error().str());
  }
  return ProfileParser(what).profile(*doc);
}

Result<SeccompHost> current_seccomp_host() {
  SeccompHost host;
#if defined(__x86_64__) && !defined(__ILP32__)
  host.arch = "amd64";
#elif defined(__i386__)
  host.arch = "x86";
#elif defined(__aarch64__)
  host.arch = "arm64";
#elif defined(__arm__)
  host.arch = "arm";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  host.arch = "ppc64le";
#elif defined(__s390x__)
  host.arch = "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
  host.arch = "riscv64";
#elif defined(__loongarch64)
  host.arch = "loongarch64";
#else
  return fail(Code::kUnsupported, "seccomp: unsupported host architecture");
#endif
  struct utsname uts {};
  if (::uname(&uts) != 0) {
    return fail_errno("uname");
  }
  unsigned k = 0;
  unsigned m = 0;
  if (std::sscanf(uts.release, "%u.%u", &k, &m) != 2) {
    return fail(Code::kInternal, fmt::format("uname: unexpected kernel release \"{}\"",
                                             static_cast<const char*>(uts.release)));
  }
  host.kernel = {k, m};
  return host;
}

Result<ResolvedSeccomp> resolve_seccomp(const SeccompProfile& profile, CapMask caps,
                                        const SeccompHost& host) {
  ResolvedSeccomp out;
  if (!profile.default_action) {
    return fail(Code::kInvalidArgument, "seccomp profile has no default action");
  }
  out.default_action = *profile.default_action;
  out.default_errno_ret = profile.default_errno_ret.value_or(EPERM);
  out.architectures = profile.architectures;
  if (auto native = lookup(kHostArches, host.arch)) {
    out.host_arch = *native;
    for (const auto& m : profile.arch_map) {
      if (m.arch == *native) {
        out.architectures.push_back(m.arch);
        out.architectures.insert(out.architectures.end(), m.sub_arches.begin(), m.sub_arches.end());
        break;
      }
    }
  }
  for (const auto& f : profile.flags) {
    out.filter_flags |= lookup(kFlags, f).value_or(0);
  }
  for (const auto& r : profile.syscalls) {
    if (!rule_applies(r, caps, host)) {
      continue;
    }
    SeccompRule copy = r;
    copy.includes = {};
    copy.excludes = {};
    out.rules.push_back(std::move(copy));
  }
  return out;
}

int set_no_new_privs() noexcept {
  return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 ? 0 : errno;
}

int apply_seccomp(const SeccompProgram& program) noexcept {
  if (program.instructions.empty()) {
    return 0;
  }
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(program.instructions.size());
  prog.filter = const_cast<sock_filter*>(program.instructions.data());
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, program.flags, &prog) == 0) {
    return 0;
  }
  int err = errno;
  if (err == ENOSYS && program.flags == 0) {
    return ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0 ? 0 : errno;
  }
  return err;
}

}  // namespace berth::sys
