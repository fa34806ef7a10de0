// `berth tag` and `berth rmi`.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "engine/engine.h"
#include "engine/image_in_use.h"
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

// docker's conflicts for deleting an image by ID: a running container refuses it even when
// forced; a stopped one, or names in several repositories, unless forced.
Result<void> check_delete_conflicts(const Image& img, const std::vector<std::string>& names,
                                    const std::vector<ImageUser>& users, bool force) {
  auto conflict = [&](std::string_view forced, std::string_view why) {
    return fail(Code::kConflict, fmt::format("conflict: unable to delete {} ({}) - {}",
                                             img.id.short_id(), forced, why));
  };
  for (const auto& u : users) {
    if (u.running) {
      return conflict("cannot be forced",
                      "image is being used by running container " + u.container_id.substr(0, 12));
    }
  }
  if (force) {
    return {};
  }
  std::set<std::string> repos;
  for (const auto& r : names) {
    repos.insert(repository_of(r));
  }
  if (repos.size() > 1) {
    return conflict("must be forced", "image is referenced in multiple repositories");
  }
  if (!users.empty()) {
    return conflict("must be forced", "image is being used by stopped container " +
                                          users.front().container_id.substr(0, 12));
  }
  return {};
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
  auto all_users = BERTH_TRY(image_users(*this));
  std::vector<ImageUser> users = all_users[img.id.str()];
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
    if (by_name && names.size() == 1 && !users.empty() && !force) {
      return fail(
          Code::kConflict,
          fmt::format("conflict: unable to remove repository reference \"{}\" (must "
                      "force) - container {} is using its referenced image {}",
                      name_or_id, users.front().container_id.substr(0, 12), img.id.short_id()));
    }
    if (!by_name) {
      BERTH_CHECK(check_delete_conflicts(img, names, users, force));
    }
    untag = by_name ? std::vector<std::string>{by_ref} : names;
    bool last_name = untag.size() == names.size();
    // Untagging the last name of an image a container uses leaves it dangling, as docker does.
    delete_image = last_name && !(by_name && !users.empty());
    std::erase_if(entries, [&](const store::ImageEntry& e) {
      if (e.manifest.digest != img.manifest_desc.digest) {
        return false;
      }
      return delete_image || std::find(untag.begin(), untag.end(), e.ref) != untag.end();
    });
    if (last_name && !delete_image) {
      store::add_dangling(entries, img.manifest_desc);
    }
    return {};
  }));
  std::vector<RemovedItem> out;
  for (const auto& r : untag) {
    out.push_back({true, familiar_ref(r)});
  }
  if (delete_image) {
    out.push_back({false, img.id.str()});
    // A container created from the image (rmi -f by ID) keeps its layers.
    BERTH_CHECK(store::collect_garbage(*store_, gc_keeping_used_layers(*this)));
  }
  return out;
}

}  // namespace berth::engine
