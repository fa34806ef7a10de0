#include "sys/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>

#include <fmt/format.h>

namespace berth::sys {

Result<FileLock> FileLock::acquire(const std::string& path, Mode mode) {
  return lock(path, mode, true);
}

Result<FileLock> FileLock::try_acquire(const std::string& path, Mode mode) {
  return lock(path, mode, false);
}

Result<FileLock> FileLock::lock(const std::string& path, Mode mode, bool wait) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) {
    return fail_errno(fmt::format("opening lock {}", path));
  }
  int op = (mode == Mode::kShared ? LOCK_SH : LOCK_EX) | (wait ? 0 : LOCK_NB);
  while (::flock(fd.get(), op) != 0) {
    if (errno == EINTR) {
      continue;
    }
    if (errno == EWOULDBLOCK) {
      return fail(Code::kConflict, fmt::format("{} is locked by another process", path));
    }
    return fail_errno(fmt::format("locking {}", path));
  }
  return FileLock(std::move(fd));
}

}  // namespace berth::sys
