// Helpers for layer tests: describing a directory tree completely (to compare two trees) and
// making files with exact metadata.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/fs.h"

namespace berth::testing {

// One line per path (the root excluded): type, mode, owner, mtime seconds, size, content or
// link target or device numbers, sorted xattrs, and which earlier path shares its inode.
inline std::map<std::string, std::string> snapshot(const std::string& root) {
  std::map<std::string, std::string> out;
  std::map<std::pair<dev_t, ino_t>, std::string> inodes;
  std::vector<std::string> todo{""};
  while (!todo.empty()) {
    std::string rel = todo.back();
    todo.pop_back();
    std::string abs = rel.empty() ? root : root + "/" + rel;
    DIR* d = ::opendir(abs.c_str());
    std::vector<std::string> names;
    while (auto* ent = d ? ::readdir(d) : nullptr) {
      std::string n = ent->d_name;
      if (n != "." && n != "..") {
        names.push_back(n);
      }
    }
    if (d) {
      ::closedir(d);
    }
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
      std::string p = rel.empty() ? n : rel + "/" + n;
      std::string ap = root + "/" + p;
      struct stat st {};
      ::lstat(ap.c_str(), &st);
      std::string desc = fmt::format("mode={:o} uid={} gid={} mtime={}", st.st_mode, st.st_uid,
                                     st.st_gid, st.st_mtim.tv_sec);
      if (S_ISREG(st.st_mode)) {
        desc += " content=" + read_file(ap).value_or("?");
      } else if (S_ISLNK(st.st_mode)) {
        char buf[4096];
        ssize_t len = ::readlink(ap.c_str(), buf, sizeof(buf));
        desc += " link=" + std::string(buf, len > 0 ? static_cast<size_t>(len) : 0);
      } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
        desc += fmt::format(" dev={}:{}", major(st.st_rdev), minor(st.st_rdev));
      } else if (S_ISDIR(st.st_mode)) {
        todo.push_back(p);
      }
      char list[4096];
      ssize_t ln = ::llistxattr(ap.c_str(), list, sizeof(list));
      std::vector<std::string> keys;
      for (ssize_t i = 0; i < ln; i += static_cast<ssize_t>(std::string(list + i).size()) + 1) {
        keys.emplace_back(list + i);
      }
      std::sort(keys.begin(), keys.end());
      for (const auto& k : keys) {
        char val[4096];
        ssize_t vn = ::lgetxattr(ap.c_str(), k.c_str(), val, sizeof(val));
        desc += " " + k + "=" + std::string(val, vn > 0 ? static_cast<size_t>(vn) : 0);
      }
      if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
        auto [it, first] = inodes.try_emplace({st.st_dev, st.st_ino}, p);
        if (!first) {
          desc += " same-inode-as=" + it->second;
        }
      }
      out[p] = desc;
    }
  }
  return out;
}

// Creates a regular file with exact content, mode, owner and mtime.
inline void make_file(const std::string& path, const std::string& content, mode_t mode = 0644,
                      uid_t uid = 0, gid_t gid = 0, time_t mtime = 1500000000) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd >= 0) {
    (void)!::write(fd, content.data(), content.size());
    (void)!::fchown(fd, uid, gid);
    ::fchmod(fd, mode);
    struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};
    ::futimens(fd, ts);
    ::close(fd);
  }
}

// Sets an mtime without following symlinks.
inline void set_mtime(const std::string& path, time_t mtime) {
  struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};
  ::utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW);
}

inline bool is_root() { return ::geteuid() == 0; }

}  // namespace berth::testing
