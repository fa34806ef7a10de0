// Applying a MountPlan in the child. Everything here runs between clone() and execve(): only
// syscalls and stack buffers, no allocation, no stdio, no locks. Each step function returns 0 or
// an errno value (captured before any fd is closed, so a close cannot clobber it).
#include <fcntl.h>
#include <linux/limits.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/unique_fd.h"
#include "sys/mounts.h"

namespace berth::sys {

namespace {

struct State {
  const MountPlan& plan;
  UniqueFd root;  // the container root; reopened after a mount lands on the rootfs host path
};

// open_in_root's one syscall, without the Result and std::string around it.
int raw_open_in_root(int rootfd, const char* path, int flags) {
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0; attempt < 32; ++attempt) {
    long fd = ::syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
    if (fd >= 0) {
      return static_cast<int>(fd);
    }
    if (errno != EAGAIN && errno != EINTR) {
      break;
    }
  }
  return -1;
}

int ensure_root(State& st) {
  if (st.root) {
    return 0;
  }
  int fd = ::open(st.plan.rootfs().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return errno;
  }
  st.root.reset(fd);
  return 0;
}

bool only_slashes(const char* s) {
  for (; *s != '\0'; ++s) {
    if (*s != '/') {
      return false;
    }
  }
  return true;
}

// A path being walked: a copy in a stack buffer that the walk cuts at '/' and that a dangling
// symlink rewrites.
struct WalkPath {
  char buf[PATH_MAX];
  size_t len = 0;
};

constexpr int kFollowLink = -1;  // walk_once: a dangling symlink rewrote the path; walk again

// Rewrites w after a dangling symlink: the component [start, end) is the link, read through
// dirfd/name (still NUL-terminated in w.buf) first. "a/link/rest" with link -> "/x/y" becomes
// "/x/y/rest", with link -> "x" it becomes "a/x/rest".
int splice_link(WalkPath& w, size_t start, size_t end, char saved, int dirfd, const char* name) {
  char link[PATH_MAX];
  ssize_t n = ::readlinkat(dirfd, name, link, sizeof(link) - 1);
  w.buf[end] = saved;
  if (n <= 0) {
    return ENOENT;  // not a symlink: something exists there that cannot be opened
  }
  size_t keep = link[0] == '/' ? 0 : start;
  size_t rest_len = w.len - end;  // "" or "/rest..."
  if (keep + static_cast<size_t>(n) + rest_len >= sizeof(w.buf)) {
    return ENAMETOOLONG;
  }
  std::memmove(w.buf + keep + n, w.buf + end, rest_len + 1);
  std::memcpy(w.buf + keep, link, static_cast<size_t>(n));
  w.len = keep + static_cast<size_t>(n) + rest_len;
  return kFollowLink;
}

// One walk from the root over w: each prefix is resolved afresh in the root (so symlinks stay
// inside it) and a missing component is created in the fd of its resolved parent.
int walk_once(int rootfd, WalkPath& w, bool last_is_file, UniqueFd* out) {
  UniqueFd parent(::fcntl(rootfd, F_DUPFD_CLOEXEC, 0));
  if (!parent) {
    return errno;
  }
  size_t i = 0;
  while (i < w.len) {
    while (i < w.len && w.buf[i] == '/') {
      ++i;
    }
    if (i >= w.len) {
      break;
    }
    size_t start = i;
    while (i < w.len && w.buf[i] != '/') {
      ++i;
    }
    char saved = w.buf[i];
    w.buf[i] = '\0';
    bool last = saved == '\0' || only_slashes(w.buf + i + 1);
    int next = raw_open_in_root(rootfd, w.buf, O_PATH);
    if (next < 0 && errno == ENOENT) {
      const char* name = w.buf + start;
      int r;
      if (last && last_is_file) {
        r = ::openat(parent.get(), name,
                     O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0755);
        if (r >= 0) {
          ::close(r);
        }
      } else {
        r = ::mkdirat(parent.get(), name, 0755);
      }
      if (r < 0 && errno == EEXIST) {
        // Exists but does not resolve: a dangling symlink, to be created where it points.
        return splice_link(w, start, i, saved, parent.get(), name);
      }
      if (r < 0) {
        return errno;
      }
      next = raw_open_in_root(rootfd, w.buf, O_PATH);
    }
    if (next < 0) {
      return errno;
    }
    parent.reset(next);
    w.buf[i] = saved;
  }
  *out = std::move(parent);
  return 0;
}

// Opens path in the root as O_PATH, creating what is missing on the way (like docker's
// MkdirAllInRoot): directories, and for the last component a directory or (last_is_file) an
// empty file. Dangling symlinks are followed inside the root, at most 40 of them (MAXSYMLINKS).
int open_or_create(int rootfd, const char* path, bool last_is_file, UniqueFd* out) {
  int fd = raw_open_in_root(rootfd, path, O_PATH);
  if (fd >= 0) {
    out->reset(fd);
    return 0;
  }
  if (errno != ENOENT) {
    return errno;
  }
  WalkPath w;
  w.len = std::strlen(path);
  if (w.len >= sizeof(w.buf)) {
    return ENAMETOOLONG;
  }
  std::memcpy(w.buf, path, w.len + 1);
  for (int links = 0; links <= 40; ++links) {
    int err = walk_once(rootfd, w, last_is_file, out);
    if (err != kFollowLink) {
      return err;
    }
  }
  return ELOOP;
}

enum class Create { kNone, kDir, kFile };

// The step's target as an O_PATH fd: a host path as is, an in-root path resolved (and created
// as asked) in the root.
int open_target(State& st, const MountStep& s, Create create, UniqueFd* out) {
  if (!s.in_root) {
    int fd = ::open(s.target.c_str(), O_PATH | O_CLOEXEC);
    if (fd < 0) {
      return errno;
    }
    out->reset(fd);
    return 0;
  }
  if (int err = ensure_root(st); err != 0) {
    return err;
  }
  if (create == Create::kNone) {
    int fd = raw_open_in_root(st.root.get(), s.target.c_str(), O_PATH);
    if (fd < 0) {
      return errno;
    }
    out->reset(fd);
    return 0;
  }
  return open_or_create(st.root.get(), s.target.c_str(), create == Create::kFile, out);
}

// Splits an in-root target into its parent directory (opened, created if missing) and the
// last component, which points into the step's own string.
int open_parent(State& st, const MountStep& s, UniqueFd* dir, const char** name) {
  if (int err = ensure_root(st); err != 0) {
    return err;
  }
  const char* path = s.target.c_str();
  const char* slash = std::strrchr(path, '/');
  if (slash == nullptr || slash[1] == '\0') {
    return EINVAL;
  }
  *name = slash + 1;
  char buf[PATH_MAX];
  size_t len = static_cast<size_t>(slash - path);
  if (len >= sizeof(buf)) {
    return ENAMETOOLONG;
  }
  std::memcpy(buf, path, len);
  buf[len] = '\0';
  return open_or_create(st.root.get(), len == 0 ? "/" : buf, false, dir);
}

int attach(int mount_fd, int target_fd) {
  if (::move_mount(mount_fd, "", target_fd, "",
                   MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) {
    return errno;
  }
  return 0;
}

int set_attrs(int fd, uint64_t set, uint64_t clr, bool recursive) {
  struct mount_attr attr {};
  attr.attr_set = set;
  attr.attr_clr = clr;
  unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
  if (::mount_setattr(fd, "", flags, &attr, sizeof(attr)) != 0) {
    return errno;
  }
  return 0;
}

int do_propagation(const MountStep& s) {
  if (::mount(nullptr, "/", nullptr, MS_REC | s.propagation, nullptr) != 0) {
    return errno;
  }
  return 0;
}

// fsconfig for each parameter, then create the superblock and a detached mount.
// params and lowerdirs may be null. lowerdirs go in as "lowerdir+"; a first one refused with EINVAL
// returns -EINVAL.
int make_fs(const char* fstype, const std::vector<FsParam>* params,
            const std::vector<std::string>* lowerdirs, uint64_t attrs, int* mount_fd) {
  UniqueFd fs(::fsopen(fstype, FSOPEN_CLOEXEC));
  if (!fs) {
    return errno;
  }
  for (size_t i = 0; params != nullptr && i < params->size(); ++i) {
    const FsParam& p = (*params)[i];
    int r = p.flag ? ::fsconfig(fs.get(), FSCONFIG_SET_FLAG, p.key.c_str(), nullptr, 0)
                   : ::fsconfig(fs.get(), FSCONFIG_SET_STRING, p.key.c_str(), p.value.c_str(), 0);
    if (r != 0) {
      return errno;
    }
  }
  if (lowerdirs != nullptr) {
    for (const auto& dir : *lowerdirs) {
      if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, "lowerdir+", dir.c_str(), 0) != 0) {
        // EINVAL on the first layer: a kernel before 6.8 that does not know "lowerdir+".
        return (errno == EINVAL && &dir == &lowerdirs->front()) ? -EINVAL : errno;
      }
    }
  }
  if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    return errno;
  }
  int m = ::fsmount(fs.get(), FSMOUNT_CLOEXEC, static_cast<unsigned>(attrs));
  if (m < 0) {
    return errno;
  }
  *mount_fd = m;
  return 0;
}

int do_filesystem(State& st, const MountStep& s) {
  int m = -1;
  if (int err = make_fs(s.fstype.c_str(), &s.params, nullptr, s.attr_set, &m); err != 0) {
    return err;
  }
  UniqueFd mnt(m);
  UniqueFd target;
  if (int err = open_target(st, s, Create::kDir, &target); err != 0) {
    return err;
  }
  return attach(mnt.get(), target.get());
}

unsigned long legacy_flags(uint64_t attrs) {
  unsigned long f = 0;
  f |= (attrs & MOUNT_ATTR_RDONLY) != 0 ? MS_RDONLY : 0;
  f |= (attrs & MOUNT_ATTR_NOSUID) != 0 ? MS_NOSUID : 0;
  f |= (attrs & MOUNT_ATTR_NODEV) != 0 ? MS_NODEV : 0;
  f |= (attrs & MOUNT_ATTR_NOEXEC) != 0 ? MS_NOEXEC : 0;
  return f;
}

// "/proc/self/fd/N" into buf (no snprintf: it is not async-signal-safe).
void fd_path(int fd, char* buf, size_t size) {
  static const char kPrefix[] = "/proc/self/fd/";
  char digits[16];
  int n = 0;
  unsigned v = static_cast<unsigned>(fd);
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 && n < 15);
  size_t pos = sizeof(kPrefix) - 1;
  std::memcpy(buf, kPrefix, pos);
  while (n > 0 && pos + 1 < size) {
    buf[pos++] = digits[--n];
  }
  buf[pos] = '\0';
}

// mount(2) with the whole option string: for kernels without "lowerdir+" (a page of options
// is the limit there, as it always was for overlay).
int overlay_legacy(State& st, const MountStep& s) {
  if (s.legacy_data.empty()) {
    return EINVAL;
  }
  UniqueFd target;
  if (int err = open_target(st, s, Create::kDir, &target); err != 0) {
    return err;
  }
  char fdpath[64];
  fd_path(target.get(), fdpath, sizeof(fdpath));
  const char* where = s.in_root ? fdpath : s.target.c_str();
  if (::mount("overlay", where, "overlay", legacy_flags(s.attr_set), s.legacy_data.c_str()) != 0) {
    return errno;
  }
  return 0;
}

int do_overlay(State& st, const MountStep& s) {
  if (s.legacy_overlay) {
    return overlay_legacy(st, s);
  }
  int m = -1;
  int err = make_fs("overlay", &s.params, &s.lowerdirs, s.attr_set, &m);
  if (err == -EINVAL) {
    return overlay_legacy(st, s);
  }
  if (err != 0) {
    return err;
  }
  UniqueFd mnt(m);
  UniqueFd target;
  if (int e = open_target(st, s, Create::kDir, &target); e != 0) {
    return e;
  }
  return attach(mnt.get(), target.get());
}

int do_bind(State& st, const MountStep& s) {
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (s.recursive ? AT_RECURSIVE : 0);
  UniqueFd tree(::open_tree(AT_FDCWD, s.source.c_str(), flags));
  if (!tree) {
    return errno;
  }
  // Read-only before the tree is attached: no moment where the container could see it writable.
  if (s.attr_set != 0 || s.attr_clr != 0) {
    if (int err = set_attrs(tree.get(), s.attr_set, s.attr_clr, s.recursive); err != 0) {
      return err;
    }
  }
  struct stat sb {};
  if (::fstat(tree.get(), &sb) != 0) {
    return errno;
  }
  UniqueFd target;
  Create create = S_ISDIR(sb.st_mode) ? Create::kDir : Create::kFile;
  if (int err = open_target(st, s, create, &target); err != 0) {
    return err;
  }
  return attach(tree.get(), target.get());
}

int do_device(State& st, const MountStep& s) {
  UniqueFd dir;
  const char* name = nullptr;
  if (int err = open_parent(st, s, &dir, &name); err != 0) {
    return err;
  }
  int r = ::mknodat(dir.get(), name, s.mode, s.dev);
  if (r != 0 && errno == EEXIST && ::unlinkat(dir.get(), name, 0) == 0) {
    r = ::mknodat(dir.get(), name, s.mode, s.dev);
  }
  if (r == 0) {
    // mknod's mode went through the umask; docker's modes are exact.
    return ::fchmodat(dir.get(), name, s.mode & 07777, 0) == 0 ? 0 : errno;
  }
  if (errno != EPERM || s.source.empty()) {
    return errno;
  }
  // No mknod (a user namespace): bind the host's node over an empty file, as runc does.
  int f = ::openat(dir.get(), name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0);
  if (f < 0) {
    return errno;
  }
  ::close(f);
  UniqueFd tree(::open_tree(AT_FDCWD, s.source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  if (!tree) {
    return errno;
  }
  UniqueFd target(::openat(dir.get(), name, O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!target) {
    return errno;
  }
  return attach(tree.get(), target.get());
}

int do_symlink(State& st, const MountStep& s) {
  UniqueFd dir;
  const char* name = nullptr;
  if (int err = open_parent(st, s, &dir, &name); err != 0) {
    return err;
  }
  if (s.replace && ::unlinkat(dir.get(), name, 0) != 0 && errno != ENOENT) {
    return errno;
  }
  if (::symlinkat(s.link_text.c_str(), dir.get(), name) != 0) {
    // runc leaves an existing entry alone (an image may ship its own /dev/fd link).
    return (errno == EEXIST && !s.replace) ? 0 : errno;
  }
  return 0;
}

int do_mask(State& st, const MountStep& s) {
  UniqueFd target;
  if (int err = open_target(st, s, Create::kNone, &target); err != 0) {
    return err == ENOENT ? 0 : err;
  }
  struct stat sb {};
  if (::fstat(target.get(), &sb) != 0) {
    return errno;
  }
  UniqueFd mnt;
  if (S_ISDIR(sb.st_mode)) {
    uint64_t attrs = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
    int m = -1;
    if (int err = make_fs("tmpfs", nullptr, nullptr, attrs, &m); err != 0) {
      return err;
    }
    mnt.reset(m);
  } else {
    UniqueFd null(raw_open_in_root(st.root.get(), s.source.c_str(), O_PATH));
    if (!null) {
      return errno;
    }
    mnt.reset(::open_tree(null.get(), "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
    if (!mnt) {
      return errno;
    }
  }
  return attach(mnt.get(), target.get());
}

int do_readonly_path(State& st, const MountStep& s) {
  UniqueFd target;
  if (int err = open_target(st, s, Create::kNone, &target); err != 0) {
    return err == ENOENT ? 0 : err;
  }
  unsigned flags = AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE;
  UniqueFd tree(::open_tree(target.get(), "", flags));
  if (!tree) {
    return errno;
  }
  if (int err = set_attrs(tree.get(), MOUNT_ATTR_RDONLY, 0, true); err != 0) {
    return err;
  }
  return attach(tree.get(), target.get());
}

int do_pivot_root(State& st) {
  if (int err = ensure_root(st); err != 0) {
    return err;
  }
  // pivot_root(".", "."): the old root ends up stacked on the new one and is detached at once,
  // so no directory for it is needed in the image (runc's way).
  if (::fchdir(st.root.get()) != 0 || ::syscall(SYS_pivot_root, ".", ".") != 0 ||
      ::umount2(".", MNT_DETACH) != 0 || ::chdir("/") != 0) {
    return errno;
  }
  return 0;
}

int do_remount_readonly(State& st, const MountStep& s) {
  UniqueFd target;
  if (int err = open_target(st, s, Create::kNone, &target); err != 0) {
    return err;
  }
  return set_attrs(target.get(), MOUNT_ATTR_RDONLY, 0, false);
}

int run_step(State& st, const MountStep& s) {
  switch (s.kind) {
    case StepKind::kPropagation:
      return do_propagation(s);
    case StepKind::kOverlay:
      return do_overlay(st, s);
    case StepKind::kBind:
      return do_bind(st, s);
    case StepKind::kFilesystem:
      return do_filesystem(st, s);
    case StepKind::kDevice:
      return do_device(st, s);
    case StepKind::kSymlink:
      return do_symlink(st, s);
    case StepKind::kMask:
      return do_mask(st, s);
    case StepKind::kReadonlyPath:
      return do_readonly_path(st, s);
    case StepKind::kPivotRoot:
      return do_pivot_root(st);
    case StepKind::kRemountReadonly:
      return do_remount_readonly(st, s);
  }
  return EINVAL;
}

}  // namespace

int apply_mount_plan(const MountPlan& plan, MountFailure* out) noexcept {
  State st{plan, UniqueFd()};
  const auto& steps = plan.steps();
  for (size_t i = 0; i < steps.size(); ++i) {
    int err = run_step(st, steps[i]);
    if (err != 0) {
      if (out != nullptr) {
        out->step = static_cast<int32_t>(i);
        out->err = err;
      }
      st.root.reset();
      errno = err;
      return -1;
    }
    // A mount on a host path may have covered the rootfs: the next in-root step must see it.
    if (!steps[i].in_root && steps[i].kind != StepKind::kPropagation) {
      st.root.reset();
    }
  }
  return 0;
}

}  // namespace berth::sys
