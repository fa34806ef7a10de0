#include "registry/manifest_fetch.h"

#include <fmt/format.h>

#include "base/json.h"
#include "base/strings.h"
#include "oci/media_types.h"

namespace berth::registry {

std::string manifest_accept() {
  return fmt::format("Accept: {}, {}, {}, {}", oci::kOciIndex, oci::kOciManifest,
                     oci::kDockerManifestList, oci::kDockerManifest);
}

Result<std::string> manifest_media_type(std::string_view bytes, std::string_view content_type,
                                        std::string_view what) {
  auto j = parse_json(bytes, what);
  if (!j || !j->is_object()) {
    return fail(Code::kCorrupt, fmt::format("{}: the manifest is not a JSON object", what));
  }
  if (j->contains("mediaType") && (*j)["mediaType"].is_string()) {
    return (*j)["mediaType"].get<std::string>();
  }
  if (j->contains("schemaVersion") && (*j)["schemaVersion"] == 1) {
    return std::string(oci::kDockerSchema1);
  }
  std::string ct = std::string(trim(content_type.substr(0, content_type.find(';'))));
  if (oci::is_manifest_type(ct) || oci::is_index_type(ct) || oci::is_schema1_type(ct)) {
    return ct;
  }
  if (j->contains("manifests")) {
    return std::string(oci::kOciIndex);
  }
  if (j->contains("layers")) {
    return std::string(oci::kOciManifest);
  }
  return ct;
}

Result<FetchedManifest> fetch_manifest(Session& session, std::string_view tag_or_digest,
                                       std::string_view what) {
  std::string path = fmt::format("manifests/{}", tag_or_digest);
  auto r = session.get(path, {manifest_accept()}, kMaxManifestBytes);
  if (!r) {
    if (r.error().code() == Code::kCorrupt) {
      return fail(Code::kCorrupt,
                  fmt::format("manifest for {} is larger than 4 MiB, refused", what));
    }
    return tl::unexpected(std::move(r.error()));
  }
  if (r->status == 404) {
    return fail(Code::kNotFound, fmt::format("manifest for {} not found: manifest unknown", what));
  }
  if (r->status != 200) {
    return tl::unexpected(Session::response_error(*r, fmt::format("GET {}", session.url(path))));
  }
  FetchedManifest out;
  out.bytes = std::move(r->body);
  out.digest = oci::Digest::sha256_of(out.bytes);
  if (auto want = oci::Digest::parse(tag_or_digest); want && *want != out.digest) {
    return fail(Code::kCorrupt,
                fmt::format("manifest for {}: digest mismatch: got {}", what, out.digest.str()));
  }
  out.media_type =
      BERTH_TRY(manifest_media_type(out.bytes, r->headers.get("Content-Type").value_or(""),
                                    fmt::format("manifest for {}", what)));
  if (oci::is_schema1_type(out.media_type)) {
    return fail(Code::kUnsupported,
                fmt::format("manifest for {}: schema 1 manifests are not supported", what));
  }
  if (!oci::is_manifest_type(out.media_type) && !oci::is_index_type(out.media_type)) {
    return fail(Code::kUnsupported,
                fmt::format("manifest for {}: unsupported media type '{}'", what, out.media_type));
  }
  return out;
}

}  // namespace berth::registry
