// `berth image inspect` / `berth inspect`: docker's JSON shape and --format.
#include <regex>

#include "sandbox.h"

namespace berth::it {
namespace {

class InspectCommand : public BusyboxTest {};

TEST_F(InspectCommand, InspectPrintsDockersJsonShape) {
  auto r = berth_ok({"image", "inspect", "busybox"});
  Json all = parse_json(r.out, "image inspect output");
  ASSERT_TRUE(all.is_array());
  ASSERT_EQ(all.size(), 1u);
  Json j = all[0];
  EXPECT_EQ(j["Id"], busybox_);
  EXPECT_EQ(j["RepoTags"], Json::array({"busybox:latest"}));
  EXPECT_TRUE(j["RepoDigests"].is_array()) << j.dump(2);
  ASSERT_TRUE(j["Created"].is_string());
  EXPECT_TRUE(std::regex_match(j["Created"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)")))
      << j["Created"];
  ASSERT_TRUE(j["Config"].is_object()) << j.dump(2);
  for (const char* key : {"Env", "Cmd", "Entrypoint", "WorkingDir", "User", "Labels"}) {
    EXPECT_TRUE(j["Config"].contains(key)) << "Config has " << key << ": " << j.dump(2);
  }
  bool has_path = false;
  for (const auto& e : j["Config"]["Env"]) {
    has_path = has_path || e.get<std::string>().starts_with("PATH=");
  }
  EXPECT_TRUE(has_path) << "the busybox image sets PATH: " << j["Config"].dump();
  EXPECT_EQ(j["Config"]["Cmd"], Json::array({"sh"}));
  EXPECT_EQ(j["Os"], "linux");
  EXPECT_TRUE(j["Architecture"].is_string() && !j["Architecture"].get<std::string>().empty());
  ASSERT_TRUE(j["Size"].is_number_integer()) << j.dump(2);
  EXPECT_GT(j["Size"].get<int64_t>(), 500000) << "busybox is more than 500 kB";
  EXPECT_EQ(j["RootFS"]["Type"], "layers");
  ASSERT_TRUE(j["RootFS"]["Layers"].is_array());
  ASSERT_EQ(j["RootFS"]["Layers"].size(), 1u);
  // The layers are the config's diff IDs.
  Json cfg = parse_json(sb().blob(busybox_), "config blob");
  ASSERT_TRUE(cfg.is_object());
  EXPECT_EQ(j["RootFS"]["Layers"], cfg["rootfs"]["diff_ids"]);
  EXPECT_EQ(j["Created"], cfg["created"]);
}

TEST_F(InspectCommand, InspectFormatPrintsTheId) {
  EXPECT_EQ(berth_ok({"image", "inspect", "--format", "{{.Id}}", "busybox"}).out, busybox_ + "\n");
  EXPECT_EQ(berth_ok({"inspect", "--format", "{{.Id}}", "busybox:latest"}).out, busybox_ + "\n");
  EXPECT_EQ(berth_ok({"image", "inspect", "-f", "{{json .Config.Cmd}}", "busybox"}).out,
            "[\"sh\"]\n");
  EXPECT_EQ(berth_ok({"image", "inspect", "-f", "{{.Os}}/{{index .RepoTags 0}}", "busybox"}).out,
            "linux/busybox:latest\n");
}

TEST_F(InspectCommand, TopLevelInspectPrintsTheSameAsImageInspect) {
  auto a = berth_ok({"inspect", "busybox"});
  auto b = berth_ok({"image", "inspect", "busybox"});
  EXPECT_EQ(a.out, b.out);
}

TEST_F(InspectCommand, InspectFindsAnImageByFullOrShortId) {
  EXPECT_EQ(inspect(busybox_)["Id"], busybox_);
  EXPECT_EQ(inspect(busybox_.substr(7))["Id"], busybox_);
  EXPECT_EQ(inspect(busybox_.substr(7, 12))["Id"], busybox_);
}

TEST_F(InspectCommand, InspectOfSeveralImagesPrintsThemInOrder) {
  std::string tiny = sb().import_tar(tiny_rootfs_tar("two"), "tiny:1");
  ASSERT_FALSE(tiny.empty());
  Json all = parse_json(berth_ok({"image", "inspect", "tiny:1", "busybox"}).out, "inspect output");
  ASSERT_TRUE(all.is_array());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]["Id"], tiny);
  EXPECT_EQ(all[1]["Id"], busybox_);
}

// docker (overlay2) reports an image's Size as the bytes of the files in its layers, not the
// size of the layer tars; `images`, `history` and `system df` show the same number.
TEST_F(InspectCommand, InspectSizeIsTheSizeOfTheFilesInTheImage) {
  // etc/seed "size\n" (5 bytes) and hello.txt "hello from size\n" (16 bytes).
  ASSERT_FALSE(sb().import_tar(tiny_rootfs_tar("size"), "sized:1").empty());
  EXPECT_EQ(inspect("sized:1")["Size"], 21);
  EXPECT_EQ(berth_ok({"images", "--format", "{{.Size}}", "-f", "reference=sized"}).out, "21B\n");
}

TEST_F(InspectCommand, InspectOfAnUnknownImageFailsWithNoSuchImage) {
  auto r = berth({"image", "inspect", "nosuchimage"});
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.err.find("No such image"), std::string::npos) << r.describe();
  EXPECT_NE(r.err.find("nosuchimage"), std::string::npos) << r.describe();
}

}  // namespace
}  // namespace berth::it
