// `berth tag` and `berth rmi`.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "engine/engine.h"
#include "oci/reference.h"
#include "store/gc.h"
#include "store/image_index.h"

namespace berth::engine {

Result<void> Engine::tag_image(std::string_view source, std::string_view target) {
  auto ref = BERTH_TRY_CTX(
      oci::Reference::parse(target),
      fmt::format("Error parsing reference: \"{}\" is not a valid repository/tag", target));
  if (ref.digest) {
    return fail(Code::kInvalidArgument,
                fmt::format("refusing to create a tag with a digest reference: {}", target));
  }
  std::string full = ref.with_default_tag().str();
  auto img = BERTH_TRY(find_summary(source));
  return store_->index().update([&](std::vector<store::ImageEntry>& entries) -> Result<void> {
    store::set_ref(entries, img.manifest_desc, full);
    return {};
  });
}

namespace {

std::string repository_of(const std::string& full_ref) {
  auto ref = oci::Reference::parse(full_ref);
  return ref ? ref->name() : full_ref;
}

}  // namespace

Result<std::vector<RemovedItem>> Engine::remove_image(std::string_view name_or_id, bool force) {
  auto img = BERTH_TRY(find_summary(name_or_id));
  // Named by a reference that is one of the image's names: untag just that name.
  std::string by_ref;
  if (auto ref = oci::Reference::parse(name_or_id); ref && !ref->digest) {
    std::string full = ref->with_default_tag().str();
    if (std::find(img.refs.begin(), img.refs.end(), full) != img.refs.end()) {
      by_ref = full;
    }
  }
  // What to untag is decided again under the index lock, from the names the image has now: a
  // concurrent tag or rmi may have changed them since find_image read the index.
  std::vector<std::string> untag;
  bool delete_image = false;
  BERTH_CHECK(store_->index().update([&](std::vector<store::ImageEntry>& entries) -> Result<void> {
    std::vector<std::string> names;
    bool present = false;
    for (const auto& e : entries) {
      if (e.manifest.digest == img.manifest_desc.digest) {
        present = true;
        if (!e.dangling()) {
          names.push_back(e.ref);
        }
      }
    }
    bool by_name = !by_ref.empty() && std::find(names.begin(), names.end(), by_ref) != names.end();
    if (!present || (!by_ref.empty() && !by_name)) {  // removed meanwhile
      return fail(Code::kNotFound, fmt::format("No such image: {}", name_or_id));
    }
    untag = by_name ? std::vector<std::string>{by_ref} : names;
    if (!by_name && !force) {
      std::set<std::string> repos;
      for (const auto& r : names) {
        repos.insert(repository_of(r));
      }
      if (repos.size() > 1) {
        return fail(Code::kConflict,
                    fmt::format("conflict: unable to delete {} (must be forced) - image is "
                                "referenced in multiple repositories",
                                img.id.short_id()));
      }
    }
    delete_image = untag.size() == names.size();
    std::erase_if(entries, [&](const store::ImageEntry& e) {
      if (e.manifest.digest != img.manifest_desc.digest) {
        return false;
      }
      return delete_image || std::find(untag.begin(), untag.end(), e.ref) != untag.end();
    });
    return {};
  }));
  std::vector<RemovedItem> out;
  for (const auto& r : untag) {
    out.push_back({true, familiar_ref(r)});
  }
  if (delete_image) {
    out.push_back({false, img.id.str()});
    BERTH_CHECK(store::collect_garbage(*store_, {}));
  }
  return out;
}

}  // namespace berth::engine
