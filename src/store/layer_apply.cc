#include "store/layer_apply.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "base/fs.h"
#include "store/layer_target.h"
#include "store/whiteout.h"
#include "sys/openat2.h"
#include "sys/xattrs.h"

namespace berth::store {

namespace {

constexpr size_t kReadBufSize = 1 << 20;
constexpr std::string_view kWhiteoutMetaPrefix = ".wh..wh.";
constexpr const char* kOpaqueXattr = "trusted.overlay.opaque";

// Feeds libarchive from our Reader. A failure of the Reader is kept whole (its code matters:
// a corrupt gzip stream is Corrupt, not a tar error) and libarchive only sees "-1".
struct ReadCtx {
  Reader* reader;
  std::vector<char> buf;
  std::optional<Error> error;
};

la_ssize_t read_cb(struct archive* a, void* opaque, const void** out) {
  auto* ctx = static_cast<ReadCtx*>(opaque);
  auto n = ctx->reader->read(ctx->buf.data(), ctx->buf.size());
  if (!n) {
    ctx->error = std::move(n.error());
    archive_set_error(a, EIO, "reading the layer stream failed");
    return -1;
  }
  *out = ctx->buf.data();
  return static_cast<la_ssize_t>(*n);
}

struct ArchiveReadFree {
  void operator()(struct archive* a) const { archive_read_free(a); }
};

// The metadata of an entry that is applied to what it creates.
struct Meta {
  uid_t uid = 0;
  gid_t gid = 0;
  mode_t mode = 0;                // permission and setuid/setgid/sticky bits only
  struct timespec times[2] = {};  // atime, mtime
  std::vector<std::pair<std::string, std::string>> xattrs;
};

// A directory whose mode, owner, times and xattrs are set at the end: creating children would
// change its mtime, and a read-only mode would stop us creating them.
struct DirMeta {
  bool explicit_entry = false;  // false: a parent we created implicitly (mode 0755)
  bool opaque = false;
  Meta meta;
};

// Only the xattr namespaces a layer may carry (see the header); overlay's own attributes would
// let a layer forge redirects or metacopy in the overlay mount.
bool xattr_allowed(std::string_view key) {
  if (std::string_view(key).starts_with("trusted.overlay.")) {
    return false;
  }
  return key == "security.capability" || std::string_view(key).starts_with("user.") ||
         std::string_view(key).starts_with("trusted.");
}

Meta entry_meta(struct archive_entry* e) {
  Meta m;
  m.uid = static_cast<uid_t>(archive_entry_uid(e));
  m.gid = static_cast<gid_t>(archive_entry_gid(e));
  m.mode = archive_entry_perm(e) & 07777;
  m.times[1] = {archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
  m.times[0] = archive_entry_atime_is_set(e)
                   ? timespec{archive_entry_atime(e), archive_entry_atime_nsec(e)}
                   : m.times[1];
  archive_entry_xattr_reset(e);
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
    if (name != nullptr && xattr_allowed(name)) {
      m.xattrs.emplace_back(name, std::string(static_cast<const char*>(value), size));
    }
  }
  return m;
}

// The umask the kernel applies to what we create; read from /proc because umask(2) can only be
// read by changing it, which would race with other threads. Unknown → assume it strips all.
mode_t current_umask() {
  auto status = read_file("/proc/self/status");
  if (status) {
    auto pos = status->find("\nUmask:");
    if (pos != std::string::npos) {
      return static_cast<mode_t>(std::strtoul(status->c_str() + pos + 7, nullptr, 8));
    }
  }
  return 07777;
}

class Applier {
 public:
  explicit Applier(int root)
      : target_(root), euid_(::geteuid()), egid_(::getegid()), umask_(current_umask()) {
    struct stat st {};
    // Children of a setgid directory inherit its group, so created files may not be ours.
    root_setgid_ = ::fstat(root, &st) != 0 || (st.st_mode & S_ISGID) != 0;
  }

  Result<void> entry(struct archive* a, struct archive_entry* e);
  Result<void> finish();
  const ApplyStats& stats() const { return stats_; }

 private:
  std::string entry_context() const { return fmt::format("layer entry \"{}\"", name_); }
  tl::unexpected<Error> refuse(std::string_view why) const {
    return fail(Code::kInvalidArgument, fmt::format("layer entry \"{}\": {}", name_, why));
  }
  tl::unexpected<Error> sys_fail(std::string_view op) const {
    int err = errno;
    return fail_errno(fmt::format("layer entry \"{}\": {}", name_, op), err);
  }

  // Names the entry in an error (formatted only on failure: this is on every entry's path).
  template <typename T>
  Result<T> in_entry(Result<T>&& r) const {
    if (!r) {
      r.error().context(entry_context());
    }
    return std::move(r);
  }
  Result<std::string> clean(std::string_view name, std::string_view what) const {
    return in_entry(clean_layer_path(name, what));
  }
  Result<int> parent_fd(const std::string& dir);
  Result<void> replace(int pfd, const std::string& path, const std::string& base);

  Result<void> regular(struct archive* a, int pfd, const std::string& path, const std::string& base,
                       const Meta& m, int64_t size);
  Result<void> write_data(struct archive* a, int fd, int64_t size);
  Result<void> directory(const std::string& path, const Meta& m);
  Result<void> hardlink(const std::string& path, const std::string& target);
  Result<void> create_node(int pfd, const std::string& path, const std::string& base, const Meta& m,
                           mode_t type, dev_t dev, const char* link);
  Result<void> whiteout(const std::string& parent, const std::string& name, const Meta& m);

  bool need_chown(const Meta& m) const { return root_setgid_ || m.uid != euid_ || m.gid != egid_; }
  bool need_chmod(mode_t mode) const { return (mode & 07000) != 0 || (mode & umask_) != 0; }
  Result<void> set_xattrs(int fd, const Meta& m, bool special);
  Result<void> meta_at(int pfd, const std::string& base, const Meta& m, mode_t type);
  Result<void> finish_dir(const std::string& path, const DirMeta& d);

  LayerTarget target_;
  uid_t euid_;
  gid_t egid_;
  mode_t umask_;
  bool root_setgid_ = true;
  std::string name_;                        // the current entry's name as in the tar
  std::map<std::string, DirMeta> pending_;  // directories to finish; "" is the target
  ApplyStats stats_;
};

Result<int> Applier::parent_fd(const std::string& dir) {
  std::vector<std::string> created;
  auto fd = target_.dir(dir, &created);
  for (auto& path : created) {
    pending_.try_emplace(std::move(path));  // implicit: 0755 at the end
  }
  return in_entry(std::move(fd));
}

// Removes what an earlier entry of this layer put at path, so a new entry can take its place.
Result<void> Applier::replace(int pfd, const std::string& path, const std::string& base) {
  bool was_dir = BERTH_TRY(in_entry(target_.remove(pfd, path, base)));
  if (was_dir) {
    // Forget the directories of the removed tree: "a" and "a/..." (not "a-b", which sorts
    // between them).
    pending_.erase(path);
    std::string lo = path + "/";
    std::string hi = path + "0";  // '0' follows '/'
    pending_.erase(pending_.lower_bound(lo), pending_.lower_bound(hi));
  }
  return {};
}

Result<void> Applier::entry(struct archive* a, struct archive_entry* e) {
  const char* raw = archive_entry_pathname(e);
  name_ = raw != nullptr ? raw : "";
  ++stats_.entries;
  std::string path = BERTH_TRY(clean(name_, "path"));
  Meta m = entry_meta(e);
  const char* target = archive_entry_hardlink(e);
  mode_t type = archive_entry_filetype(e);
  if (path.empty()) {
    if (target != nullptr || type != AE_IFDIR) {
      return refuse("the layer's root must be a directory");
    }
    return directory(path, m);
  }
  auto [parent, base] = split_parent(path);
  if (std::string_view(base).starts_with(kWhiteoutPrefix)) {  // by name, whatever the entry's type
    if (base == kOpaqueMarker) {
      BERTH_CHECK(parent_fd(parent));  // the directory exists even if the layer omits it
      pending_[parent].opaque = true;
      return {};
    }
    if (std::string_view(base).starts_with(kWhiteoutMetaPrefix)) {
      return {};  // aufs metadata (.wh..wh.plnk, .wh..wh.aufs): nothing for overlayfs
    }
    return whiteout(parent, base.substr(kWhiteoutPrefix.size()), m);
  }
  if (target != nullptr) {
    std::string tpath = BERTH_TRY(clean(target, fmt::format("hardlink target \"{}\"", target)));
    return hardlink(path, tpath);
  }
  switch (type) {
    case AE_IFDIR:
      return directory(path, m);
    case AE_IFREG:
      stats_.bytes += archive_entry_size(e);
      return regular(a, BERTH_TRY(parent_fd(parent)), path, base, m, archive_entry_size(e));
    case AE_IFLNK: {
      const char* link = archive_entry_symlink(e) != nullptr ? archive_entry_symlink(e) : "";
      stats_.bytes += static_cast<int64_t>(std::strlen(link));  // a symlink's size, as lstat says
      return create_node(BERTH_TRY(parent_fd(parent)), path, base, m, S_IFLNK, 0, link);
    }
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO:
      return create_node(BERTH_TRY(parent_fd(parent)), path, base, m, type,
                         makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e)), nullptr);
    default:
      return refuse(fmt::format("unsupported entry type {:o}", type));
  }
}

Result<void> Applier::regular(struct archive* a, int pfd, const std::string& path,
                              const std::string& base, const Meta& m, int64_t size) {
  constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  UniqueFd fd(::openat(pfd, base.c_str(), kFlags, m.mode & 0777));
  if (!fd && errno == EEXIST) {
    BERTH_CHECK(replace(pfd, path, base));
    fd.reset(::openat(pfd, base.c_str(), kFlags, m.mode & 0777));
  }
  if (!fd) {
    return sys_fail("creating file");
  }
  BERTH_CHECK(write_data(a, fd.get(), size));
  // Order matters: chown clears setuid/setgid (so chmod after it), and both chown and writing
  // drop security.capability (so xattrs after them); times last, as everything above bumps them.
  if (need_chown(m) && ::fchown(fd.get(), m.uid, m.gid) != 0) {
    return sys_fail("changing owner");
  }
  if (need_chmod(m.mode) && ::fchmod(fd.get(), m.mode) != 0) {
    return sys_fail("changing mode");
  }
  BERTH_CHECK(set_xattrs(fd.get(), m, false));
  if (::futimens(fd.get(), m.times) != 0) {
    return sys_fail("setting times");
  }
  return {};
}

// Copies the entry's data blocks; libarchive hands out pointers into its read buffer, so the
// only copy is the write itself. Offsets jump over holes of sparse entries.
Result<void> Applier::write_data(struct archive* a, int fd, int64_t size) {
  int64_t end = 0;
  while (true) {
    const void* buf = nullptr;
    size_t len = 0;
    la_int64_t offset = 0;
    int r = archive_read_data_block(a, &buf, &len, &offset);
    if (r == ARCHIVE_EOF) {
      break;
    }
    if (r < ARCHIVE_WARN) {
      return fail(Code::kCorrupt,
                  fmt::format("layer entry \"{}\": {}", name_,
                              archive_error_string(a) ? archive_error_string(a) : "reading data"));
    }
    const char* p = static_cast<const char*>(buf);
    while (len > 0) {
      ssize_t n = ::pwrite(fd, p, len, offset);
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        return sys_fail("writing file");
      }
      p += n;
      len -= static_cast<size_t>(n);
      offset += n;
    }
    end = std::max<int64_t>(end, offset);
  }
  if (end < size && ::ftruncate(fd, size) != 0) {  // a sparse file ending in a hole
    return sys_fail("extending file");
  }
  return {};
}

Result<void> Applier::directory(const std::string& path, const Meta& m) {
  if (!path.empty()) {
    auto [parent, base] = split_parent(path);
    int pfd = BERTH_TRY(parent_fd(parent));
    // 0700 while we fill it; the entry's mode is set at the end.
    if (::mkdirat(pfd, base.c_str(), 0700) != 0) {
      struct stat st {};
      if (errno != EEXIST || ::fstatat(pfd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        return sys_fail("creating directory");
      }
      if (!S_ISDIR(st.st_mode)) {
        BERTH_CHECK(replace(pfd, path, base));
        if (::mkdirat(pfd, base.c_str(), 0700) != 0) {
          return sys_fail("creating directory");
        }
      }
    }
  }
  DirMeta& d = pending_[path];  // a directory over a directory merges: the last entry wins
  d.explicit_entry = true;
  d.meta = m;
  return {};
}

Result<void> Applier::hardlink(const std::string& path, const std::string& target) {
  if (target.empty()) {
    return refuse("hardlink target is a directory");
  }
  if (target == path) {
    return {};  // a name linked to itself: nothing to do
  }
  // The target's directory is resolved like any path, but never created: it must exist. Our own
  // fd, not a cached one, since parent_fd below may evict the cache.
  auto [tparent, tbase] = split_parent(target);
  auto tdir = target_.existing_dir(tparent);
  if (!tdir) {
    if (tdir.error().code() == Code::kNotFound) {
      return refuse(fmt::format("hardlink target \"{}\" does not exist", target));
    }
    return tl::unexpected(std::move(tdir.error()).context(entry_context()));
  }
  struct stat st {};
  if (::fstatat(tdir->get(), tbase.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return refuse(fmt::format("hardlink target \"{}\" does not exist", target));
  }
  if (S_ISDIR(st.st_mode)) {
    return refuse(fmt::format("hardlink target \"{}\" is a directory", target));
  }
  auto [parent, base] = split_parent(path);
  int pfd = BERTH_TRY(parent_fd(parent));
  // flags 0: a symlink target is linked itself, not followed.
  if (::linkat(tdir->get(), tbase.c_str(), pfd, base.c_str(), 0) != 0) {
    if (errno != EEXIST) {
      return sys_fail("creating hardlink");
    }
    BERTH_CHECK(replace(pfd, path, base));
    if (::linkat(tdir->get(), tbase.c_str(), pfd, base.c_str(), 0) != 0) {
      return sys_fail("creating hardlink");
    }
  }
  return {};
}

// Symlinks (link != nullptr), devices and fifos: one-component calls on the parent's fd.
Result<void> Applier::create_node(int pfd, const std::string& path, const std::string& base,
                                  const Meta& m, mode_t type, dev_t dev, const char* link) {
  auto make = [&] {
    return link != nullptr ? ::symlinkat(link, pfd, base.c_str())
                           : ::mknodat(pfd, base.c_str(), type | (m.mode & 0777), dev);
  };
  if (make() != 0) {
    if (errno != EEXIST) {
      return sys_fail(link != nullptr ? "creating symlink" : "creating node");
    }
    BERTH_CHECK(replace(pfd, path, base));
    if (make() != 0) {
      return sys_fail(link != nullptr ? "creating symlink" : "creating node");
    }
  }
  return meta_at(pfd, base, m, type);
}

Result<void> Applier::whiteout(const std::string& parent, const std::string& name, const Meta& m) {
  if (name.empty() || name == "." || name == "..") {
    return refuse("invalid whiteout name");
  }
  int pfd = BERTH_TRY(parent_fd(parent));
  std::string path = parent.empty() ? name : parent + "/" + name;
  Meta wm = m;
  wm.mode = 0;
  wm.xattrs.clear();
  return create_node(pfd, path, name, wm, S_IFCHR, makedev(0, 0), nullptr);
}

Result<void> Applier::meta_at(int pfd, const std::string& base, const Meta& m, mode_t type) {
  const char* b = base.c_str();
  if (need_chown(m) && ::fchownat(pfd, b, m.uid, m.gid, AT_SYMLINK_NOFOLLOW) != 0) {
    return sys_fail("changing owner");
  }
  // Symlinks have no mode of their own on Linux.
  if (type != S_IFLNK && need_chmod(m.mode) &&
      ::fchmodat(pfd, b, m.mode, AT_SYMLINK_NOFOLLOW) != 0) {
    return sys_fail("changing mode");
  }
  if (!m.xattrs.empty()) {
    UniqueFd fd(::openat(pfd, b, O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
      return sys_fail("opening");
    }
    BERTH_CHECK(set_xattrs(fd.get(), m, true));
  }
  if (::utimensat(pfd, b, m.times, AT_SYMLINK_NOFOLLOW) != 0) {
    return sys_fail("setting times");
  }
  return {};
}

// special: a symlink, device or fifo, where the kernel refuses user.* (EPERM); like docker we
// skip what the filesystem cannot hold rather than fail the pull.
Result<void> Applier::set_xattrs(int fd, const Meta& m, bool special) {
  for (const auto& [key, value] : m.xattrs) {
    auto r = sys::set_xattr(fd, key, value);
    if (!r) {
      int err = r.error().sys_errno();
      if (err == ENOTSUP ||
          (special && err == EPERM && std::string_view(key).starts_with("user."))) {
        continue;
      }
      return tl::unexpected(std::move(r.error()).context(entry_context()));
    }
  }
  return {};
}

Result<void> Applier::finish_dir(const std::string& path, const DirMeta& d) {
  auto fd = BERTH_TRY(in_entry(sys::open_beneath(target_.root(), path.empty() ? "." : path,
                                                 O_RDONLY | O_DIRECTORY, 0, false)));
  const Meta& m = d.meta;
  if (d.explicit_entry && need_chown(m) && ::fchown(fd.get(), m.uid, m.gid) != 0) {
    return sys_fail("changing owner");
  }
  // An implicit parent gets tar's 0755; the target itself keeps its mode unless the layer
  // has a "./" entry.
  if ((d.explicit_entry || !path.empty()) &&
      ::fchmod(fd.get(), d.explicit_entry ? m.mode : 0755) != 0) {
    return sys_fail("changing mode");
  }
  BERTH_CHECK(set_xattrs(fd.get(), m, false));
  if (d.opaque) {
    BERTH_CHECK(in_entry(sys::set_xattr(fd.get(), kOpaqueXattr, "y")));
  }
  if (d.explicit_entry && ::futimens(fd.get(), m.times) != 0) {
    return sys_fail("setting times");
  }
  return {};
}

// Directories last and deepest first (reverse path order puts "a/b" before "a"), once nothing
// will be created in them any more.
Result<void> Applier::finish() {
  target_.clear_cache();
  for (auto it = pending_.rbegin(); it != pending_.rend(); ++it) {
    name_ = it->first.empty() ? "." : it->first;
    BERTH_CHECK(finish_dir(it->first, it->second));
  }
  return {};
}

// Reads every header and hands it to the applier; a failure of our Reader wins over the
// message libarchive made of it.
Result<ApplyStats> apply_entries(Reader& tar, int target_dirfd) {
  ReadCtx ctx{&tar, std::vector<char>(kReadBufSize), std::nullopt};
  std::unique_ptr<struct archive, ArchiveReadFree> a(archive_read_new());
  if (!a) {
    return fail(Code::kInternal, "archive_read_new failed");
  }
  archive_read_support_format_tar(a.get());    // ustar, pax and GNU tar
  archive_read_support_format_empty(a.get());  // a 0-byte layer is an empty layer, as in docker
  auto tar_error = [&]() -> tl::unexpected<Error> {
    if (ctx.error) {
      return tl::unexpected(std::move(*ctx.error));
    }
    const char* msg = archive_error_string(a.get());
    return fail(Code::kCorrupt, fmt::format("invalid layer tar: {}", msg ? msg : "unknown error"));
  };
  if (archive_read_open(a.get(), &ctx, nullptr, read_cb, nullptr) != ARCHIVE_OK) {
    return tar_error();
  }
  Applier applier(target_dirfd);
  while (true) {
    struct archive_entry* e = nullptr;
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) {
      break;
    }
    if (r < ARCHIVE_WARN) {  // WARN is a name libarchive could not convert: kept as bytes
      return tar_error();
    }
    if (auto applied = applier.entry(a.get(), e); !applied) {
      if (ctx.error) {
        return tl::unexpected(std::move(*ctx.error));
      }
      return tl::unexpected(std::move(applied.error()));
    }
  }
  BERTH_CHECK(applier.finish());
  return applier.stats();
}

}  // namespace

Result<ApplyStats> apply_layer(Reader& tar, int target_dirfd, std::string_view what) {
  auto stats = apply_entries(tar, target_dirfd);
  if (stats) {
    // The tar's end-of-archive blocks may be followed by padding (tar pads to 10 KiB records);
    // it is part of the layer's bytes, so read it for the caller's hashes.
    auto drained = drain(tar);
    if (drained) {
      return stats;
    }
    stats = tl::unexpected(std::move(drained.error()));
  }
  if (!what.empty()) {
    stats.error().context(std::string(what));
  }
  return stats;
}

}  // namespace berth::store
