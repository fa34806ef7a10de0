// `berth history`, `berth image prune` and `berth system df`.
#include <algorithm>
#include <set>

#include "sandbox.h"

namespace berth::it {
namespace {

const std::vector<std::string> kHistoryColumns = {"IMAGE", "CREATED", "CREATED BY", "SIZE",
                                                  "COMMENT"};
const std::vector<std::string> kDfColumns = {"TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"};

class HistoryCommand : public SandboxTest {};

TEST_F(HistoryCommand, HistoryShowsTheImportAsOneRow) {
  write_file(sb().work("hist.tar"), tiny_rootfs_tar("history"));
  auto imported = berth_ok({"import", sb().work("hist.tar"), "hist:1"});
  std::string id = imported.out.substr(0, imported.out.size() - 1);
  ASSERT_TRUE(is_image_id(id)) << imported.describe();
  auto rows = parse_table(berth_ok({"history", "hist:1"}).out, kHistoryColumns);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["IMAGE"], id.substr(7, 12));
  EXPECT_TRUE(is_recent_created_since(rows[0]["CREATED"])) << rows[0]["CREATED"];
  EXPECT_EQ(rows[0]["CREATED BY"], "");
  EXPECT_EQ(rows[0]["SIZE"], docker_size(inspect("hist:1")["Size"].get<double>()));
  EXPECT_TRUE(rows[0]["COMMENT"].starts_with("Imported from ")) << rows[0]["COMMENT"];
  // `image history` is the same command.
  EXPECT_EQ(parse_table(berth_ok({"image", "history", "hist:1"}).out, kHistoryColumns).size(), 1u);
}

TEST_F(HistoryCommand, HistoryShowsTheImportMessage) {
  ASSERT_FALSE(sb().import_tar(tiny_rootfs_tar("m"), "msg:1", {"-m", "first import"}).empty());
  auto rows = parse_table(berth_ok({"history", "msg:1"}).out, kHistoryColumns);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["COMMENT"], "first import");
}

TEST_F(HistoryCommand, HistoryNoTruncAndQuietPrintTheFullAndShortId) {
  std::string id = sb().import_tar(tiny_rootfs_tar("nt"), "nt:1");
  ASSERT_FALSE(id.empty());
  auto rows = parse_table(berth_ok({"history", "--no-trunc", "nt:1"}).out, kHistoryColumns);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["IMAGE"], id);
  EXPECT_EQ(berth_ok({"history", "-q", "nt:1"}).out, id.substr(7, 12) + "\n");
}

TEST_F(HistoryCommand, HistoryOfAnUnknownImageFails) {
  auto r = berth({"history", "nosuch:1"});
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.err.find("No such image"), std::string::npos) << r.describe();
}

class ImagePrune : public BusyboxTest {};

TEST_F(ImagePrune, PruneRemovesOnlyDanglingImages) {
  std::string tar = tiny_rootfs_tar("dangling");
  std::string dangling = sb().import_tar(tar, "");
  ASSERT_FALSE(dangling.empty());
  auto r = berth_ok({"image", "prune", "-f"});
  auto lines = split_lines(r.out);
  ASSERT_GE(lines.size(), 3u) << r.out;
  EXPECT_EQ(lines[0], "Deleted Images:");
  EXPECT_NE(std::find(lines.begin(), lines.end(), "deleted: " + dangling), lines.end()) << r.out;
  EXPECT_TRUE(lines.back().starts_with("Total reclaimed space: ")) << r.out;
  EXPECT_NE(lines.back(), "Total reclaimed space: 0B") << r.out;
  EXPECT_EQ(berth_ok({"images", "-q", "--no-trunc"}).out, busybox_ + "\n");
  EXPECT_FALSE(path_exists(sb().root() + "/blobs/sha256/" + dangling.substr(7)));
  EXPECT_FALSE(path_exists(sb().root() + "/blobs/sha256/" + sha256_hex(tar)));
  EXPECT_EQ(sb().store_problems(), "");
}

TEST_F(ImagePrune, PruneAllRemovesUnusedTaggedImagesToo) {
  auto r = berth_ok({"image", "prune", "-a", "-f"});
  auto lines = split_lines(r.out);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "untagged: busybox:latest"), lines.end())
      << r.out;
  EXPECT_NE(std::find(lines.begin(), lines.end(), "deleted: " + busybox_), lines.end()) << r.out;
  EXPECT_EQ(berth_ok({"images", "-q"}).out, "");
  EXPECT_EQ(list_tree(sb().root() + "/blobs"), std::vector<std::string>{});
}

TEST_F(ImagePrune, PruneWithNothingToRemoveReclaimsZeroAndChangesNothing) {
  auto before = sb().snapshot();
  auto r = berth_ok({"image", "prune", "-f"});
  EXPECT_EQ(r.out, "Total reclaimed space: 0B\n");
  EXPECT_TRUE(sb().snapshot() == before) << sb().snapshot().diff_from(before);
}

TEST_F(ImagePrune, PruneWithoutForceAsksAndKeepsEverythingOnNo) {
  ASSERT_FALSE(sb().import_tar(tiny_rootfs_tar("keep"), "").empty());
  auto before = sb().snapshot();
  RunOptions o;
  o.input = "n\n";
  auto r = berth({"image", "prune"}, o);
  EXPECT_NE(r.out.find("Are you sure you want to continue? [y/N]"), std::string::npos)
      << r.describe();
  EXPECT_TRUE(sb().snapshot() == before) << sb().snapshot().diff_from(before);
}

class SystemDf : public SandboxTest {};

TEST_F(SystemDf, SystemDfCountsImagesAndTheirSize) {
  ASSERT_FALSE(sb().make_busybox().empty());
  ASSERT_FALSE(sb().import_tar(tiny_rootfs_tar("df"), "tiny:1").empty());
  double total = inspect("busybox")["Size"].get<double>() + inspect("tiny:1")["Size"].get<double>();
  auto r = berth_ok({"system", "df"});
  auto rows = parse_table(r.out, kDfColumns);
  ASSERT_EQ(rows.size(), 4u) << r.out;
  EXPECT_EQ(rows[0]["TYPE"], "Images");
  EXPECT_EQ(rows[1]["TYPE"], "Containers");
  EXPECT_EQ(rows[2]["TYPE"], "Local Volumes");
  EXPECT_EQ(rows[3]["TYPE"], "Build Cache");
  EXPECT_EQ(rows[0]["TOTAL"], "2");
  EXPECT_EQ(rows[0]["ACTIVE"], "0");
  EXPECT_EQ(rows[0]["SIZE"], docker_size(total));
  // No container uses them: all of it can be reclaimed.
  EXPECT_EQ(rows[0]["RECLAIMABLE"], docker_size(total) + " (100%)");
}

TEST_F(SystemDf, SystemDfCountsASharedLayerOnce) {
  std::string tar = tiny_rootfs_tar("shared");
  ASSERT_FALSE(sb().import_tar(tar, "a:1").empty());
  ASSERT_FALSE(sb().import_tar(tar, "b:1", {"-c", "ENV B=1"}).empty());
  double one = inspect("a:1")["Size"].get<double>();
  auto rows = parse_table(berth_ok({"system", "df"}).out, kDfColumns);
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0]["TOTAL"], "2");
  EXPECT_EQ(rows[0]["SIZE"], docker_size(one));
}

TEST_F(SystemDf, SystemDfOfAnEmptyStoreShowsZeros) {
  auto rows = parse_table(berth_ok({"system", "df"}).out, kDfColumns);
  ASSERT_EQ(rows.size(), 4u);
  for (auto& row : rows) {
    EXPECT_EQ(row["TOTAL"], "0") << row["TYPE"];
    EXPECT_EQ(row["ACTIVE"], "0") << row["TYPE"];
    EXPECT_EQ(row["SIZE"], "0B") << row["TYPE"];
    EXPECT_EQ(row["RECLAIMABLE"], "0B") << row["TYPE"];
  }
}

TEST_F(SystemDf, SystemDfFormatPrintsTemplateFields) {
  ASSERT_FALSE(sb().import_tar(tiny_rootfs_tar("fmt"), "tiny:1").empty());
  auto r = berth_ok({"system", "df", "--format", "{{.Type}}={{.TotalCount}}"});
  EXPECT_EQ(r.out, "Images=1\nContainers=0\nLocal Volumes=0\nBuild Cache=0\n");
}

}  // namespace
}  // namespace berth::it
