#include "registry/blob_fetch.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "http/fake_server.h"
#include "store/temp_dir.h"

namespace berth::registry {
namespace {

using testing::FakeRequest;
using testing::FakeServer;

TEST(RangeAnswer, PartialContentFromTheAskedOffsetIsAppended) {
  EXPECT_EQ(range_answer(206, 100, "bytes 100-199/200"), RangeAnswer::kAppend);
  EXPECT_EQ(range_answer(206, 100, "bytes  100-199/*"), RangeAnswer::kAppend);
}

TEST(RangeAnswer, WholeBodyToARangeRequestRestartsTheFile) {
  EXPECT_EQ(range_answer(200, 100, std::nullopt), RangeAnswer::kRestart);
  EXPECT_EQ(range_answer(200, 0, std::nullopt), RangeAnswer::kAppend);
}

TEST(RangeAnswer, PartialContentFromElsewhereOrWithoutRangeIsInvalid) {
  EXPECT_EQ(range_answer(206, 100, "bytes 50-199/200"), RangeAnswer::kInvalid);
  EXPECT_EQ(range_answer(206, 100, std::nullopt), RangeAnswer::kInvalid);
  EXPECT_EQ(range_answer(206, 100, "items 100-199/200"), RangeAnswer::kInvalid);
  EXPECT_EQ(range_answer(404, 0, std::nullopt), RangeAnswer::kInvalid);
}

TEST(PartialFile, ExistingPrefixIsRehashedSoResumingContinuesTheHash) {
  testing::TempDir tmp;
  std::string path = tmp.path() + "/partial";
  ASSERT_TRUE(write_file_atomic(path, "hello "));
  auto p = open_partial(path, 11);
  ASSERT_TRUE(p) << p.error().str();
  ASSERT_TRUE(p->fd.valid());
  EXPECT_EQ(p->size, 6);
  p->hash.update("world");
  EXPECT_EQ(p->hash.hex(), Sha256::hex_of("hello world"));
}

TEST(PartialFile, FileLargerThanTheBlobIsEmptied) {
  testing::TempDir tmp;
  std::string path = tmp.path() + "/partial";
  ASSERT_TRUE(write_file_atomic(path, "far too long for it"));
  auto p = open_partial(path, 5);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->size, 0);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 0);
}

TEST(PartialFile, MissingFileStartsEmpty) {
  testing::TempDir tmp;
  auto p = open_partial(tmp.path() + "/new", 5);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->fd.valid());
  EXPECT_EQ(p->size, 0);
}

// A registry serving one blob at /v2/repo/blobs/<digest>, honouring Range, that can be told to
// cut the body after some bytes or to fail the first requests with a status.
struct BlobRegistry {
  std::string blob;
  oci::Digest digest;
  size_t cut_after = 0;       // >0: the first blob response sends only this many bytes
  int fail_first_with = 0;    // >0: the first blob response is this status
  bool ignore_range = false;  // answers every request with the whole blob
  std::unique_ptr<FakeServer> server;

  explicit BlobRegistry(std::string content) : blob(std::move(content)) {
    digest = oci::Digest::sha256_of(blob);
    server = std::make_unique<FakeServer>([this](const FakeRequest& r) { return answer(r); });
  }

  std::string answer(const FakeRequest& r) {
    if (r.target == "/v2/") {
      return FakeServer::response(200, "{}");
    }
    if (r.target != "/v2/repo/blobs/" + digest.str()) {
      return FakeServer::response(
          404, R"({"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]})");
    }
    if (fail_first_with > 0) {
      int s = fail_first_with;
      fail_first_with = 0;
      return FakeServer::response(s, "busy");
    }
    size_t from = 0;
    if (auto it = r.headers.find("range"); it != r.headers.end() && !ignore_range) {
      from = std::stoul(it->second.substr(6));
    }
    std::string body = blob.substr(from);
    std::string head = from > 0 ? "HTTP/1.1 206 Partial\r\nContent-Range: bytes " +
                                      std::to_string(from) + "-" + std::to_string(blob.size() - 1) +
                                      "/" + std::to_string(blob.size()) + "\r\n"
                                : "HTTP/1.1 200 OK\r\n";
    head += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    if (cut_after > 0) {
      size_t n = cut_after;
      cut_after = 0;
      return head + body.substr(0, n) + std::string(FakeServer::kClose);
    }
    return head + body;
  }
};

struct FetchFixture : ::testing::Test {
  testing::TempDir tmp;
  http::Client client;

  Session session(BlobRegistry& reg) {
    Endpoint e{"127.0.0.1", "127.0.0.1:" + std::to_string(reg.server->port()), "repo", true};
    SessionOptions o;
    o.first_backoff = std::chrono::milliseconds(1);
    return Session(client, e, {}, o);
  }
  BlobFetch fetch(const BlobRegistry& reg) {
    oci::Descriptor d;
    d.digest = reg.digest;
    d.size = static_cast<int64_t>(reg.blob.size());
    return BlobFetch{d, tmp.path() + "/partial", nullptr, nullptr};
  }
};

TEST_F(FetchFixture, WholeBlobIsDownloadedAndVerified) {
  BlobRegistry reg(std::string(300000, 'b'));
  auto s = session(reg);
  auto r = fetch_blob(s, fetch(reg));
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(r->locked.valid());
  EXPECT_EQ(r->transferred, 300000);
  EXPECT_EQ(r->resumed_from, 0);
  EXPECT_EQ(*read_file(tmp.path() + "/partial"), reg.blob);
}

TEST_F(FetchFixture, PartialFileOfAnEarlierRunIsResumedWithRange) {
  BlobRegistry reg("The quick brown fox jumps over the lazy dog");
  ASSERT_TRUE(write_file_atomic(tmp.path() + "/partial", reg.blob.substr(0, 10)));
  auto s = session(reg);
  auto r = fetch_blob(s, fetch(reg));
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->resumed_from, 10);
  EXPECT_EQ(r->transferred, static_cast<int64_t>(reg.blob.size()) - 10);
  auto reqs = reg.server->requests();
  ASSERT_FALSE(reqs.empty());
  EXPECT_EQ(reqs.back().headers.at("range"), "bytes=10-");
}

TEST_F(FetchFixture, CutConnectionIsRetriedFromTheLastByte) {
  BlobRegistry reg(std::string(100000, 'c') + "tail");
  reg.cut_after = 4000;
  auto s = session(reg);
  auto r = fetch_blob(s, fetch(reg));
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(*read_file(tmp.path() + "/partial"), reg.blob);
  auto reqs = reg.server->requests();
  ASSERT_GE(reqs.size(), 2u);
  EXPECT_EQ(reqs.back().headers.at("range"), "bytes=4000-");
  EXPECT_EQ(r->transferred, static_cast<int64_t>(reg.blob.size()));
}

TEST_F(FetchFixture, ServerErrorIsRetried) {
  BlobRegistry reg("content");
  reg.fail_first_with = 503;
  auto s = session(reg);
  auto r = fetch_blob(s, fetch(reg));
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(*read_file(tmp.path() + "/partial"), "content");
}

TEST_F(FetchFixture, ServerIgnoringRangeRestartsTheFile) {
  BlobRegistry reg("0123456789abcdef");
  reg.ignore_range = true;
  ASSERT_TRUE(write_file_atomic(tmp.path() + "/partial", "0123"));
  auto s = session(reg);
  auto r = fetch_blob(s, fetch(reg));
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(*read_file(tmp.path() + "/partial"), reg.blob);
}

TEST_F(FetchFixture, WrongDigestDeletesThePartialFile) {
  BlobRegistry reg("the real content");
  auto s = session(reg);
  auto f = fetch(reg);
  f.desc.digest = oci::Digest::sha256_of("something else of 16");
  reg.digest = f.desc.digest;  // serve the real content under the other digest
  auto r = fetch_blob(s, f);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kCorrupt);
  EXPECT_NE(r.error().str().find("digest mismatch"), std::string::npos);
  EXPECT_FALSE(path_exists(f.partial_path));
}

TEST_F(FetchFixture, CorruptPartialFromAnEarlierRunIsNotStored) {
  BlobRegistry reg("The quick brown fox");
  ASSERT_TRUE(write_file_atomic(tmp.path() + "/partial", "XXX"));
  auto s = session(reg);
  auto r = fetch_blob(s, fetch(reg));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kCorrupt);
  EXPECT_FALSE(path_exists(tmp.path() + "/partial")) << "the next attempt starts from zero";
}

TEST_F(FetchFixture, UnknownBlobIsNotFoundWithTheRegistryMessage) {
  BlobRegistry reg("x");
  auto s = session(reg);
  auto f = fetch(reg);
  f.desc.digest = oci::Digest::sha256_of("y");
  auto r = fetch_blob(s, f);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kNotFound);
  EXPECT_NE(r.error().str().find("blob unknown to registry"), std::string::npos);
}

TEST_F(FetchFixture, BlobStoredByAnotherProcessIsNotFetched) {
  BlobRegistry reg("x");
  auto s = session(reg);
  auto f = fetch(reg);
  f.present = [] { return true; };
  auto r = fetch_blob(s, f);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->present);
  EXPECT_TRUE(reg.server->requests().empty());
}

}  // namespace
}  // namespace berth::registry
