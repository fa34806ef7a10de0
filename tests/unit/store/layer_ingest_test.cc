#include "store/layer_ingest.h"

#include <gtest/gtest.h>

#include "base/fs.h"
#include "store/decompress.h"
#include "unit/store/tar_builder.h"
#include "unit/store/temp_dir.h"

namespace berth::store {
namespace {

std::string gzipped(const std::string& data) {
  std::string out;
  StringWriter w(&out);
  auto gz = make_gzip_writer(&w);
  EXPECT_TRUE(gz->write(data.data(), data.size()));
  EXPECT_TRUE(gz->finish());
  return out;
}

class LayerIngest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::open(dir_.path() + "/root");
    ASSERT_TRUE(s) << s.error().str();
    store_ = std::move(*s);
    tar_ = testing::TarBuilder().file("a.txt", "hello\n").symlink("b", "a.txt").build();
    diff_id_ = oci::Digest::sha256_of(tar_);
  }

  Result<IngestedLayer> ingest(const std::string& raw, const IngestOptions& options = {}) {
    StringReader in(raw);
    return ingest_layer(*store_, in, "test layer", options);
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::string tar_;
  oci::Digest diff_id_;
};

TEST_F(LayerIngest, StoresTheUncompressedTarAndAppliesTheLayer) {
  std::string gz = gzipped(tar_);
  auto r = ingest(gz);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->diff_id, diff_id_);
  EXPECT_EQ(r->raw_digest, oci::Digest::sha256_of(gz));
  EXPECT_TRUE(store_->blobs().has(diff_id_));
  EXPECT_FALSE(store_->blobs().has(r->raw_digest)) << "the caller keeps the raw blob, or not";
  EXPECT_TRUE(store_->layers().has(diff_id_));
  EXPECT_EQ(store_->layers().size(diff_id_), 6 + 5) << "a.txt and the symlink's target";
  EXPECT_EQ(*read_file(store_->layers().diff_path(diff_id_) + "/a.txt"), "hello\n");
}

TEST_F(LayerIngest, WithoutStoreTarOnlyTheLayerIsKept) {
  IngestOptions opts;
  opts.store_tar = false;
  auto r = ingest(gzipped(tar_), opts);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_FALSE(store_->blobs().has(diff_id_));
  EXPECT_TRUE(store_->layers().has(diff_id_));
}

TEST_F(LayerIngest, ALayerPresentAlreadyIsOnlyVerified) {
  IngestOptions opts;
  opts.store_tar = false;
  ASSERT_TRUE(ingest(tar_, opts));
  // Mark the applied layer: a second ingest must not replace it.
  ASSERT_TRUE(write_file_atomic(store_->layers().diff_path(diff_id_) + "/mark", "x"));
  opts.diff_id = diff_id_;
  auto r = ingest(gzipped(tar_), opts);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(path_exists(store_->layers().diff_path(diff_id_) + "/mark"));
}

TEST_F(LayerIngest, AMismatchWithAPresentLayerIsStillRefused) {
  IngestOptions opts;
  opts.store_tar = false;
  ASSERT_TRUE(ingest(tar_, opts));
  std::string other = testing::TarBuilder().file("a.txt", "other\n").build();
  opts.diff_id = diff_id_;  // claims to be the present layer, but is not
  auto r = ingest(gzipped(other), opts);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kCorrupt);
  EXPECT_NE(r.error().str().find("layer diff ID mismatch"), std::string::npos) << r.error().str();
  EXPECT_NE(r.error().str().find("test layer"), std::string::npos) << r.error().str();
  EXPECT_FALSE(store_->layers().has(oci::Digest::sha256_of(other)));
}

TEST_F(LayerIngest, AWrongRawDigestLeavesNothing) {
  IngestOptions opts;
  opts.raw_digest = oci::Digest::sha256_of("something else");
  auto r = ingest(gzipped(tar_), opts);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().str().find("layer digest mismatch"), std::string::npos) << r.error().str();
  EXPECT_FALSE(store_->blobs().has(diff_id_));
  EXPECT_FALSE(store_->layers().has(diff_id_));
}

}  // namespace
}  // namespace berth::store
