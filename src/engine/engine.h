// Engine: the domain interface every front end (CLI, API, compose) calls. One Engine per
// process invocation; it holds no daemon state, only the store it opened.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/stream.h"
#include "engine/container.h"
#include "engine/image.h"
#include "oci/image_config.h"
#include "store/store.h"

namespace berth::engine {

struct EngineOptions {
  std::string root = "/var/lib/berth";
  std::string runroot = "/run/berth";
};

struct ImportRequest {
  std::string source;                // a file path, a directory or "-" (then `input` is read)
  Reader* input = nullptr;           // stdin when source is "-"
  std::string reference;             // optional REPOSITORY[:TAG]
  std::vector<std::string> changes;  // Dockerfile instructions (--change)
  std::string message;               // -m, recorded in history
  std::string platform;              // --platform (os/arch[/variant]); default: the host's
};

struct RemovedItem {
  bool untagged;  // true: "Untagged: <ref>", false: "Deleted: <digest>"
  std::string what;
};

struct LoadResult {
  std::vector<std::string> loaded_refs;  // familiar names, as docker prints them
  std::vector<oci::Digest> loaded_ids;   // image IDs of images that came without a name
};

struct PruneResult {
  std::vector<RemovedItem> items;
  int64_t reclaimed = 0;
};

enum class ArchiveFormat { kDocker, kOci };

enum class ImageDetail { kFull, kSummary };

struct DiskUsage {
  int64_t images = 0, images_active = 0, images_size = 0, images_reclaimable = 0;
};

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> open(const EngineOptions& options);

  const store::Store& store() const { return *store_; }
  const EngineOptions& options() const { return options_; }

  // Images, each once, tagged or dangling, newest first. kSummary fills only what listings
  // show (names, ID, created, size, labels; Image::summary_only), mostly from a cache.
  Result<std::vector<Image>> list_images(ImageDetail detail = ImageDetail::kFull) const;
  // An image by name ("busybox", "busybox:1", "x@sha256:…"), full ID or unique ID prefix.
  // NotFound "No such image: busybox:latest".
  Result<Image> find_image(std::string_view name_or_id) const;
  // The same, as a summary (see list_images).
  Result<Image> find_summary(std::string_view name_or_id) const;
  // Reads one image by its index entry's manifest descriptor.
  Result<Image> load_image(const oci::Descriptor& manifest_desc) const;

  Result<oci::Digest> import_image(const ImportRequest& request);
  Result<void> tag_image(std::string_view source, std::string_view target);
  Result<std::vector<RemovedItem>> remove_image(std::string_view name_or_id, bool force);
  Result<void> save_images(const std::vector<std::string>& names, ArchiveFormat format,
                           Writer& out) const;
  Result<LoadResult> load_images(Reader& in, std::string_view what);
  Result<PruneResult> prune_images(bool all);
  Result<DiskUsage> disk_usage() const;

  // ---- containers (engine/container_*.cc; docs/dev/runtime.md) ----
  // Every container, newest first, with its state made truthful: a record that says running
  // whose monitor and init are both gone reads as exited (255), as docker shows a lost task.
  Result<std::vector<Container>> list_containers() const;
  // A container by name, full ID or unique ID prefix (name first, as docker).
  // NotFound "No such container: x".
  Result<Container> find_container(std::string_view name_or_id) const;

  // Writes a new image (config + manifest blobs) for layers already in the store and names it.
  Result<oci::Descriptor> commit_image(const oci::ImageConfig& config,
                                       const std::vector<std::string>& refs);

 private:
  Engine(EngineOptions options, std::unique_ptr<store::Store> store)
      : options_(std::move(options)), store_(std::move(store)) {}
  EngineOptions options_;
  std::unique_ptr<store::Store> store_;
};

// Normalises a user-given reference for storing ("busybox" → "docker.io/library/busybox:latest").
Result<std::string> normalize_ref(std::string_view name);
// The familiar form docker prints ("docker.io/library/busybox:latest" → "busybox:latest").
std::string familiar_ref(const std::string& full);
// The familiar repository and tag of a full reference ("docker.io/library/busybox:latest" →
// {"busybox", "latest"}); the tag is "<none>" when there is none.
std::pair<std::string, std::string> familiar_repo_tag(const std::string& full);

}  // namespace berth::engine
