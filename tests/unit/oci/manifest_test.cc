#include "oci/manifest.h"

#include <gtest/gtest.h>

#include "oci/media_types.h"

namespace berth::oci {
namespace {

// As Go's json.Marshal writes docker's schema2.Manifest (descriptors: mediaType, size, digest).
constexpr std::string_view kDockerManifestDoc =
    R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",)"
    R"("config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1457,)"
    R"("digest":"sha256:b79606fb3afea5bd1609ed40b622142f1c98125abcfe89a76a661b0e8e343910"},)"
    R"("layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":2479,)"
    R"("digest":"sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2"},)"
    R"({"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":310,)"
    R"("digest":"sha256:95cf1a2e1698fe3ca1fcc3f653119146b271d0b62e487ec264441e886a11bd06"}]})";

// As Go's json.Marshal writes image-spec's v1.Manifest (descriptors: mediaType, digest, size).
constexpr std::string_view kOciManifestDoc =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
    R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json",)"
    R"("digest":"sha256:b79606fb3afea5bd1609ed40b622142f1c98125abcfe89a76a661b0e8e343910",)"
    R"("size":581},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip",)"
    R"("digest":"sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2",)"
    R"("size":3370706,"annotations":{"org.opencontainers.image.title":"rootfs.tar.gz"}}],)"
    R"("annotations":{"org.opencontainers.image.created":"2024-01-02T03:04:05Z",)"
    R"("org.opencontainers.image.description":"a <b> & c"}})";

// An OCI artifact manifest with artifactType and subject (image-spec 1.1).
constexpr std::string_view kArtifactDoc =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
    R"("artifactType":"application/vnd.example.sbom",)"
    R"("config":{"mediaType":"application/vnd.oci.empty.v1+json",)"
    R"("digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",)"
    R"("size":2},"layers":[],)"
    R"("subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
    R"("digest":"sha256:a9491f4c1bf7b0cffbadcba2db8f028e4b3f2867cb59e1f3a0bc1968f3c51242",)"
    R"("size":1234}})";

Manifest parsed_manifest(std::string_view doc) {
  auto m = Manifest::parse(doc, "manifest");
  EXPECT_TRUE(m) << m.error().str();
  return m ? *m : Manifest{};
}

void expect_manifest_error(std::string_view doc, Code code, std::string_view text) {
  auto m = Manifest::parse(doc, "manifest sha256:x");
  ASSERT_FALSE(m) << doc;
  EXPECT_EQ(m.error().code(), code) << m.error().str();
  EXPECT_NE(m.error().str().find(text), std::string::npos) << m.error().str();
  EXPECT_EQ(m.error().str().rfind("manifest sha256:x: ", 0), 0u) << m.error().str();
}

TEST(Manifest, DockerSchema2RoundTripsByteForByte) {
  Manifest m = parsed_manifest(kDockerManifestDoc);
  EXPECT_TRUE(m.is_docker());
  EXPECT_EQ(m.media_type, kDockerManifest);
  EXPECT_EQ(m.config.media_type, kDockerConfig);
  EXPECT_EQ(m.config.size, 1457);
  ASSERT_EQ(m.layers.size(), 2u);
  EXPECT_EQ(m.layers[1].digest.str(),
            "sha256:95cf1a2e1698fe3ca1fcc3f653119146b271d0b62e487ec264441e886a11bd06");
  EXPECT_EQ(m.serialize(), kDockerManifestDoc);
}

TEST(Manifest, OciManifestRoundTripsByteForByteWithGoEscaping) {
  Manifest m = parsed_manifest(kOciManifestDoc);
  EXPECT_FALSE(m.is_docker());
  EXPECT_EQ(m.annotations.at("org.opencontainers.image.description"), "a <b> & c");
  EXPECT_EQ(m.layers.at(0).annotations.at("org.opencontainers.image.title"), "rootfs.tar.gz");
  std::string expected(kOciManifestDoc);
  std::string escaped = "a \\u003cb\\u003e \\u0026 c";
  expected.replace(expected.find("a <b> & c"), 9, escaped);
  // Go escapes <, > and & in strings; the document as Go wrote it round-trips.
  Manifest again = parsed_manifest(expected);
  EXPECT_EQ(again.serialize(), expected);
  EXPECT_EQ(m.serialize(), expected);
}

TEST(Manifest, ArtifactWithSubjectRoundTrips) {
  Manifest m = parsed_manifest(kArtifactDoc);
  EXPECT_EQ(m.artifact_type, "application/vnd.example.sbom");
  ASSERT_TRUE(m.subject);
  EXPECT_EQ(m.subject->size, 1234);
  EXPECT_TRUE(m.layers.empty());
  EXPECT_EQ(m.serialize(), kArtifactDoc);
}

TEST(Manifest, MissingMediaTypeIsTakenAsOci) {
  Manifest m = parsed_manifest(
      R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json",)"
      R"("digest":"sha256:b79606fb3afea5bd1609ed40b622142f1c98125abcfe89a76a661b0e8e343910",)"
      R"("size":2},"layers":null})");
  EXPECT_EQ(m.media_type, kOciManifest);
  EXPECT_TRUE(m.layers.empty());
  EXPECT_NE(m.serialize().find(R"("mediaType":"application/vnd.oci.image.manifest.v1+json")"),
            std::string::npos);
}

TEST(Manifest, BuiltInCodeSerialisesInGoOrder) {
  Manifest m;
  m.media_type = std::string(kOciManifest);
  m.config.media_type = std::string(kOciConfig);
  m.config.digest = Digest::sha256_of("config");
  m.config.size = 6;
  Descriptor layer;
  layer.media_type = std::string(kOciLayer);
  layer.digest = Digest::sha256_of("layer1");
  layer.size = 6;
  m.layers.push_back(layer);
  EXPECT_EQ(m.serialize(),
            R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
            R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json",)"
            R"("digest":"sha256:b79606fb3afea5bd1609ed40b622142f1c98125abcfe89a76a661b0e8e343910",)"
            R"("size":6},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar",)"
            R"("digest":"sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2",)"
            R"("size":6}]})");
  EXPECT_EQ(parsed_manifest(m.serialize()).serialize(), m.serialize());
}

TEST(Manifest, SchemaOneIsUnsupported) {
  expect_manifest_error(
      R"({"schemaVersion":1,"name":"library/busybox","tag":"latest","fsLayers":[]})",
      Code::kUnsupported, "schema 1 manifests are not supported");
  expect_manifest_error(
      R"({"schemaVersion":1,"mediaType":")" + std::string(kDockerSchema1Signed) + R"("})",
      Code::kUnsupported, "schema 1 manifests are not supported");
  expect_manifest_error(R"({"schemaVersion":3,"config":{},"layers":[]})", Code::kUnsupported,
                        "unsupported schemaVersion 3");
}

TEST(Manifest, UnknownMediaTypeIsUnsupportedNamingIt) {
  expect_manifest_error(
      R"({"schemaVersion":2,"mediaType":"application/x-foo","config":{},"layers":[]})",
      Code::kUnsupported, "application/x-foo");
}

TEST(Manifest, AnIndexIsRefusedAsInvalidArgument) {
  expect_manifest_error(
      R"({"schemaVersion":2,"mediaType":")" + std::string(kOciIndex) + R"(","manifests":[]})",
      Code::kInvalidArgument, "image index");
  expect_manifest_error(R"({"schemaVersion":2,"manifests":[]})", Code::kInvalidArgument,
                        "image index");
}

TEST(Manifest, MalformedJsonIsCorrupt) {
  auto m = Manifest::parse(R"({"schemaVersion":2,)", "manifest sha256:x");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code(), Code::kCorrupt);
  EXPECT_NE(m.error().str().find("manifest sha256:x"), std::string::npos);
  expect_manifest_error("[1,2]", Code::kCorrupt, "not a JSON object");
}

TEST(Manifest, MissingAndMistypedMembersAreCorruptNamingThem) {
  std::string config =
      R"({"mediaType":"application/vnd.oci.image.config.v1+json","digest":)"
      R"("sha256:b79606fb3afea5bd1609ed40b622142f1c98125abcfe89a76a661b0e8e343910","size":2})";
  expect_manifest_error(R"({"config":)" + config + R"(,"layers":[]})", Code::kCorrupt,
                        "schemaVersion");
  expect_manifest_error(R"({"schemaVersion":"2","config":)" + config + R"(,"layers":[]})",
                        Code::kCorrupt, "schemaVersion");
  expect_manifest_error(R"({"schemaVersion":2,"layers":[]})", Code::kCorrupt, "'config'");
  expect_manifest_error(R"({"schemaVersion":2,"config":)" + config + "}", Code::kCorrupt,
                        "'layers'");
  expect_manifest_error(R"({"schemaVersion":2,"config":)" + config + R"(,"layers":{}})",
                        Code::kCorrupt, "'layers'");
  expect_manifest_error(R"({"schemaVersion":2,"config":)" + config + R"(,"layers":[)" + config +
                            R"(,{"mediaType":"x","size":1}]})",
                        Code::kCorrupt, "layers[1]: missing field 'digest'");
  expect_manifest_error(
      R"({"schemaVersion":2,"config":)" + config + R"(,"layers":[],"annotations":{"a":1}})",
      Code::kCorrupt, "annotations");
  expect_manifest_error(
      R"({"schemaVersion":2,"mediaType":5,"config":)" + config + R"(,"layers":[]})", Code::kCorrupt,
      "mediaType");
}

}  // namespace
}  // namespace berth::oci
