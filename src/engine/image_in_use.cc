// Images and layers in use by containers (image_in_use.h).
#include "engine/image_in_use.h"

#include <algorithm>

#include "engine/container.h"

namespace berth::engine {

namespace {

bool counts_as_running(const ContainerState& s) {
  return s.status == "running" || s.status == "paused" || s.status == "restarting";
}

}  // namespace

Result<std::map<std::string, std::vector<ImageUser>>> image_users(const Engine& engine) {
  std::map<std::string, std::vector<ImageUser>> out;
  for (const auto& c : BERTH_TRY(engine.list_containers())) {
    out[c.image_id].push_back({c.id, counts_as_running(c.state)});
  }
  return out;
}

store::GcOptions gc_keeping_container_layers(const Engine& engine) {
  store::GcOptions options;
  options.extra_layer_roots = [&engine]() -> Result<std::vector<oci::Digest>> {
    std::vector<oci::Digest> layers;
    for (const auto& c : BERTH_TRY(engine.list_containers())) {
      for (const auto& dir : c.layer_dirs) {
        // <root>/layers/<hex>/diff (LayerStore::diff_path): the hex is the layer's diff ID.
        std::string_view d = dir;
        if (!d.ends_with("/diff")) {
          continue;
        }
        d.remove_suffix(5);
        auto hex = d.substr(d.rfind('/') + 1);
        if (auto digest = oci::Digest::parse("sha256:" + std::string(hex))) {
          layers.push_back(*digest);
        }
      }
    }
    return layers;
  };
  return options;
}

}  // namespace berth::engine
