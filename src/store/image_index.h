// ImageIndex: the store's index.json, the OCI image layout's list of images. Each entry is a
// manifest descriptor; a tagged image carries the full normalised reference in the annotation
// org.opencontainers.image.ref.name ("docker.io/library/busybox:latest"), so that
// `skopeo inspect oci:<root>:<that name>` finds it. An image without any name (dangling, as
// docker's <none>:<none>) is an entry without that annotation, which keeps its blobs alive.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/error.h"
#include "oci/descriptor.h"

namespace berth::store {

inline constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";

struct ImageEntry {
  oci::Descriptor manifest;
  std::string ref;  // full normalised reference; empty for a dangling image

  bool dangling() const { return ref.empty(); }
};

class ImageIndex {
 public:
  explicit ImageIndex(std::string root) : root_(std::move(root)) {}

  // Writes an empty index.json and oci-layout when they are missing.
  Result<void> init() const;

  // The entries as last committed. Lock-free: index.json is only ever replaced by rename.
  Result<std::vector<ImageEntry>> load() const;

  // Read-modify-write under the index lock: fn edits the entries; when it succeeds the new
  // index replaces the old one atomically, when it fails nothing is written.
  Result<void> update(const std::function<Result<void>(std::vector<ImageEntry>&)>& fn) const;

  std::string path() const { return root_ + "/index.json"; }

 private:
  Result<std::vector<ImageEntry>> parse(const std::string& text) const;
  std::string serialize(const std::vector<ImageEntry>& entries) const;
  std::string root_;
};

// Helpers on an entry list, used inside update():
// Points `ref` at the manifest `desc`; the image that held the name before becomes dangling if
// nothing else names it. Removes a dangling entry of `desc` (it now has a name).
void set_ref(std::vector<ImageEntry>& entries, const oci::Descriptor& desc, const std::string& ref);
// Adds a dangling entry for desc unless an entry for its manifest already exists.
void add_dangling(std::vector<ImageEntry>& entries, const oci::Descriptor& desc);

}  // namespace berth::store
