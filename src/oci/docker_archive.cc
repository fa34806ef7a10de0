#include "oci/docker_archive.h"

#include <fmt/format.h>

#include "base/json.h"
#include "oci/json_fields.h"

namespace berth::oci {

namespace {

Result<DockerArchiveEntry> read_entry(const Json& j) {
  BERTH_CHECK(expect_object(j, "entry"));
  DockerArchiveEntry e;
  e.config = BERTH_TRY(require_string(j, "Config"));
  BERTH_CHECK(read_strings(j, "RepoTags", e.repo_tags));
  auto layers = j.find("Layers");
  if (layers == j.end()) {
    return fail(Code::kCorrupt, "missing field 'Layers'");
  }
  BERTH_CHECK(read_strings(j, "Layers", e.layers));
  return e;
}

Result<std::vector<DockerArchiveEntry>> read_entries(const Json& j) {
  if (!j.is_array()) {
    return fail(Code::kCorrupt, "manifest.json is not a JSON array");
  }
  std::vector<DockerArchiveEntry> out;
  for (size_t i = 0; i < j.size(); ++i) {
    out.push_back(BERTH_TRY_CTX(read_entry(j[i]), fmt::format("entry {}", i)));
  }
  return out;
}

}  // namespace

Result<std::vector<DockerArchiveEntry>> parse_docker_archive_manifest(std::string_view bytes,
                                                                      std::string_view what) {
  auto j = BERTH_TRY(parse_json(bytes, what));
  return within(read_entries(j), what);
}

std::string serialize_docker_archive_manifest(const std::vector<DockerArchiveEntry>& entries) {
  Json out = Json::array();
  for (const auto& e : entries) {
    Json j = Json::object();
    j["Config"] = e.config;
    j["RepoTags"] = e.repo_tags.empty() ? Json(nullptr) : Json(e.repo_tags);
    j["Layers"] = e.layers;
    out.push_back(std::move(j));
  }
  return to_go_json(out);
}

}  // namespace berth::oci
