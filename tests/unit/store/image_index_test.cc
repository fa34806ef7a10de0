#include "store/image_index.h"

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "oci/media_types.h"
#include "unit/store/temp_dir.h"

namespace berth::store {
namespace {

oci::Descriptor manifest_desc(std::string_view content) {
  oci::Descriptor d;
  d.media_type = std::string(oci::kOciManifest);
  d.digest = oci::Digest::sha256_of(content);
  d.size = static_cast<int64_t>(content.size());
  return d;
}

TEST(ImageIndex, InitWritesAnEmptyOciLayout) {
  testing::TempDir dir;
  ImageIndex index(dir.path());
  ASSERT_TRUE(index.init());
  EXPECT_EQ(*read_file(dir.path() + "/oci-layout"), R"({"imageLayoutVersion":"1.0.0"})");
  auto entries = index.load();
  ASSERT_TRUE(entries);
  EXPECT_TRUE(entries->empty());
}

TEST(ImageIndex, SetRefWritesTheRefNameAnnotation) {
  testing::TempDir dir;
  ImageIndex index(dir.path());
  ASSERT_TRUE(index.init());
  auto a = manifest_desc("a");
  ASSERT_TRUE(index.update([&](std::vector<ImageEntry>& e) -> Result<void> {
    set_ref(e, a, "docker.io/library/busybox:latest");
    return {};
  }));
  auto text = *read_file(index.path());
  EXPECT_NE(text.find(R"("org.opencontainers.image.ref.name":"docker.io/library/busybox:latest")"),
            std::string::npos)
      << text;
  auto entries = *index.load();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].ref, "docker.io/library/busybox:latest");
  EXPECT_EQ(entries[0].manifest.digest, a.digest);
}

TEST(ImageIndex, MovingATagLeavesThePreviousImageDangling) {
  testing::TempDir dir;
  ImageIndex index(dir.path());
  ASSERT_TRUE(index.init());
  auto a = manifest_desc("a");
  auto b = manifest_desc("b");
  ASSERT_TRUE(index.update([&](std::vector<ImageEntry>& e) -> Result<void> {
    set_ref(e, a, "docker.io/library/x:1");
    set_ref(e, b, "docker.io/library/x:1");
    return {};
  }));
  auto entries = *index.load();
  ASSERT_EQ(entries.size(), 2u);
  int dangling = 0;
  for (const auto& e : entries) {
    if (e.dangling()) {
      ++dangling;
      EXPECT_EQ(e.manifest.digest, a.digest);
    } else {
      EXPECT_EQ(e.manifest.digest, b.digest);
    }
  }
  EXPECT_EQ(dangling, 1);
}

TEST(ImageIndex, NamingADanglingImageReplacesItsDanglingEntry) {
  testing::TempDir dir;
  ImageIndex index(dir.path());
  ASSERT_TRUE(index.init());
  auto a = manifest_desc("a");
  ASSERT_TRUE(index.update([&](std::vector<ImageEntry>& e) -> Result<void> {
    add_dangling(e, a);
    add_dangling(e, a);
    EXPECT_EQ(e.size(), 1u);
    set_ref(e, a, "docker.io/library/x:1");
    return {};
  }));
  auto entries = *index.load();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_FALSE(entries[0].dangling());
}

TEST(ImageIndex, FailedUpdateWritesNothing) {
  testing::TempDir dir;
  ImageIndex index(dir.path());
  ASSERT_TRUE(index.init());
  auto before = *read_file(index.path());
  auto r = index.update([&](std::vector<ImageEntry>& e) -> Result<void> {
    set_ref(e, manifest_desc("a"), "docker.io/library/x:1");
    return fail(Code::kInvalidArgument, "changed my mind");
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(*read_file(index.path()), before);
}

TEST(ImageIndex, ConcurrentUpdatesFromManyProcessesAreAllKept) {
  testing::TempDir dir;
  ImageIndex index(dir.path());
  ASSERT_TRUE(index.init());
  constexpr int kProcs = 8;
  constexpr int kEach = 10;
  std::vector<pid_t> pids;
  for (int p = 0; p < kProcs; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      for (int i = 0; i < kEach; ++i) {
        std::string name = "docker.io/library/img" + std::to_string(p) + ":" + std::to_string(i);
        auto r = index.update([&](std::vector<ImageEntry>& e) -> Result<void> {
          set_ref(e, manifest_desc(name), name);
          return {};
        });
        if (!r) {
          ::_exit(1);
        }
      }
      ::_exit(0);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  auto entries = index.load();
  ASSERT_TRUE(entries) << entries.error().str();
  EXPECT_EQ(entries->size(), static_cast<size_t>(kProcs * kEach));
}

TEST(ImageIndex, CorruptIndexIsReportedWithItsPath) {
  testing::TempDir dir;
  ImageIndex index(dir.path());
  ASSERT_TRUE(index.init());
  ASSERT_TRUE(write_file_atomic(index.path(), "{not json"));
  auto r = index.load();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kCorrupt);
  EXPECT_NE(r.error().str().find("index.json"), std::string::npos);
}

}  // namespace
}  // namespace berth::store
