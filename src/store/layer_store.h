// LayerStore: applied layers under <root>/layers/<diff-id hex>/diff, each the content of one
// layer tar unpacked on its own (whiteouts as overlayfs expects them), used as an overlay lower
// directory. Keyed by diff ID (the uncompressed tar's digest): the same layer in two images is
// unpacked once, whatever lies below it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "oci/digest.h"

namespace berth::store {

class LayerStore;

// A layer being unpacked into a private temporary directory. Destroying it without commit()
// removes everything written, so a failed apply leaves nothing of the layer.
class LayerUnpack {
 public:
  LayerUnpack(const LayerUnpack&) = delete;
  LayerUnpack& operator=(const LayerUnpack&) = delete;
  ~LayerUnpack();

  // The directory to unpack into (empty at first).
  int dirfd() const { return dir_.get(); }
  const std::string& path() const { return diff_path_; }

  // Makes the unpacked tree durable (syncfs) and moves it to its final place. When another
  // process committed the same layer first, ours is discarded and theirs kept.
  Result<void> commit(const oci::Digest& diff_id, int64_t size);

 private:
  friend class LayerStore;
  LayerUnpack(const LayerStore* store, std::string tmp_dir, UniqueFd dir);

  const LayerStore* store_;
  std::string tmp_dir_;
  std::string diff_path_;
  UniqueFd dir_;
  bool done_ = false;
};

class LayerStore {
 public:
  explicit LayerStore(std::string root) : root_(std::move(root)) {}

  Result<void> init() const;

  // <root>/layers/<hex>/diff: the overlay lower directory of a committed layer.
  std::string diff_path(const oci::Digest& diff_id) const;
  bool has(const oci::Digest& diff_id) const;
  // Apparent size of the layer's files as recorded at commit; 0 if unknown.
  int64_t size(const oci::Digest& diff_id) const;

  Result<std::unique_ptr<LayerUnpack>> begin_unpack() const;

  Result<std::vector<oci::Digest>> list() const;
  // Removes a committed layer (moved aside first, so that readers never see half a tree).
  Result<void> remove(const oci::Digest& diff_id) const;
  // Removes temporary unpack directories left by crashed processes. Exclusive lock only.
  Result<int> sweep_temporary() const;

  std::string layers_dir() const { return root_ + "/layers"; }

 private:
  std::string root_;
};

}  // namespace berth::store
