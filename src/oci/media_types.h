// Media types of OCI and Docker image documents and layers, and what they say about content.
#pragma once

#include <string_view>

#include "base/error.h"

namespace berth::oci {

// OCI image-spec.
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kOciLayerNondistributable =
    "application/vnd.oci.image.layer.nondistributable.v1.tar";
inline constexpr std::string_view kOciLayerNondistributableGzip =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
inline constexpr std::string_view kOciLayerNondistributableZstd =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";
inline constexpr std::string_view kOciEmptyJson = "application/vnd.oci.empty.v1+json";
inline constexpr std::string_view kOciLayoutHeader = "application/vnd.oci.layout.header.v1+json";

// The OCI image layout on disk: the marker file, its version, and the top index.
inline constexpr std::string_view kOciLayoutFile = "oci-layout";
inline constexpr std::string_view kOciLayoutVersion = "1.0.0";
inline constexpr std::string_view kOciLayoutIndexFile = "index.json";

// Annotations berth reads and writes.
inline constexpr std::string_view kAnnotationRefName = "org.opencontainers.image.ref.name";
inline constexpr std::string_view kAnnotationCreated = "org.opencontainers.image.created";

// Docker image manifest v2 schema 2 and its relatives.
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayer =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view kDockerLayerUncompressed =
    "application/vnd.docker.image.rootfs.diff.tar";
inline constexpr std::string_view kDockerLayerZstd =
    "application/vnd.docker.image.rootfs.diff.tar.zstd";
inline constexpr std::string_view kDockerForeignLayer =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
inline constexpr std::string_view kDockerSchema1 =
    "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr std::string_view kDockerSchema1Signed =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";

// An image manifest berth can read (OCI or Docker schema 2; schema 1 is not one).
bool is_manifest_type(std::string_view media_type);
// An OCI index or a Docker manifest list.
bool is_index_type(std::string_view media_type);
// A Docker schema 1 manifest, signed or not.
bool is_schema1_type(std::string_view media_type);
// Any OCI or Docker layer type, nondistributable and foreign ones included.
bool is_layer_type(std::string_view media_type);

enum class Compression { kNone, kGzip, kZstd };

// How a layer of this media type is compressed; Unsupported naming the type for anything that
// is not a known layer type (encrypted layers included).
Result<Compression> layer_compression(std::string_view media_type);

}  // namespace berth::oci
