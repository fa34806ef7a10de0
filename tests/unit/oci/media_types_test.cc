#include "oci/media_types.h"

#include <gtest/gtest.h>

namespace berth::oci {
namespace {

TEST(MediaTypes, ConstantsHaveTheRegisteredNames) {
  EXPECT_EQ(kOciManifest, "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(kOciLayer, "application/vnd.oci.image.layer.v1.tar");
  EXPECT_EQ(kDockerManifest, "application/vnd.docker.distribution.manifest.v2+json");
  EXPECT_EQ(kDockerConfig, "application/vnd.docker.container.image.v1+json");
  EXPECT_EQ(kDockerLayer, "application/vnd.docker.image.rootfs.diff.tar.gzip");
  EXPECT_EQ(kDockerLayerUncompressed, "application/vnd.docker.image.rootfs.diff.tar");
}

TEST(MediaTypes, ManifestAndIndexTypesAreTold) {
  EXPECT_TRUE(is_manifest_type(kOciManifest));
  EXPECT_TRUE(is_manifest_type(kDockerManifest));
  EXPECT_FALSE(is_manifest_type(kDockerSchema1));
  EXPECT_FALSE(is_manifest_type(kOciIndex));
  EXPECT_TRUE(is_index_type(kOciIndex));
  EXPECT_TRUE(is_index_type(kDockerManifestList));
  EXPECT_FALSE(is_index_type(kOciManifest));
  EXPECT_TRUE(is_schema1_type(kDockerSchema1Signed));
  EXPECT_FALSE(is_schema1_type(kDockerManifest));
}

TEST(MediaTypes, LayerTypesIncludeNondistributableAndForeign) {
  for (auto t : {kOciLayer, kOciLayerGzip, kOciLayerZstd, kOciLayerNondistributable,
                 kOciLayerNondistributableGzip, kDockerLayer, kDockerLayerUncompressed,
                 kDockerForeignLayer}) {
    EXPECT_TRUE(is_layer_type(t)) << t;
  }
  EXPECT_FALSE(is_layer_type(kOciConfig));
  EXPECT_FALSE(is_layer_type("application/vnd.oci.image.layer.v1.tar+gzip+encrypted"));
}

TEST(MediaTypes, LayerCompressionFollowsTheSuffix) {
  EXPECT_EQ(*layer_compression(kOciLayer), Compression::kNone);
  EXPECT_EQ(*layer_compression(kDockerLayerUncompressed), Compression::kNone);
  EXPECT_EQ(*layer_compression(kOciLayerGzip), Compression::kGzip);
  EXPECT_EQ(*layer_compression(kDockerLayer), Compression::kGzip);
  EXPECT_EQ(*layer_compression(kDockerForeignLayer), Compression::kGzip);
  EXPECT_EQ(*layer_compression(kOciLayerZstd), Compression::kZstd);
  EXPECT_EQ(*layer_compression(kDockerLayerZstd), Compression::kZstd);
}

TEST(MediaTypes, UnknownLayerTypeIsUnsupportedNamingIt) {
  auto c = layer_compression("application/x-tar");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), Code::kUnsupported);
  EXPECT_NE(c.error().str().find("application/x-tar"), std::string::npos);
}

}  // namespace
}  // namespace berth::oci
