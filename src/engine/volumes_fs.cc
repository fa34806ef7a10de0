// Volumes: the file walks. Every call is relative to a directory fd and acts on one name with
// O_NOFOLLOW / AT_SYMLINK_NOFOLLOW, so a symlink in the walked tree is never followed, however
// it is swapped in.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include <fmt/format.h>

#include "base/fs.h"
#include "engine/volumes.h"
#include "sys/xattrs.h"

namespace berth::engine {

namespace {

// The names in an open directory ("." and ".." left out), sorted so walks are repeatable. The
// fd is not taken over (the listing reads a duplicate).
Result<std::vector<std::string>> dir_names(int dirfd) {
  int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) {
    return fail_errno("duplicating a directory fd");
  }
  DIR* d = ::fdopendir(dup);
  if (d == nullptr) {
    int err = errno;
    ::close(dup);
    return fail_errno("reading a directory", err);
  }
  ::rewinddir(d);
  std::vector<std::string> names;
  errno = 0;
  while (auto* ent = ::readdir(d)) {
    std::string n = ent->d_name;
    if (n != "." && n != "..") {
      names.push_back(std::move(n));
    }
  }
  int err = errno;
  ::closedir(d);
  if (err != 0) {
    return fail_errno("reading a directory", err);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Opens a subdirectory by one name without following a symlink there.
Result<UniqueFd> open_subdir(int dirfd, const std::string& name) {
  UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    return fail_errno(fmt::format("opening {}", name));
  }
  return fd;
}

std::string join_rel(const std::string& rel, const std::string& name) {
  return rel.empty() ? name : rel + "/" + name;
}

Result<void> size_walk(int dirfd, std::set<std::pair<dev_t, ino_t>>& seen, int64_t& total) {
  auto names = BERTH_TRY(dir_names(dirfd));
  for (const auto& n : names) {
    struct stat st {};
    if (::fstatat(dirfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) {
        continue;  // removed while we walk: docker's Size ignores it too
      }
      return fail_errno(fmt::format("stat {}", n));
    }
    if (S_ISDIR(st.st_mode)) {
      auto sub = open_subdir(dirfd, n);
      if (!sub) {
        if (sub.error().sys_errno() == ENOENT) {
          continue;
        }
        return tl::unexpected(std::move(sub).error());
      }
      BERTH_CHECK_CTX(size_walk(sub->get(), seen, total), n);
    } else if (st.st_size > 0 && seen.insert({st.st_dev, st.st_ino}).second) {
      total += st.st_size;
    }
  }
  return {};
}

}  // namespace

Result<bool> is_empty(const std::string& dir) {
  auto fd = BERTH_TRY(open_dir(dir));
  auto names = BERTH_TRY_CTX(dir_names(fd.get()), dir);
  return names.empty();
}

Result<int64_t> tree_size(const std::string& dir) {
  auto fd = BERTH_TRY(open_dir(dir));
  std::set<std::pair<dev_t, ino_t>> seen;
  int64_t total = 0;
  BERTH_CHECK_CTX(size_walk(fd.get(), seen, total), fmt::format("measuring {}", dir));
  return total;
}

Result<void> remove_tree_beneath(int dirfd, const std::string& name) {
  struct stat st {};
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) {
      return {};
    }
    return fail_errno(fmt::format("stat {}", name));
  }
  if (S_ISDIR(st.st_mode)) {
    struct stat parent {};
    if (::fstat(dirfd, &parent) == 0 && parent.st_dev != st.st_dev) {
      return fail_errno(fmt::format("removing {}: a mount point", name), EXDEV);
    }
    auto sub = open_subdir(dirfd, name);
    if (!sub) {
      if (sub.error().sys_errno() == ENOENT) {
        return {};
      }
      return tl::unexpected(std::move(sub).error());
    }
    auto names = BERTH_TRY_CTX(dir_names(sub->get()), name);
    for (const auto& n : names) {
      BERTH_CHECK_CTX(remove_tree_beneath(sub->get(), n), name);
    }
  }
  if (::unlinkat(dirfd, name.c_str(), S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0 &&
      errno != ENOENT) {
    return fail_errno(fmt::format("removing {}", name));
  }
  return {};
}

// ---- copy up ----

namespace {

struct CopyState {
  int dst_root = -1;
  // Source inodes with more than one link already copied → their path under dst_root.
  std::map<std::pair<dev_t, ino_t>, std::string> links;
};

// chown, chmod, xattrs, times, in that order: chown clears setuid bits and file capabilities,
// and every change but the times moves ctime only. fd is the new entry (any kind of fd; O_PATH
// for links and nodes), named `name` under dst (for the *at calls that O_PATH cannot do).
Result<void> apply_metadata(int src_fd, int fd, int dst, const std::string& name,
                            const struct stat& s) {
  bool link = S_ISLNK(s.st_mode);
  if (::fchownat(fd, "", s.st_uid, s.st_gid, AT_EMPTY_PATH) != 0) {
    int err = errno;
    struct stat now {};
    // EPERM when the ids are already right is no error (unprivileged, or NFS).
    if (err != EPERM || ::fstat(fd, &now) != 0 || now.st_uid != s.st_uid ||
        now.st_gid != s.st_gid) {
      return fail_errno("chown", err);
    }
  }
  if (!link) {
    // An O_PATH fd cannot fchmod; the name is ours and not a symlink.
    int r = ::fchmod(fd, s.st_mode & 07777);
    if (r != 0 && errno == EBADF) {
      r = ::fchmodat(dst, name.c_str(), s.st_mode & 07777, 0);
    }
    if (r != 0) {
      return fail_errno("chmod");
    }
  }
  auto keys = BERTH_TRY_CTX(sys::list_xattrs(src_fd), "reading xattrs");
  for (const auto& key : keys) {
    auto value = BERTH_TRY_CTX(sys::get_xattr(src_fd, key), "reading xattr " + key);
    if (!value) {
      continue;
    }
    auto set = sys::set_xattr(fd, key, *value);
    if (!set && set.error().sys_errno() != ENOTSUP) {
      return tl::unexpected(std::move(set).error().context("setting xattr " + key));
    }
  }
  struct timespec times[2] = {s.st_atim, s.st_mtim};
  if (::utimensat(dst, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    return fail_errno("setting times");
  }
  return {};
}

// Copies the bytes of an open regular file; copy_file_range where the file systems allow it.
Result<void> copy_bytes(int in, int out, off_t size) {
  off_t done = 0;
  bool fast = true;
  while (done < size) {
    if (fast) {
      ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, static_cast<size_t>(size - done), 0);
      if (n > 0) {
        done += n;
        continue;
      }
      if (n == 0) {
        break;  // the file shrank meanwhile
      }
      if (errno == EINTR) {
        continue;
      }
      if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) {
        return fail_errno("copying data");
      }
      fast = false;
    }
    char buf[64 * 1024];
    auto n = BERTH_TRY(read_some(in, buf, sizeof buf));
    if (n == 0) {
      break;
    }
    BERTH_CHECK(write_all(out, buf, n));
    done += static_cast<off_t>(n);
  }
  return {};
}

Result<void> copy_entries(int src, int dst, const std::string& rel, CopyState& st,
                          std::vector<std::string>* made);

// Opens the source entry (O_PATH, never following) and checks it is still what fstatat saw.
Result<UniqueFd> open_source(int src, const std::string& name, const struct stat& s, int flags) {
  UniqueFd fd(::openat(src, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
  if (!fd) {
    return fail_errno("open");
  }
  struct stat now {};
  if (::fstat(fd.get(), &now) != 0) {
    return fail_errno("stat");
  }
  if (now.st_ino != s.st_ino || now.st_dev != s.st_dev) {
    return fail(Code::kConflict, "changed while being copied");
  }
  return fd;
}

// Makes one entry (not a hardlink of an earlier one) and its content, and copies its metadata.
// *created turns true once the entry exists in dst, so that a failure after that removes it.
Result<void> copy_one(int src, int dst, const std::string& name, const std::string& rel,
                      const struct stat& s, CopyState& st, bool* created) {
  UniqueFd in, out;
  mode_t type = s.st_mode & S_IFMT;
  if (type == S_IFDIR) {
    in = BERTH_TRY(open_source(src, name, s, O_RDONLY | O_DIRECTORY));
    if (::mkdirat(dst, name.c_str(), 0700) != 0) {
      return fail_errno("mkdir");
    }
    *created = true;
    out = BERTH_TRY(open_subdir(dst, name));
    BERTH_CHECK(copy_entries(in.get(), out.get(), rel, st, nullptr));
  } else if (type == S_IFREG) {
    // O_NOATIME: copying should not touch the image's access times (allowed to the owner and
    // to root; others open without it).
    auto noatime = open_source(src, name, s, O_RDONLY | O_NONBLOCK | O_NOATIME);
    if (!noatime && noatime.error().sys_errno() == EPERM) {
      noatime = open_source(src, name, s, O_RDONLY | O_NONBLOCK);
    }
    in = BERTH_TRY(std::move(noatime));
    out = UniqueFd(
        ::openat(dst, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out) {
      return fail_errno("create");
    }
    *created = true;
    BERTH_CHECK(copy_bytes(in.get(), out.get(), s.st_size));
  } else {
    in = BERTH_TRY(open_source(src, name, s, O_PATH));
    if (type == S_IFLNK) {
      // st_size is the target's length, but some file systems report 0: take room for both.
      std::string target(std::max<size_t>(static_cast<size_t>(s.st_size) + 1, 4096), '\0');
      ssize_t n = ::readlinkat(in.get(), "", target.data(), target.size());
      if (n < 0) {
        return fail_errno("readlink");
      }
      if (static_cast<size_t>(n) == target.size()) {
        return fail_errno("readlink", ENAMETOOLONG);  // grew since the stat
      }
      target.resize(static_cast<size_t>(n));
      if (::symlinkat(target.c_str(), dst, name.c_str()) != 0) {
        return fail_errno("symlink");
      }
    } else if (::mknodat(dst, name.c_str(), type | 0600, s.st_rdev) != 0) {
      return fail_errno("mknod");
    }
    *created = true;
    out = UniqueFd(::openat(dst, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!out) {
      return fail_errno("open");
    }
  }
  return apply_metadata(in.get(), out.get(), dst, name, s);
}

// Copies every entry of src into dst. `made`, when given, collects the names created in dst
// (the top level, for the undo).
Result<void> copy_entries(int src, int dst, const std::string& rel, CopyState& st,
                          std::vector<std::string>* made) {
  auto names = BERTH_TRY_CTX(dir_names(src), rel.empty() ? "." : rel);
  for (const auto& n : names) {
    std::string path = join_rel(rel, n);
    struct stat s {};
    if (::fstatat(src, n.c_str(), &s, AT_SYMLINK_NOFOLLOW) != 0) {
      return fail_errno(fmt::format("{}: stat", path));
    }
    if (!S_ISDIR(s.st_mode) && s.st_nlink > 1) {
      auto [it, first] = st.links.try_emplace({s.st_dev, s.st_ino}, path);
      if (!first) {
        if (::linkat(st.dst_root, it->second.c_str(), dst, n.c_str(), 0) != 0) {
          return fail_errno(fmt::format("{}: link to {}", path, it->second));
        }
        if (made != nullptr) {
          made->push_back(n);
        }
        continue;
      }
    }
    bool created = false;
    auto r = copy_one(src, dst, n, path, s, st, &created);
    if (created && made != nullptr) {
      made->push_back(n);
    }
    BERTH_CHECK_CTX(std::move(r), path);
  }
  return {};
}

}  // namespace

Result<void> copy_up(int src_dirfd, const std::string& volume_data_dir) {
  std::string ctx = fmt::format("copying image content into {}", volume_data_dir);
  auto dst = BERTH_TRY_CTX(open_dir(volume_data_dir), ctx);
  // A second container starting on the same new volume waits here and then finds it filled.
  if (::flock(dst.get(), LOCK_EX) != 0) {
    return fail_errno(ctx + ": locking");
  }
  auto names = BERTH_TRY_CTX(dir_names(dst.get()), ctx);
  if (!names.empty()) {
    return {};
  }
  struct stat root {};
  if (::fstat(src_dirfd, &root) != 0) {
    return fail_errno(ctx + ": stat of the source");
  }
  if (!S_ISDIR(root.st_mode)) {
    return fail_errno(ctx + ": the source", ENOTDIR);
  }
  CopyState st;
  st.dst_root = dst.get();
  std::vector<std::string> made;
  auto copied = copy_entries(src_dirfd, dst.get(), "", st, &made);
  if (copied) {
    // The source directory's own metadata goes onto _data, as docker's copy does.
    copied = apply_metadata(src_dirfd, dst.get(), dst.get(), ".", root);
  }
  if (!copied) {
    for (const auto& n : made) {
      (void)remove_tree_beneath(dst.get(), n);
    }
    return tl::unexpected(std::move(copied).error().context(ctx));
  }
  if (::fsync(dst.get()) != 0) {
    return fail_errno(ctx + ": syncing");
  }
  return {};
}

}  // namespace berth::engine
