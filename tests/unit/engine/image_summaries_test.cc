#include "engine/image_summaries.h"

#include <gtest/gtest.h>

#include "base/fs.h"
#include "unit/store/temp_dir.h"

namespace berth::engine {
namespace {

oci::Digest digest_of(std::string_view s) { return oci::Digest::sha256_of(s); }

TEST(ImageSummaries, WhatIsPutAndSavedIsReadBack) {
  testing::TempDir dir;
  std::string path = dir.path() + "/summaries.json";
  {
    ImageSummaries cache(path);
    EXPECT_EQ(cache.find(digest_of("m1")), nullptr);
    cache.put(digest_of("m1"), {digest_of("c1"), 1700000000000000000, 1234, {{"a", "b"}}});
    cache.put(digest_of("m2"), {digest_of("c2"), 0, 5, {}});
    cache.save({digest_of("m1"), digest_of("m2")});
  }
  ImageSummaries again(path);
  const ImageSummary* s = again.find(digest_of("m1"));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->id, digest_of("c1"));
  EXPECT_EQ(s->created_nanos, 1700000000000000000);
  EXPECT_EQ(s->size, 1234);
  EXPECT_EQ(s->labels, (std::map<std::string, std::string>{{"a", "b"}}));
  ASSERT_NE(again.find(digest_of("m2")), nullptr);
}

TEST(ImageSummaries, SaveKeepsOnlyTheManifestsStillNamed) {
  testing::TempDir dir;
  std::string path = dir.path() + "/summaries.json";
  ImageSummaries cache(path);
  cache.put(digest_of("m1"), {digest_of("c1"), 0, 1, {}});
  cache.put(digest_of("gone"), {digest_of("c2"), 0, 2, {}});
  cache.save({digest_of("m1")});
  ImageSummaries again(path);
  EXPECT_NE(again.find(digest_of("m1")), nullptr);
  EXPECT_EQ(again.find(digest_of("gone")), nullptr);
}

TEST(ImageSummaries, NothingIsWrittenWhenNothingWasAdded) {
  testing::TempDir dir;
  std::string path = dir.path() + "/summaries.json";
  ImageSummaries(path).save({});
  EXPECT_FALSE(path_exists(path));
}

TEST(ImageSummaries, ADamagedOrForeignFileIsAnEmptyCache) {
  testing::TempDir dir;
  std::string path = dir.path() + "/summaries.json";
  for (const char* text : {"{", "[]", R"({"version":2,"images":{}})",
                           R"({"version":1,"images":{"sha256:zz":{"id":"x"}}})"}) {
    ASSERT_TRUE(write_file_atomic(path, text));
    ImageSummaries cache(path);
    EXPECT_EQ(cache.find(digest_of("m1")), nullptr) << text;
  }
  // An entry whose ID is not a digest is dropped, the valid ones are kept.
  std::string good = digest_of("m1").str();
  ASSERT_TRUE(write_file_atomic(path, R"({"version":1,"images":{")" + good + R"(":{"id":"sha256:)" +
                                          std::string(64, 'a') +
                                          R"(","size":3},"sha256:00":{"id":"nope"}}})"));
  ImageSummaries cache(path);
  ASSERT_NE(cache.find(digest_of("m1")), nullptr);
  EXPECT_EQ(cache.find(digest_of("m1"))->size, 3);
}

}  // namespace
}  // namespace berth::engine
