#include "registry/blob_push.h"

#include <gtest/gtest.h>

#include "http/fake_server.h"
#include "registry/manifest_push.h"

namespace berth::registry {
namespace {

using testing::FakeRequest;
using testing::FakeServer;

std::string push_host(const FakeServer& s) { return "127.0.0.1:" + std::to_string(s.port()); }

Session push_session(http::Client& client, const FakeServer& s) {
  SessionOptions o;
  o.actions = "pull,push";
  o.first_backoff = std::chrono::milliseconds(1);
  return Session(client, Endpoint{"127.0.0.1", push_host(s), "library/app", true}, {}, o);
}

BlobSource source_of(const std::string& data) {
  return BlobSource{oci::Digest::sha256_of(data), static_cast<int64_t>(data.size()),
                    [&data](int64_t off, size_t len, std::string& into) -> Result<void> {
                      into = data.substr(static_cast<size_t>(off), len);
                      return {};
                    }};
}

// A registry's upload endpoint: holds what PATCHes and PUTs sent, checks Content-Range against
// what it has, and answers with distribution's Location and Range headers.
struct FakeUploads {
  std::string received;
  std::string put_digest;
  int uploads = 0;
  int cut_patch = -1;  // the PATCH (counted from 0) whose connection is closed unanswered
  int patches = 0;

  std::string location() const {
    return "/v2/library/app/blobs/uploads/u" + std::to_string(uploads);
  }
  std::string range() const { return "Range: 0-" + std::to_string(int64_t(received.size()) - 1); }

  std::string handle(const FakeRequest& r) {
    if (r.method == "GET" && r.target == "/v2/") {
      return FakeServer::response(200, "{}");
    }
    if (r.method == "POST") {
      ++uploads;
      received.clear();
      return FakeServer::response(202, "", {"Location: " + location(), "Range: 0--1"});
    }
    if (r.target.rfind(location(), 0) != 0) {
      return FakeServer::response(404, R"({"errors":[{"code":"BLOB_UPLOAD_UNKNOWN"}]})");
    }
    if (r.method == "GET") {
      return FakeServer::response(204, "", {range()});
    }
    if (r.method == "PATCH") {
      if (patches++ == cut_patch) {
        received += r.body.substr(0, r.body.size() / 2);  // the registry kept half of it
        return "";
      }
      std::string want = std::to_string(received.size()) + "-";
      if (r.headers.at("content-range").rfind(want, 0) != 0) {
        return FakeServer::response(416, "", {range()});
      }
      received += r.body;
      return FakeServer::response(202, "", {"Location: " + location() + "?state=x", range()});
    }
    if (r.method == "PUT") {
      received += r.body;
      put_digest = r.target.substr(r.target.find("digest=") + 7);
      return FakeServer::response(201, "");
    }
    return FakeServer::response(405, "");
  }
};

TEST(UploadBookkeeping, LocationsResolveAgainstTheRegistry) {
  EXPECT_EQ(
      resolve_location("http://h:5", "http://h:5/v2/a/blobs/uploads/", "/v2/a/blobs/uploads/u?s=1"),
      "http://h:5/v2/a/blobs/uploads/u?s=1");
  EXPECT_EQ(resolve_location("http://h:5", "http://h:5/v2/a/", "https://other/x"),
            "https://other/x");
  EXPECT_EQ(resolve_location("http://h:5", "http://h:5/v2/a/blobs/uploads/?mount=x", "u1"),
            "http://h:5/v2/a/blobs/uploads/u1");
}

TEST(UploadBookkeeping, RangeHeadersGiveTheNextOffset) {
  EXPECT_EQ(next_offset_from_range("0-1234"), 1235);
  EXPECT_EQ(next_offset_from_range("bytes=0-9"), 10);
  EXPECT_EQ(next_offset_from_range("0--1"), 0);
  EXPECT_EQ(next_offset_from_range("5-9"), std::nullopt);
  EXPECT_EQ(next_offset_from_range("garbage"), std::nullopt);
}

TEST(UploadBookkeeping, DigestIsAddedToTheQuery) {
  EXPECT_EQ(with_query("http://h/u", "digest=d"), "http://h/u?digest=d");
  EXPECT_EQ(with_query("http://h/u?_state=s", "digest=d"), "http://h/u?_state=s&digest=d");
}

TEST(BlobPush, SmallBlobGoesInOnePutWithItsDigest) {
  FakeUploads reg;
  FakeServer server([&](const FakeRequest& r) { return reg.handle(r); });
  http::Client client;
  auto s = push_session(client, server);
  std::string data = "hello blob";
  auto r = upload_blob(s, source_of(data), {});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(reg.received, data);
  EXPECT_EQ(reg.patches, 0);
  EXPECT_EQ(reg.put_digest, "sha256%3A" + oci::Digest::sha256_of(data).str().substr(7));
}

TEST(BlobPush, LargeBlobGoesInChunksFollowingLocation) {
  FakeUploads reg;
  FakeServer server([&](const FakeRequest& r) { return reg.handle(r); });
  http::Client client;
  auto s = push_session(client, server);
  std::string data(1000, 'x');
  for (size_t i = 0; i < data.size(); ++i) {
    data[i] = static_cast<char>('a' + i % 26);
  }
  UploadOptions o;
  o.monolithic_max = 100;
  o.chunk_size = 300;
  auto r = upload_blob(s, source_of(data), o);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(reg.received, data);
  EXPECT_EQ(reg.patches, 4);
  EXPECT_EQ(r->retries, 0);
}

TEST(BlobPush, CutChunkResumesAtTheRegistrysOffset) {
  FakeUploads reg;
  reg.cut_patch = 1;  // the second chunk is cut; the registry keeps half of it
  FakeServer server([&](const FakeRequest& r) { return reg.handle(r); });
  http::Client client;
  auto s = push_session(client, server);
  std::string data(1000, '\0');
  for (size_t i = 0; i < data.size(); ++i) {
    data[i] = static_cast<char>(i * 7 % 251);
  }
  UploadOptions o;
  o.monolithic_max = 100;
  o.chunk_size = 300;
  auto r = upload_blob(s, source_of(data), o);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(reg.received, data);
  EXPECT_LE(r->retries, 1);  // 0 when curl itself re-sent the request and got a 416
  EXPECT_EQ(reg.uploads, 1) << "the same upload went on";
  bool asked_status = false;
  for (const auto& q : server.requests()) {
    if (q.method == "PATCH" && q.headers.at("content-range") == "450-749") {
      asked_status = true;  // resumed at 300 + 150, the registry's offset
    }
  }
  EXPECT_TRUE(asked_status);
}

TEST(BlobPush, MountAnswersTellMountedFromStartedUpload) {
  int status = 201;
  FakeServer server([&](const FakeRequest& r) {
    if (r.target == "/v2/") {
      return FakeServer::response(200, "{}");
    }
    return FakeServer::response(status, "", {"Location: /v2/library/app/blobs/uploads/m1"});
  });
  http::Client client;
  auto s = push_session(client, server);
  auto d = oci::Digest::sha256_of("x");
  auto m = mount_blob(s, d, "library/other");
  ASSERT_TRUE(m) << m.error().str();
  EXPECT_TRUE(m->mounted);
  EXPECT_NE(server.requests().back().target.find("mount=sha256%3A"), std::string::npos);
  EXPECT_NE(server.requests().back().target.find("from=library/other"), std::string::npos);
  status = 202;
  m = mount_blob(s, d, "library/other");
  ASSERT_TRUE(m) << m.error().str();
  EXPECT_FALSE(m->mounted);
  EXPECT_EQ(m->upload_location, server.url("/v2/library/app/blobs/uploads/m1"));
}

TEST(BlobPush, HeadTellsWhetherTheRegistryHasTheBlob) {
  FakeServer server([&](const FakeRequest& r) {
    if (r.target == "/v2/") {
      return FakeServer::response(200, "{}");
    }
    return FakeServer::response(r.target.find("aaaa") != std::string::npos ? 200 : 404, "");
  });
  http::Client client;
  auto s = push_session(client, server);
  auto yes = blob_exists(s, oci::Digest::from_sha256_hex(std::string(64, 'a')));
  auto no = blob_exists(s, oci::Digest::from_sha256_hex(std::string(64, 'b')));
  ASSERT_TRUE(yes && no);
  EXPECT_TRUE(*yes);
  EXPECT_FALSE(*no);
}

TEST(ManifestPush, ManifestIsPutWithItsContentType) {
  FakeServer server([&](const FakeRequest& r) {
    if (r.target == "/v2/") {
      return FakeServer::response(200, "{}");
    }
    return FakeServer::response(201, "");
  });
  http::Client client;
  auto s = push_session(client, server);
  std::string bytes = R"({"schemaVersion":2})";
  auto d = put_manifest(s, "v1", "application/vnd.oci.image.manifest.v1+json", bytes);
  ASSERT_TRUE(d) << d.error().str();
  EXPECT_EQ(*d, oci::Digest::sha256_of(bytes));
  auto last = server.requests().back();
  EXPECT_EQ(last.method, "PUT");
  EXPECT_EQ(last.target, "/v2/library/app/manifests/v1");
  EXPECT_EQ(last.headers.at("content-type"), "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(last.body, bytes);
}

}  // namespace
}  // namespace berth::registry
