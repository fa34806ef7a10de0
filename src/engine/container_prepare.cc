#include "engine/container_prepare.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>

#include <algorithm>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/log.h"
#include "base/strings.h"
#include "base/undo.h"
#include "engine/container_mounts.h"
#include "engine/seccomp_cache.h"
#include "runtime/rootfs.h"
#include "runtime/spawn.h"
#include "sys/caps.h"
#include "sys/mounts.h"
#include "sys/rlimits.h"
#include "sys/seccomp_filter.h"
#include "sys/user_lookup.h"

namespace berth::engine {

namespace {

bool has_key(const std::vector<std::string>& env, std::string_view key) {
  return std::any_of(env.begin(), env.end(), [&](const std::string& e) {
    return e.size() > key.size() && e.compare(0, key.size(), key) == 0 && e[key.size()] == '=';
  });
}

// docker's process environment: the config's, with HOSTNAME after PATH, TERM for a tty and
// HOME from the user's passwd entry when none is set.
std::vector<std::string> process_env(const Container& c, const sys::ExecUser& user) {
  std::vector<std::string> env = c.config.env;
  if (!has_key(env, "HOSTNAME")) {
    auto pos = std::find_if(env.begin(), env.end(),
                            [](const std::string& e) { return e.rfind("PATH=", 0) == 0; });
    env.insert(pos == env.end() ? env.begin() : pos + 1, "HOSTNAME=" + c.config.hostname);
  }
  if (c.config.tty && !has_key(env, "TERM")) {
    env.push_back("TERM=xterm");
  }
  if (!has_key(env, "HOME")) {
    env.push_back(sys::home_env(user));
  }
  return env;
}

sys::CgroupLimits cgroup_limits(const HostConfig& hc) {
  sys::CgroupLimits l;
  if (hc.memory != 0) {
    l.memory = hc.memory;
  }
  if (hc.memory_swap != 0) {
    l.memory_swap = hc.memory_swap;
  }
  if (hc.memory_reservation != 0) {
    l.memory_reservation = hc.memory_reservation;
  }
  if (hc.nano_cpus != 0) {
    l.cpu_period = 100000;
    l.cpu_quota = hc.nano_cpus / 10000;  // µs per 100 ms period
  }
  if (hc.cpu_quota != 0) {
    l.cpu_quota = hc.cpu_quota;
  }
  if (hc.cpu_period != 0) {
    l.cpu_period = hc.cpu_period;
  }
  if (hc.cpu_shares != 0) {
    l.cpu_shares = static_cast<uint64_t>(hc.cpu_shares);
  }
  if (hc.pids_limit) {
    l.pids_max = *hc.pids_limit;
  }
  return l;
}

Result<sys::Cgroup> make_cgroup(const std::string& path, const HostConfig& hc) {
  auto limits = cgroup_limits(hc);
  auto made = sys::Cgroup::create(path, limits);
  if (made || made.error().code() != Code::kConflict) {
    return made;
  }
  // Left by a monitor that was killed: nothing of it may survive into the new start.
  auto stale = BERTH_TRY(sys::Cgroup::open(path));
  BERTH_CHECK(stale.kill_all(SIGKILL));
  BERTH_CHECK(stale.destroy());
  return sys::Cgroup::create(path, limits);
}

struct Security {
  bool no_new_privs = false;
  bool unconfined = false;
  std::string profile_json;
};

Security security_options(const HostConfig& hc) {
  Security s;
  for (const auto& opt : hc.security_opt) {
    auto [key, value] = cut(opt, opt.find('=') != std::string::npos ? '=' : ':');
    if (key == "no-new-privileges") {
      s.no_new_privs = value.empty() || value == "true";
    } else if (key == "seccomp") {
      s.unconfined = value == "unconfined";
      if (!s.unconfined) {
        s.profile_json = std::string(value);
      }
    }
  }
  return s;
}

// What differs between the init and an exec: who, what, where.
struct ProcessInput {
  std::string user;
  std::vector<std::string> argv;
  std::vector<std::string> extra_env;  // exec -e, after the container's
  std::string workdir;
  bool privileged = false;
};

// The container's seccomp program: docker's default profile or the one given, for these
// capabilities on this host, compiled once per berth binary and kept in the run root.
Result<sys::SeccompProgram> seccomp_program(const ContainerStore& cs, const Security& sec,
                                            sys::CapMask mask) {
  auto host = BERTH_TRY(sys::current_seccomp_host());
  std::string key =
      fmt::format("{}\n{:x}\n{} {}.{}\n{}", binary_identity(), mask, host.arch, host.kernel.kernel,
                  host.kernel.major, sec.profile_json.empty() ? "default" : sec.profile_json);
  return cached_seccomp(cs.seccomp_cache(), key, [&]() -> Result<sys::SeccompProgram> {
    if (sec.profile_json.empty()) {
      return sys::compile_seccomp(sys::docker_default_seccomp_profile(), mask, host);
    }
    auto profile = BERTH_TRY(sys::parse_seccomp_profile(sec.profile_json, "seccomp profile"));
    return sys::compile_seccomp(profile, mask, host);
  });
}

Result<void> resolve_process(const ContainerStore& cs, const Container& c, int rootfd,
                             const ProcessInput& in, runtime::InitSpec& spec,
                             std::vector<std::string>& warnings) {
  const auto& hc = c.host_config;
  spec.user = BERTH_TRY(sys::resolve_user(rootfd, in.user, hc.group_add));
  spec.argv = in.argv;
  spec.env = process_env(c, spec.user);
  for (const auto& kv : in.extra_env) {
    std::string key = kv.substr(0, kv.find('='));
    auto it = std::find_if(spec.env.begin(), spec.env.end(), [&](const std::string& e) {
      return e.compare(0, key.size() + 1, key + "=") == 0;
    });
    if (it != spec.env.end()) {
      *it = kv;
    } else {
      spec.env.push_back(kv);
    }
  }
  spec.exec_candidates = runtime::exec_candidates(in.argv.empty() ? "" : in.argv[0], spec.env);
  spec.cwd = in.workdir.empty() ? "/" : in.workdir;
  if (spec.cwd != "/") {
    BERTH_CHECK(runtime::make_dir_in_root(rootfd, spec.cwd));
  }
  bool privileged = hc.privileged || in.privileged;
  auto caphost = BERTH_TRY(sys::current_capability_host());
  auto mask = BERTH_TRY(sys::resolve_capabilities(hc.cap_add, hc.cap_drop, privileged, caphost));
  spec.caps = sys::prepare_capabilities(mask, caphost.last_cap);
  Security sec = security_options(hc);
  spec.no_new_privs = sec.no_new_privs;
  if (!privileged && !sec.unconfined) {
    spec.seccomp = BERTH_TRY(seccomp_program(cs, sec, mask));
  }
  std::vector<sys::Ulimit> ulimits;
  for (const auto& u : hc.ulimits) {
    auto res = sys::rlimit_from_name(u.name);
    if (!res) {
      return fail(Code::kInvalidArgument, fmt::format("unknown ulimit \"{}\"", u.name));
    }
    ulimits.push_back(sys::Ulimit{u.name, *res, u.soft, u.hard});
  }
  spec.rlimits = sys::prepare_rlimits(ulimits, BERTH_TRY(sys::current_rlimit_ceilings()));
  warnings = spec.rlimits.warnings;
  return {};
}

// --init: berth-init, built next to berth, bound in where docker puts docker-init.
constexpr const char* kInitPath = "/sbin/docker-init";

Result<std::string> init_binary() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) {
    return fail_errno("finding berth's own binary");
  }
  std::string path = dir_name(std::string(buf, static_cast<size_t>(n))) + "/berth-init";
  if (!path_exists(path)) {
    return fail(Code::kNotFound, "--init: " + path + " is missing (it is built with berth)");
  }
  return path;
}

Result<sys::MountPlan> mount_plan(const Container& c, const std::string& merged,
                                  const sys::Cgroup& cgroup) {
  const auto& hc = c.host_config;
  sys::ContainerFsSpec fs;
  if (hc.init.value_or(false)) {
    sys::UserMount um;
    um.type = sys::UserMount::Type::kBind;
    um.source = BERTH_TRY(init_binary());
    um.target = kInitPath;
    um.readonly = true;
    um.recursive = false;
    fs.mounts.push_back(std::move(um));
  }
  fs.rootfs = merged;
  fs.readonly_root = hc.readonly_rootfs;
  fs.privileged = hc.privileged;
  fs.etc_files = {{c.hostname_path, "/etc/hostname"},
                  {c.hosts_path, "/etc/hosts"},
                  {c.resolv_conf_path, "/etc/resolv.conf"}};
  for (const auto& m : c.mounts) {
    sys::UserMount um;
    um.type = m.type == "tmpfs"    ? sys::UserMount::Type::kTmpfs
              : m.type == "volume" ? sys::UserMount::Type::kVolume
                                   : sys::UserMount::Type::kBind;
    um.source = m.source;
    um.target = m.destination;
    um.readonly = !m.rw;
    fs.mounts.push_back(std::move(um));
  }
  for (const auto& ms : hc.mounts) {
    if (ms.type != "tmpfs") {
      continue;
    }
    for (auto& um : fs.mounts) {
      if (um.target == ms.target) {
        std::string opts;
        if (ms.tmpfs_size > 0) {
          opts = fmt::format("size={}", ms.tmpfs_size);
        }
        if (ms.tmpfs_mode != 0) {
          opts += fmt::format("{}mode={:o}", opts.empty() ? "" : ",", ms.tmpfs_mode);
        }
        um.options = opts;
      }
    }
  }
  for (const auto& [path, opts] : hc.tmpfs) {
    sys::UserMount um;
    um.type = sys::UserMount::Type::kTmpfs;
    um.target = path;
    um.options = opts;
    fs.mounts.push_back(std::move(um));
  }
  fs.shm_size = hc.shm_size;
  for (const auto& [h, dir] : cgroup.directories()) {
    sys::CgroupMount cm;
    cm.source = dir;
    cm.v2 = h.v2;
    if (!h.v2 || cgroup.directories().size() > 1) {
      cm.target = h.v2 ? "unified" : base_name(h.mount_point);
    }
    if (!cm.target.empty() || h.v2) {
      fs.cgroups.push_back(std::move(cm));
    }
  }
  return sys::default_container_mounts(fs);
}

}  // namespace

Result<void> mount_container_rootfs(const ContainerStore& cs, const Container& c,
                                    const std::string& target, bool volatile_upper) {
  runtime::RootfsLayers layers;
  layers.lowerdirs = c.layer_dirs;
  if (layers.lowerdirs.empty()) {
    // An image without layers (FROM scratch): overlay needs one lower directory.
    layers.lowerdirs.push_back(cs.dir(c.id) + "/empty");
    BERTH_CHECK(mkdir_p(layers.lowerdirs.back(), 0755));
  }
  layers.upperdir = cs.dir(c.id) + "/upper";
  layers.workdir = cs.dir(c.id) + "/work";
  layers.volatile_upper = volatile_upper;
  return runtime::mount_rootfs(layers, target);
}

namespace {

// --network container:<name|id>: the network namespace of that container's running init.
Result<UniqueFd> other_container_netns(const ContainerStore& cs, const std::string& ref) {
  auto id = BERTH_TRY_CTX(cs.resolve(ref), "joining the network of container " + ref);
  auto s = BERTH_TRY(cs.read_state(id));
  if ((s.status != "running" && s.status != "paused") || !same_process(s.pid, s.pid_start_time)) {
    return fail(Code::kConflict,
                fmt::format("cannot join network namespace of a non running container: {}", ref));
  }
  UniqueFd fd(::open(fmt::format("/proc/{}/ns/net", s.pid).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return fail_errno("opening the network namespace of container " + ref);
  }
  return fd;
}

}  // namespace

Result<Prepared> prepare_container(const ContainerStore& cs, const Container& c) {
  UndoStack undo;
  std::string run_dir = cs.run_dir(c.id);
  std::string merged = cs.merged(c.id);
  BERTH_CHECK(mkdir_p(merged, 0755));
  undo.add([run_dir] { (void)remove_tree(run_dir); });
  // A --rm container is mounted once, for its only run; "volatile" then spares the unmount a
  // sync. (A volatile upper cannot be mounted again, so `cp` into a created one mounts without.)
  BERTH_CHECK(mount_container_rootfs(cs, c, merged, c.host_config.auto_remove));
  undo.add([merged] { (void)runtime::unmount_rootfs(merged); });
  log::phase("rootfs mounted");
  auto rootfd = BERTH_TRY(open_dir(merged));
  BERTH_CHECK(populate_volumes(c, rootfd.get()));

  Prepared p{runtime::InitSpec{}, BERTH_TRY(make_cgroup(cs.cgroup_path(c.id), c.host_config)), {}};
  undo.add([cg = p.cgroup] {
    (void)cg.kill_all(SIGKILL);
    (void)cg.destroy();
  });
  log::phase("cgroup made");
  ProcessInput in;
  in.user = c.config.user;
  in.argv.push_back(c.path);
  in.argv.insert(in.argv.end(), c.args.begin(), c.args.end());
  in.workdir = c.config.working_dir;
  if (c.host_config.init.value_or(false)) {
    in.argv.insert(in.argv.begin(), {kInitPath, "--"});
  }
  BERTH_CHECK(resolve_process(cs, c, rootfd.get(), in, p.spec, p.warnings));
  log::phase("process resolved");
  p.spec.new_net = c.host_config.network_mode != "host";
  if (c.host_config.network_mode.starts_with("container:")) {
    p.join_netns = BERTH_TRY(other_container_netns(cs, c.host_config.network_mode.substr(10)));
    p.spec.join_netns_fd = p.join_netns.get();
    p.spec.new_net = false;
  }
  p.spec.hostname = c.config.hostname;
  p.spec.domainname = c.config.domainname;
  p.spec.mounts = BERTH_TRY(mount_plan(c, merged, p.cgroup));
  undo.disarm();
  return p;
}

Result<runtime::InitSpec> prepare_exec(const ContainerStore& cs, const Container& c,
                                       const ExecRequest& req) {
  auto rootfd = BERTH_TRY(open_dir(cs.merged(c.id)));
  ProcessInput in;
  in.user = req.user.empty() ? c.config.user : req.user;
  in.argv = req.cmd;
  in.extra_env = req.env;
  in.workdir = req.workdir.empty() ? c.config.working_dir : req.workdir;
  in.privileged = req.privileged;
  runtime::InitSpec spec;
  std::vector<std::string> warnings;
  BERTH_CHECK(resolve_process(cs, c, rootfd.get(), in, spec, warnings));
  if (req.tty && std::none_of(spec.env.begin(), spec.env.end(),
                              [](const std::string& e) { return e.rfind("TERM=", 0) == 0; })) {
    spec.env.push_back("TERM=xterm");
  }
  return spec;
}

Result<void> release_container(const ContainerStore& cs, const std::string& id) {
  std::optional<Error> first;
  // The monitor releases what it made when the container stops, and `rm -f` may be doing the
  // same at that moment: what is already gone is fine.
  auto note = [&](Result<void> r) {
    if (!r && !first && r.error().code() != Code::kNotFound) {
      first = r.error();
    }
  };
  if (auto cg = sys::Cgroup::open(cs.cgroup_path(id))) {
    note(cg->kill_all(SIGKILL));
    note(cg->destroy());
  }
  note(runtime::unmount_rootfs(cs.merged(id)));
  if (path_exists(cs.run_dir(id))) {
    note(remove_tree(cs.run_dir(id)));
  }
  if (first) {
    return tl::unexpected(*first);
  }
  return {};
}

}  // namespace berth::engine
