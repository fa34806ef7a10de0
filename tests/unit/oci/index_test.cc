#include "oci/index.h"

#include <gtest/gtest.h>

#include "oci/media_types.h"

namespace berth::oci {
namespace {

// As Go writes image-spec's v1.Index: two platforms, one with a variant.
constexpr std::string_view kOciIndexDoc =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)"
    R"({"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
    R"("digest":"sha256:5861314d7fccb39c2192173240eab44fa35ca66426201ca2acd0630a6258dd51",)"
    R"("size":1072,"platform":{"architecture":"amd64","os":"linux"}},)"
    R"({"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
    R"("digest":"sha256:f69162950f235e3cdbbad33f1f912d1a504be90d8a37d002c735d6f3e3882265",)"
    R"("size":1072,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}}],)"
    R"("annotations":{"org.opencontainers.image.ref.name":"1.0"}})";

// As Go writes docker's manifestlist.ManifestList (descriptors: mediaType, size, digest, platform).
constexpr std::string_view kDockerListDoc =
    R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json",)"
    R"("manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json",)"
    R"("size":528,)"
    R"("digest":"sha256:5861314d7fccb39c2192173240eab44fa35ca66426201ca2acd0630a6258dd51",)"
    R"("platform":{"architecture":"amd64","os":"linux"}},)"
    R"({"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":528,)"
    R"("digest":"sha256:f69162950f235e3cdbbad33f1f912d1a504be90d8a37d002c735d6f3e3882265",)"
    R"("platform":{"architecture":"arm","os":"linux","variant":"v6"}}]})";

Index parsed_index(std::string_view doc) {
  auto i = Index::parse(doc, "index");
  EXPECT_TRUE(i) << i.error().str();
  return i ? *i : Index{};
}

Descriptor entry(std::string_view name, const char* platform) {
  Descriptor d;
  d.media_type = std::string(kOciManifest);
  d.digest = Digest::sha256_of(name);
  d.size = 1;
  if (platform != nullptr) {
    d.platform = *Platform::parse(platform);
  }
  return d;
}

TEST(Index, OciIndexWithTwoPlatformsRoundTripsByteForByte) {
  Index idx = parsed_index(kOciIndexDoc);
  EXPECT_EQ(idx.media_type, kOciIndex);
  EXPECT_FALSE(idx.is_docker());
  ASSERT_EQ(idx.manifests.size(), 2u);
  ASSERT_TRUE(idx.manifests[1].platform);
  EXPECT_EQ(idx.manifests[1].platform->str(), "linux/arm64/v8");
  EXPECT_EQ(idx.annotations.at("org.opencontainers.image.ref.name"), "1.0");
  EXPECT_EQ(idx.serialize(), kOciIndexDoc);
}

TEST(Index, DockerManifestListRoundTripsByteForByte) {
  Index idx = parsed_index(kDockerListDoc);
  EXPECT_TRUE(idx.is_docker());
  EXPECT_EQ(idx.manifests.at(1).platform->variant, "v6");
  EXPECT_EQ(idx.serialize(), kDockerListDoc);
}

TEST(Index, MissingMediaTypeIsTakenAsOciIndex) {
  Index idx = parsed_index(R"({"schemaVersion":2,"manifests":[]})");
  EXPECT_EQ(idx.media_type, kOciIndex);
  EXPECT_EQ(idx.serialize(),
            R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)"
            R"("manifests":[]})");
}

TEST(Index, ManifestsAndUnknownTypesAreRefused) {
  auto manifest = Index::parse(
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"})", "x");
  ASSERT_FALSE(manifest);
  EXPECT_EQ(manifest.error().code(), Code::kInvalidArgument);
  auto bare_manifest = Index::parse(R"({"schemaVersion":2,"config":{},"layers":[]})", "x");
  ASSERT_FALSE(bare_manifest);
  EXPECT_EQ(bare_manifest.error().code(), Code::kInvalidArgument);
  auto unknown = Index::parse(R"({"schemaVersion":2,"mediaType":"text/plain"})", "x");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), Code::kUnsupported);
  EXPECT_NE(unknown.error().str().find("text/plain"), std::string::npos);
  auto schema1 = Index::parse(R"({"schemaVersion":1})", "x");
  ASSERT_FALSE(schema1);
  EXPECT_EQ(schema1.error().code(), Code::kUnsupported);
}

TEST(Index, MalformedIndexesAreCorruptNamingTheEntry) {
  for (auto [doc, text] : std::initializer_list<std::pair<const char*, const char*>>{
           {"{", "invalid JSON"},
           {R"({"schemaVersion":2})", "'manifests'"},
           {R"({"schemaVersion":2,"manifests":{}})", "'manifests'"},
           {R"({"schemaVersion":2,"manifests":[{"mediaType":"x","digest":"sha256:1","size":1}]})",
            "manifests[0]: invalid digest 'sha256:1'"},
       }) {
    auto idx = Index::parse(doc, "index.json");
    ASSERT_FALSE(idx) << doc;
    EXPECT_EQ(idx.error().code(), Code::kCorrupt) << doc;
    EXPECT_NE(idx.error().str().find(text), std::string::npos) << idx.error().str();
    EXPECT_EQ(idx.error().str().rfind("index.json", 0), 0u) << idx.error().str();
  }
}

TEST(Index, SelectPlatformPicksTheExactMatch) {
  Index idx = parsed_index(kOciIndexDoc);
  auto arm = select_platform(idx, *Platform::parse("linux/arm64"));
  ASSERT_TRUE(arm) << arm.error().str();
  EXPECT_EQ(arm->digest, idx.manifests[1].digest);
  auto amd = select_platform(idx, *Platform::parse("linux/amd64"));
  ASSERT_TRUE(amd);
  EXPECT_EQ(amd->digest, idx.manifests[0].digest);
}

TEST(Index, SelectPlatformPrefersTheClosestOlderVariant) {
  Index idx;
  idx.manifests = {entry("v5", "linux/arm/v5"), entry("v6", "linux/arm/v6"),
                   entry("v8", "linux/arm64")};
  auto got = select_platform(idx, *Platform::parse("linux/arm/v7"));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->digest, Digest::sha256_of("v6"));
  idx.manifests.push_back(entry("v7", "linux/arm/v7"));
  EXPECT_EQ(select_platform(idx, *Platform::parse("linux/arm/v7"))->digest,
            Digest::sha256_of("v7"));
}

TEST(Index, SelectPlatformFailsWithNotFoundNamingThePlatform) {
  Index idx = parsed_index(kDockerListDoc);
  auto got = select_platform(idx, *Platform::parse("linux/s390x"));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), Code::kNotFound);
  EXPECT_EQ(got.error().message(),
            "no matching manifest for linux/s390x in the manifest list entries");
}

TEST(Index, SelectPlatformFallsBackToAnEntryWithoutPlatform) {
  Index idx;
  idx.manifests = {entry("other", "linux/ppc64le"), entry("plain", nullptr)};
  auto got = select_platform(idx, *Platform::parse("linux/amd64"));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->digest, Digest::sha256_of("plain"));
  idx.manifests.push_back(entry("amd", "linux/amd64"));
  EXPECT_EQ(select_platform(idx, *Platform::parse("linux/amd64"))->digest,
            Digest::sha256_of("amd"));
}

}  // namespace
}  // namespace berth::oci
