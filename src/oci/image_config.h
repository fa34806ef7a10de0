// Image configs (application/vnd.oci.image.config.v1+json and Docker's
// application/vnd.docker.container.image.v1+json): platform, run defaults, layers and history.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "oci/container_config.h"
#include "oci/digest.h"
#include "oci/platform.h"

namespace berth::oci {

struct HistoryEntry {
  std::string created;  // RFC 3339 text as found; empty when absent
  std::string created_by;
  std::string author;
  std::string comment;
  bool empty_layer = false;

  // created?, created_by?, author?, comment?, empty_layer? (image-spec's History order).
  Json to_json() const;
  // Corrupt (no context) for mistyped members.
  static Result<HistoryEntry> from_json(const Json& j);

  friend bool operator==(const HistoryEntry&, const HistoryEntry&) = default;
};

struct ImageConfig {
  std::string created;  // RFC 3339 text, kept as found (parse_rfc3339 reads it)
  std::string author;
  std::string architecture;
  std::string os;
  std::string variant;
  std::string os_version;
  std::vector<std::string> os_features;
  ContainerConfig config;
  std::vector<Digest> diff_ids;  // rootfs.diff_ids, bottom layer first
  std::vector<HistoryEntry> history;
  // Top-level members berth does not model (Docker's container, container_config,
  // docker_version, …), in document order; serialised after the known members.
  Json extra = Json::object();
  // The document parse() read, null for a config built in code. serialize() follows its member
  // order (top level, config, rootfs, history entries) and keeps the empty values its writer
  // used (null, "", false, {}) where the field is still empty, so that a config Go wrote comes
  // out byte for byte as it went in. A config derived from another (commit, build) may clear it
  // and `extra` to be written in image-spec order without the parent's leftovers.
  Json original;

  // Parses a config. Errors carry `what` as context: Corrupt for malformed JSON, mistyped
  // members, a missing rootfs or invalid diff IDs; Unsupported for a rootfs type other than
  // "layers".
  static Result<ImageConfig> parse(std::string_view bytes, std::string_view what);

  // Compact JSON with Go's escaping. Without `original`, members follow image-spec's v1.Image:
  // created?, author?, architecture, variant?, os, os.version?, os.features?, config, rootfs
  // {type, diff_ids}, history?, then `extra`. With it, the original's order (see above).
  std::string serialize() const;

  // The platform the image is for (os, architecture, variant, os.version, os.features).
  Platform platform() const;
};

}  // namespace berth::oci
