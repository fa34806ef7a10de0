// Ingesting a layer: one pass over a (possibly compressed) layer tar that decompresses it,
// hashes it, keeps the uncompressed tar as a blob (unless told not to) and applies it as a layer
// directory. A layer the store has already is only hashed, not applied again.
#pragma once

#include <optional>
#include <string_view>

#include "base/error.h"
#include "base/stream.h"
#include "oci/digest.h"
#include "store/layer_diff.h"
#include "store/store.h"

namespace berth::store {

struct IngestedLayer {
  oci::Digest diff_id;     // digest of the uncompressed tar (= its blob's digest)
  int64_t tar_size = 0;    // size of the uncompressed tar
  oci::Digest raw_digest;  // digest of the bytes as read (compressed, if they were)
  int64_t raw_size = 0;
};

struct IngestOptions {
  std::optional<oci::Digest> diff_id;     // the config's diff ID for this layer
  std::optional<oci::Digest> raw_digest;  // the manifest's digest for this layer's blob
  // Keep the uncompressed tar as a blob. Off when the manifest names the raw (compressed) blob,
  // which the caller keeps, or when the raw blob is that very tar, stored already.
  bool store_tar = true;
  // raw is read from the store's blob of raw_digest, verified when it was stored: not hashed
  // again (the result's raw_digest is raw_digest).
  bool raw_verified = false;
};

// Reads `raw` to its end. On success the tar blob (when asked for) and the applied layer are
// committed; on any failure (corrupt compression, unsafe entry, digest mismatch) neither is,
// and the error names `what`. The caller holds the store lock shared.
Result<IngestedLayer> ingest_layer(const Store& store, Reader& raw, std::string_view what,
                                   const IngestOptions& options = {});

// A directory tree (not the directory itself) as a layer: written by write_layer with `diff`
// (an overlay upper dir, clamped mtimes) through a pipe and ingested in the same pass. dirfd is
// borrowed; `what` names the tree in errors.
Result<IngestedLayer> ingest_tree(const Store& store, int dirfd, const DiffOptions& diff,
                                  std::string_view what);

}  // namespace berth::store
