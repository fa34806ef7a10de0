// Image manifests: OCI image manifest v1 and Docker image manifest v2 schema 2.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "oci/descriptor.h"

namespace berth::oci {

struct Manifest {
  int schema_version = 2;
  std::string media_type;  // kOciManifest or kDockerManifest
  std::string artifact_type;
  Descriptor config;
  std::vector<Descriptor> layers;
  std::optional<Descriptor> subject;
  std::map<std::string, std::string> annotations;

  // Parses an OCI or Docker schema 2 manifest. The type comes from the document's mediaType; a
  // document without one is taken as OCI (media_type is then kOciManifest). Errors carry `what`
  // as context:
  //   Corrupt          malformed JSON, missing or mistyped members, invalid digests
  //   Unsupported      schema 1 ("schema 1 manifests are not supported"), other schema versions,
  //                    unknown media types
  //   InvalidArgument  the document is an index or manifest list (use Index::parse)
  // Members berth does not model are dropped.
  static Result<Manifest> parse(std::string_view bytes, std::string_view what);

  // Compact JSON with Go's member order and escaping: schemaVersion, mediaType, artifactType?,
  // config, layers, subject?, annotations?. Descriptors of a Docker manifest use Docker's order
  // (mediaType, size, digest), others OCI's (mediaType, digest, size). A manifest Go wrote
  // (containers/image, docker, BuildKit) comes out with the bytes it went in with.
  std::string serialize() const;

  // True for a Docker schema 2 manifest.
  bool is_docker() const;
};

}  // namespace berth::oci
