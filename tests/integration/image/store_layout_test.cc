// The store root is an OCI image layout (oci-layout, index.json, blobs/sha256/…) whose index
// names images by their full normalised reference (docs/dev/store.md).
#include "sandbox.h"

namespace berth::it {
namespace {

class StoreLayout : public BusyboxTest {};

TEST_F(StoreLayout, TheStoreRootIsAnOciImageLayout) {
  Json layout = parse_json(read_file(sb().root() + "/oci-layout"), "oci-layout");
  EXPECT_EQ(layout, Json({{"imageLayoutVersion", "1.0.0"}}));
  Json index = sb().index();
  ASSERT_TRUE(index.is_object());
  EXPECT_EQ(index["schemaVersion"], 2);
  Json entry = sb().index_entry("docker.io/library/busybox:latest");
  ASSERT_TRUE(entry.is_object()) << index.dump(2);
  EXPECT_EQ(entry["mediaType"], "application/vnd.oci.image.manifest.v1+json");
  Json manifest = sb().manifest("docker.io/library/busybox:latest");
  ASSERT_TRUE(manifest.is_object());
  EXPECT_EQ(manifest["schemaVersion"], 2);
  EXPECT_EQ(manifest["config"]["mediaType"], "application/vnd.oci.image.config.v1+json");
  EXPECT_EQ(manifest["config"]["digest"], busybox_) << "the image ID is the config digest";
  ASSERT_EQ(manifest["layers"].size(), 1u);
  EXPECT_TRUE(manifest["layers"][0]["mediaType"].get<std::string>().starts_with(
      "application/vnd.oci.image.layer.v1.tar"));
  EXPECT_EQ(sb().store_problems(), "");
  // The config's diff IDs are what inspect reports.
  Json cfg = parse_json(sb().blob(busybox_), "config");
  EXPECT_EQ(cfg["rootfs"]["diff_ids"], inspect("busybox")["RootFS"]["Layers"]);
}

TEST_F(StoreLayout, EveryBlobIsNamedByItsDigest) {
  ASSERT_FALSE(sb().import_tar(tiny_rootfs_tar("blob"), "tiny:1").empty());
  auto blobs = list_tree(sb().root() + "/blobs/sha256");
  EXPECT_GE(blobs.size(), 6u) << "two images: manifest, config and layer each";
  for (const auto& name : blobs) {
    EXPECT_EQ(sha256_hex(read_file(sb().root() + "/blobs/sha256/" + name)), name);
  }
}

TEST_F(StoreLayout, IndexNamesImagesByTheirFullNormalisedReference) {
  for (const char* name : {"me/app", "localhost:5000/team/app:v1", "quay.io/org/tool:2",
                           "docker.io/library/alpine:3.19"}) {
    berth_ok({"tag", "busybox", name});
  }
  Json bb = sb().index_entry("docker.io/library/busybox:latest");
  ASSERT_TRUE(bb.is_object());
  for (const char* full : {"docker.io/me/app:latest", "localhost:5000/team/app:v1",
                           "quay.io/org/tool:2", "docker.io/library/alpine:3.19"}) {
    Json e = sb().index_entry(full);
    ASSERT_TRUE(e.is_object()) << full << " missing from index.json:\n" << sb().index().dump(2);
    EXPECT_EQ(e["digest"], bb["digest"]) << full;
  }
}

TEST_F(StoreLayout, AnUntaggedImageKeepsAnIndexEntryWithoutAName) {
  std::string id = sb().import_tar(tiny_rootfs_tar("unnamed"), "");
  ASSERT_FALSE(id.empty());
  bool found = false;
  Json index = sb().index();
  for (const auto& m : index["manifests"]) {
    Json manifest = parse_json(sb().blob(m["digest"]), "manifest");
    if (manifest["config"]["digest"] == id) {
      found = true;
      EXPECT_FALSE(m.contains("annotations") &&
                   m["annotations"].contains("org.opencontainers.image.ref.name"))
          << m.dump();
    }
  }
  EXPECT_TRUE(found) << "the untagged image is in index.json:\n" << sb().index().dump(2);
}

TEST_F(StoreLayout, RmiRemovesTheNameFromIndexJson) {
  berth_ok({"tag", "busybox", "gone:1"});
  ASSERT_TRUE(sb().index_entry("docker.io/library/gone:1").is_object());
  berth_ok({"rmi", "gone:1"});
  EXPECT_TRUE(sb().index_entry("docker.io/library/gone:1").is_null());
  EXPECT_TRUE(sb().index_entry("docker.io/library/busybox:latest").is_object());
}

TEST_F(StoreLayout, ImportLeavesNoTemporaryFiles) {
  ASSERT_FALSE(sb().import_tar(tiny_rootfs_tar("tmp"), "tmp:1").empty());
  for (const auto& path : list_tree(sb().root())) {
    EXPECT_EQ(path.find(".tmp"), std::string::npos) << path;
    EXPECT_FALSE(path.starts_with("ingest/")) << path;
  }
}

}  // namespace
}  // namespace berth::it
