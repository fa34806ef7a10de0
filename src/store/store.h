// Store: one store root (`--root`), an OCI image layout plus berth's own directories:
//   oci-layout, index.json, blobs/sha256/   the OCI image layout (skopeo and umoci read it)
//   ingest/                                  blobs being written
//   layers/<diff-id>/diff                    applied layers (overlay lower directories)
//   locks/                                   flock files
// Concurrency: everything that adds content holds the store lock shared; garbage collection
// holds it exclusive, so it never removes a blob that a running import has not indexed yet.
// index.json edits are serialised by their own lock (ImageIndex::update).
#pragma once

#include <memory>
#include <string>

#include "base/error.h"
#include "store/blob_store.h"
#include "store/image_index.h"
#include "store/layer_store.h"
#include "sys/file_lock.h"

namespace berth::store {

class Store {
 public:
  // Opens the store at root, creating its layout when missing.
  static Result<std::unique_ptr<Store>> open(const std::string& root);

  const std::string& root() const { return root_; }
  const BlobStore& blobs() const { return blobs_; }
  const LayerStore& layers() const { return layers_; }
  const ImageIndex& index() const { return index_; }

  // The store lock: shared for adding content, exclusive for garbage collection. Blocks.
  Result<sys::FileLock> lock_shared() const;
  Result<sys::FileLock> lock_exclusive() const;

 private:
  explicit Store(std::string root)
      : root_(std::move(root)), blobs_(root_), layers_(root_), index_(root_) {}
  std::string root_;
  BlobStore blobs_;
  LayerStore layers_;
  ImageIndex index_;
};

}  // namespace berth::store
