#include "http/client.h"

#include <gtest/gtest.h>

#include "http/fake_server.h"

namespace berth::http {
namespace {

using testing::FakeRequest;
using testing::FakeServer;

TEST(HttpHeaders, LookupIgnoresCaseAndKeepsEveryValue) {
  Headers h;
  h.add("WWW-Authenticate", "Basic realm=a");
  h.add("www-authenticate", "Bearer realm=b");
  h.add("Content-Type", "x");
  EXPECT_EQ(h.get("content-type"), "x");
  EXPECT_EQ(h.all("Www-Authenticate").size(), 2u);
  EXPECT_FALSE(h.get("Location"));
}

TEST(HttpClient, GetCollectsStatusHeadersAndBody) {
  FakeServer server([](const FakeRequest& r) {
    return FakeServer::response(r.target == "/hello" ? 200 : 404, "hi " + r.method, {"X-Thing: 7"});
  });
  Client client;
  Request req;
  req.url = server.url("/hello");
  req.headers = {"Accept: text/plain"};
  auto r = client.perform(req);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hi GET");
  EXPECT_EQ(r->headers.get("x-thing"), "7");
  EXPECT_EQ(server.requests().at(0).headers.at("accept"), "text/plain");
  EXPECT_NE(server.requests().at(0).headers.at("user-agent").find("berth"), std::string::npos);
  req.url = server.url("/nope");
  auto missing = client.perform(req);
  ASSERT_TRUE(missing) << "an HTTP error status is a response, not a failure";
  EXPECT_EQ(missing->status, 404);
}

TEST(HttpClient, PostAndPutSendTheirBody) {
  FakeServer server([](const FakeRequest& r) { return FakeServer::response(201, r.body); });
  Client client;
  for (std::string method : {"POST", "PUT", "PATCH"}) {
    Request req;
    req.method = method;
    req.url = server.url("/upload");
    req.body = "payload-" + method;
    auto r = client.perform(req);
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(r->status, 201);
    EXPECT_EQ(r->body, "payload-" + method);
  }
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[2].method, "PATCH");
}

TEST(HttpClient, RedirectsAreFollowedToTheFinalResponse) {
  FakeServer server([](const FakeRequest& r) {
    if (r.target == "/old") {
      return FakeServer::response(307, "moved", {"Location: /new"});
    }
    return FakeServer::response(200, "here");
  });
  Client client;
  Request req;
  req.url = server.url("/old");
  auto r = client.perform(req);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "here");
  EXPECT_EQ(r->effective_url, server.url("/new"));
}

TEST(HttpClient, BodyOverTheLimitIsRefused) {
  FakeServer server(
      [](const FakeRequest&) { return FakeServer::response(200, std::string(5000, 'x')); });
  Client client;
  Request req;
  req.url = server.url("/big");
  auto r = client.perform(req, 1000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kCorrupt);
  EXPECT_NE(r.error().str().find("larger than 1000 bytes"), std::string::npos);
}

TEST(HttpClient, RangeRequestAsksFromTheOffsetAndStreamsThe206Body) {
  std::string blob = "0123456789";
  FakeServer server([&](const FakeRequest& r) {
    auto it = r.headers.find("range");
    if (it == r.headers.end()) {
      return FakeServer::response(200, blob);
    }
    size_t from = std::stoul(it->second.substr(6));
    return FakeServer::response(206, blob.substr(from),
                                {"Content-Range: bytes " + std::to_string(from) + "-9/10"});
  });
  Client client;
  Request req;
  req.url = server.url("/blob");
  req.range_from = 4;
  std::string got;
  int status_seen = 0;
  auto r = client.stream(req, [&](const Response& head, std::string_view chunk) -> Result<void> {
    status_seen = head.status;
    EXPECT_EQ(head.headers.get("Content-Range"), "bytes 4-9/10");
    got.append(chunk);
    return {};
  });
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->status, 206);
  EXPECT_EQ(status_seen, 206);
  EXPECT_EQ(got, "456789");
  EXPECT_EQ(server.requests().at(0).headers.at("range"), "bytes=4-");
}

TEST(HttpClient, SinkErrorAbortsTheTransferAndIsReturned) {
  FakeServer server(
      [](const FakeRequest&) { return FakeServer::response(200, std::string(1 << 20, 'a')); });
  Client client;
  Request req;
  req.url = server.url("/x");
  auto r = client.stream(req, [](const Response&, std::string_view) -> Result<void> {
    return fail(Code::kCorrupt, "stop right there");
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().str(), "stop right there");
}

TEST(HttpClient, ErrorBodiesAreNotStreamedIntoTheSink) {
  FakeServer server([](const FakeRequest&) { return FakeServer::response(500, "oops"); });
  Client client;
  Request req;
  req.url = server.url("/x");
  bool called = false;
  auto r = client.stream(req, [&](const Response&, std::string_view) -> Result<void> {
    called = true;
    return {};
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->body, "oops");
  EXPECT_FALSE(called);
}

TEST(HttpClient, ConnectionIsReusedBetweenRequests) {
  FakeServer server([](const FakeRequest&) { return FakeServer::response(200, "ok"); });
  Client client;
  Request req;
  req.url = server.url("/a");
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(client.perform(req));
  }
  EXPECT_EQ(server.requests().size(), 5u);
  EXPECT_EQ(server.connections(), 1) << "one kept-alive connection for sequential requests";
}

TEST(HttpClient, RefusedConnectionIsUnavailableAndNamesTheUrl) {
  int port;
  {
    FakeServer gone([](const FakeRequest&) { return std::string(); });
    port = gone.port();
  }
  Client client;
  Request req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/v2/";
  req.connect_timeout_seconds = 5;
  auto r = client.perform(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kUnavailable);
  EXPECT_NE(r.error().str().find("GET " + req.url), std::string::npos);
  EXPECT_FALSE(is_tls_error(r.error()));
}

TEST(HttpClient, PlainServerAnsweringTlsIsATlsError) {
  FakeServer server([](const FakeRequest&) { return FakeServer::response(200, "plain"); });
  Client client;
  Request req;
  req.url = "https://127.0.0.1:" + std::to_string(server.port()) + "/";
  req.connect_timeout_seconds = 5;
  req.total_timeout_seconds = 10;
  auto r = client.perform(req);
  ASSERT_FALSE(r);
  EXPECT_TRUE(is_tls_error(r.error())) << r.error().str();
}

}  // namespace
}  // namespace berth::http
