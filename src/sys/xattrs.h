// Extended attributes of one inode, never of what a symlink points to. (Named xattrs.h, not
// xattr.h: with src/ on the include path, "sys/xattr.h" would hide the system <sys/xattr.h>.)
//
// How: an fd opened normally (a regular file or directory) uses the f*xattr calls. An O_PATH fd
// (the only kind a symlink, device or fifo can be opened as without following or opening the
// device) makes those fail with EBADF, so the call then goes through "/proc/self/fd/<fd>" with
// the *following* variants (getxattr, not lgetxattr): that magic link resolves to the fd's own
// inode without re-reading any path, so for an O_PATH fd of a symlink it reaches the symlink
// itself. (lgetxattr would act on the procfs link instead.) Needs /proc mounted.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::sys {

// Names of the extended attributes on fd's inode, in the kernel's order. Empty when the
// filesystem has no xattr support (ENOTSUP).
Result<std::vector<std::string>> list_xattrs(int fd);

// The value of one attribute; nullopt when it is not set (ENODATA) or unsupported (ENOTSUP).
Result<std::optional<std::string>> get_xattr(int fd, const std::string& key);

// Sets (creates or replaces) an attribute. The error keeps the errno (ENOTSUP, EPERM for user.*
// on a symlink or device, ...) so callers can decide what to ignore.
Result<void> set_xattr(int fd, const std::string& key, std::string_view value);

// The same on rel_path under dirfd: resolved beneath dirfd with no symlink in any component; a
// trailing symlink is acted on itself (opened O_PATH | O_NOFOLLOW).
Result<std::vector<std::string>> list_xattrs_at(int dirfd, const std::string& rel_path);
Result<std::optional<std::string>> get_xattr_at(int dirfd, const std::string& rel_path,
                                                const std::string& key);
Result<void> set_xattr_at(int dirfd, const std::string& rel_path, const std::string& key,
                          std::string_view value);

}  // namespace berth::sys
