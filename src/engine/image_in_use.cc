// Images and layers in use by containers (image_in_use.h).
#include "engine/image_in_use.h"

#include <dirent.h>

#include <algorithm>

#include "base/fs.h"
#include "engine/container.h"
#include "oci/image_config.h"

namespace berth::engine {

namespace {

bool counts_as_running(const ContainerState& s) {
  return s.status == "running" || s.status == "paused" || s.status == "restarting";
}

// The layers build cache records name (each record is an image config).
std::vector<oci::Digest> build_cache_layers(const std::string& dir) {
  std::vector<oci::Digest> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    return out;
  }
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() != 64) {
      continue;
    }
    auto bytes = read_file(dir + "/" + name);
    if (auto config = bytes ? oci::ImageConfig::parse(*bytes, name)
                            : Result<oci::ImageConfig>(tl::unexpected(bytes.error()))) {
      out.insert(out.end(), config->diff_ids.begin(), config->diff_ids.end());
    }
  }
  ::closedir(d);
  return out;
}

}  // namespace

Result<std::map<std::string, std::vector<ImageUser>>> image_users(const Engine& engine) {
  std::map<std::string, std::vector<ImageUser>> out;
  for (const auto& c : BERTH_TRY(engine.list_containers())) {
    out[c.image_id].push_back({c.id, counts_as_running(c.state)});
  }
  return out;
}

store::GcOptions gc_keeping_used_layers(const Engine& engine) {
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
    for (auto& d : build_cache_layers(engine.store().root() + "/buildcache")) {
      layers.push_back(std::move(d));
    }
    return layers;
  };
  return options;
}

}  // namespace berth::engine
