// Fetching a manifest or an index by tag or digest, with the Accept header every image type
// berth reads (OCI and Docker schema 2 manifests, OCI indexes and Docker manifest lists).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "oci/digest.h"
#include "registry/session.h"

namespace berth::registry {

// The largest manifest berth accepts (as containerd and distribution limit it).
inline constexpr int64_t kMaxManifestBytes = 4 << 20;

// The Accept header value of a manifest request.
std::string manifest_accept();

struct FetchedManifest {
  std::string media_type;  // from the document's mediaType, else the Content-Type
  std::string bytes;       // exactly as served: its digest is the image's repo digest
  oci::Digest digest;
};

// GET manifests/<tag or digest>. Errors, each on one line naming the reference `what`:
//   NotFound     "manifest for <what> not found: manifest unknown"
//   Corrupt      larger than 4 MiB, not JSON, or (by digest) content that does not hash to it
//   Unsupported  a schema 1 manifest or an unknown media type
// and the registry's other answers (unauthorized …) as Session::response_error puts them.
Result<FetchedManifest> fetch_manifest(Session& session, std::string_view tag_or_digest,
                                       std::string_view what);

// The media type of a manifest document: its mediaType member, else `content_type` without
// parameters; a document with "manifests" but no mediaType is an OCI index, one with "layers"
// an OCI manifest. Corrupt when the bytes are not a JSON object.
Result<std::string> manifest_media_type(std::string_view bytes, std::string_view content_type,
                                        std::string_view what);

}  // namespace berth::registry
