// `berth tag` and `berth rmi`: names in index.json, untagging, deletion, docker's conflicts.
#include <set>

#include "sandbox.h"

namespace berth::it {
namespace {

class TagCommand : public BusyboxTest {};

TEST_F(TagCommand, TagAddsANameForTheSameImage) {
  auto r = berth_ok({"tag", "busybox", "mybox:v1"});
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(inspect("mybox:v1")["Id"], busybox_);
  Json tags = inspect("busybox")["RepoTags"];
  EXPECT_EQ(std::set<std::string>(tags.begin(), tags.end()),
            (std::set<std::string>{"busybox:latest", "mybox:v1"}));
  Json a = sb().index_entry("docker.io/library/busybox:latest");
  Json b = sb().index_entry("docker.io/library/mybox:v1");
  ASSERT_TRUE(a.is_object() && b.is_object()) << sb().index().dump(2);
  EXPECT_EQ(a["digest"], b["digest"]) << "both names point at the same manifest";
}

TEST_F(TagCommand, TagWithoutATagMeansLatest) {
  berth_ok({"tag", "busybox:latest", "plain"});
  EXPECT_EQ(inspect("plain:latest")["Id"], busybox_);
}

TEST_F(TagCommand, TagByImageIdWorks) {
  berth_ok({"tag", busybox_.substr(7, 12), "byid:1"});
  EXPECT_EQ(inspect("byid:1")["Id"], busybox_);
}

TEST_F(TagCommand, TagMovesANameFromAnotherImage) {
  std::string tiny = sb().import_tar(tiny_rootfs_tar("moved"), "moved:1");
  ASSERT_FALSE(tiny.empty());
  berth_ok({"tag", "busybox", "moved:1"});
  EXPECT_EQ(inspect("moved:1")["Id"], busybox_);
  // The image that lost its only name is dangling, as docker's <none>:<none>.
  EXPECT_EQ(inspect(tiny)["RepoTags"], Json::array());
  EXPECT_EQ(berth_ok({"images", "-f", "dangling=true", "-q", "--no-trunc"}).out, tiny + "\n");
  EXPECT_EQ(sb().store_problems(), "");
}

TEST_F(TagCommand, TagRefusesMalformedReferencesAndChangesNothing) {
  for (const char* bad :
       {"UPPER:x", "busybox:bad tag", "a//b", ":nope", "x:-tag", "name@sha256:12"}) {
    auto before = sb().snapshot();
    auto r = berth({"tag", "busybox", bad});
    SCOPED_TRACE(bad);
    expect_refused(r, {bad}, before, sb().snapshot());
  }
}

TEST_F(TagCommand, TagOfAnUnknownImageFailsAndChangesNothing) {
  auto before = sb().snapshot();
  auto r = berth({"tag", "nosuch:1", "x:1"});
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(is_one_line(r.err)) << r.describe();
  EXPECT_NE(r.err.find("No such image"), std::string::npos) << r.describe();
  EXPECT_TRUE(sb().snapshot() == before) << sb().snapshot().diff_from(before);
}

class RmiCommand : public TagCommand {};

TEST_F(RmiCommand, RmiOfOneOfSeveralNamesOnlyUntags) {
  berth_ok({"tag", "busybox", "mybox:v1"});
  auto r = berth_ok({"rmi", "mybox:v1"});
  EXPECT_EQ(r.out, "Untagged: mybox:v1\n");
  EXPECT_EQ(inspect("busybox")["Id"], busybox_);
  EXPECT_TRUE(sb().index_entry("docker.io/library/mybox:v1").is_null());
  EXPECT_EQ(sb().store_problems(), "");
}

TEST_F(RmiCommand, RmiOfTheLastNameDeletesTheImage) {
  Json manifest = sb().manifest("docker.io/library/busybox:latest");
  ASSERT_TRUE(manifest.is_object());
  std::string layer = manifest["layers"][0]["digest"];
  auto r = berth_ok({"rmi", "busybox"});
  auto lines = split_lines(r.out);
  ASSERT_GE(lines.size(), 2u) << r.out;
  EXPECT_EQ(lines[0], "Untagged: busybox:latest");
  EXPECT_NE(std::find(lines.begin(), lines.end(), "Deleted: " + busybox_), lines.end()) << r.out;
  EXPECT_EQ(berth_ok({"images", "-q"}).out, "");
  // Its blobs are gone: config, manifest and layer.
  EXPECT_FALSE(path_exists(sb().root() + "/blobs/sha256/" + busybox_.substr(7)));
  EXPECT_FALSE(path_exists(sb().root() + "/blobs/sha256/" + layer.substr(7)));
  EXPECT_EQ(list_tree(sb().root() + "/blobs"), std::vector<std::string>{});
  EXPECT_EQ(sb().store_problems(), "");
}

TEST_F(RmiCommand, RmiByIdOfAnImageInSeveralRepositoriesNeedsForce) {
  berth_ok({"tag", "busybox", "other:1"});
  auto before = sb().snapshot();
  auto r = berth({"rmi", busybox_.substr(7, 12)});
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(is_one_line(r.err)) << r.describe();
  EXPECT_NE(r.err.find("must be forced"), std::string::npos) << r.describe();
  EXPECT_NE(r.err.find("referenced in multiple repositories"), std::string::npos) << r.describe();
  EXPECT_TRUE(sb().snapshot() == before) << sb().snapshot().diff_from(before);

  auto forced = berth_ok({"rmi", "-f", busybox_.substr(7, 12)});
  auto lines = split_lines(forced.out);
  std::set<std::string> got(lines.begin(), lines.end());
  EXPECT_TRUE(got.count("Untagged: busybox:latest") && got.count("Untagged: other:1") &&
              got.count("Deleted: " + busybox_))
      << forced.out;
  EXPECT_EQ(berth_ok({"images", "-q"}).out, "");
}

TEST_F(RmiCommand, RmiByIdOfAnImageWithNamesInOneRepositoryDeletesIt) {
  berth_ok({"tag", "busybox", "busybox:1.35"});
  auto r = berth_ok({"rmi", busybox_});
  auto lines = split_lines(r.out);
  std::set<std::string> got(lines.begin(), lines.end());
  EXPECT_TRUE(got.count("Untagged: busybox:latest") && got.count("Untagged: busybox:1.35") &&
              got.count("Deleted: " + busybox_))
      << r.out;
  EXPECT_EQ(berth_ok({"images", "-q"}).out, "");
}

TEST_F(RmiCommand, RmiKeepsALayerAnotherImageStillUses) {
  std::string tar = tiny_rootfs_tar("shared");
  std::string a = sb().import_tar(tar, "a:1");
  std::string b = sb().import_tar(tar, "b:1", {"--change", "ENV X=1"});
  ASSERT_FALSE(a.empty() || b.empty());
  ASSERT_NE(a, b);
  berth_ok({"rmi", "a:1"});
  EXPECT_EQ(inspect("b:1")["Id"], b);
  EXPECT_TRUE(path_exists(sb().root() + "/blobs/sha256/" + sha256_hex(tar)))
      << "b:1's layer blob must survive the removal of a:1";
  EXPECT_EQ(sb().store_problems(), "");
}

TEST_F(RmiCommand, RmiOfSeveralImagesRemovesEach) {
  std::string tiny = sb().import_tar(tiny_rootfs_tar("several"), "tiny:1");
  ASSERT_FALSE(tiny.empty());
  auto r = berth_ok({"rmi", "busybox", "tiny:1"});
  EXPECT_NE(r.out.find("Deleted: " + busybox_), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Deleted: " + tiny), std::string::npos) << r.out;
  EXPECT_EQ(berth_ok({"images", "-q"}).out, "");
}

TEST_F(RmiCommand, RmiOfAnUnknownImageFailsAndChangesNothing) {
  auto before = sb().snapshot();
  auto r = berth({"rmi", "nosuch:1"});
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.err.find("No such image"), std::string::npos) << r.describe();
  EXPECT_TRUE(sb().snapshot() == before) << sb().snapshot().diff_from(before);
}

}  // namespace
}  // namespace berth::it
