// Compiled seccomp programs kept between container starts. Compiling docker's default profile
// with libseccomp takes milliseconds on every start and every exec; the result depends only on
// the profile, the capability mask, the host (architecture, kernel version) and the berth binary
// that compiled it, so it is cached under <runroot>/seccomp (a tmpfs in production: a reboot
// clears it, as it should after a kernel update).
#pragma once

#include <functional>
#include <string>

#include "base/error.h"
#include "sys/seccomp_filter.h"

namespace berth::engine {

// The program for `key` (every input of the compilation, spelled out by the caller) from
// <dir>/<hash>.bpf when a file there holds exactly this key, else compile() and store its
// result (atomically, best effort: a cache that cannot be written only costs time). A file
// that is unreadable, truncated or holds another key is ignored, so a damaged cache can make
// a start slower but never gives it another program.
Result<sys::SeccompProgram> cached_seccomp(
    const std::string& dir, const std::string& key,
    const std::function<Result<sys::SeccompProgram>()>& compile);

// The part of a cache key that names this berth binary: device, inode, size and mtime of
// /proc/self/exe, so that an upgraded berth never uses its predecessor's programs.
std::string binary_identity();

}  // namespace berth::engine
