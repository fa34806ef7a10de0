#include "oci/descriptor.h"

#include <fmt/format.h>

#include "oci/json_fields.h"

namespace berth::oci {

Json Descriptor::to_json(bool docker_order) const {
  Json j = Json::object();
  j["mediaType"] = media_type;
  if (docker_order) {
    j["size"] = size;
    j["digest"] = digest.str();
  } else {
    j["digest"] = digest.str();
    j["size"] = size;
  }
  if (!urls.empty()) {
    j["urls"] = urls;
  }
  if (!annotations.empty()) {
    j["annotations"] = annotations;
  }
  if (platform) {
    j["platform"] = platform->to_json();
  }
  if (!artifact_type.empty()) {
    j["artifactType"] = artifact_type;
  }
  return j;
}

namespace {

Result<Descriptor> read_descriptor(const Json& j) {
  BERTH_CHECK(expect_object(j, "descriptor"));
  Descriptor d;
  d.media_type = BERTH_TRY(require_string(j, "mediaType"));
  std::string digest = BERTH_TRY(require_string(j, "digest"));
  auto parsed = Digest::parse(digest);
  if (!parsed) {
    return fail(Code::kCorrupt, parsed.error().message());
  }
  d.digest = std::move(*parsed);
  if (!j.contains("size")) {
    return fail(Code::kCorrupt, "missing field 'size'");
  }
  BERTH_CHECK(read_int(j, "size", d.size));
  if (d.size < 0) {
    return fail(Code::kCorrupt, fmt::format("negative size {}", d.size));
  }
  BERTH_CHECK(read_strings(j, "urls", d.urls));
  BERTH_CHECK(read_string_map(j, "annotations", d.annotations));
  if (auto it = j.find("platform"); it != j.end() && !it->is_null()) {
    d.platform = BERTH_TRY(Platform::from_json(*it));
  }
  BERTH_CHECK(read_string(j, "artifactType", d.artifact_type));
  return d;
}

}  // namespace

Result<Descriptor> Descriptor::from_json(const Json& j, std::string_view what) {
  return within(read_descriptor(j), what);
}

Result<std::vector<Descriptor>> read_descriptors(const Json& j, std::string_view field) {
  auto it = j.find(std::string(field));
  if (it == j.end()) {
    return fail(Code::kCorrupt, fmt::format("missing field '{}'", field));
  }
  if (!it->is_null() && !it->is_array()) {
    return fail(Code::kCorrupt, fmt::format("field '{}' must be an array", field));
  }
  std::vector<Descriptor> out;
  if (it->is_array()) {
    for (size_t i = 0; i < it->size(); ++i) {
      out.push_back(BERTH_TRY(Descriptor::from_json((*it)[i], fmt::format("{}[{}]", field, i))));
    }
  }
  return out;
}

Result<std::optional<Descriptor>> read_subject(const Json& j) {
  auto it = j.find("subject");
  if (it == j.end() || it->is_null()) {
    return std::optional<Descriptor>();
  }
  return std::optional<Descriptor>(BERTH_TRY(Descriptor::from_json(*it, "subject")));
}

Json descriptors_json(const std::vector<Descriptor>& ds, bool docker_order) {
  Json a = Json::array();
  for (const auto& d : ds) {
    a.push_back(d.to_json(docker_order));
  }
  return a;
}

Json document_head(int schema_version, const std::string& media_type,
                   const std::string& artifact_type) {
  Json j = Json::object();
  j["schemaVersion"] = schema_version;
  if (!media_type.empty()) {
    j["mediaType"] = media_type;
  }
  if (!artifact_type.empty()) {
    j["artifactType"] = artifact_type;
  }
  return j;
}

void add_document_tail(Json& j, const std::optional<Descriptor>& subject,
                       const std::map<std::string, std::string>& annotations, bool docker_order) {
  if (subject) {
    j["subject"] = subject->to_json(docker_order);
  }
  if (!annotations.empty()) {
    j["annotations"] = annotations;
  }
}

Result<void> read_document_tail(const Json& j, std::string& artifact_type,
                                std::optional<Descriptor>& subject,
                                std::map<std::string, std::string>& annotations) {
  BERTH_CHECK(read_string(j, "artifactType", artifact_type));
  subject = BERTH_TRY(read_subject(j));
  return read_string_map(j, "annotations", annotations);
}

}  // namespace berth::oci
