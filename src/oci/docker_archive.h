// The manifest.json of a `docker save` tarball: which config, tags and layer files make each image.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::oci {

struct DockerArchiveEntry {
  std::string config;                  // path in the archive: "<hex>.json" or "blobs/sha256/<hex>"
  std::vector<std::string> repo_tags;  // familiar references ("busybox:latest"); may be empty
  std::vector<std::string> layers;     // paths in the archive, bottom layer first

  friend bool operator==(const DockerArchiveEntry&, const DockerArchiveEntry&) = default;
};

// Parses the array of {Config, RepoTags, Layers} objects. Corrupt, with `what` as context, for
// malformed JSON, a missing Config or Layers, or mistyped members. RepoTags may be null or absent.
// Other members (Parent, LayerSources) are ignored.
Result<std::vector<DockerArchiveEntry>> parse_docker_archive_manifest(std::string_view bytes,
                                                                      std::string_view what);

// Compact JSON as docker writes it: [{"Config":…,"RepoTags":…,"Layers":[…]}], with RepoTags
// null when there are none (Go's nil slice).
std::string serialize_docker_archive_manifest(const std::vector<DockerArchiveEntry>& entries);

}  // namespace berth::oci
