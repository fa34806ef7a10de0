#include "store/image_index.h"

#include <fmt/format.h>

#include "base/fs.h"
#include "base/json.h"
#include "oci/media_types.h"
#include "sys/file_lock.h"

namespace berth::store {

Result<void> ImageIndex::init() const {
  if (!path_exists(root_ + "/oci-layout")) {
    BERTH_CHECK(write_file_atomic(root_ + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
  }
  BERTH_CHECK(mkdir_p(root_ + "/locks", 0700));
  if (!path_exists(path())) {
    // Under the index lock, so a first open never replaces an index another process just wrote.
    auto lock = BERTH_TRY(
        sys::FileLock::acquire(root_ + "/locks/index.lock", sys::FileLock::Mode::kExclusive));
    if (!path_exists(path())) {
      BERTH_CHECK(write_file_atomic(path(), serialize({})));
    }
  }
  return {};
}

Result<std::vector<ImageEntry>> ImageIndex::load() const {
  auto text = read_file(path());
  if (!text) {
    if (text.error().code() == Code::kNotFound) {
      return std::vector<ImageEntry>{};
    }
    return tl::unexpected(std::move(text.error()));
  }
  return parse(*text);
}

Result<std::vector<ImageEntry>> ImageIndex::parse(const std::string& text) const {
  auto j = BERTH_TRY(parse_json(text, path()));
  std::vector<ImageEntry> out;
  auto it = j.find("manifests");
  if (it == j.end() || it->is_null()) {
    return out;
  }
  if (!it->is_array()) {
    return fail(Code::kCorrupt, fmt::format("{}: manifests is not an array", path()));
  }
  for (const auto& m : *it) {
    ImageEntry e{BERTH_TRY(oci::Descriptor::from_json(m, path())), ""};
    if (auto a = e.manifest.annotations.find(std::string(kRefNameAnnotation));
        a != e.manifest.annotations.end()) {
      e.ref = a->second;
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::string ImageIndex::serialize(const std::vector<ImageEntry>& entries) const {
  Json j = Json::object();
  j["schemaVersion"] = 2;
  j["mediaType"] = std::string(oci::kOciIndex);
  Json ms = Json::array();
  for (const auto& e : entries) {
    oci::Descriptor d = e.manifest;
    d.annotations.erase(std::string(kRefNameAnnotation));
    if (!e.ref.empty()) {
      d.annotations[std::string(kRefNameAnnotation)] = e.ref;
    }
    ms.push_back(d.to_json());
  }
  j["manifests"] = std::move(ms);
  return to_go_json(j);
}

Result<void> ImageIndex::update(
    const std::function<Result<void>(std::vector<ImageEntry>&)>& fn) const {
  auto lock = BERTH_TRY(
      sys::FileLock::acquire(root_ + "/locks/index.lock", sys::FileLock::Mode::kExclusive));
  auto entries = BERTH_TRY(load());
  BERTH_CHECK(fn(entries));
  return write_file_atomic(path(), serialize(entries));
}

void set_ref(std::vector<ImageEntry>& entries, const oci::Descriptor& desc,
             const std::string& ref) {
  std::vector<oci::Descriptor> unnamed;
  for (auto it = entries.begin(); it != entries.end();) {
    if (it->ref == ref || (it->dangling() && it->manifest.digest == desc.digest)) {
      if (it->ref == ref && it->manifest.digest != desc.digest) {
        unnamed.push_back(it->manifest);
      }
      it = entries.erase(it);
    } else {
      ++it;
    }
  }
  ImageEntry e{desc, ref};
  e.manifest.annotations.erase(std::string(kRefNameAnnotation));
  entries.push_back(std::move(e));
  for (const auto& d : unnamed) {
    add_dangling(entries, d);
  }
}

void add_dangling(std::vector<ImageEntry>& entries, const oci::Descriptor& desc) {
  for (const auto& e : entries) {
    if (e.manifest.digest == desc.digest) {
      return;
    }
  }
  ImageEntry e{desc, ""};
  e.manifest.annotations.erase(std::string(kRefNameAnnotation));
  entries.push_back(std::move(e));
}

}  // namespace berth::store
