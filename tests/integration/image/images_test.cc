// `berth images`: docker's columns, familiar names, -q, --digests, --no-trunc, --format, --filter.
#include <algorithm>
#include <filesystem>
#include <set>
#include <thread>

#include "sandbox.h"

namespace berth::it {
namespace {

const std::vector<std::string> kColumns = {"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"};

class ImagesCommand : public BusyboxTest {
 protected:
  std::string short_id(const std::string& id) { return id.substr(7, 12); }

  std::vector<std::string> sorted_lines(const std::string& text) {
    auto l = split_lines(text);
    std::sort(l.begin(), l.end());
    return l;
  }
};

TEST_F(ImagesCommand, ImagesListsRepositoryTagIdCreatedAndSize) {
  auto r = berth_ok({"images"});
  auto rows = parse_table(r.out, kColumns);
  ASSERT_EQ(rows.size(), 1u) << r.out;
  EXPECT_EQ(rows[0]["REPOSITORY"], "busybox");
  EXPECT_EQ(rows[0]["TAG"], "latest");
  EXPECT_EQ(rows[0]["IMAGE ID"], short_id(busybox_));
  EXPECT_TRUE(is_recent_created_since(rows[0]["CREATED"])) << rows[0]["CREATED"];
  Json j = inspect("busybox");
  ASSERT_TRUE(j["Size"].is_number());
  EXPECT_EQ(rows[0]["SIZE"], docker_size(j["Size"].get<double>()));
  // `image ls` is the same command.
  EXPECT_EQ(mask_created_since(berth_ok({"image", "ls"}).out), mask_created_since(r.out));
}

TEST_F(ImagesCommand, ImagesShowsFamiliarNames) {
  for (const char* name : {"docker.io/library/alpine:3", "docker.io/me/app:v1",
                           "localhost:5000/team/app:v2", "quay.io/org/tool:x"}) {
    berth_ok({"tag", "busybox", name});
  }
  auto r = berth_ok({"images", "--format", "{{.Repository}} {{.Tag}}"});
  EXPECT_EQ(sorted_lines(r.out),
            (std::vector<std::string>{"alpine 3", "busybox latest", "localhost:5000/team/app v2",
                                      "me/app v1", "quay.io/org/tool x"}));
}

TEST_F(ImagesCommand, ImagesListsAnImageOncePerName) {
  berth_ok({"tag", "busybox", "busybox:1.35"});
  auto rows = parse_table(berth_ok({"images"}).out, kColumns);
  ASSERT_EQ(rows.size(), 2u);
  std::set<std::string> tags;
  for (auto& row : rows) {
    EXPECT_EQ(row["REPOSITORY"], "busybox");
    EXPECT_EQ(row["IMAGE ID"], short_id(busybox_));
    tags.insert(row["TAG"]);
  }
  EXPECT_EQ(tags, (std::set<std::string>{"1.35", "latest"}));
}

TEST_F(ImagesCommand, ImagesQuietPrintsEachImageIdOnce) {
  berth_ok({"tag", "busybox", "other:1"});
  std::string tiny = sb().import_tar(tiny_rootfs_tar("q"), "tiny:1");
  ASSERT_FALSE(tiny.empty());
  auto r = berth_ok({"images", "-q"});
  EXPECT_EQ(sorted_lines(r.out), sorted_lines(short_id(busybox_) + "\n" + short_id(tiny) + "\n"));
  auto full = berth_ok({"images", "-q", "--no-trunc"});
  EXPECT_EQ(sorted_lines(full.out), sorted_lines(busybox_ + "\n" + tiny + "\n"));
}

TEST_F(ImagesCommand, ImagesNoTruncPrintsFullIds) {
  auto rows = parse_table(berth_ok({"images", "--no-trunc"}).out, kColumns);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["IMAGE ID"], busybox_);
}

TEST_F(ImagesCommand, ImagesDigestsAddsADigestColumn) {
  auto rows = parse_table(berth_ok({"images", "--digests"}).out,
                          {"REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE"});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["REPOSITORY"], "busybox");
  // An imported image was never pushed or pulled: it has no repository digest.
  EXPECT_EQ(rows[0]["DIGEST"], "<none>");
  EXPECT_EQ(rows[0]["IMAGE ID"], short_id(busybox_));
}

TEST_F(ImagesCommand, ImagesFormatRendersAGoTemplatePerImage) {
  double size = inspect("busybox")["Size"].get<double>();
  auto r = berth_ok({"images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}"});
  EXPECT_EQ(r.out, "busybox:latest " + short_id(busybox_) + " " + docker_size(size) + "\n");
}

TEST_F(ImagesCommand, ImagesFormatTableAddsTheHeader) {
  auto r = berth_ok({"images", "--format", "table {{.Repository}}\t{{.ID}}"});
  auto rows = parse_table(r.out, {"REPOSITORY", "IMAGE ID"});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["REPOSITORY"], "busybox");
  EXPECT_EQ(rows[0]["IMAGE ID"], short_id(busybox_));
}

TEST_F(ImagesCommand, ImagesFormatJsonPrintsOneObjectPerLine) {
  berth_ok({"tag", "busybox", "second:2"});
  auto r = berth_ok({"images", "--format", "{{json .}}"});
  auto lines = split_lines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  std::set<std::string> names;
  for (const auto& line : lines) {
    Json j = parse_json(line, "a line of `images --format '{{json .}}'`");
    ASSERT_TRUE(j.is_object());
    for (const char* key : {"Containers", "CreatedAt", "CreatedSince", "Digest", "ID", "Repository",
                            "SharedSize", "Size", "Tag", "UniqueSize", "VirtualSize"}) {
      EXPECT_TRUE(j.contains(key)) << "docker's images JSON has " << key << ": " << line;
    }
    EXPECT_EQ(j["ID"], short_id(busybox_));
    names.insert(j["Repository"].get<std::string>() + ":" + j["Tag"].get<std::string>());
  }
  EXPECT_EQ(names, (std::set<std::string>{"busybox:latest", "second:2"}));
  // `--format json` is the same as `{{json .}}`.
  EXPECT_EQ(mask_created_since(berth_ok({"images", "--format", "json"}).out),
            mask_created_since(r.out));
}

TEST_F(ImagesCommand, ImagesFilterReferenceMatchesAGlob) {
  for (const char* name : {"busybee:1", "other:2", "me/busybox:3"}) {
    berth_ok({"tag", "busybox", name});
  }
  auto r =
      berth_ok({"images", "--filter", "reference=busy*", "--format", "{{.Repository}}:{{.Tag}}"});
  // path.Match semantics: '*' does not cross '/', so me/busybox does not match.
  EXPECT_EQ(sorted_lines(r.out), (std::vector<std::string>{"busybee:1", "busybox:latest"}));
  auto tagged =
      berth_ok({"images", "-f", "reference=busybox:lat*", "--format", "{{.Repository}}:{{.Tag}}"});
  EXPECT_EQ(tagged.out, "busybox:latest\n");
}

TEST_F(ImagesCommand, ImagesFilterDanglingListsOnlyUntaggedImages) {
  std::string untagged = sb().import_tar(tiny_rootfs_tar("dangling"), "");
  ASSERT_FALSE(untagged.empty());
  EXPECT_EQ(berth_ok({"images", "--filter", "dangling=true", "-q"}).out, short_id(untagged) + "\n");
  EXPECT_EQ(berth_ok({"images", "--filter", "dangling=false", "-q"}).out,
            short_id(busybox_) + "\n");
  auto rows = parse_table(berth_ok({"images", "-f", "dangling=true"}).out, kColumns);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["REPOSITORY"], "<none>");
  EXPECT_EQ(rows[0]["TAG"], "<none>");
}

TEST_F(ImagesCommand, ImagesListsNewestFirst) {
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  std::string newer = sb().import_tar(tiny_rootfs_tar("newer"), "newer:1");
  ASSERT_FALSE(newer.empty());
  auto r = berth_ok({"images", "--format", "{{.Repository}}"});
  EXPECT_EQ(r.out, "newer\nbusybox\n");
}

TEST_F(ImagesCommand, ImagesOfAnEmptyStorePrintsOnlyTheHeader) {
  std::string root = sb().new_root("empty");
  auto r = sb().berth_at(root, {"images"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_TRUE(parse_table(r.out, kColumns).empty());
  EXPECT_EQ(split_lines(r.out).size(), 1u) << r.out;
}

TEST_F(ImagesCommand, ImagesWithAnUnknownFilterIsRefused) {
  auto r = berth({"images", "--filter", "colour=blue"});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_TRUE(is_one_line(r.err)) << r.describe();
  EXPECT_NE(r.err.find("colour"), std::string::npos) << r.describe();
}

// `images` reads what it shows from a cache (summaries.json at the store root) filled by
// whoever lists first; these check that the cache never shows anything the store does not say.
TEST_F(ImagesCommand, ImagesShowsImagesAddedAfterTheListingCacheWasWritten) {
  std::string before = berth_ok({"images", "--format", "{{.Repository}}:{{.Tag}} {{.Size}}"}).out;
  EXPECT_EQ(before,
            "busybox:latest " + docker_size(inspect("busybox")["Size"].get<double>()) + "\n");
  ASSERT_FALSE(sb().import_tar(tiny_rootfs_tar("later"), "later:1").empty());
  // etc/seed "later\n" (6 bytes) and hello.txt "hello from later\n" (17 bytes).
  EXPECT_EQ(berth_ok({"images", "--format", "{{.Size}}", "-f", "reference=later"}).out, "23B\n");
  berth_ok({"rmi", "later:1"});
  EXPECT_EQ(berth_ok({"images", "--format", "{{.Repository}}:{{.Tag}} {{.Size}}"}).out, before);
}

TEST_F(ImagesCommand, ADamagedListingCacheIsIgnoredAndRewritten) {
  berth_ok({"tag", "busybox", "labelled:1"});
  std::string want =
      berth_ok({"images", "--no-trunc", "--format", "{{.ID}} {{.Tag}} {{.Size}}"}).out;
  std::string cache = sb().root() + "/summaries.json";
  ASSERT_TRUE(std::filesystem::exists(cache)) << "the first listing writes the cache";
  write_file(cache, "{\"version\":1,\"images\":{\"sha256:zz\":");
  EXPECT_EQ(berth_ok({"images", "--no-trunc", "--format", "{{.ID}} {{.Tag}} {{.Size}}"}).out, want);
  Json j = parse_json(read_file(cache), "summaries.json");
  EXPECT_EQ(j["images"].size(), 1u) << "one manifest, named twice";
  // A cache of another format version is not read at all.
  write_file(cache, "{\"version\":0,\"images\":{}}");
  EXPECT_EQ(berth_ok({"images", "--no-trunc", "--format", "{{.ID}} {{.Tag}} {{.Size}}"}).out, want);
}

}  // namespace
}  // namespace berth::it
