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
  BERTH_CHECK(read_string(j, "artifactType", m.artifact_type));
  auto config = j.find("config");
  if (config == j.end()) {
    return fail(Code::kCorrupt, "missing field 'config'");
  }
  m.config = BERTH_TRY(Descriptor::from_json(*config, "config"));
  auto layers = j.find("layers");
  if (layers == j.end()) {
    return fail(Code::kCorrupt, "missing field 'layers'");
  }
  if (!layers->is_null() && !layers->is_array()) {
    return fail(Code::kCorrupt, "field 'layers' must be an array");
  }
  if (layers->is_array()) {
    for (size_t i = 0; i < layers->size(); ++i) {
      m.layers.push_back(
          BERTH_TRY(Descriptor::from_json((*layers)[i], fmt::format("layers[{}]", i))));
    }
  }
  if (auto subject = j.find("subject"); subject != j.end() && !subject->is_null()) {
    m.subject = BERTH_TRY(Descriptor::from_json(*subject, "subject"));
  }
  BERTH_CHECK(read_string_map(j, "annotations", m.annotations));
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
  Json j = Json::object();
  j["schemaVersion"] = schema_version;
  if (!media_type.empty()) {
    j["mediaType"] = media_type;
  }
  if (!artifact_type.empty()) {
    j["artifactType"] = artifact_type;
  }
  j["config"] = config.to_json(docker);
  Json ls = Json::array();
  for (const auto& l : layers) {
    ls.push_back(l.to_json(docker));
  }
  j["layers"] = std::move(ls);
  if (subject) {
    j["subject"] = subject->to_json(docker);
  }
  if (!annotations.empty()) {
    j["annotations"] = annotations;
  }
  return to_go_json(j);
}

}  // namespace berth::oci
