#include "store/gc.h"

#include <set>

#include <fmt/format.h>

#include "base/json.h"
#include "oci/index.h"
#include "oci/manifest.h"
#include "oci/media_types.h"

namespace berth::store {

namespace {

struct Marks {
  std::set<oci::Digest> blobs;
  std::set<oci::Digest> layers;
};

Result<void> mark_manifest(const Store& store, const oci::Descriptor& desc, Marks& marks,
                           int depth) {
  if (depth > 8 || !marks.blobs.insert(desc.digest).second) {
    return {};
  }
  auto bytes = store.blobs().read(desc.digest);
  if (!bytes) {
    // A missing manifest cannot keep anything alive; the index entry is reported elsewhere.
    return {};
  }
  if (oci::is_index_type(desc.media_type)) {
    auto idx = BERTH_TRY(oci::Index::parse(*bytes, desc.digest.str()));
    for (const auto& m : idx.manifests) {
      BERTH_CHECK(mark_manifest(store, m, marks, depth + 1));
    }
    return {};
  }
  auto m = BERTH_TRY(oci::Manifest::parse(*bytes, desc.digest.str()));
  marks.blobs.insert(m.config.digest);
  for (const auto& l : m.layers) {
    marks.blobs.insert(l.digest);
  }
  auto cfg = store.blobs().read(m.config.digest);
  if (cfg) {
    auto j = parse_json(*cfg, m.config.digest.str());
    if (j && j->contains("rootfs") && (*j)["rootfs"].contains("diff_ids")) {
      for (const auto& d : (*j)["rootfs"]["diff_ids"]) {
        if (d.is_string()) {
          if (auto dd = oci::Digest::parse(d.get<std::string>())) {
            marks.layers.insert(*dd);
          }
        }
      }
    }
  }
  return {};
}

}  // namespace

Result<GcStats> collect_garbage(const Store& store, const GcOptions& options) {
  auto lock = BERTH_TRY(store.lock_exclusive());
  Marks marks;
  if (options.extra_layer_roots) {
    for (const auto& d : BERTH_TRY(options.extra_layer_roots())) {
      marks.layers.insert(d);
      marks.blobs.insert(d);  // its uncompressed tar, should an image be written for it again
    }
  }
  auto entries = BERTH_TRY(store.index().load());
  for (const auto& e : entries) {
    BERTH_CHECK(mark_manifest(store, e.manifest, marks, 0));
  }
  GcStats stats;
  for (const auto& d : BERTH_TRY(store.blobs().list())) {
    if (marks.blobs.count(d)) {
      continue;
    }
    stats.bytes_freed += store.blobs().size(d).value_or(0);
    BERTH_CHECK(store.blobs().remove(d));
    ++stats.blobs_removed;
  }
  for (const auto& d : BERTH_TRY(store.layers().list())) {
    if (marks.layers.count(d)) {
      continue;
    }
    stats.bytes_freed += store.layers().size(d);
    BERTH_CHECK(store.layers().remove(d));
    ++stats.layers_removed;
  }
  BERTH_CHECK(store.layers().sweep_temporary());
  BERTH_CHECK(store.blobs().sweep_ingest(options.ingest_max_age_seconds));
  return stats;
}

}  // namespace berth::store
