#include "oci/docker_archive.h"

#include <gtest/gtest.h>

namespace berth::oci {
namespace {

// As `docker save` (moby's tarexport) writes it, for one tagged and one untagged image.
constexpr std::string_view kManifestJson =
    R"([{"Config":"b79606fb3afea5bd1609ed40b622142f1c98125abcfe89a76a661b0e8e343910.json",)"
    R"("RepoTags":["busybox:latest","localhost:5000/busybox:1"],)"
    R"("Layers":["77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2/layer.tar"]},)"
    R"({"Config":"blobs/sha256/95cf1a2e1698fe3ca1fcc3f653119146b271d0b62e487ec264441e886a11bd06",)"
    R"("RepoTags":null,"Layers":[]}])";

TEST(DockerArchive, ManifestJsonRoundTripsByteForByte) {
  auto entries = parse_docker_archive_manifest(kManifestJson, "manifest.json");
  ASSERT_TRUE(entries) << entries.error().str();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].repo_tags,
            (std::vector<std::string>{"busybox:latest", "localhost:5000/busybox:1"}));
  EXPECT_EQ((*entries)[0].layers.size(), 1u);
  EXPECT_TRUE((*entries)[1].repo_tags.empty());
  EXPECT_EQ((*entries)[1].config,
            "blobs/sha256/95cf1a2e1698fe3ca1fcc3f653119146b271d0b62e487ec264441e886a11bd06");
  EXPECT_EQ(serialize_docker_archive_manifest(*entries), kManifestJson);
}

TEST(DockerArchive, MissingRepoTagsAndExtraMembersAreTolerated) {
  auto entries = parse_docker_archive_manifest(
      R"([{"Config":"c.json","Layers":["l/layer.tar"],"Parent":"sha256:x","LayerSources":{}}])",
      "manifest.json");
  ASSERT_TRUE(entries) << entries.error().str();
  EXPECT_EQ((*entries)[0], (DockerArchiveEntry{"c.json", {}, {"l/layer.tar"}}));
}

TEST(DockerArchive, MalformedManifestsAreCorruptNamingTheEntry) {
  for (auto [doc, text] : std::initializer_list<std::pair<const char*, const char*>>{
           {"[", "invalid JSON"},
           {R"({"Config":"c"})", "not a JSON array"},
           {R"([{"Layers":[]}])", "entry 0: missing field 'Config'"},
           {R"([{"Config":"c","Layers":[]},{"Config":"d"}])", "entry 1: missing field 'Layers'"},
           {R"([{"Config":"c","Layers":[1]}])", "field 'Layers'"},
           {R"([{"Config":"c","RepoTags":"a:b","Layers":[]}])", "field 'RepoTags'"},
           {R"([7])", "entry 0"},
       }) {
    auto entries = parse_docker_archive_manifest(doc, "image.tar: manifest.json");
    ASSERT_FALSE(entries) << doc;
    EXPECT_EQ(entries.error().code(), Code::kCorrupt);
    EXPECT_NE(entries.error().str().find(text), std::string::npos) << entries.error().str();
    EXPECT_EQ(entries.error().str().rfind("image.tar: manifest.json", 0), 0u);
  }
}

}  // namespace
}  // namespace berth::oci
