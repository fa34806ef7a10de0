// File helpers on the host side (never inside a container rootfs: those go through sys/ and
// RESOLVE_IN_ROOT). Every write that must survive a crash is temp + fsync + rename.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth {

// Reads a whole file. NotFound when it does not exist.
Result<std::string> read_file(const std::string& path);

// kDurable: the new content survives a crash once the call returns (the file and its directory
// are fsynced). kAtomicOnly: other processes see the old or the new content, never a mix, but a
// crash may lose the change; for records that are rebuilt or checked against the live system
// (a container's state, its generated /etc files), where two fsyncs would cost each start
// several milliseconds.
enum class Durability { kDurable, kAtomicOnly };

// Writes data to path atomically: a temp file in the same directory, renamed over path. Readers
// see the old or the new content, never a mix.
Result<void> write_file_atomic(const std::string& path, std::string_view data, mode_t mode = 0644,
                               Durability durability = Durability::kDurable);

// Writes all of data to fd, retrying on short writes and EINTR.
Result<void> write_all(int fd, const void* data, size_t len);
// Reads up to len bytes, retrying on EINTR; returns how many were read (0 at end of file).
Result<size_t> read_some(int fd, void* data, size_t len);

// Creates a directory and its parents (mode for the ones it creates); fine if it exists.
Result<void> mkdir_p(const std::string& path, mode_t mode = 0755);

// Removes a file or a directory tree without following symlinks; fine if it does not exist.
Result<void> remove_tree(const std::string& path);

// Opens a directory (O_DIRECTORY|O_CLOEXEC|O_RDONLY).
Result<UniqueFd> open_dir(const std::string& path);

// fsync of a directory, so that renames and creations inside it are durable.
Result<void> fsync_dir(const std::string& path);

bool path_exists(const std::string& path);

// The directory part and the last component of a path ("a/b/c" → "a/b", "c").
std::string dir_name(std::string_view path);
std::string base_name(std::string_view path);

}  // namespace berth
