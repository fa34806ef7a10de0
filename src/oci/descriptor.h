// Content descriptors: what manifests, indexes and index.json say about the blobs they point to.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "oci/digest.h"
#include "oci/platform.h"

namespace berth::oci {

struct Descriptor {
  std::string media_type;
  Digest digest;
  int64_t size = 0;
  std::vector<std::string> urls;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;
  std::string artifact_type;

  // The JSON object, empty members left out as Go's omitempty does. The member order follows
  // the Go struct of the document the descriptor sits in, so that documents we write have the
  // bytes Go tools would write:
  //   OCI (image-spec v1.Descriptor):        mediaType, digest, size, urls, annotations,
  //                                          platform, artifactType
  //   Docker (docker_order, distribution's): mediaType, size, digest, urls, annotations,
  //                                          platform (artifactType last, if set)
  Json to_json(bool docker_order = false) const;

  // Reads a descriptor object: mediaType and digest must be strings (the digest valid), size a
  // non-negative integer, and the optional members of their types. Corrupt errors carry `what`
  // (the document) as context. Members berth does not model (data) are dropped.
  static Result<Descriptor> from_json(const Json& j, std::string_view what);

  friend bool operator==(const Descriptor&, const Descriptor&) = default;
};

// The descriptor array `field` of a manifest or index ("layers", "manifests"): required, null
// read as empty, each element named "field[i]" in errors.
Result<std::vector<Descriptor>> read_descriptors(const Json& j, std::string_view field);
// The optional "subject" descriptor (absent or null: none).
Result<std::optional<Descriptor>> read_subject(const Json& j);
// The descriptors as a JSON array, each in its document's member order.
Json descriptors_json(const std::vector<Descriptor>& ds, bool docker_order);

// What image manifests and indexes share around their own members: schemaVersion, mediaType?,
// artifactType? first (document_head), subject?, annotations? last (add_document_tail).
Json document_head(int schema_version, const std::string& media_type,
                   const std::string& artifact_type);
void add_document_tail(Json& j, const std::optional<Descriptor>& subject,
                       const std::map<std::string, std::string>& annotations, bool docker_order);
// The same members read back (artifactType, subject, annotations).
Result<void> read_document_tail(const Json& j, std::string& artifact_type,
                                std::optional<Descriptor>& subject,
                                std::map<std::string, std::string>& annotations);

}  // namespace berth::oci
