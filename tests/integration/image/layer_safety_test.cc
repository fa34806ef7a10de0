// Layer safety: a layer tar must not write outside its own directory, by name ("../evil",
// "/abs"), through a symlink it made, or by hard-linking a file from outside. Such a layer is
// refused naming the entry, and nothing is left: no file outside, the store unchanged.
#include <sys/stat.h>

#include "sandbox.h"

namespace berth::it {
namespace {

class LayerSafety : public SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    // An initialised store with one image, so that "unchanged" covers every directory.
    ASSERT_FALSE(sb().import_tar(tiny_rootfs_tar("base"), "base:1").empty());
    outside_ = sb().dir() + "/outside";
    write_file(outside_ + "/secret", "secret\n", 0600);
  }

  // Climbs from anywhere inside the store to / ("../" many times), then down to `abs`.
  static std::string climb_to(const std::string& abs) {
    std::string up;
    for (int i = 0; i < 24; ++i) {
      up += "../";
    }
    return up + abs.substr(1);
  }

  void expect_import_refused(const std::string& tar, const std::string& entry) {
    std::string path = sb().work("evil.tar");
    write_file(path, tar);
    auto before = sb().snapshot();
    auto r = berth({"import", path, "evil:1"});
    expect_refused(r, {entry}, before, sb().snapshot());
    expect_nothing_outside();
  }

  void expect_load_refused(const std::string& archive, const std::string& entry) {
    std::string path = sb().work("evil-archive.tar");
    write_file(path, archive);
    auto before = sb().snapshot();
    auto r = berth({"load", "-i", path});
    expect_refused(r, {entry}, before, sb().snapshot());
    expect_nothing_outside();
  }

  // Nothing new in the sandbox outside the store (and the scratch files we wrote), and the
  // secret was not linked from anywhere.
  void expect_nothing_outside() {
    EXPECT_EQ(list_tree(outside_), std::vector<std::string>{"secret"});
    struct stat st {};
    ASSERT_EQ(::stat((outside_ + "/secret").c_str(), &st), 0);
    EXPECT_EQ(st.st_nlink, 1u) << "the secret was hard-linked into the store";
    for (const char* name : {"evil", "climbed", "through", "absolute"}) {
      EXPECT_EQ(find_named(sb().dir(), name), std::vector<std::string>{})
          << "a file named " << name << " was written";
      EXPECT_FALSE(path_exists(std::string("/") + name));
      EXPECT_FALSE(path_exists(std::string("/tmp/") + name));
    }
  }

  std::string outside_;
};

TEST_F(LayerSafety, ImportRefusesAnEntryNamedDotDot) {
  expect_import_refused(TarWriter().dir("etc/").file("../evil", "x").finish(), "../evil");
}

TEST_F(LayerSafety, ImportRefusesAnEntryThatClimbsOutOfTheRoot) {
  std::string name = "etc/" + climb_to(outside_ + "/climbed");
  expect_import_refused(TarWriter().dir("etc/").file(name, "x").finish(), name);
  EXPECT_FALSE(path_exists(outside_ + "/climbed"));
}

TEST_F(LayerSafety, ImportRefusesAnAbsoluteEntryName) {
  std::string name = outside_ + "/absolute";
  expect_import_refused(TarWriter().dir("etc/").file(name, "x").finish(), name);
  EXPECT_FALSE(path_exists(outside_ + "/absolute"));
}

TEST_F(LayerSafety, ImportRefusesAFileWrittenThroughAnAbsoluteSymlink) {
  expect_import_refused(TarWriter().symlink("link", outside_).file("link/through", "x").finish(),
                        "link/through");
  EXPECT_FALSE(path_exists(outside_ + "/through"));
}

TEST_F(LayerSafety, ImportRefusesAFileWrittenThroughAClimbingSymlink) {
  std::string via = "up" + outside_ + "/through";
  expect_import_refused(
      TarWriter().symlink("up", "../../../../../../../../../../../../..").file(via, "x").finish(),
      via);
}

TEST_F(LayerSafety, ImportRefusesADirectoryMadeThroughASymlink) {
  expect_import_refused(
      TarWriter().symlink("link", outside_).dir("link/evil/").file("link/evil/x", "x").finish(),
      "link/evil");
}

TEST_F(LayerSafety, ImportRefusesAHardlinkToAnAbsolutePathOutside) {
  expect_import_refused(
      TarWriter().dir("etc/").hardlink("etc/escape-link", outside_ + "/secret").finish(),
      "etc/escape-link");
}

TEST_F(LayerSafety, ImportRefusesAHardlinkThatClimbsOut) {
  expect_import_refused(
      TarWriter().dir("etc/").hardlink("etc/escape-link", climb_to(outside_ + "/secret")).finish(),
      "etc/escape-link");
}

TEST_F(LayerSafety, ImportRefusesAHardlinkThroughASymlink) {
  expect_import_refused(
      TarWriter().symlink("link", outside_).hardlink("escape-link", "link/secret").finish(),
      "escape-link");
}

TEST_F(LayerSafety, LoadRefusesALayerWithADotDotEntry) {
  HandmadeImage image{TarWriter().dir("etc/").file("../evil", "x").finish(), "", "evil:1"};
  expect_load_refused(handmade_docker_archive(image), "../evil");
}

TEST_F(LayerSafety, LoadRefusesALayerThatWritesThroughASymlink) {
  HandmadeImage image{TarWriter().symlink("link", outside_).file("link/through", "x").finish(),
                      "application/vnd.oci.image.layer.v1.tar", "docker.io/library/evil:1"};
  expect_load_refused(handmade_oci_archive(image), "link/through");
}

// The rules refuse escapes, not ordinary layers: links that stay inside are kept as they are.
TEST_F(LayerSafety, ImportKeepsSymlinksAndHardlinksThatStayInside) {
  std::string tar = TarWriter()
                        .dir("etc/")
                        .file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
                        .symlink("etc/absolute-link", "/etc/passwd")
                        .symlink("etc/relative-link", "../etc/passwd")
                        .hardlink("etc/passwd-hardlink", "etc/passwd")
                        .finish();
  std::string id = sb().import_tar(tar, "links:1");
  ASSERT_FALSE(id.empty());
  Json manifest = sb().manifest("docker.io/library/links:1");
  ASSERT_TRUE(manifest.is_object());
  auto entries = read_tar(sb().blob(manifest["layers"][0]["digest"]), "links:1 layer");
  const TarEntry* abs = find_entry(entries, "etc/absolute-link");
  ASSERT_NE(abs, nullptr);
  EXPECT_EQ(abs->link, "/etc/passwd");
  const TarEntry* rel = find_entry(entries, "etc/relative-link");
  ASSERT_NE(rel, nullptr);
  EXPECT_EQ(rel->link, "../etc/passwd");
  EXPECT_NE(find_entry(entries, "etc/passwd-hardlink"), nullptr);
  expect_nothing_outside();
}

}  // namespace
}  // namespace berth::it
