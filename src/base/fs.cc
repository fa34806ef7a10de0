#include "base/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "base/strings.h"

namespace berth {

Result<std::string> read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return fail_errno(fmt::format("opening {}", path));
  }
  std::string out;
  struct stat st {};
  if (::fstat(fd.get(), &st) == 0 && st.st_size > 0) {
    out.reserve(static_cast<size_t>(st.st_size));
  }
  char buf[65536];
  while (true) {
    auto n = read_some(fd.get(), buf, sizeof buf);
    if (!n) {
      return tl::unexpected(std::move(n.error()).context(fmt::format("reading {}", path)));
    }
    if (*n == 0) {
      break;
    }
    out.append(buf, *n);
  }
  return out;
}

Result<void> write_all(int fd, const void* data, size_t len) {
  const char* p = static_cast<const char*>(data);
  while (len > 0) {
    ssize_t n = ::write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail_errno("write");
    }
    p += n;
    len -= static_cast<size_t>(n);
  }
  return {};
}

Result<size_t> read_some(int fd, void* data, size_t len) {
  while (true) {
    ssize_t n = ::read(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail_errno("read");
    }
    return static_cast<size_t>(n);
  }
}

Result<void> write_file_atomic(const std::string& path, std::string_view data, mode_t mode,
                               Durability durability) {
  bool durable = durability == Durability::kDurable;
  std::string tmp = fmt::format("{}/.tmp-{}-{}", dir_name(path), base_name(path), random_hex(8));
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd) {
    return fail_errno(fmt::format("creating {}", tmp));
  }
  auto cleanup = [&] { ::unlink(tmp.c_str()); };
  if (auto r = write_all(fd.get(), data.data(), data.size()); !r) {
    cleanup();
    return tl::unexpected(std::move(r.error()).context(fmt::format("writing {}", tmp)));
  }
  if (::fchmod(fd.get(), mode) != 0 || (durable && ::fsync(fd.get()) != 0)) {
    int err = errno;
    cleanup();
    return fail_errno(fmt::format("syncing {}", tmp), err);
  }
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    cleanup();
    return fail_errno(fmt::format("renaming {} to {}", tmp, path), err);
  }
  return durable ? fsync_dir(dir_name(path)) : Result<void>{};
}

Result<void> mkdir_p(const std::string& path, mode_t mode) {
  if (path.empty()) {
    return {};
  }
  if (::mkdir(path.c_str(), mode) == 0) {
    return {};
  }
  if (errno == EEXIST) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      return {};
    }
    return fail(Code::kConflict, fmt::format("{} exists and is not a directory", path));
  }
  if (errno != ENOENT) {
    return fail_errno(fmt::format("creating directory {}", path));
  }
  std::string parent = dir_name(path);
  if (parent == path) {
    return fail_errno(fmt::format("creating directory {}", path), ENOENT);
  }
  BERTH_CHECK(mkdir_p(parent, mode));
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    return fail_errno(fmt::format("creating directory {}", path));
  }
  return {};
}

Result<void> remove_tree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) {
    return fail_errno(fmt::format("removing {}", path), ec.value());
  }
  return {};
}

Result<UniqueFd> open_dir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    return fail_errno(fmt::format("opening directory {}", path));
  }
  return fd;
}

Result<void> fsync_dir(const std::string& path) {
  auto fd = BERTH_TRY(open_dir(path));
  if (::fsync(fd.get()) != 0) {
    return fail_errno(fmt::format("syncing directory {}", path));
  }
  return {};
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

std::string dir_name(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') {
    path.remove_suffix(1);
  }
  auto pos = path.rfind('/');
  if (pos == std::string_view::npos) {
    return ".";
  }
  if (pos == 0) {
    return "/";
  }
  return std::string(path.substr(0, pos));
}

std::string base_name(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') {
    path.remove_suffix(1);
  }
  auto pos = path.rfind('/');
  if (pos == std::string_view::npos) {
    return std::string(path);
  }
  return std::string(path.substr(pos + 1));
}

}  // namespace berth
