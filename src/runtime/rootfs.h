// A container's root filesystem on the host: the overlay of the image's layers and the
// container's upper directory, mounted at <runroot>/containers/<id>/merged in the host's mount
// namespace (as docker does), so that the parent can look up users and paths in it before the
// init starts, and `cp`, `export` and `top` can reach it while the container runs.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"

namespace berth::runtime {

struct RootfsLayers {
  std::vector<std::string> lowerdirs;  // top-most first; at least one
  std::string upperdir;
  std::string workdir;
  // overlay's "volatile" (Linux >= 5.10): no sync of the upper file system at unmount, which
  // costs milliseconds; a crash leaves the upper directory unusable. For containers removed
  // when they stop (--rm). Where the kernel refuses it, the overlay is mounted without it.
  bool volatile_upper = false;
};

// Mounts the overlay on merged (an existing empty directory). Errors name the mount point.
Result<void> mount_rootfs(const RootfsLayers& layers, const std::string& merged);

// Unmounts whatever is mounted on merged and below it (lazily when busy); absent or not mounted
// is fine. Errors name the mount point.
Result<void> unmount_rootfs(const std::string& merged);

// Creates dir (absolute, inside the container) and its missing parents in the root at rootfd,
// resolving every component inside the root; new directories are root-owned 0755 (docker's
// WORKDIR rule at container start). An existing non-directory fails with NotADirectory's error.
Result<void> make_dir_in_root(int rootfd, const std::string& dir);

}  // namespace berth::runtime
