// Garbage collection: removes blobs and applied layers that no index entry reaches.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "base/error.h"
#include "oci/digest.h"
#include "store/store.h"

namespace berth::store {

struct GcStats {
  int blobs_removed = 0;
  int layers_removed = 0;
  int64_t bytes_freed = 0;
};

struct GcOptions {
  // Layers that something besides images still uses (containers, build cache records): kept,
  // with the blob of their uncompressed tar. Called with the store lock held exclusively, so
  // nothing that takes the lock shared while it starts using a layer (container creation) can
  // slip between this answer and the sweep. Unset: none.
  std::function<Result<std::vector<oci::Digest>>()> extra_layer_roots;
  // Ingest files (partial downloads) older than this are removed.
  int64_t ingest_max_age_seconds = 24 * 3600;
};

// Takes the store lock exclusively, marks everything the index reaches (manifests, nested
// manifests of indexes, configs, layers and the diff IDs their configs name) and sweeps the rest.
Result<GcStats> collect_garbage(const Store& store, const GcOptions& options);

}  // namespace berth::store
