// LayerTarget: the directory a layer is applied to, and the only way layer_apply reaches paths
// inside it. Internal to store/ (used by layer_apply.cc).
//
// Every directory is reached fd-relatively, beneath the target and through no symlink: by
// openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), or one component at a time with O_NOFOLLOW.
// Callers then act on a single, clean name inside such a directory (mkdirat, openat with
// O_NOFOLLOW, linkat, ...), which cannot leave it either.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::store {

// Normalises a tar name to a clean relative path: "./a//b/" → "a/b"; "/", ".", "./" → "" (the
// target itself). An absolute name (other than "/") or a ".." component is refused with
// InvalidArgument "<what> escapes the layer".
Result<std::string> clean_layer_path(std::string_view name, std::string_view what);

// "a/b/c" → {"a/b", "c"}; "c" → {"", "c"}.
std::pair<std::string, std::string> split_parent(const std::string& path);

class LayerTarget {
 public:
  // root is borrowed and must stay open.
  explicit LayerTarget(int root) : root_(root) {}

  int root() const { return root_; }

  // An fd (O_PATH) of the directory at the clean path `dir` ("" is the target), borrowed: valid
  // until the next call of dir() or remove(). Missing directories are created (mode 0755 less
  // the umask, as tar does) and appended to *created. A component that is a symlink or not a
  // directory is refused with InvalidArgument saying which.
  Result<int> dir(const std::string& dir, std::vector<std::string>* created);

  // The same without creating anything: NotFound when a component is missing. Owned fd.
  Result<UniqueFd> existing_dir(const std::string& dir);

  // Removes whatever is at `path` (named base inside parent_fd), a whole tree if it is a
  // directory, never following symlinks. Returns true when a directory was removed, so the
  // caller can forget what it knew below it.
  Result<bool> remove(int parent_fd, const std::string& path, const std::string& base);

  // Drops cached directory fds (before metadata is set at the end).
  void clear_cache() { dirs_.clear(); }

 private:
  Result<UniqueFd> walk(const std::string& dir, bool create, std::vector<std::string>* created);

  int root_;
  std::unordered_map<std::string, UniqueFd> dirs_;  // O_PATH fds of directories by path
};

}  // namespace berth::store
