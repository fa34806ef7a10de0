#include "store/layer_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"

namespace berth::store {

LayerUnpack::LayerUnpack(const LayerStore* store, std::string tmp_dir, UniqueFd dir)
    : store_(store),
      tmp_dir_(std::move(tmp_dir)),
      diff_path_(tmp_dir_ + "/diff"),
      dir_(std::move(dir)) {}

LayerUnpack::~LayerUnpack() {
  if (!done_) {
    dir_.reset();
    (void)remove_tree(tmp_dir_);
  }
}

Result<void> LayerUnpack::commit(const oci::Digest& diff_id, int64_t size) {
  if (::syncfs(dir_.get()) != 0) {
    return fail_errno(fmt::format("syncing layer {}", diff_id.str()));
  }
  BERTH_CHECK(write_file_atomic(tmp_dir_ + "/size", std::to_string(size)));
  std::string final_dir = fmt::format("{}/{}", store_->layers_dir(), diff_id.hex());
  dir_.reset();
  if (::rename(tmp_dir_.c_str(), final_dir.c_str()) != 0) {
    if (errno == EEXIST || errno == ENOTEMPTY) {
      return {};  // the destructor drops our copy; the one in place is identical by digest
    }
    return fail_errno(fmt::format("committing layer {}", diff_id.str()));
  }
  done_ = true;
  return fsync_dir(store_->layers_dir());
}

Result<void> LayerStore::init() const { return mkdir_p(layers_dir(), 0700); }

std::string LayerStore::diff_path(const oci::Digest& diff_id) const {
  return fmt::format("{}/{}/diff", layers_dir(), diff_id.hex());
}

bool LayerStore::has(const oci::Digest& diff_id) const {
  return path_exists(fmt::format("{}/{}/size", layers_dir(), diff_id.hex()));
}

int64_t LayerStore::size(const oci::Digest& diff_id) const {
  auto s = read_file(fmt::format("{}/{}/size", layers_dir(), diff_id.hex()));
  if (!s) {
    return 0;
  }
  auto v = parse_uint(trim(*s));
  return v ? static_cast<int64_t>(*v) : 0;
}

Result<std::unique_ptr<LayerUnpack>> LayerStore::begin_unpack() const {
  std::string tmp = fmt::format("{}/.tmp-{}", layers_dir(), random_hex(16));
  if (::mkdir(tmp.c_str(), 0700) != 0) {
    return fail_errno(fmt::format("creating {}", tmp));
  }
  if (::mkdir((tmp + "/diff").c_str(), 0755) != 0) {
    int err = errno;
    (void)remove_tree(tmp);
    return fail_errno(fmt::format("creating {}/diff", tmp), err);
  }
  auto fd = open_dir(tmp + "/diff");
  if (!fd) {
    (void)remove_tree(tmp);
    return tl::unexpected(std::move(fd.error()));
  }
  return std::unique_ptr<LayerUnpack>(new LayerUnpack(this, std::move(tmp), std::move(*fd)));
}

Result<std::vector<oci::Digest>> LayerStore::list() const {
  std::vector<oci::Digest> out;
  DIR* d = ::opendir(layers_dir().c_str());
  if (d == nullptr) {
    return errno == ENOENT ? Result<std::vector<oci::Digest>>(out)
                           : fail_errno(fmt::format("listing {}", layers_dir()));
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

Result<void> LayerStore::remove(const oci::Digest& diff_id) const {
  std::string dir = fmt::format("{}/{}", layers_dir(), diff_id.hex());
  std::string aside = fmt::format("{}/.tmp-rm-{}", layers_dir(), random_hex(16));
  if (::rename(dir.c_str(), aside.c_str()) != 0) {
    return errno == ENOENT ? Result<void>() : fail_errno(fmt::format("removing layer {}", dir));
  }
  return remove_tree(aside);
}

Result<int> LayerStore::sweep_temporary() const {
  DIR* d = ::opendir(layers_dir().c_str());
  if (d == nullptr) {
    return 0;
  }
  std::vector<std::string> doomed;
  while (auto* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.rfind(".tmp-", 0) == 0) {
      doomed.push_back(layers_dir() + "/" + name);
    }
  }
  ::closedir(d);
  for (const auto& p : doomed) {
    BERTH_CHECK(remove_tree(p));
  }
  return static_cast<int>(doomed.size());
}

}  // namespace berth::store
