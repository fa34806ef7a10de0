#include "store/blob_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"

namespace berth::store {

BlobWriter::BlobWriter(const BlobStore* store, std::string tmp_path, UniqueFd fd)
    : store_(store), tmp_path_(std::move(tmp_path)), fd_(std::move(fd)) {}

BlobWriter::~BlobWriter() {
  if (!done_) {
    fd_.reset();
    ::unlink(tmp_path_.c_str());
  }
}

Result<void> BlobWriter::write(const void* buf, size_t len) {
  hash_.update(buf, len);
  size_ += static_cast<int64_t>(len);
  return write_all(fd_.get(), buf, len);
}

oci::Digest BlobWriter::digest() const { return oci::Digest::from_sha256_hex(hash_.hex()); }

Result<oci::Digest> BlobWriter::commit(const std::optional<oci::Digest>& expected) {
  oci::Digest got = digest();
  if (expected && *expected != got) {
    return fail(Code::kCorrupt,
                fmt::format("digest mismatch: expected {}, got {}", expected->str(), got.str()));
  }
  if (::fsync(fd_.get()) != 0) {
    return fail_errno(fmt::format("syncing {}", tmp_path_));
  }
  fd_.reset();
  std::string final_path = store_->path(got);
  // link() keeps an existing blob untouched (its readers see no change) and fails with EEXIST
  // when another writer won the race with the same content.
  if (::link(tmp_path_.c_str(), final_path.c_str()) != 0 && errno != EEXIST) {
    return fail_errno(fmt::format("storing blob {}", got.str()));
  }
  ::unlink(tmp_path_.c_str());
  done_ = true;
  BERTH_CHECK(fsync_dir(dir_name(final_path)));
  return got;
}

Result<void> BlobStore::init() const {
  BERTH_CHECK(mkdir_p(root_ + "/blobs/sha256"));
  BERTH_CHECK(mkdir_p(root_ + "/ingest", 0700));
  return {};
}

std::string BlobStore::path(const oci::Digest& d) const {
  return fmt::format("{}/blobs/{}/{}", root_, d.algorithm(), d.hex());
}

bool BlobStore::has(const oci::Digest& d) const { return path_exists(path(d)); }

Result<int64_t> BlobStore::size(const oci::Digest& d) const {
  struct stat st {};
  if (::stat(path(d).c_str(), &st) != 0) {
    return fail_errno(fmt::format("blob {}", d.str()));
  }
  return static_cast<int64_t>(st.st_size);
}

Result<std::string> BlobStore::read(const oci::Digest& d) const {
  auto data = read_file(path(d));
  if (!data) {
    if (data.error().code() == Code::kNotFound) {
      return fail(Code::kNotFound, fmt::format("blob {} not found", d.str()));
    }
    return tl::unexpected(std::move(data.error()));
  }
  if (d.algorithm() == "sha256" && oci::Digest::sha256_of(*data) != d) {
    return fail(Code::kCorrupt, fmt::format("blob {} is corrupt: content does not match", d.str()));
  }
  return data;
}

Result<UniqueFd> BlobStore::open(const oci::Digest& d) const {
  UniqueFd fd(::open(path(d).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) {
      return fail(Code::kNotFound, fmt::format("blob {} not found", d.str()));
    }
    return fail_errno(fmt::format("opening blob {}", d.str()));
  }
  return fd;
}

Result<oci::Digest> BlobStore::put(std::string_view data) const {
  oci::Digest d = oci::Digest::sha256_of(data);
  if (has(d)) {
    return d;
  }
  auto w = BERTH_TRY(writer());
  BERTH_CHECK(w->write(data.data(), data.size()));
  return w->commit(d);
}

Result<std::unique_ptr<BlobWriter>> BlobStore::writer() const {
  std::string tmp = fmt::format("{}/ingest/{}", root_, random_hex(24));
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd) {
    return fail_errno(fmt::format("creating {}", tmp));
  }
  return std::unique_ptr<BlobWriter>(new BlobWriter(this, std::move(tmp), std::move(fd)));
}

Result<std::vector<oci::Digest>> BlobStore::list() const {
  std::vector<oci::Digest> out;
  std::string dir = root_ + "/blobs/sha256";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) {
      return out;
    }
    return fail_errno(fmt::format("listing {}", dir));
  }
  while (auto* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() == 64 && is_hex(name)) {
      out.push_back(oci::Digest::from_sha256_hex(name));
    }
  }
  ::closedir(d);
  return out;
}

Result<void> BlobStore::remove(const oci::Digest& d) const {
  if (::unlink(path(d).c_str()) != 0 && errno != ENOENT) {
    return fail_errno(fmt::format("removing blob {}", d.str()));
  }
  return {};
}

Result<int> BlobStore::sweep_ingest(int64_t max_age_seconds) const {
  std::string dir = root_ + "/ingest";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    return errno == ENOENT ? Result<int>(0) : fail_errno(fmt::format("listing {}", dir));
  }
  int removed = 0;
  time_t now = ::time(nullptr);
  while (auto* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") {
      continue;
    }
    struct stat st {};
    if (::fstatat(::dirfd(d), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      continue;
    }
    if (max_age_seconds > 0 && now - st.st_mtime < max_age_seconds) {
      continue;
    }
    if (::unlinkat(::dirfd(d), name.c_str(), 0) == 0) {
      ++removed;
    }
  }
  ::closedir(d);
  return removed;
}

}  // namespace berth::store
