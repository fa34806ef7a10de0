// FileLock: an flock(2) on a lock file, shared or exclusive, released on destruction. Locks
// are per open file description, so they also order threads of one process that open the
// file separately, and they vanish with a process that dies holding them.
#pragma once

#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::sys {

class FileLock {
 public:
  enum class Mode { kShared, kExclusive };

  // Opens (creating if needed) the lock file at path and blocks until the lock is held.
  static Result<FileLock> acquire(const std::string& path, Mode mode);
  // Like acquire but returns Conflict at once when another holder has an incompatible lock.
  static Result<FileLock> try_acquire(const std::string& path, Mode mode);

  FileLock(FileLock&&) noexcept = default;
  FileLock& operator=(FileLock&&) noexcept = default;
  ~FileLock() = default;  // closing the fd drops the lock

 private:
  explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
  static Result<FileLock> lock(const std::string& path, Mode mode, bool wait);
  UniqueFd fd_;
};

}  // namespace berth::sys
