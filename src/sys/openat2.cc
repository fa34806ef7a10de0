#include "sys/openat2.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

namespace berth::sys {

namespace {

// glibc 2.36 has no openat2() wrapper, so this goes through syscall(2).
Result<UniqueFd> do_openat2(int dirfd, const std::string& path, int flags, mode_t mode,
                            uint64_t resolve) {
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  // openat2 rejects a non-zero mode without O_CREAT/O_TMPFILE (unlike openat, which ignores it).
  if ((flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE) {
    how.mode = mode;
  }
  how.resolve = resolve;
  // EAGAIN: a concurrent rename or mount made the kernel unsure the lookup stayed beneath the
  // directory; the man page asks callers to retry. Bounded so a hostile renamer cannot spin us.
  for (int attempt = 0; attempt < 32; ++attempt) {
    long fd = ::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof(how));
    if (fd >= 0) {
      return UniqueFd(static_cast<int>(fd));
    }
    if (errno != EAGAIN && errno != EINTR) {
      break;
    }
  }
  int err = errno;
  return fail_errno(fmt::format("opening {}", path.empty() ? std::string(".") : path), err);
}

}  // namespace

Result<UniqueFd> open_beneath(int dirfd, const std::string& rel_path, int flags, mode_t mode,
                              bool allow_symlinks) {
  uint64_t resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  if (!allow_symlinks) {
    resolve |= RESOLVE_NO_SYMLINKS;
  }
  return do_openat2(dirfd, rel_path, flags, mode, resolve);
}

Result<UniqueFd> open_in_root(int rootfd, const std::string& path, int flags, mode_t mode) {
  return do_openat2(rootfd, path, flags, mode, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

}  // namespace berth::sys
