#include "registry/manifest_fetch.h"

#include <gtest/gtest.h>

#include "http/fake_server.h"
#include "oci/media_types.h"

namespace berth::registry {
namespace {

using testing::FakeRequest;
using testing::FakeServer;

TEST(ManifestMediaType, DocumentMediaTypeWinsOverContentType) {
  auto t = manifest_media_type(
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})",
      "application/json", "m");
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, oci::kOciIndex);
}

TEST(ManifestMediaType, ContentTypeWithParametersIsUsedWhenTheDocumentHasNone) {
  auto t = manifest_media_type(
      R"({"schemaVersion":2,"layers":[]})",
      "application/vnd.docker.distribution.manifest.v2+json; charset=utf-8", "m");
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, oci::kDockerManifest);
}

TEST(ManifestMediaType, ShapeDecidesForPlainJson) {
  EXPECT_EQ(*manifest_media_type(R"({"schemaVersion":2,"manifests":[]})", "application/json", "m"),
            oci::kOciIndex);
  EXPECT_EQ(*manifest_media_type(R"({"schemaVersion":2,"layers":[]})", "", "m"), oci::kOciManifest);
  EXPECT_EQ(*manifest_media_type(R"({"schemaVersion":1,"fsLayers":[]})", "", "m"),
            oci::kDockerSchema1);
}

TEST(ManifestMediaType, NotJsonIsCorrupt) {
  auto t = manifest_media_type("<html>", "text/html", "manifest for x:1");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code(), Code::kCorrupt);
  EXPECT_NE(t.error().str().find("manifest for x:1"), std::string::npos);
}

TEST(ManifestAccept, OffersEveryManifestAndIndexType) {
  std::string a = manifest_accept();
  for (auto t :
       {oci::kOciIndex, oci::kOciManifest, oci::kDockerManifestList, oci::kDockerManifest}) {
    EXPECT_NE(a.find(t), std::string::npos) << t;
  }
}

struct ManifestServer : ::testing::Test {
  std::string body;
  int status = 200;
  FakeServer server{[this](const FakeRequest& r) {
    if (r.target == "/v2/") {
      return FakeServer::response(200, "{}");
    }
    return FakeServer::response(status, body,
                                {"Content-Type: application/vnd.oci.image.manifest.v1+json"});
  }};
  http::Client client;
  Session session{client,
                  Endpoint{"127.0.0.1", "127.0.0.1:" + std::to_string(server.port()), "app", true},
                  {},
                  {}};
};

TEST_F(ManifestServer, ManifestIsFetchedWithItsDigestAndType) {
  body =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]})";
  auto m = fetch_manifest(session, "latest", "127.0.0.1/app:latest");
  ASSERT_TRUE(m) << m.error().str();
  EXPECT_EQ(m->media_type, oci::kOciManifest);
  EXPECT_EQ(m->digest, oci::Digest::sha256_of(body));
  EXPECT_NE(server.requests().back().headers.at("accept").find(oci::kDockerManifestList),
            std::string::npos);
}

TEST_F(ManifestServer, UnknownTagIsOneNotFoundLine) {
  status = 404;
  body = R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})";
  auto m = fetch_manifest(session, "nope", "127.0.0.1/app:nope");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code(), Code::kNotFound);
  EXPECT_EQ(m.error().str(), "manifest for 127.0.0.1/app:nope not found: manifest unknown");
}

TEST_F(ManifestServer, ManifestOverFourMegabytesIsRefused) {
  body = R"({"schemaVersion":2,"x":")" + std::string(5 << 20, 'a') + "\"}";
  auto m = fetch_manifest(session, "big", "app:big");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code(), Code::kCorrupt);
  EXPECT_NE(m.error().str().find("larger than 4 MiB"), std::string::npos);
}

TEST_F(ManifestServer, ManifestByDigestMustHashToIt) {
  body = R"({"schemaVersion":2,"layers":[]})";
  std::string other = oci::Digest::sha256_of("other").str();
  auto m = fetch_manifest(session, other, "app@" + other);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code(), Code::kCorrupt);
  EXPECT_NE(m.error().str().find("digest mismatch"), std::string::npos);
}

TEST_F(ManifestServer, SchemaOneIsUnsupported) {
  body = R"({"schemaVersion":1,"fsLayers":[]})";
  auto m = fetch_manifest(session, "old", "app:old");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code(), Code::kUnsupported);
}

}  // namespace
}  // namespace berth::registry
