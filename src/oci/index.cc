#include "oci/index.h"

#include <fmt/format.h>

#include "base/json.h"
#include "oci/json_fields.h"
#include "oci/media_types.h"

namespace berth::oci {

namespace {

Result<std::string> index_media_type(const Json& j) {
  std::string media_type;
  BERTH_CHECK(read_string(j, "mediaType", media_type));
  if (is_schema1_type(media_type)) {
    return fail(Code::kUnsupported, "schema 1 manifests are not supported");
  }
  BERTH_CHECK(check_schema_version(j));
  if (media_type.empty()) {
    if (!j.contains("manifests") && (j.contains("config") || j.contains("layers"))) {
      return fail(Code::kInvalidArgument, "expected an image index, got a manifest");
    }
    return std::string(kOciIndex);
  }
  if (is_manifest_type(media_type)) {
    return fail(Code::kInvalidArgument,
                fmt::format("expected an image index, got a manifest ({})", media_type));
  }
  if (!is_index_type(media_type)) {
    return fail(Code::kUnsupported, fmt::format("unsupported index media type '{}'", media_type));
  }
  return media_type;
}

Result<Index> read_index(const Json& j) {
  BERTH_CHECK(expect_object(j, "index"));
  Index idx;
  idx.media_type = BERTH_TRY(index_media_type(j));
  idx.manifests = BERTH_TRY(read_descriptors(j, "manifests"));
  BERTH_CHECK(read_document_tail(j, idx.artifact_type, idx.subject, idx.annotations));
  return idx;
}

}  // namespace

Result<Index> Index::parse(std::string_view bytes, std::string_view what) {
  auto j = BERTH_TRY(parse_json(bytes, what));
  return within(read_index(j), what);
}

bool Index::is_docker() const { return media_type == kDockerManifestList; }

std::string Index::serialize() const {
  bool docker = is_docker();
  Json j = document_head(schema_version, media_type, artifact_type);
  j["manifests"] = descriptors_json(manifests, docker);
  add_document_tail(j, subject, annotations, docker);
  return to_go_json(j);
}

Result<Descriptor> select_platform(const Index& index, const Platform& want) {
  const Descriptor* best = nullptr;
  int best_rank = -1;
  const Descriptor* unplatformed = nullptr;
  for (const auto& m : index.manifests) {
    if (!m.platform) {
      if (unplatformed == nullptr &&
          (is_manifest_type(m.media_type) || is_index_type(m.media_type))) {
        unplatformed = &m;
      }
      continue;
    }
    int rank = m.platform->match_rank(want);
    if (rank >= 0 && (best == nullptr || rank < best_rank)) {
      best = &m;
      best_rank = rank;
    }
  }
  if (best != nullptr) {
    return *best;
  }
  if (unplatformed != nullptr) {
    return *unplatformed;
  }
  return fail(Code::kNotFound,
              fmt::format("no matching manifest for {} in the manifest list entries", want.str()));
}

}  // namespace berth::oci
