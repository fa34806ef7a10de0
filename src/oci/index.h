// Image indexes: OCI image index v1 and Docker manifest list v2, and choosing a platform's
// manifest from one.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "oci/descriptor.h"
#include "oci/platform.h"

namespace berth::oci {

struct Index {
  int schema_version = 2;
  std::string media_type;  // kOciIndex or kDockerManifestList
  std::string artifact_type;
  std::vector<Descriptor> manifests;
  std::optional<Descriptor> subject;
  std::map<std::string, std::string> annotations;

  // Parses an OCI index or a Docker manifest list; a document without mediaType is taken as an
  // OCI index (media_type is then kOciIndex). Errors carry `what` as context: Corrupt for
  // malformed documents, Unsupported for schema 1 and unknown media types, InvalidArgument when
  // the document is an image manifest (use Manifest::parse).
  static Result<Index> parse(std::string_view bytes, std::string_view what);

  // Compact JSON in Go's member order: schemaVersion, mediaType, artifactType?, manifests,
  // subject?, annotations?. A manifest list's descriptors use Docker's order (mediaType, size,
  // digest, …, platform), an OCI index's OCI's.
  std::string serialize() const;

  bool is_docker() const;
};

// The entry of `index` that best serves `want` (Platform::match_rank: exact variants first,
// then older variants, then any variant when want names none; ties go to the earlier entry).
// Entries without a platform are taken only when no entry matches. NotFound naming the platform
// ("no matching manifest for linux/arm64/v8 in the manifest list entries") when none fits.
Result<Descriptor> select_platform(const Index& index, const Platform& want);

}  // namespace berth::oci
