#include "store/blob_store.h"

#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "unit/store/temp_dir.h"

namespace berth::store {
namespace {

int count_entries(const std::string& dir) {
  int n = 0;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    return -1;
  }
  while (auto* e = ::readdir(d)) {
    if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") {
      ++n;
    }
  }
  ::closedir(d);
  return n;
}

TEST(BlobStore, PutStoresContentUnderItsSha256) {
  testing::TempDir dir;
  BlobStore blobs(dir.path());
  ASSERT_TRUE(blobs.init());
  auto d = blobs.put("hello");
  ASSERT_TRUE(d) << d.error().str();
  EXPECT_EQ(d->str(), "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  EXPECT_TRUE(blobs.has(*d));
  EXPECT_EQ(*blobs.read(*d), "hello");
  EXPECT_EQ(*blobs.size(*d), 5);
  EXPECT_EQ(count_entries(dir.path() + "/ingest"), 0);
}

TEST(BlobStore, CommitWithWrongExpectedDigestLeavesNothing) {
  testing::TempDir dir;
  BlobStore blobs(dir.path());
  ASSERT_TRUE(blobs.init());
  auto w = blobs.writer();
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->write("abc", 3));
  auto wrong = oci::Digest::sha256_of("abd");
  auto r = (*w)->commit(wrong);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kCorrupt);
  EXPECT_NE(r.error().str().find("digest mismatch"), std::string::npos);
  w->reset();
  EXPECT_EQ(count_entries(dir.path() + "/ingest"), 0);
  EXPECT_EQ(count_entries(dir.path() + "/blobs/sha256"), 0);
}

TEST(BlobStore, AbandonedWriterRemovesItsPartialFile) {
  testing::TempDir dir;
  BlobStore blobs(dir.path());
  ASSERT_TRUE(blobs.init());
  {
    auto w = blobs.writer();
    ASSERT_TRUE(w);
    ASSERT_TRUE((*w)->write("partial", 7));
    EXPECT_EQ(count_entries(dir.path() + "/ingest"), 1);
  }
  EXPECT_EQ(count_entries(dir.path() + "/ingest"), 0);
  EXPECT_EQ(count_entries(dir.path() + "/blobs/sha256"), 0);
}

TEST(BlobStore, IngestLeavesNoPartialBlobWhenWriterDies) {
  testing::TempDir dir;
  BlobStore blobs(dir.path());
  ASSERT_TRUE(blobs.init());
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto w = blobs.writer();
    (void)(*w)->write("half a blob", 11);
    ::_exit(0);  // dies without commit or destructor
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_EQ(count_entries(dir.path() + "/blobs/sha256"), 0);
  EXPECT_EQ(count_entries(dir.path() + "/ingest"), 1);
  EXPECT_EQ(*blobs.sweep_ingest(0), 1);
  EXPECT_EQ(count_entries(dir.path() + "/ingest"), 0);
}

TEST(BlobStore, ReadDetectsABlobCorruptedOnDisk) {
  testing::TempDir dir;
  BlobStore blobs(dir.path());
  ASSERT_TRUE(blobs.init());
  auto d = blobs.put("original");
  ASSERT_TRUE(d);
  ASSERT_TRUE(write_file_atomic(blobs.path(*d), "tampered"));
  auto r = blobs.read(*d);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kCorrupt);
}

TEST(BlobStore, ListAndRemove) {
  testing::TempDir dir;
  BlobStore blobs(dir.path());
  ASSERT_TRUE(blobs.init());
  auto a = *blobs.put("a");
  auto b = *blobs.put("b");
  auto all = *blobs.list();
  EXPECT_EQ(all.size(), 2u);
  ASSERT_TRUE(blobs.remove(a));
  EXPECT_FALSE(blobs.has(a));
  EXPECT_TRUE(blobs.has(b));
  EXPECT_TRUE(blobs.remove(a));  // absent is fine
  auto missing = blobs.read(a);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Code::kNotFound);
}

}  // namespace
}  // namespace berth::store
