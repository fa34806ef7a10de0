// Reading images: list, find by name or ID, load one from its manifest.
#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "base/strings.h"
#include "engine/engine.h"
#include "engine/image_summaries.h"
#include "oci/reference.h"
#include "registry/distribution.h"

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
  img.repo_digests = registry::repo_digests(store_->root(), manifest_desc.digest);
  return img;
}

namespace {

Image from_summary(const oci::Descriptor& manifest_desc, const ImageSummary& s) {
  Image img;
  img.manifest_desc = manifest_desc;
  img.id = s.id;
  img.size = s.size;
  img.created_nanos = s.created_nanos;
  img.config.config.labels = s.labels;
  img.summary_only = true;
  return img;
}

ImageSummary summary_of(const Image& img) {
  return ImageSummary{img.id, img.created_nanos, img.size, img.config.config.labels};
}

}  // namespace

Result<std::vector<Image>> Engine::list_images(ImageDetail detail) const {
  // Shared, so that another process's garbage collection never removes a blob between our
  // reading index.json and reading the manifests and configs it names.
  auto lock = BERTH_TRY(store_->lock_shared());
  auto entries = BERTH_TRY(store_->index().load());
  std::optional<ImageSummaries> cache;
  if (detail == ImageDetail::kSummary) {
    cache.emplace(store_->root() + "/summaries.json");
  }
  std::map<oci::Digest, size_t> by_manifest;
  std::vector<Image> out;
  for (const auto& e : entries) {
    auto it = by_manifest.find(e.manifest.digest);
    if (it == by_manifest.end()) {
      const ImageSummary* s = cache ? cache->find(e.manifest.digest) : nullptr;
      Image img = s != nullptr ? from_summary(e.manifest, *s) : BERTH_TRY(load_image(e.manifest));
      if (cache && s == nullptr) {
        cache->put(e.manifest.digest, summary_of(img));
      } else if (s != nullptr) {
        img.repo_digests = registry::repo_digests(store_->root(), e.manifest.digest);
      }
      it = by_manifest.emplace(e.manifest.digest, out.size()).first;
      out.push_back(std::move(img));
    }
    if (!e.dangling()) {
      out[it->second].refs.push_back(e.ref);
    }
  }
  if (cache) {
    std::set<oci::Digest> keep;
    for (const auto& [d, i] : by_manifest) {
      keep.insert(d);
    }
    cache->save(keep);
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
  // Held across finding the image and loading it in full, so it cannot vanish in between.
  auto lock = BERTH_TRY(store_->lock_shared());
  auto found = BERTH_TRY(find_summary(name_or_id));
  Image img = BERTH_TRY(load_image(found.manifest_desc));
  img.refs = std::move(found.refs);
  return img;
}

Result<Image> Engine::find_summary(std::string_view name_or_id) const {
  auto images = BERTH_TRY(list_images(ImageDetail::kSummary));
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
