#include "oci/descriptor.h"

#include <gtest/gtest.h>

#include "oci/media_types.h"

namespace berth::oci {
namespace {

constexpr std::string_view kDigest =
    "sha256:b79606fb3afea5bd1609ed40b622142f1c98125abcfe89a76a661b0e8e343910";

Result<Descriptor> from_text(std::string_view text) {
  return Descriptor::from_json(*parse_json(text, "t"), "index.json");
}

Descriptor sample() {
  Descriptor d;
  d.media_type = std::string(kOciManifest);
  d.digest = *Digest::parse(kDigest);
  d.size = 528;
  return d;
}

TEST(Descriptor, OciOrderPutsDigestBeforeSizeAndOmitsEmptyMembers) {
  EXPECT_EQ(to_go_json(sample().to_json()),
            R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
                std::string(kDigest) + R"(","size":528})");
}

TEST(Descriptor, DockerOrderPutsSizeBeforeDigest) {
  EXPECT_EQ(to_go_json(sample().to_json(/*docker_order=*/true)),
            R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","size":528,"digest":")" +
                std::string(kDigest) + R"("})");
}

TEST(Descriptor, AllMembersRoundTripInGoOrder) {
  Descriptor d = sample();
  d.urls = {"https://example.com/blob"};
  d.annotations = {{"org.opencontainers.image.ref.name", "v1"}, {"a", "b"}};
  d.platform = Platform{"linux", "arm64", "v8", "", {}};
  d.artifact_type = "application/vnd.example+json";
  std::string text = to_go_json(d.to_json());
  EXPECT_EQ(text, R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
                      std::string(kDigest) +
                      R"(","size":528,"urls":["https://example.com/blob"],"annotations":{"a":"b",)"
                      R"("org.opencontainers.image.ref.name":"v1"},"platform":{"architecture":)"
                      R"("arm64","os":"linux","variant":"v8"},"artifactType":)"
                      R"("application/vnd.example+json"})");
  auto back = from_text(text);
  ASSERT_TRUE(back) << back.error().str();
  EXPECT_EQ(*back, d);
}

TEST(Descriptor, MissingOrMistypedMembersAreCorruptNamingTheDocument) {
  std::string digest(kDigest);
  for (const std::string& bad : std::vector<std::string>{
           R"({"digest":")" + digest + R"(","size":1})",
           std::string(R"({"mediaType":"x","size":1})"),
           R"({"mediaType":"x","digest":")" + digest + R"("})",
           R"({"mediaType":"x","digest":")" + digest + R"(","size":"1"})",
           R"({"mediaType":"x","digest":")" + digest + R"(","size":1.5})",
           R"({"mediaType":7,"digest":")" + digest + R"(","size":1})",
           R"({"mediaType":"x","digest":")" + digest + R"(","size":1,"urls":"u"})",
           R"({"mediaType":"x","digest":")" + digest + R"(","size":1,"annotations":{"a":1}})",
           R"({"mediaType":"x","digest":")" + digest + R"(","size":1,"platform":{"os":"linux"}})",
           "[]",
           "\"str\"",
       }) {
    auto d = from_text(bad);
    ASSERT_FALSE(d) << bad;
    EXPECT_EQ(d.error().code(), Code::kCorrupt) << bad;
    EXPECT_EQ(d.error().str().rfind("index.json: ", 0), 0u) << d.error().str();
  }
}

TEST(Descriptor, InvalidDigestAndNegativeSizeAreCorrupt) {
  auto bad_digest = from_text(R"({"mediaType":"x","digest":"sha256:abc","size":1})");
  ASSERT_FALSE(bad_digest);
  EXPECT_EQ(bad_digest.error().code(), Code::kCorrupt);
  EXPECT_NE(bad_digest.error().str().find("sha256:abc"), std::string::npos);
  auto negative =
      from_text(R"({"mediaType":"x","digest":")" + std::string(kDigest) + R"(","size":-1})");
  ASSERT_FALSE(negative);
  EXPECT_NE(negative.error().str().find("negative size"), std::string::npos);
}

}  // namespace
}  // namespace berth::oci
