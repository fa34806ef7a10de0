// Writing a new image for layers already in the store: config and manifest blobs, then names.
#include <fmt/format.h>

#include "engine/engine.h"
#include "oci/media_types.h"
#include "store/image_index.h"

namespace berth::engine {

Result<oci::Descriptor> Engine::commit_image(const oci::ImageConfig& config,
                                             const std::vector<std::string>& refs) {
  auto lock = BERTH_TRY(store_->lock_shared());
  oci::Manifest manifest;
  manifest.media_type = std::string(oci::kOciManifest);
  std::string config_bytes = config.serialize();
  manifest.config.media_type = std::string(oci::kOciConfig);
  manifest.config.digest = BERTH_TRY(store_->blobs().put(config_bytes));
  manifest.config.size = static_cast<int64_t>(config_bytes.size());
  for (const auto& diff_id : config.diff_ids) {
    oci::Descriptor layer;
    layer.media_type = std::string(oci::kOciLayer);
    layer.digest = diff_id;
    layer.size = BERTH_TRY_CTX(store_->blobs().size(diff_id), "layer " + diff_id.str());
    manifest.layers.push_back(std::move(layer));
  }
  std::string manifest_bytes = manifest.serialize();
  oci::Descriptor desc;
  desc.media_type = manifest.media_type;
  desc.digest = BERTH_TRY(store_->blobs().put(manifest_bytes));
  desc.size = static_cast<int64_t>(manifest_bytes.size());
  BERTH_CHECK(store_->index().update([&](std::vector<store::ImageEntry>& entries) -> Result<void> {
    if (refs.empty()) {
      store::add_dangling(entries, desc);
    }
    for (const auto& r : refs) {
      store::set_ref(entries, desc, r);
    }
    return {};
  }));
  return desc;
}

}  // namespace berth::engine
