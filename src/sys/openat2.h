// openat2(2) wrappers: path resolution that cannot leave a directory. Every path that comes
// from an image (a layer entry, a container's /etc/passwd, a volume subpath) is resolved with
// these, never by joining strings (DESIGN.md "Style").
#pragma once

#include <sys/types.h>

#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::sys {

// Opens rel_path relative to dirfd with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, and also
// RESOLVE_NO_SYMLINKS unless allow_symlinks. O_CLOEXEC is always added; mode is used only with
// O_CREAT or O_TMPFILE. A path that would leave dirfd (absolute, "..", or a symlink pointing out)
// fails with errno EXDEV; a symlink in any component when !allow_symlinks fails with ELOOP
// (except a trailing symlink opened with O_PATH | O_NOFOLLOW, which opens the link itself). The
// error names rel_path and keeps the errno, so callers can tell these apart. Retries the EAGAIN
// the kernel returns when a rename raced with the lookup. Does not block beyond the open itself.
Result<UniqueFd> open_beneath(int dirfd, const std::string& rel_path, int flags, mode_t mode,
                              bool allow_symlinks);

// Opens path as if rootfd were the root directory (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS):
// absolute symlinks and ".." are resolved against rootfd, so nothing outside it is reachable.
// For paths inside a container's root filesystem. O_CLOEXEC is always added; mode as above.
Result<UniqueFd> open_in_root(int rootfd, const std::string& path, int flags, mode_t mode);

}  // namespace berth::sys
