// `berth push` and `manifest inspect`: images from the store into a registry, and a registry's
// manifest as it serves it. Free functions over an Engine (they need only its store), like the
// pull's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "engine/engine.h"
#include "oci/digest.h"

namespace berth::engine {

struct PushRequest {
  std::string reference;             // "127.0.0.1:5000/app:1"; no tag: latest (or -a)
  bool all_tags = false;             // -a: every local tag of the repository
  std::string compression = "gzip";  // --compression-format: "gzip" or "zstd"
  int concurrency = 6;               // blobs pushed at once
};

// What a push reports as it goes, in docker's words. Calls never overlap; progress() may come
// from an upload thread.
class PushObserver {
 public:
  virtual ~PushObserver() = default;
  // "Using default tag: latest"
  virtual void default_tag(std::string_view tag) {}
  // "The push refers to repository [<name>]"
  virtual void refers_to(std::string_view name) {}
  // Per layer, by the 12-hex short diff ID: "Preparing", "Pushed", "Layer already exists",
  // "Mounted from <repository>".
  virtual void layer(std::string_view short_id, std::string_view status) {}
  // Bytes of a layer's blob the registry has acknowledged so far.
  virtual void progress(std::string_view short_id, int64_t have, int64_t total) {}
};

struct PushedImage {
  std::string ref;          // full reference pushed ("127.0.0.1:5000/app:1")
  std::string tag;          // "1"
  oci::Digest digest;       // of the manifest pushed: the repo digest
  int64_t size = 0;         // of the manifest pushed, as docker's "size: N"
  int64_t transferred = 0;  // blob bytes sent, retries included
};

struct PushResult {
  std::vector<PushedImage> images;  // one per tag
};

// Pushes an image (or with all_tags every local tag of the repository): the config and layer
// blobs, up to `concurrency` at once, each skipped when the registry has it (HEAD), mounted when
// the store knows it in another repository of the same registry, else uploaded (monolithic when
// small, chunked when large, resumed at the registry's offset after a cut); the manifest last.
// Layers the store holds compressed go as they are and the manifest is pushed byte for byte (its
// digest is then the one pulled); uncompressed layers are compressed on the fly on every core
// (deterministic: the same layer gives the same blob) and the manifest names the new blobs.
// Errors are one line naming the reference ("pushing 127.0.0.1:5000/x: …"); the store is not
// changed beyond its distribution/ records. Blocks; holds the store lock shared.
Result<PushResult> push_image(Engine& engine, const PushRequest& request, PushObserver* observer);

struct RemoteManifest {
  std::string media_type;
  std::string bytes;  // as the registry served them
  oci::Digest digest;
};

// `manifest inspect`: the manifest or index a reference names on its registry (with the stored
// credentials). insecure: plain HTTP is allowed for the host. NotFound "no such manifest: <ref>"
// when the registry does not know it.
Result<RemoteManifest> inspect_remote_manifest(const std::string& reference, bool insecure);

// JSON text indented as Go's json.Indent(…, "", "\t") does it (docker's manifest inspect): the
// members in their order, one per line, tabs, "key": value; empty objects and arrays stay {}
// and []. The input is assumed to be valid JSON.
std::string indent_json_like_go(std::string_view json);

}  // namespace berth::engine
