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
#include "base/unique_fd.h"
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

struct StartOptions {
  bool attach = false;
  int in = -1, out = -1, err = -1;  // the caller's fds to attach (-1: that stream is not)
};

struct StartedContainer {
  pid_t pid = 0;
  bool already_running = false;
  UniqueFd control;  // with attach: reads "exit <code>\n" at the end; write "resize R C\n"
  std::vector<std::string> warnings;
};

// docker's CLI exit code for a failed start, from the message: 127 for a missing executable,
// 126 for one that cannot be executed, else 125.
int start_failure_exit(std::string_view message);

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

  // Creates a container from an image (docker's merge rules) without starting it.
  Result<Container> create_container(const CreateRequest& request,
                                     std::vector<std::string>* warnings);
  // Starts a created or stopped container: forks its monitor, which outlives this process, and
  // waits until the init has exec'd or failed. With options.attach the monitor writes the
  // output into the given fds (and reads stdin from options.in) and StartedContainer::control
  // receives "exit <code>" when the container stops for good. Start errors keep docker's words
  // (start_failure_exit gives the CLI's exit code).
  Result<StartedContainer> start_container(std::string_view name_or_id,
                                           const StartOptions& options);
  // Attaches the given fds (-1: not that stream) to a running container through its monitor's
  // socket; the result reads "exit <code>\n" when it stops. Conflict when it is not running.
  Result<UniqueFd> attach_container(std::string_view name_or_id, int in, int out, int err);
  // Runs a command in a running container (its namespaces, cgroup, user, capabilities and
  // seccomp) with this process's stdio (a pty with tty, copied to and from ours), and returns
  // its exit code (0 at once with detach). Conflict when the container is not running; exec
  // errors as start's.
  Result<int> exec_container(std::string_view name_or_id, const ExecRequest& request);
  // Sends the stop signal (signal, else the container's --stop-signal/STOPSIGNAL, else
  // SIGTERM), waits timeout seconds (nullopt: the container's --stop-timeout, else 10), then
  // SIGKILL; returns once the container is down. A stopped container is fine.
  Result<void> stop_container(std::string_view name_or_id, std::optional<int> timeout,
                              std::optional<int> signal = std::nullopt);
  // Sends a signal to the init. Conflict when the container is not running.
  Result<void> kill_container(std::string_view name_or_id, int signal);
  // Removes a stopped container (force: kills a running one first); volumes: also its
  // anonymous volumes. Conflict in docker's words for a running one without force.
  Result<void> remove_container(std::string_view name_or_id, bool force, bool volumes);
  // Blocks until the container is stopped and returns its exit code.
  Result<int> wait_container(std::string_view name_or_id);

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
