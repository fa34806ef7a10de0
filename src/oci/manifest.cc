#include "oci/manifest.h"

#include <fmt/format.h>

#include "base/json.h"
#include "oci/json_fields.h"
#include "oci/media_types.h"

namespace berth::oci {

namespace {

// The media type, checked to be a manifest's; inferred as OCI when the document has none.
Result<std::string> manifest_media_type(const Json& j) {
  std::string media_type;
  BERTH_CHECK(read_string(j, "mediaType", media_type));
  if (media_type.empty()) {
    if (j.contains("manifests")) {
      return fail(Code::kInvalidArgument, "expected a manifest, got an image index");
    }
    return std::string(kOciManifest);
  }
  if (is_schema1_type(media_type)) {
    return fail(Code::kUnsupported, "schema 1 manifests are not supported");
  }
  if (is_index_type(media_type)) {
    return fail(Code::kInvalidArgument,
                fmt::format("expected a manifest, got an image index ({})", media_type));
  }
  if (!is_manifest_type(media_type)) {
    return fail(Code::kUnsupported,
                fmt::format("unsupported manifest media type '{}'", media_type));
  }
  return media_type;
}

Result<Manifest> read_manifest(const Json& j) {
  BERTH_CHECK(expect_object(j, "manifest"));
  Manifest m;
  m.media_type = BERTH_TRY(manifest_media_type(j));
  BERTH_CHECK(check_schema_version(j));
  auto config = j.find("config");
  if (config == j.end()) {
    return fail(Code::kCorrupt, "missing field 'config'");
  }
  m.config = BERTH_TRY(Descriptor::from_json(*config, "config"));
  m.layers = BERTH_TRY(read_descriptors(j, "layers"));
  BERTH_CHECK(read_document_tail(j, m.artifact_type, m.subject, m.annotations));
  return m;
}

}  // namespace

Result<Manifest> Manifest::parse(std::string_view bytes, std::string_view what) {
  auto j = BERTH_TRY(parse_json(bytes, what));
  return within(read_manifest(j), what);
}

bool Manifest::is_docker() const { return media_type == kDockerManifest; }

std::string Manifest::serialize() const {
  bool docker = is_docker();
  Json j = document_head(schema_version, media_type, artifact_type);
  j["config"] = config.to_json(docker);
  j["layers"] = descriptors_json(layers, docker);
  add_document_tail(j, subject, annotations, docker);
  return to_go_json(j);
}

}  // namespace berth::oci
