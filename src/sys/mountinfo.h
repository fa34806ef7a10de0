// /proc/<pid>/mountinfo: the kernel's view of a mount namespace, parsed into records, and the
// cleanup that unmounts a whole tree (proc(5), "mountinfo").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::sys {

// One line of mountinfo. Paths (root, mount_point) and source have the kernel's octal escapes
// (\040 space, \011 tab, \012 newline, \134 backslash) decoded.
struct MountInfo {
  int id = 0;
  int parent = 0;
  unsigned major = 0;
  unsigned minor = 0;
  std::string root;         // the path inside the filesystem that is mounted ("/" or a bind's dir)
  std::string mount_point;  // where it is mounted, relative to the reader's root
  std::string options;      // per-mount options: "rw,nosuid,relatime"
  std::vector<std::string> optional;  // propagation tags: "shared:1", "master:2", "unbindable"
  std::string fstype;                 // "ext4", "overlay", "fuse.sshfs"
  std::string source;                 // "/dev/vda", "overlay", "none"
  std::string super_options;          // per-superblock options: "rw,size=65536k,mode=755"
};

// Parses mountinfo text. Blank lines are skipped; a line that does not have the fixed fields
// fails with Corrupt naming the line number.
Result<std::vector<MountInfo>> parse_mountinfo(std::string_view text);

// Reads and parses /proc/self/mountinfo (the caller's mount namespace).
Result<std::vector<MountInfo>> read_mountinfo();

// Decodes the octal escapes the kernel writes for space, tab, newline and backslash ("\040").
// Any other backslash is kept as it is.
std::string unescape_mount_field(std::string_view field);

// Detaches (umount2 MNT_DETACH) every mount at or under path, deepest first, then rereads the
// table until nothing is left there (stacked mounts come off one per pass). A path that does not
// exist or has nothing mounted is fine. Errors name the mount point and keep errno (EPERM,
// EBUSY...); a mount that stays after repeated passes fails with Internal. The path is made
// canonical (symlinks resolved) first, since mountinfo holds canonical paths. Does not block
// beyond the syscalls.
Result<void> unmount_tree(const std::string& path);

}  // namespace berth::sys
