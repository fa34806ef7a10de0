// docker's default container filesystem as a MountPlan: moby's default spec (oci/defaults.go),
// its WithMounts rules, and runc's rootfs setup order (prepareRoot, mounts, devices, links,
// pivot_root, read-only paths and masks, read-only root).
#include <unistd.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "base/strings.h"
#include "sys/mounts.h"

namespace berth::sys {

namespace {

size_t path_depth(const std::string& p) {
  size_t n = 0;
  for (const auto& part : split(p, '/')) {
    n += part.empty() ? 0 : 1;
  }
  return n;
}

std::string tidy(const std::string& p) {
  std::string out;
  for (const auto& part : split(p, '/')) {
    if (!part.empty() && part != ".") {
      out += "/" + part;
    }
  }
  return out.empty() ? "/" : out;
}

// A user mount or etc file, in one list so that they sort together by depth as in moby.
struct Extra {
  const UserMount* user = nullptr;
  const HostFile* file = nullptr;
  std::string target;
};

Result<std::vector<Extra>> sorted_extras(const ContainerFsSpec& spec) {
  std::vector<Extra> out;
  for (const auto& m : spec.mounts) {
    if (m.target.empty() || m.target[0] != '/') {
      return fail(Code::kInvalidArgument,
                  fmt::format("invalid mount config: mount path \"{}\" is not absolute", m.target));
    }
    if (tidy(m.target) == "/") {
      return fail(Code::kInvalidArgument, "invalid mount config: destination can't be '/'");
    }
    out.push_back({&m, nullptr, tidy(m.target)});
  }
  std::set<std::string> user_targets;
  for (const auto& e : out) {
    user_targets.insert(e.target);
  }
  for (const auto& f : spec.etc_files) {
    // A user mount at the same place wins (docker skips its own /etc/hosts then).
    if (user_targets.count(tidy(f.target)) == 0) {
      out.push_back({nullptr, &f, tidy(f.target)});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Extra& a, const Extra& b) {
    return path_depth(a.target) < path_depth(b.target);
  });
  return out;
}

Result<void> add_extra(MountPlan& plan, const Extra& e, bool readonly_root) {
  if (e.file != nullptr) {
    // moby: the network files are writable unless the root is read-only.
    return plan.bind(e.file->source, e.target, false, readonly_root);
  }
  const UserMount& m = *e.user;
  if (m.type == UserMount::Type::kTmpfs) {
    std::string opts = "noexec,nosuid,nodev";
    if (!m.options.empty()) {
      opts += "," + m.options;
    }
    if (m.readonly) {
      opts += ",ro";
    }
    return plan.filesystem("tmpfs", "tmpfs", e.target, opts);
  }
  return plan.bind(m.source, e.target, m.recursive, m.readonly);
}

// runc with a cgroup namespace (v1): a new cgroup mount per hierarchy, options from the
// directory name ("cpu,cpuacct"; "systemd" is the named hierarchy name=systemd).
std::string v1_options(const std::string& name) {
  return name == "systemd" ? "name=systemd" : name;
}

Result<void> add_cgroups(MountPlan& plan, const ContainerFsSpec& spec) {
  if (spec.cgroups.empty()) {
    return {};
  }
  std::string ro = spec.privileged ? "" : "ro,";
  const std::string flags = ro + "nosuid,noexec,nodev";
  bool readonly = !spec.privileged;
  if (spec.cgroups.size() == 1 && spec.cgroups[0].v2 && spec.cgroups[0].target.empty()) {
    if (spec.cgroupns) {
      return plan.filesystem("cgroup2", "cgroup", "/sys/fs/cgroup", flags);
    }
    return plan.bind(spec.cgroups[0].source, "/sys/fs/cgroup", true, readonly);
  }
  BERTH_CHECK(plan.filesystem("tmpfs", "tmpfs", "/sys/fs/cgroup", "nosuid,noexec,nodev,mode=755"));
  for (const auto& c : spec.cgroups) {
    if (c.target.empty() || c.target.find('/') != std::string::npos || c.target == "." ||
        c.target == "..") {
      return fail(Code::kInvalidArgument,
                  fmt::format("cgroup hierarchy \"{}\": not a directory name", c.target));
    }
    std::string target = "/sys/fs/cgroup/" + c.target;
    if (!spec.cgroupns) {
      BERTH_CHECK(plan.bind(c.source, target, true, readonly));
    } else if (c.v2) {
      BERTH_CHECK(plan.filesystem("cgroup2", "cgroup", target, flags));
    } else {
      BERTH_CHECK(plan.filesystem("cgroup", "cgroup", target, flags + "," + v1_options(c.target)));
    }
  }
  // Co-mounted controllers get a link per controller: cpu -> cpu,cpuacct.
  for (const auto& c : spec.cgroups) {
    if (c.v2 || c.target.find(',') == std::string::npos) {
      continue;
    }
    for (const auto& ss : split(c.target, ',')) {
      if (!ss.empty() && ss != c.target) {
        BERTH_CHECK(plan.symlink("/sys/fs/cgroup/" + ss, c.target, false));
      }
    }
  }
  if (readonly) {
    BERTH_CHECK(plan.remount_readonly("/sys/fs/cgroup"));
  }
  return {};
}

// moby's default spec mounts, minus what user mounts replace.
Result<void> add_default_mounts(MountPlan& plan, const ContainerFsSpec& spec,
                                const std::set<std::string>& user_targets) {
  bool user_dev = user_targets.count("/dev") != 0;
  auto wanted = [&](const std::string& target) {
    return user_targets.count(target) == 0 && !(user_dev && target.rfind("/dev/", 0) == 0);
  };
  struct Fs {
    const char* type;
    const char* source;
    const char* target;
    std::string options;
  };
  std::string sys_opts = spec.privileged ? "nosuid,noexec,nodev" : "nosuid,noexec,nodev,ro";
  const Fs early[] = {
      {"proc", "proc", "/proc", "nosuid,noexec,nodev"},
      {"tmpfs", "tmpfs", "/dev", "nosuid,strictatime,mode=755,size=65536k"},
      {"devpts", "devpts", "/dev/pts", "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5"},
      {"sysfs", "sysfs", "/sys", sys_opts},
  };
  for (const auto& f : early) {
    if (wanted(f.target)) {
      BERTH_CHECK(plan.filesystem(f.type, f.source, f.target, f.options));
    }
  }
  if (wanted("/sys/fs/cgroup")) {
    BERTH_CHECK(add_cgroups(plan, spec));
  }
  if (wanted("/dev/mqueue")) {
    BERTH_CHECK(plan.filesystem("mqueue", "mqueue", "/dev/mqueue", "nosuid,noexec,nodev"));
  }
  if (spec.shm_size > 0 && wanted("/dev/shm")) {
    BERTH_CHECK(
        plan.filesystem("tmpfs", "shm", "/dev/shm",
                        fmt::format("nosuid,noexec,nodev,mode=1777,size={}", spec.shm_size)));
  }
  return {};
}

Result<void> add_dev_nodes(MountPlan& plan, const ContainerFsSpec& spec, bool user_dev) {
  if (user_dev) {
    return {};  // the user's /dev is theirs (runc only fills a /dev it mounted itself)
  }
  std::vector<DeviceNode> devices = default_devices();
  devices.insert(devices.end(), spec.devices.begin(), spec.devices.end());
  for (const auto& d : devices) {
    BERTH_CHECK(plan.device(d.path, d.type, d.major, d.minor, d.perm, d.host_path));
  }
  BERTH_CHECK(plan.symlink("/dev/ptmx", "pts/ptmx", true));
  BERTH_CHECK(plan.symlink("/dev/fd", "/proc/self/fd", false));
  BERTH_CHECK(plan.symlink("/dev/stdin", "/proc/self/fd/0", false));
  BERTH_CHECK(plan.symlink("/dev/stdout", "/proc/self/fd/1", false));
  BERTH_CHECK(plan.symlink("/dev/stderr", "/proc/self/fd/2", false));
  // runc links /dev/core only when the kernel has kcore (CONFIG_PROC_KCORE).
  if (::access("/proc/kcore", F_OK) == 0) {
    BERTH_CHECK(plan.symlink("/dev/core", "/proc/kcore", false));
  }
  return {};
}

}  // namespace

std::vector<DeviceNode> default_devices() {
  return {
      {"/dev/null", 'c', 1, 3, 0666, "/dev/null"},
      {"/dev/zero", 'c', 1, 5, 0666, "/dev/zero"},
      {"/dev/full", 'c', 1, 7, 0666, "/dev/full"},
      {"/dev/random", 'c', 1, 8, 0666, "/dev/random"},
      {"/dev/urandom", 'c', 1, 9, 0666, "/dev/urandom"},
      {"/dev/tty", 'c', 5, 0, 0666, "/dev/tty"},
  };
}

const std::vector<std::string>& default_masked_paths() {
  static const std::vector<std::string> kPaths = {
      "/proc/asound",
      "/proc/acpi",
      "/proc/kcore",
      "/proc/keys",
      "/proc/latency_stats",
      "/proc/timer_list",
      "/proc/timer_stats",
      "/proc/sched_debug",
      "/proc/scsi",
      "/sys/firmware",
      "/sys/devices/virtual/powercap",
  };
  return kPaths;
}

const std::vector<std::string>& default_readonly_paths() {
  static const std::vector<std::string> kPaths = {
      "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
  };
  return kPaths;
}

Result<MountPlan> default_container_mounts(const ContainerFsSpec& spec) {
  if (spec.rootfs.empty() || spec.rootfs[0] != '/') {
    return fail(Code::kInvalidArgument,
                fmt::format("container root \"{}\": not an absolute path", spec.rootfs));
  }
  MountPlan plan(tidy(spec.rootfs));
  plan.propagation(spec.root_slave);
  if (spec.overlay) {
    const OverlayLayers& o = *spec.overlay;
    BERTH_CHECK(plan.overlay(plan.rootfs(), o.lowerdirs, o.upperdir, o.workdir, o.options));
  } else {
    // pivot_root needs the new root to be a mount point.
    BERTH_CHECK(plan.bind(plan.rootfs(), plan.rootfs(), true, false, false));
  }
  auto extras = BERTH_TRY(sorted_extras(spec));
  std::set<std::string> user_targets;
  for (const auto& e : extras) {
    if (e.user != nullptr) {
      user_targets.insert(e.target);
    }
  }
  BERTH_CHECK(add_default_mounts(plan, spec, user_targets));
  for (const auto& e : extras) {
    BERTH_CHECK(add_extra(plan, e, spec.readonly_root));
  }
  BERTH_CHECK(add_dev_nodes(plan, spec, user_targets.count("/dev") != 0));
  plan.pivot_root();
  if (!spec.privileged) {
    for (const auto& p : default_readonly_paths()) {
      BERTH_CHECK(plan.readonly_path(p));
    }
    for (const auto& p : default_masked_paths()) {
      BERTH_CHECK(plan.mask(p));
    }
  }
  if (spec.readonly_root) {
    BERTH_CHECK(plan.remount_readonly("/"));
  }
  return plan;
}

}  // namespace berth::sys
