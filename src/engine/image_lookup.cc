// Reading images: list, find by name or ID, load one from its manifest.
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "base/strings.h"
#include "engine/engine.h"
#include "oci/reference.h"

namespace berth::engine {

Result<Image> Engine::load_image(const oci::Descriptor& manifest_desc) const {
  Image img;
  img.manifest_desc = manifest_desc;
  std::string what = fmt::format("manifest {}", manifest_desc.digest.str());
  auto bytes = BERTH_TRY(store_->blobs().read(manifest_desc.digest));
  img.manifest = BERTH_TRY(oci::Manifest::parse(bytes, what));
  img.id = img.manifest.config.digest;
  img.config_bytes = BERTH_TRY(store_->blobs().read(img.id));
  img.config = BERTH_TRY(oci::ImageConfig::parse(img.config_bytes, "config " + img.id.str()));
  // docker's Size: the bytes of the files in the image, each layer's as recorded when applied.
  for (const auto& diff_id : img.config.diff_ids) {
    img.layer_sizes.push_back(store_->layers().size(diff_id));
    img.size += img.layer_sizes.back();
  }
  if (auto t = parse_rfc3339(img.config.created)) {
    img.created_nanos = *t;
  }
  return img;
}

Result<std::vector<Image>> Engine::list_images() const {
  // Shared, so that another process's garbage collection never removes a blob between our
  // reading index.json and reading the manifests and configs it names.
  auto lock = BERTH_TRY(store_->lock_shared());
  auto entries = BERTH_TRY(store_->index().load());
  std::map<oci::Digest, size_t> by_manifest;
  std::vector<Image> out;
  for (const auto& e : entries) {
    auto it = by_manifest.find(e.manifest.digest);
    if (it == by_manifest.end()) {
      auto img = BERTH_TRY(load_image(e.manifest));
      by_manifest[e.manifest.digest] = out.size();
      out.push_back(std::move(img));
      it = by_manifest.find(e.manifest.digest);
    }
    if (!e.dangling()) {
      out[it->second].refs.push_back(e.ref);
    }
  }
  for (auto& img : out) {
    std::sort(img.refs.begin(), img.refs.end());
  }
  std::stable_sort(out.begin(), out.end(), [](const Image& a, const Image& b) {
    return a.created_nanos > b.created_nanos;
  });
  return out;
}

namespace {

// An image ID or a prefix of one: hex, optionally after "sha256:".
std::optional<std::string> id_prefix(std::string_view s) {
  if (s.rfind("sha256:", 0) == 0) {
    s.remove_prefix(7);
  }
  if (s.empty() || s.size() > 64 || !is_hex(s)) {
    return std::nullopt;
  }
  return std::string(s);
}

}  // namespace

Result<Image> Engine::find_image(std::string_view name_or_id) const {
  auto images = BERTH_TRY(list_images());
  auto ref = oci::Reference::parse(name_or_id);
  if (ref) {
    std::string full = ref->with_default_tag().str();
    for (const auto& img : images) {
      bool by_name = std::find(img.refs.begin(), img.refs.end(), full) != img.refs.end();
      bool by_digest = ref->digest && img.manifest_desc.digest == *ref->digest;
      if (by_name || by_digest) {
        return img;
      }
    }
  }
  if (auto prefix = id_prefix(name_or_id)) {
    const Image* found = nullptr;
    for (const auto& img : images) {
      if (img.id.hex().substr(0, prefix->size()) == *prefix) {
        if (found != nullptr && found->id != img.id) {
          return fail(Code::kInvalidArgument,
                      fmt::format("ambiguous image ID prefix: {}", name_or_id));
        }
        found = &img;
      }
    }
    if (found != nullptr) {
      return *found;
    }
  }
  if (!ref && !id_prefix(name_or_id)) {
    return tl::unexpected(std::move(ref.error()));
  }
  std::string shown = ref ? ref->with_default_tag().familiar() : std::string(name_or_id);
  return fail(Code::kNotFound, fmt::format("No such image: {}", shown));
}

}  // namespace berth::engine
