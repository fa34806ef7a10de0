// `berth image prune` and `berth system df`.
#include <set>

#include "engine/engine.h"
#include "store/gc.h"
#include "store/image_index.h"

namespace berth::engine {

Result<PruneResult> Engine::prune_images(bool all) {
  PruneResult out;
  std::set<oci::Digest> doomed_manifests;
  BERTH_CHECK(store_->index().update([&](std::vector<store::ImageEntry>& entries) -> Result<void> {
    doomed_manifests.clear();
    out.items.clear();
    // Containers do not exist yet; when they do, images they use are kept here.
    for (const auto& e : entries) {
      if (all || e.dangling()) {
        if (!e.dangling()) {
          out.items.push_back({true, familiar_ref(e.ref)});
        }
        doomed_manifests.insert(e.manifest.digest);
      }
    }
    std::erase_if(entries, [&](const store::ImageEntry& e) {
      return doomed_manifests.count(e.manifest.digest) > 0;
    });
    return {};
  }));
  for (const auto& m : doomed_manifests) {
    auto bytes = store_->blobs().read(m);
    if (bytes) {
      if (auto man = oci::Manifest::parse(*bytes, m.str())) {
        out.items.push_back({false, man->config.digest.str()});
      }
    }
  }
  auto gc = BERTH_TRY(store::collect_garbage(*store_, {}));
  out.reclaimed = gc.bytes_freed;
  return out;
}

Result<DiskUsage> Engine::disk_usage() const {
  DiskUsage du;
  auto images = BERTH_TRY(list_images());
  std::set<oci::Digest> layers;
  std::set<oci::Digest> ids;
  for (const auto& img : images) {
    ids.insert(img.id);
    // Each layer once, at the size of its files, as `images` counts it.
    for (const auto& diff_id : img.config.diff_ids) {
      if (layers.insert(diff_id).second) {
        du.images_size += store_->layers().size(diff_id);
      }
    }
  }
  du.images = static_cast<int64_t>(ids.size());
  du.images_active = 0;  // no containers use images until the runtime exists
  du.images_reclaimable = du.images_size;
  return du;
}

}  // namespace berth::engine
