// `berth pull`, `login` and `logout`: images from registries into the store, and the
// credentials docker's config.json keeps for them. Free functions over an Engine (they need only
// its store), so that front ends call them as they call the Engine's members.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "engine/engine.h"
#include "oci/digest.h"

namespace berth::engine {

struct PullRequest {
  std::string reference;  // "busybox", "localhost:5000/app:1", "x@sha256:…"
  bool all_tags = false;  // -a: every tag of the repository (the reference must have no tag)
  std::string platform;   // --platform; empty for the host's
  int concurrency = 6;    // blobs downloaded at once
};

// What a pull reports as it goes, in docker's words. Calls never overlap, but progress() may
// come from a download thread.
class PullObserver {
 public:
  virtual ~PullObserver() = default;
  // "Using default tag: latest"
  virtual void default_tag(std::string_view tag) {}
  // "<tag>: Pulling from <repository path>"
  virtual void pulling(std::string_view tag, std::string_view repository) {}
  // Per layer, by its 12-hex short ID: "Already exists", "Pulling fs layer", "Download
  // complete", "Pull complete".
  virtual void layer(std::string_view short_id, std::string_view status) {}
  // Bytes of a layer on disk so far (resumed part included); often, from download threads.
  virtual void progress(std::string_view short_id, int64_t have, int64_t total) {}
};

struct PulledImage {
  std::string ref;          // full normalised reference ("docker.io/library/busybox:latest")
  oci::Digest digest;       // the manifest (or index) digest the registry served
  bool up_to_date = false;  // the store had this very image under this name already
  int64_t transferred = 0;  // bytes received over the network
  int64_t resumed = 0;      // bytes reused from partial downloads of an earlier attempt
};

struct PullResult {
  std::vector<PulledImage> images;  // one per tag pulled
};

// Pulls an image (or with all_tags every tag of a repository) into the store: the manifest is
// negotiated (an index or manifest list gives the platform's manifest), the config and layer
// blobs are downloaded several at once into the store's ingest/ directory, verified, stored, and
// their layers applied while others still download; index.json names the image last. A pull cut
// short leaves its verified blobs and its partial downloads: the next pull takes them up from
// their last byte (a partial older than `image prune`'s ingest age is swept). Errors name the
// reference ("pulling 127.0.0.1:5000/busybox:nope: manifest for … not found: manifest unknown").
// Blocks; holds the store lock shared.
Result<PullResult> pull_image(Engine& engine, const PullRequest& request, PullObserver* observer);

// Checks credentials against a registry's /v2/ (server: "" or "docker.io" for Docker Hub, else
// host[:port], with or without scheme) and stores them in config.json (mode 0600). Returns the
// config.json key it wrote. PermissionDenied "unauthorized: incorrect username or password".
Result<std::string> registry_login(std::string_view server, const std::string& username,
                                   const std::string& password);

struct LogoutResult {
  std::string key;       // the config.json key
  bool removed = false;  // false: there were no credentials for it
};
// Removes a registry's credentials from config.json.
Result<LogoutResult> registry_logout(std::string_view server);

}  // namespace berth::engine
