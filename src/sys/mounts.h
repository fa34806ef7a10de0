// A container's root filesystem as a list of typed mount steps (bubblewrap's and crun's model):
// the parent builds a MountPlan, where every path and option is a finished string, and the
// child, between clone() and execve(), runs apply_mount_plan(), which only makes syscalls. On
// failure the child reports a fixed MountFailure {step, errno} and the parent turns it into a
// one-line error with describe_failure().
//
// Paths inside the container are never joined onto the rootfs path: a step whose target is in
// the root resolves it with openat2(RESOLVE_IN_ROOT) against the container root, creates what is
// missing through directory fds (like docker, which makes mount points in the rootfs), and
// attaches the mount to the resulting fd with the new mount API (fsopen/fsmount, open_tree,
// mount_setattr, move_mount(MOVE_MOUNT_T_EMPTY_PATH)). Host paths (bind sources, overlay layer
// dirs, the rootfs itself) are berth's or the user's and are used as given.
//
// Masks and read-only paths run after pivot_root, as in runc: /proc and /sys are then the
// container's own fresh mounts, "/dev/null" is the container's node, and nothing of the host's
// tree is reachable any more. The read-only remount of "/" comes last, after every mount point
// has been created.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace berth::sys {

enum class StepKind : uint8_t {
  kPropagation,      // mount(NULL, "/", MS_REC | MS_SLAVE or MS_PRIVATE)
  kOverlay,          // overlay of lowerdirs (top first) + upperdir/workdir on target
  kBind,             // bind source (host path) on target, optionally recursive and read-only
  kFilesystem,       // a new filesystem (proc, sysfs, tmpfs, devpts, mqueue, cgroup, cgroup2)
  kDevice,           // mknod target; bind source (the host's node) over it when mknod is denied
  kSymlink,          // target -> link_text
  kMask,             // /dev/null over a file, an empty read-only tmpfs over a directory
  kReadonlyPath,     // bind target onto itself (recursively), then make it read-only
  kPivotRoot,        // pivot_root into the container root, old root detached
  kRemountReadonly,  // make the mount at target read-only (non-recursive); "/" for --read-only
};

// One fsconfig(2) parameter: FSCONFIG_SET_STRING key=value, or FSCONFIG_SET_FLAG key.
struct FsParam {
  std::string key;
  std::string value;
  bool flag = false;
};

// A step. Which fields matter depends on kind; the rest stay empty.
struct MountStep {
  StepKind kind = StepKind::kBind;
  // The mount point (or node, or link). in_root: a path inside the container, resolved in the
  // root; otherwise an absolute host path (the rootfs mount point itself).
  std::string target;
  bool in_root = true;
  // kBind, kDevice: the host path to bind. kMask: the in-root node bound over files.
  std::string source;
  // kBind, kReadonlyPath: AT_RECURSIVE for open_tree and mount_setattr.
  bool recursive = false;
  // MOUNT_ATTR_* flags: for kFilesystem/kOverlay they are fsmount's attributes; for kBind they
  // are set on the detached tree (mount_setattr) before it is attached.
  uint64_t attr_set = 0;
  uint64_t attr_clr = 0;
  // kFilesystem, kOverlay: filesystem type and its fsconfig parameters ("source" included).
  std::string fstype;
  std::vector<FsParam> params;
  // kOverlay: layer dirs, top-most first, passed one by one as "lowerdir+" (Linux 6.8+). When
  // the kernel rejects "lowerdir+" with EINVAL, or legacy_overlay is set, the overlay is mounted
  // with mount(2) and legacy_data ("lowerdir=a:b,upperdir=..,workdir=..", up to a page).
  std::vector<std::string> lowerdirs;
  std::string legacy_data;
  bool legacy_overlay = false;
  // kDevice: node type and mode bits (S_IFCHR | 0666) and device number.
  mode_t mode = 0;
  dev_t dev = 0;
  // kSymlink: the link's content; replace: remove an existing entry first (/dev/ptmx).
  std::string link_text;
  bool replace = false;
  // kPropagation: MS_SLAVE or MS_PRIVATE (MS_REC is added).
  unsigned long propagation = 0;
};

// Where a step failed: its index in MountPlan::steps() and the errno. Trivially copyable, so
// the child can write it to a pipe as it is.
struct MountFailure {
  int32_t step = -1;
  int32_t err = 0;
};

// The ordered steps for one container root. Building may allocate and validates its input;
// applying does not allocate (see apply_mount_plan).
class MountPlan {
 public:
  // rootfs: absolute host path of the container's root directory (the overlay's mount point, or
  // a plain directory). In-root targets resolve against whatever is mounted there when the step
  // runs.
  explicit MountPlan(std::string rootfs);

  const std::string& rootfs() const { return rootfs_; }
  const std::vector<MountStep>& steps() const { return steps_; }

  // The last step added, for tweaks (legacy_overlay, attributes); valid until the next add.
  MountStep& back() { return steps_.back(); }

  // Each adder appends one step. Paths are made tidy ("//" and "." components and a trailing
  // "/" dropped) and must be absolute. Errors are InvalidArgument naming the bad value.
  void propagation(bool slave);
  // Overlay on the host path target (usually rootfs()). options: extra overlay options such as
  // "index=off" or "userxattr". An empty upperdir makes a read-only overlay of the lowerdirs.
  Result<void> overlay(const std::string& target, const std::vector<std::string>& lowerdirs,
                       const std::string& upperdir, const std::string& workdir,
                       const std::vector<std::string>& options);
  // Bind of a host path onto target. in_root false: target is a host path (binding the rootfs
  // onto itself so that pivot_root sees a mount point).
  Result<void> bind(const std::string& source, const std::string& target, bool recursive,
                    bool readonly, bool in_root = true);
  // A new filesystem. options is a mount(8)-style list: mount flags (ro, rw, nosuid, suid, nodev,
  // dev, noexec, exec, noatime, relatime, strictatime, nodiratime, nosymfollow) become fsmount
  // attributes; propagation and bind words (rprivate, rbind...) are dropped, as docker's tmpfs
  // options carry them; everything else is a filesystem parameter ("mode=755", "newinstance").
  // Later words win ("noexec,exec" is exec).
  Result<void> filesystem(const std::string& fstype, const std::string& source,
                          const std::string& target, const std::string& options);
  // A character ('c') or block ('b') device node with permission bits perm; host_source is
  // bound over it if mknod fails with EPERM (user namespaces).
  Result<void> device(const std::string& target, char type, unsigned major, unsigned minor,
                      mode_t perm, const std::string& host_source);
  Result<void> symlink(const std::string& target, const std::string& link_text, bool replace);
  Result<void> mask(const std::string& target);
  Result<void> readonly_path(const std::string& target);
  void pivot_root();
  Result<void> remount_readonly(const std::string& target);

 private:
  MountStep& add(StepKind kind);
  std::string rootfs_;
  std::vector<MountStep> steps_;
};

// Runs the steps in order in the calling process's mount namespace (the caller has unshared it).
// Only syscalls: no allocation, no locks, no stdio, so it is safe between clone() and execve()
// (and after fork() in a threaded process). A missing mount point is created in the root:
// directories for filesystems and directory binds, an empty file for file binds. Masks and
// read-only paths whose target does not exist are skipped. On failure fills *out (when not
// null) with the step index and errno and returns -1, leaving earlier steps in place (the mount
// namespace dies with the child); returns 0 on success. Opens and closes its own fds.
int apply_mount_plan(const MountPlan& plan, MountFailure* out) noexcept;

// One line for a failure of plan: "mounting overlay on /var/lib/berth/.../merged: Invalid
// argument", "bind-mounting /srv/data on /data: No such file or directory".
std::string describe_failure(const MountPlan& plan, const MountFailure& failure);

// ---- docker's default container filesystem ----

// The image's layers, mounted as an overlay on ContainerFsSpec::rootfs.
struct OverlayLayers {
  std::vector<std::string> lowerdirs;  // top-most first
  std::string upperdir;
  std::string workdir;
  std::vector<std::string> options;  // extra overlay options ("index=off")
};

// A mount the user asked for (-v, --mount, --tmpfs).
struct UserMount {
  enum class Type { kBind, kVolume, kTmpfs };
  Type type = Type::kBind;
  std::string source;  // bind: the host path; volume: the volume's data directory on the host
  std::string target;  // absolute path in the container
  bool readonly = false;
  bool recursive = true;  // docker binds are rbind unless bind-recursive=disabled
  std::string options;    // tmpfs: "size=64m,mode=1777" (after docker's noexec,nosuid,nodev)
};

// A file berth writes on the host and binds in: /etc/hosts, /etc/hostname, /etc/resolv.conf.
struct HostFile {
  std::string source;
  std::string target;
};

// One cgroup hierarchy to show under /sys/fs/cgroup.
//   v2 with an empty target: the whole unified hierarchy at /sys/fs/cgroup (cgroup v2 hosts);
//   otherwise /sys/fs/cgroup/<target> on a tmpfs (v1: "memory", "cpu,cpuacct", "systemd";
//   hybrid hosts: v2 "unified").
// source: the container's cgroup directory on the host, bound when there is no cgroup namespace.
struct CgroupMount {
  std::string source;
  std::string target;
  bool v2 = false;
};

struct DeviceNode {
  std::string path;  // in the container, "/dev/fuse"
  char type = 'c';
  unsigned major = 0;
  unsigned minor = 0;
  mode_t perm = 0666;
  std::string host_path;  // bound over path when mknod is not allowed
};

struct ContainerFsSpec {
  std::string rootfs;                    // absolute host path of the container's root
  std::optional<OverlayLayers> overlay;  // mounted on rootfs first; else rootfs is bound to itself
  bool readonly_root = false;            // --read-only
  bool privileged = false;               // no masks or read-only paths, /sys and cgroups rw
  bool root_slave = true;                // "/" rslave (runc's default) or rprivate
  std::vector<HostFile> etc_files;
  std::vector<UserMount> mounts;
  int64_t shm_size = 64 << 20;       // bytes; <= 0: no /dev/shm (--ipc none, or a bind in mounts)
  std::vector<CgroupMount> cgroups;  // empty: no /sys/fs/cgroup mount
  bool cgroupns = true;              // mount cgroup filesystems (private cgroupns) or bind sources
  std::vector<DeviceNode> devices;   // --device nodes, after docker's default ones
};

// docker's default devices: null, zero, full, random, urandom, tty (all 0666).
std::vector<DeviceNode> default_devices();
// docker's masked and read-only paths.
const std::vector<std::string>& default_masked_paths();
const std::vector<std::string>& default_readonly_paths();

// The plan docker's defaults give a container, in runc's order: "/" rslave; the rootfs
// (overlay or self-bind); /proc, /dev, /dev/pts, /sys, /sys/fs/cgroup, /dev/mqueue, /dev/shm
// (moby's default spec order); user mounts and etc files sorted by depth (a user mount replaces
// a default one at the same target, and a user /dev drops the default ones under it); device
// nodes, /dev/ptmx -> pts/ptmx and the /dev/fd, stdin, stdout, stderr (and /dev/core when the
// host has /proc/kcore) links; pivot_root; read-only paths and masks unless privileged; and the
// read-only remount of "/" with readonly_root. InvalidArgument for a relative or "/" target.
Result<MountPlan> default_container_mounts(const ContainerFsSpec& spec);

}  // namespace berth::sys
