#include "store/layer_target.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "sys/openat2.h"

namespace berth::store {

namespace {

// Entries are usually grouped by directory, so a small cache saves most lookups; clearing it
// when full is simpler than LRU and costs one openat2 per directory afterwards.
constexpr size_t kDirCacheMax = 1024;

Result<void> remove_at(int dirfd, const std::string& name) {
  if (::unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT) {
    return {};
  }
  if (errno != EISDIR) {
    return fail_errno(fmt::format("removing {}", name));
  }
  UniqueFd dir(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) {
    return fail_errno(fmt::format("opening {}", name));
  }
  std::vector<std::string> children;
  DIR* d = ::fdopendir(::fcntl(dir.get(), F_DUPFD_CLOEXEC, 0));
  if (d == nullptr) {
    return fail_errno(fmt::format("listing {}", name));
  }
  while (auto* ent = ::readdir(d)) {
    std::string_view n = ent->d_name;
    if (n != "." && n != "..") {
      children.emplace_back(n);
    }
  }
  ::closedir(d);
  for (const auto& child : children) {
    BERTH_CHECK(remove_at(dir.get(), child));
  }
  if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0) {
    return fail_errno(fmt::format("removing {}", name));
  }
  return {};
}

}  // namespace

Result<std::string> clean_layer_path(std::string_view name, std::string_view what) {
  std::string out;
  bool absolute = std::string_view(name).starts_with("/");
  size_t pos = 0;
  while (pos <= name.size()) {
    size_t end = std::min(name.find('/', pos), name.size());
    std::string_view comp = name.substr(pos, end - pos);
    pos = end + 1;
    if (comp.empty() || comp == ".") {
      continue;
    }
    if (comp == ".." || absolute) {
      return fail(Code::kInvalidArgument, fmt::format("{} escapes the layer", what));
    }
    if (!out.empty()) {
      out += '/';
    }
    out += comp;
  }
  return out;
}

std::pair<std::string, std::string> split_parent(const std::string& path) {
  auto pos = path.rfind('/');
  if (pos == std::string::npos) {
    return {"", path};
  }
  return {path.substr(0, pos), path.substr(pos + 1)};
}

// One component at a time from the target: creates what is missing (when `create`) and tells
// precisely why a path is refused.
Result<UniqueFd> LayerTarget::walk(const std::string& dir, bool create,
                                   std::vector<std::string>* created) {
  UniqueFd cur(::openat(root_, ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!cur) {
    return fail_errno("opening the layer directory");
  }
  size_t pos = 0;
  while (pos < dir.size()) {
    size_t end = std::min(dir.find('/', pos), dir.size());
    std::string comp = dir.substr(pos, end - pos);
    std::string sofar = dir.substr(0, end);
    pos = end + 1;
    if (create && ::mkdirat(cur.get(), comp.c_str(), 0755) == 0) {
      created->push_back(sofar);
    } else if (create && errno != EEXIST) {
      return fail_errno(fmt::format("creating directory {}", sofar));
    }
    // O_NOFOLLOW | O_DIRECTORY: a symlink here fails with ENOTDIR instead of being followed.
    UniqueFd next(::openat(cur.get(), comp.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next) {
      struct stat st {};
      if (errno == ENOTDIR && ::fstatat(cur.get(), comp.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        return fail(Code::kInvalidArgument,
                    S_ISLNK(st.st_mode) ? fmt::format("path goes through symlink \"{}\"", sofar)
                                        : fmt::format("\"{}\" is not a directory", sofar));
      }
      return fail_errno(fmt::format("opening directory {}", sofar));
    }
    cur = std::move(next);
  }
  return cur;
}

Result<int> LayerTarget::dir(const std::string& dir, std::vector<std::string>* created) {
  if (dir.empty()) {
    return root_;
  }
  if (auto it = dirs_.find(dir); it != dirs_.end()) {
    return it->second.get();
  }
  auto fd = sys::open_beneath(root_, dir, O_PATH | O_DIRECTORY, 0, false);
  if (!fd) {
    fd = walk(dir, true, created);  // missing parents, or the precise reason for refusing
    if (!fd) {
      return tl::unexpected(std::move(fd.error()));
    }
  }
  if (dirs_.size() >= kDirCacheMax) {
    dirs_.clear();
  }
  return dirs_.emplace(dir, std::move(*fd)).first->second.get();
}

Result<UniqueFd> LayerTarget::existing_dir(const std::string& dir) {
  auto fd = sys::open_beneath(root_, dir.empty() ? "." : dir, O_PATH | O_DIRECTORY, 0, false);
  if (fd || fd.error().sys_errno() == ENOENT) {
    return fd;
  }
  return walk(dir, false, nullptr);  // the precise reason: a symlink, a non-directory
}

Result<bool> LayerTarget::remove(int parent_fd, const std::string& path, const std::string& base) {
  struct stat st {};
  bool is_dir =
      ::fstatat(parent_fd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
  if (is_dir) {
    // Cached fds below it would point into the removed tree.
    std::string prefix = path + "/";
    for (auto it = dirs_.begin(); it != dirs_.end();) {
      bool below = it->first == path || std::string_view(it->first).starts_with(prefix);
      it = below ? dirs_.erase(it) : std::next(it);
    }
  }
  BERTH_CHECK(remove_at(parent_fd, base));
  return is_dir;
}

}  // namespace berth::store
