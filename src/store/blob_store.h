// BlobStore: content-addressed blobs under <root>/blobs/sha256/<hex>, the OCI image layout's
// own blob directory, so skopeo and umoci read them in place.
//
// A blob becomes visible only complete and verified: writers stream into <root>/ingest/, the
// digest is checked, the file is fsynced and then renamed into place. A crash or a failed
// check leaves at most a file in ingest/ that `sweep_ingest` removes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/sha256.h"
#include "base/stream.h"
#include "base/unique_fd.h"
#include "oci/digest.h"

namespace berth::store {

class BlobStore;

// A blob being written. Destroying it without commit() removes the partial file.
class BlobWriter : public Writer {
 public:
  BlobWriter(const BlobWriter&) = delete;
  BlobWriter& operator=(const BlobWriter&) = delete;
  ~BlobWriter() override;

  Result<void> write(const void* buf, size_t len) override;
  int64_t size() const { return size_; }
  oci::Digest digest() const;

  // Verifies the content against `expected` (when given; Corrupt "digest mismatch" otherwise),
  // makes the blob durable and visible, and returns its digest. An existing blob with the same
  // digest is left as it is.
  Result<oci::Digest> commit(const std::optional<oci::Digest>& expected = std::nullopt);

 private:
  friend class BlobStore;
  BlobWriter(const BlobStore* store, std::string tmp_path, UniqueFd fd);

  const BlobStore* store_;
  std::string tmp_path_;
  UniqueFd fd_;
  Sha256 hash_;
  int64_t size_ = 0;
  bool done_ = false;
};

class BlobStore {
 public:
  explicit BlobStore(std::string root) : root_(std::move(root)) {}

  // Creates blobs/sha256 and ingest/ if they are missing.
  Result<void> init() const;

  std::string path(const oci::Digest& d) const;
  bool has(const oci::Digest& d) const;
  // Size of a stored blob; NotFound if absent.
  Result<int64_t> size(const oci::Digest& d) const;

  // Reads a whole blob and re-verifies its digest (for small documents: manifests, configs).
  // Corrupt if the file on disk does not match its name.
  Result<std::string> read(const oci::Digest& d) const;
  // Opens a blob for streaming; the caller verifies if it needs to.
  Result<UniqueFd> open(const oci::Digest& d) const;

  // Stores bytes and returns their digest.
  Result<oci::Digest> put(std::string_view data) const;
  // Starts a streamed write.
  Result<std::unique_ptr<BlobWriter>> writer() const;

  // Every stored blob's digest.
  Result<std::vector<oci::Digest>> list() const;
  // Removes a blob; fine if absent.
  Result<void> remove(const oci::Digest& d) const;
  // Removes ingest files older than max_age_seconds (0: all). Call only under the store's
  // exclusive lock, when no writer can be active.
  Result<int> sweep_ingest(int64_t max_age_seconds) const;

  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

}  // namespace berth::store
