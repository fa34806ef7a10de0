#include "oci/media_types.h"

#include <optional>

#include <fmt/format.h>

namespace berth::oci {

namespace {

std::optional<Compression> compression_of(std::string_view media_type) {
  if (media_type == kOciLayer || media_type == kOciLayerNondistributable ||
      media_type == kDockerLayerUncompressed) {
    return Compression::kNone;
  }
  if (media_type == kOciLayerGzip || media_type == kOciLayerNondistributableGzip ||
      media_type == kDockerLayer || media_type == kDockerForeignLayer) {
    return Compression::kGzip;
  }
  if (media_type == kOciLayerZstd || media_type == kOciLayerNondistributableZstd ||
      media_type == kDockerLayerZstd) {
    return Compression::kZstd;
  }
  return std::nullopt;
}

}  // namespace

bool is_manifest_type(std::string_view media_type) {
  return media_type == kOciManifest || media_type == kDockerManifest;
}

bool is_index_type(std::string_view media_type) {
  return media_type == kOciIndex || media_type == kDockerManifestList;
}

bool is_schema1_type(std::string_view media_type) {
  return media_type == kDockerSchema1 || media_type == kDockerSchema1Signed;
}

bool is_layer_type(std::string_view media_type) { return compression_of(media_type).has_value(); }

Result<Compression> layer_compression(std::string_view media_type) {
  if (auto c = compression_of(media_type)) {
    return *c;
  }
  return fail(Code::kUnsupported, fmt::format("unsupported layer media type '{}'", media_type));
}

}  // namespace berth::oci
