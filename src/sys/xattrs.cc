#include "sys/xattrs.h"

#include <fcntl.h>
#include <sys/xattr.h>

#include <cerrno>

#include <fmt/format.h>

#include "sys/openat2.h"

namespace berth::sys {

namespace {

std::string proc_path(int fd) { return fmt::format("/proc/self/fd/{}", fd); }

// Calls the fd form, and on EBADF (an O_PATH fd) the path form on /proc/self/fd/<fd>; returns
// the syscall's result with errno set as it left it.
template <typename FdCall, typename PathCall>
ssize_t on_inode(int fd, FdCall fd_call, PathCall path_call) {
  ssize_t n = fd_call(fd);
  if (n < 0 && errno == EBADF) {
    n = path_call(proc_path(fd).c_str());
  }
  return n;
}

// Runs a size-probing xattr call (size 0 asks for the size) until the buffer is big enough:
// the value may grow between the probe and the read (ERANGE), so loop. nullopt on failure,
// with errno saying why.
template <typename Call>
std::optional<std::string> read_sized(Call call) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    ssize_t size = call(nullptr, 0);
    if (size < 0) {
      return std::nullopt;
    }
    std::string buf(static_cast<size_t>(size), '\0');
    ssize_t n = size == 0 ? 0 : call(buf.data(), buf.size());
    if (n >= 0) {
      buf.resize(static_cast<size_t>(n));
      return buf;
    }
    if (errno != ERANGE) {
      return std::nullopt;
    }
  }
  errno = ERANGE;
  return std::nullopt;
}

Result<UniqueFd> open_path(int dirfd, const std::string& rel_path) {
  return open_beneath(dirfd, rel_path, O_PATH | O_NOFOLLOW, 0, false);
}

}  // namespace

Result<std::vector<std::string>> list_xattrs(int fd) {
  auto raw = read_sized([fd](char* buf, size_t len) {
    return on_inode(
        fd, [&](int f) { return ::flistxattr(f, buf, len); },
        [&](const char* p) { return ::listxattr(p, buf, len); });
  });
  std::vector<std::string> names;
  if (!raw) {
    if (errno == ENOTSUP) {
      return names;
    }
    return fail_errno("listing extended attributes", errno);
  }
  const std::string& list = *raw;
  for (size_t pos = 0; pos < list.size();) {
    size_t end = list.find('\0', pos);
    if (end == std::string::npos) {
      end = list.size();
    }
    if (end > pos) {
      names.emplace_back(list, pos, end - pos);
    }
    pos = end + 1;
  }
  return names;
}

Result<std::optional<std::string>> get_xattr(int fd, const std::string& key) {
  auto value = read_sized([&](char* buf, size_t len) {
    return on_inode(
        fd, [&](int f) { return ::fgetxattr(f, key.c_str(), buf, len); },
        [&](const char* p) { return ::getxattr(p, key.c_str(), buf, len); });
  });
  int err = errno;
  if (!value && err != ENODATA && err != ENOTSUP) {
    return fail_errno(fmt::format("reading extended attribute {}", key), err);
  }
  return value;
}

Result<void> set_xattr(int fd, const std::string& key, std::string_view value) {
  ssize_t rc = on_inode(
      fd, [&](int f) { return ::fsetxattr(f, key.c_str(), value.data(), value.size(), 0); },
      [&](const char* p) { return ::setxattr(p, key.c_str(), value.data(), value.size(), 0); });
  if (rc != 0) {
    int err = errno;
    return fail_errno(fmt::format("setting extended attribute {}", key), err);
  }
  return {};
}

Result<std::vector<std::string>> list_xattrs_at(int dirfd, const std::string& rel_path) {
  auto fd = BERTH_TRY(open_path(dirfd, rel_path));
  return with_context(list_xattrs(fd.get()), rel_path);
}

Result<std::optional<std::string>> get_xattr_at(int dirfd, const std::string& rel_path,
                                                const std::string& key) {
  auto fd = BERTH_TRY(open_path(dirfd, rel_path));
  return with_context(get_xattr(fd.get(), key), rel_path);
}

Result<void> set_xattr_at(int dirfd, const std::string& rel_path, const std::string& key,
                          std::string_view value) {
  auto fd = BERTH_TRY(open_path(dirfd, rel_path));
  return with_context(set_xattr(fd.get(), key, value), rel_path);
}

}  // namespace berth::sys
