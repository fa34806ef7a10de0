#include "store/layer_diff.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "base/fs.h"
#include "store/whiteout.h"
#include "sys/xattrs.h"

namespace berth::store {

namespace {

constexpr size_t kFileBufSize = 1 << 20;

// Keeps a failure of our Writer whole; libarchive only sees "-1".
struct WriteCtx {
  Writer* out;
  std::optional<Error> error;
};

la_ssize_t write_cb(struct archive* a, void* opaque, const void* buf, size_t len) {
  auto* ctx = static_cast<WriteCtx*>(opaque);
  if (auto r = ctx->out->write(buf, len); !r) {
    ctx->error = std::move(r.error());
    archive_set_error(a, EIO, "writing the layer stream failed");
    return -1;
  }
  return static_cast<la_ssize_t>(len);
}

struct ArchiveWriteFree {
  void operator()(struct archive* a) const { archive_write_free(a); }
};

struct EntryFree {
  void operator()(struct archive_entry* e) const { archive_entry_free(e); }
};

// One directory entry, with the name it gets in the tar (".wh.x" for the whiteout of "x").
struct Child {
  std::string tar_name;
  std::string name;
  struct stat st {};
  bool whiteout = false;
};

class LayerWriter {
 public:
  LayerWriter(struct archive* a, WriteCtx* ctx, const DiffOptions& opts)
      : a_(a), ctx_(ctx), opts_(opts), buf_(kFileBufSize) {}

  Result<void> walk(int dirfd, const std::string& prefix);
  Result<void> opaque_marker(int dirfd, const std::string& prefix, const struct stat& st);

 private:
  Result<std::vector<Child>> list(int dirfd, const std::string& prefix);
  Result<void> child(int dirfd, const std::string& prefix, const Child& c);
  Result<void> directory(int dirfd, const std::string& path, const Child& c,
                         struct archive_entry* e);
  Result<void> header(struct archive_entry* e, const std::string& path);
  Result<void> copy_data(int fd, int64_t size, const std::string& path);
  Result<std::vector<std::string>> xattr_names(int fd, const std::string& path);
  Result<void> add_xattrs(struct archive_entry* e, int fd, const std::string& path);
  void set_common(struct archive_entry* e, const std::string& path, const struct stat& st);
  Result<void> fail_archive(const std::string& path);

  struct archive* a_;
  WriteCtx* ctx_;
  const DiffOptions& opts_;
  std::vector<char> buf_;
  std::map<std::pair<dev_t, ino_t>, std::string> first_names_;  // for hardlinks
};

Result<void> LayerWriter::fail_archive(const std::string& path) {
  if (ctx_->error) {
    return tl::unexpected(std::move(*ctx_->error));
  }
  const char* msg = archive_error_string(a_);
  return fail(Code::kInternal,
              fmt::format("writing tar entry {}: {}", path, msg ? msg : "unknown error"));
}

Result<std::vector<Child>> LayerWriter::list(int dirfd, const std::string& prefix) {
  UniqueFd fd(::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  DIR* d = fd ? ::fdopendir(fd.get()) : nullptr;
  if (d == nullptr) {
    return fail_errno(fmt::format("listing {}", prefix.empty() ? "." : prefix));
  }
  fd.release();  // closedir closes it
  std::vector<Child> out;
  while (auto* ent = ::readdir(d)) {
    std::string_view n = ent->d_name;
    if (n != "." && n != "..") {
      out.push_back(Child{std::string(n), std::string(n)});
    }
  }
  ::closedir(d);
  for (auto& c : out) {
    if (::fstatat(dirfd, c.name.c_str(), &c.st, AT_SYMLINK_NOFOLLOW) != 0) {
      return fail_errno(fmt::format("inspecting {}{}", prefix, c.name));
    }
    if (opts_.overlay_upper && S_ISCHR(c.st.st_mode) && c.st.st_rdev == makedev(0, 0)) {
      c.whiteout = true;
      c.tar_name = std::string(kWhiteoutPrefix) + c.name;
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Child& x, const Child& y) { return x.tar_name < y.tar_name; });
  return out;
}

Result<void> LayerWriter::walk(int dirfd, const std::string& prefix) {
  auto children = BERTH_TRY(list(dirfd, prefix));
  for (const auto& c : children) {
    BERTH_CHECK(child(dirfd, prefix, c));
  }
  return {};
}

void LayerWriter::set_common(struct archive_entry* e, const std::string& path,
                             const struct stat& st) {
  archive_entry_set_pathname(e, path.c_str());
  archive_entry_set_mode(e, st.st_mode);
  archive_entry_set_uid(e, st.st_uid);
  archive_entry_set_gid(e, st.st_gid);
  int64_t mtime = st.st_mtim.tv_sec;
  if (opts_.clamp_mtime_seconds && mtime > *opts_.clamp_mtime_seconds) {
    mtime = *opts_.clamp_mtime_seconds;
  }
  archive_entry_set_mtime(e, mtime, 0);  // whole seconds: sub-second times force PAX records
}

Result<void> LayerWriter::header(struct archive_entry* e, const std::string& path) {
  // WARN: a name that is not valid in the locale's charset, written as raw bytes
  // (hdrcharset=BINARY): still a complete entry.
  if (archive_write_header(a_, e) < ARCHIVE_WARN) {
    return fail_archive(path);
  }
  return {};
}

Result<std::vector<std::string>> LayerWriter::xattr_names(int fd, const std::string& path) {
  auto names = BERTH_TRY_CTX(sys::list_xattrs(fd), path);
  std::vector<std::string> keep;
  for (auto& key : names) {
    bool allowed = key == "security.capability" || std::string_view(key).starts_with("user.") ||
                   std::string_view(key).starts_with("trusted.");
    bool overlay_own = std::string_view(key).starts_with("trusted.overlay.") ||
                       (opts_.overlay_upper && std::string_view(key).starts_with("user.overlay."));
    if (allowed && !overlay_own) {
      keep.push_back(std::move(key));
    }
  }
  std::sort(keep.begin(), keep.end());  // listxattr order is the filesystem's, not stable
  return keep;
}

Result<void> LayerWriter::add_xattrs(struct archive_entry* e, int fd, const std::string& path) {
  for (const auto& key : BERTH_TRY(xattr_names(fd, path))) {
    auto value = BERTH_TRY_CTX(sys::get_xattr(fd, key), path);
    if (value) {
      archive_entry_xattr_add_entry(e, key.c_str(), value->data(), value->size());
    }
  }
  return {};
}

Result<void> LayerWriter::copy_data(int fd, int64_t size, const std::string& path) {
  int64_t left = size;
  while (left > 0) {
    size_t want = static_cast<size_t>(std::min<int64_t>(left, static_cast<int64_t>(buf_.size())));
    size_t n = BERTH_TRY_CTX(read_some(fd, buf_.data(), want), path);
    if (n == 0) {
      break;  // the file shrank: libarchive pads the entry to its declared size
    }
    if (archive_write_data(a_, buf_.data(), n) < 0) {
      return fail_archive(path);
    }
    left -= static_cast<int64_t>(n);
  }
  return {};
}

// The ".wh..wh..opq" entry of an opaque directory of an overlay upper dir.
Result<void> LayerWriter::opaque_marker(int dirfd, const std::string& prefix,
                                        const struct stat& st) {
  bool opaque = false;
  for (const char* key : {"trusted.overlay.opaque", "user.overlay.opaque"}) {
    auto v = BERTH_TRY_CTX(sys::get_xattr(dirfd, key), prefix.empty() ? "." : prefix);
    opaque = opaque || (v && *v == "y");
  }
  if (!opaque) {
    return {};
  }
  std::unique_ptr<struct archive_entry, EntryFree> e(archive_entry_new());
  struct stat marker = st;
  marker.st_mode = S_IFREG;  // mode 0, as the whiteouts
  set_common(e.get(), prefix + std::string(kOpaqueMarker), marker);
  archive_entry_set_size(e.get(), 0);
  return header(e.get(), prefix + std::string(kOpaqueMarker));
}

// A directory's entry, its opaque marker, then its contents.
Result<void> LayerWriter::directory(int dirfd, const std::string& path, const Child& c,
                                    struct archive_entry* e) {
  UniqueFd fd(::openat(dirfd, c.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    return fail_errno(fmt::format("opening {}", path));
  }
  set_common(e, path + "/", c.st);
  BERTH_CHECK(add_xattrs(e, fd.get(), path));
  BERTH_CHECK(header(e, path));
  if (opts_.overlay_upper) {
    BERTH_CHECK(opaque_marker(fd.get(), path + "/", c.st));
  }
  return walk(fd.get(), path + "/");
}

Result<void> LayerWriter::child(int dirfd, const std::string& prefix, const Child& c) {
  std::string path = prefix + c.tar_name;
  const struct stat& st = c.st;
  if (S_ISSOCK(st.st_mode)) {
    return {};
  }
  std::unique_ptr<struct archive_entry, EntryFree> e(archive_entry_new());
  if (c.whiteout) {
    struct stat wst = st;
    wst.st_mode = S_IFREG;
    set_common(e.get(), path, wst);
    archive_entry_set_size(e.get(), 0);
    return header(e.get(), path);
  }
  if (S_ISDIR(st.st_mode)) {
    return directory(dirfd, path, c, e.get());
  }
  set_common(e.get(), path, st);
  if (st.st_nlink > 1) {
    auto [it, first] = first_names_.try_emplace({st.st_dev, st.st_ino}, path);
    if (!first) {
      archive_entry_set_filetype(e.get(), AE_IFREG);
      archive_entry_set_hardlink(e.get(), it->second.c_str());
      archive_entry_set_size(e.get(), 0);
      return header(e.get(), path);
    }
  }
  // Regular files are opened to read them; the others only as O_PATH, to read their xattrs.
  int flags = S_ISREG(st.st_mode) ? O_RDONLY | O_NOFOLLOW : O_PATH | O_NOFOLLOW;
  UniqueFd fd(::openat(dirfd, c.name.c_str(), flags | O_CLOEXEC));
  if (!fd) {
    return fail_errno(fmt::format("opening {}", path));
  }
  if (S_ISLNK(st.st_mode)) {
    std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
    ssize_t n = ::readlinkat(dirfd, c.name.c_str(), target.data(), target.size());
    if (n < 0) {
      return fail_errno(fmt::format("reading symlink {}", path));
    }
    target.resize(static_cast<size_t>(n));
    archive_entry_set_symlink(e.get(), target.c_str());
  } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    archive_entry_set_rdevmajor(e.get(), major(st.st_rdev));
    archive_entry_set_rdevminor(e.get(), minor(st.st_rdev));
  } else if (S_ISREG(st.st_mode)) {
    archive_entry_set_size(e.get(), st.st_size);
  }
  BERTH_CHECK(add_xattrs(e.get(), fd.get(), path));
  BERTH_CHECK(header(e.get(), path));
  if (S_ISREG(st.st_mode)) {
    BERTH_CHECK(copy_data(fd.get(), st.st_size, path));
  }
  return {};
}

}  // namespace

Result<void> write_layer(int src_dirfd, Writer& out, const DiffOptions& opts) {
  WriteCtx ctx{&out, std::nullopt};
  std::unique_ptr<struct archive, ArchiveWriteFree> a(archive_write_new());
  if (!a) {
    return fail(Code::kInternal, "archive_write_new failed");
  }
  // pax_restricted: plain ustar headers unless an entry needs more (long names, xattrs, large
  // ids), like Go's archive/tar. Only SCHILY.xattr records (not also LIBARCHIVE.xattr), which
  // is what docker and containerd read. No padding to 10 KiB records after the end blocks.
  if (archive_write_set_format_pax_restricted(a.get()) != ARCHIVE_OK ||
      archive_write_set_format_option(a.get(), "pax", "xattrheader", "SCHILY") != ARCHIVE_OK ||
      archive_write_set_bytes_per_block(a.get(), 64 * 1024) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(a.get(), 1) != ARCHIVE_OK ||
      archive_write_open(a.get(), &ctx, nullptr, write_cb, nullptr) != ARCHIVE_OK) {
    return fail(Code::kInternal,
                fmt::format("setting up the tar writer: {}", archive_error_string(a.get())));
  }
  LayerWriter writer(a.get(), &ctx, opts);
  UniqueFd root(::openat(src_dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) {
    return fail_errno("opening the layer directory");
  }
  if (opts.overlay_upper) {
    struct stat st {};
    if (::fstat(root.get(), &st) != 0) {
      return fail_errno("inspecting the layer directory");
    }
    BERTH_CHECK(writer.opaque_marker(root.get(), "", st));
  }
  BERTH_CHECK(writer.walk(root.get(), ""));
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    if (ctx.error) {
      return tl::unexpected(std::move(*ctx.error));
    }
    return fail(Code::kInternal,
                fmt::format("finishing the tar: {}", archive_error_string(a.get())));
  }
  return {};
}

}  // namespace berth::store
