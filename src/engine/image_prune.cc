// `berth image prune` and `berth system df`.
#include <map>
#include <set>

#include "engine/engine.h"
#include "engine/image_in_use.h"
#include "store/gc.h"
#include "store/image_index.h"

namespace berth::engine {

Result<PruneResult> Engine::prune_images(bool all) {
  PruneResult out;
  // Images a container was created from are kept, dangling or not, as docker keeps them.
  std::set<oci::Digest> used_manifests;
  auto users = BERTH_TRY(image_users(*this));
  for (const auto& img : BERTH_TRY(list_images(ImageDetail::kSummary))) {
    if (users.count(img.id.str())) {
      used_manifests.insert(img.manifest_desc.digest);
    }
  }
  std::set<oci::Digest> doomed_manifests;
  BERTH_CHECK(store_->index().update([&](std::vector<store::ImageEntry>& entries) -> Result<void> {
    doomed_manifests.clear();
    out.items.clear();
    for (const auto& e : entries) {
      if ((all || e.dangling()) && !used_manifests.count(e.manifest.digest)) {
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
  auto gc = BERTH_TRY(store::collect_garbage(*store_, gc_keeping_used_layers(*this)));
  out.reclaimed = gc.bytes_freed;
  return out;
}

Result<DiskUsage> Engine::disk_usage() const {
  DiskUsage du;
  auto images = BERTH_TRY(list_images());
  std::map<oci::Digest, int64_t> layers;  // each layer once, at the size of its files
  std::set<oci::Digest> ids;
  for (const auto& img : images) {
    ids.insert(img.id);
    for (const auto& diff_id : img.config.diff_ids) {
      if (!layers.count(diff_id)) {
        layers[diff_id] = store_->layers().size(diff_id);
        du.images_size += layers[diff_id];
      }
    }
  }
  du.images = static_cast<int64_t>(ids.size());
  // docker's ACTIVE: images some container was created from; RECLAIMABLE: the layers of the
  // others, each counted once and only when no active image has it.
  auto users = BERTH_TRY(image_users(*this));
  std::set<oci::Digest> active_ids, active_layers;
  for (const auto& img : images) {
    if (users.count(img.id.str())) {
      active_ids.insert(img.id);
      active_layers.insert(img.config.diff_ids.begin(), img.config.diff_ids.end());
    }
  }
  du.images_active = static_cast<int64_t>(active_ids.size());
  du.images_reclaimable = 0;
  for (const auto& [diff_id, size] : layers) {
    if (!active_layers.count(diff_id)) {
      du.images_reclaimable += size;
    }
  }
  return du;
}

}  // namespace berth::engine
