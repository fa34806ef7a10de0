#include "engine/image_summaries.h"

#include "base/fs.h"
#include "base/json.h"

namespace berth::engine {

namespace {

constexpr int kVersion = 1;  // bump when ImageSummary changes meaning

std::optional<ImageSummary> from_json(const Json& j) {
  if (!j.is_object()) {
    return std::nullopt;
  }
  auto id = oci::Digest::parse(j.value("id", ""));
  if (!id) {
    return std::nullopt;
  }
  ImageSummary s;
  s.id = *id;
  s.created_nanos = j.value("created", int64_t{0});
  s.size = j.value("size", int64_t{0});
  if (auto l = j.find("labels"); l != j.end() && l->is_object()) {
    for (const auto& [k, v] : l->items()) {
      if (v.is_string()) {
        s.labels[k] = v.get<std::string>();
      }
    }
  }
  return s;
}

}  // namespace

ImageSummaries::ImageSummaries(std::string path) : path_(std::move(path)) {
  auto text = read_file(path_);
  if (!text) {
    return;
  }
  auto j = parse_json(*text, path_);
  if (!j || !j->is_object() || j->value("version", 0) != kVersion) {
    return;
  }
  auto images = j->find("images");
  if (images == j->end() || !images->is_object()) {
    return;
  }
  for (const auto& [key, value] : images->items()) {
    auto manifest = oci::Digest::parse(key);
    auto s = from_json(value);
    if (manifest && s) {
      entries_.emplace(*manifest, std::move(*s));
    }
  }
}

const ImageSummary* ImageSummaries::find(const oci::Digest& manifest) const {
  auto it = entries_.find(manifest);
  return it == entries_.end() ? nullptr : &it->second;
}

void ImageSummaries::put(const oci::Digest& manifest, ImageSummary summary) {
  entries_[manifest] = std::move(summary);
  changed_ = true;
}

void ImageSummaries::save(const std::set<oci::Digest>& keep) const {
  if (!changed_) {
    return;
  }
  Json images = Json::object();
  for (const auto& [manifest, s] : entries_) {
    if (keep.count(manifest) == 0) {
      continue;
    }
    Json e = {{"id", s.id.str()}, {"created", s.created_nanos}, {"size", s.size}};
    if (!s.labels.empty()) {
      e["labels"] = s.labels;
    }
    images[manifest.str()] = std::move(e);
  }
  Json doc = {{"version", kVersion}, {"images", std::move(images)}};
  (void)write_file_atomic(path_, doc.dump());
}

}  // namespace berth::engine
