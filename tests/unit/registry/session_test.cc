#include "registry/session.h"

#include <gtest/gtest.h>

#include "http/fake_server.h"

namespace berth::registry {
namespace {

using testing::FakeRequest;
using testing::FakeServer;

std::string host_of(const FakeServer& s) { return "127.0.0.1:" + std::to_string(s.port()); }

Session make(http::Client& client, const FakeServer& s, std::optional<Credentials> creds = {},
             bool insecure = true) {
  SessionOptions o;
  o.credentials = std::move(creds);
  o.first_backoff = std::chrono::milliseconds(1);
  return Session(client, Endpoint{"127.0.0.1", host_of(s), "library/app", insecure}, {}, o);
}

TEST(Session, InsecureRegistryFallsBackToPlainHttp) {
  FakeServer server([](const FakeRequest&) { return FakeServer::response(200, "{}"); });
  http::Client client;
  auto s = make(client, server);
  ASSERT_TRUE(s.ping());
  EXPECT_EQ(s.url("tags/list"), "http://" + host_of(server) + "/v2/library/app/tags/list");
}

TEST(Session, SecureRegistryNeverUsesPlainHttp) {
  FakeServer server([](const FakeRequest&) { return FakeServer::response(200, "{}"); });
  http::Client client;
  auto s = make(client, server, std::nullopt, false);
  auto r = s.ping();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().str().find("https://" + host_of(server)), std::string::npos);
  EXPECT_NE(r.error().str().find("pinging registry"), std::string::npos);
}

TEST(Session, BearerTokenIsFetchedWithThePullScopeAndCredentials) {
  std::string realm;
  FakeServer server([&](const FakeRequest& r) {
    if (r.target.rfind("/token", 0) == 0) {
      return FakeServer::response(200, R"({"token":"tok123"})");
    }
    if (r.headers.count("authorization") && r.headers.at("authorization") == "Bearer tok123") {
      return FakeServer::response(200, "manifest");
    }
    return FakeServer::response(
        401, "{}", {"WWW-Authenticate: Bearer realm=\"" + realm + "\",service=\"reg\""});
  });
  realm = server.url("/token");
  http::Client client;
  auto s = make(client, server, Credentials{"me", "pw"});
  auto r = s.get("manifests/latest", {}, 1 << 20);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "manifest");
  bool saw_token = false;
  for (const auto& req : server.requests()) {
    if (req.target.rfind("/token", 0) == 0) {
      saw_token = true;
      EXPECT_EQ(req.target, "/token?service=reg&scope=repository%3Alibrary%2Fapp%3Apull");
      EXPECT_EQ(req.headers.at("authorization"), "Basic bWU6cHc=");
    }
  }
  EXPECT_TRUE(saw_token);
}

TEST(Session, BasicChallengeIsAnsweredWithTheCredentials) {
  FakeServer server([](const FakeRequest& r) {
    if (r.headers.count("authorization") && r.headers.at("authorization") == "Basic dTpw") {
      return FakeServer::response(200, "ok");
    }
    return FakeServer::response(401, "{}", {"WWW-Authenticate: Basic realm=\"r\""});
  });
  http::Client client;
  auto ok = make(client, server, Credentials{"u", "p"});
  auto r = ok.get("tags/list", {}, 1 << 20);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(ok.verify_login());
  auto wrong = make(client, server, Credentials{"u", "bad"});
  auto login = wrong.verify_login();
  ASSERT_FALSE(login);
  EXPECT_EQ(login.error().code(), Code::kPermissionDenied);
  EXPECT_EQ(login.error().str(), "unauthorized: incorrect username or password");
  auto anonymous = make(client, server);
  auto denied = anonymous.get("tags/list", {}, 1 << 20);
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 401);
}

TEST(Session, ServerErrorsAreRetriedThenReturned) {
  int calls = 0;
  FakeServer server([&](const FakeRequest& r) {
    if (r.target == "/v2/") {
      return FakeServer::response(200, "{}");
    }
    return FakeServer::response(++calls < 3 ? 503 : 200, "x");
  });
  http::Client client;
  auto s = make(client, server);
  auto r = s.get("manifests/x", {}, 1 << 20);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(calls, 3);
}

TEST(Session, RegistryErrorBodyIsPutOnOneLine) {
  http::Response r;
  r.status = 401;
  r.body =
      R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":[]}]})";
  auto e = Session::response_error(r, "GET http://x/v2/a/manifests/b");
  EXPECT_EQ(e.code(), Code::kPermissionDenied);
  EXPECT_EQ(e.str(), "GET http://x/v2/a/manifests/b: 401 authentication required");
}

TEST(Session, BackoffDoublesAndHonoursRetryAfter) {
  http::Client client;
  FakeServer server([](const FakeRequest&) { return std::string(); });
  SessionOptions o;
  o.first_backoff = std::chrono::milliseconds(100);
  Session s(client, Endpoint{}, {}, o);
  Result<http::Response> none = fail(Code::kUnavailable, "x");
  EXPECT_EQ(s.backoff(1, none).count(), 100);
  EXPECT_EQ(s.backoff(3, none).count(), 400);
  EXPECT_EQ(s.backoff(20, none).count(), 3200);
  http::Response busy;
  busy.status = 429;
  busy.headers.add("Retry-After", "2");
  EXPECT_EQ(s.backoff(1, busy).count(), 2000);
  EXPECT_TRUE(Session::retryable(busy));
  busy.status = 404;
  EXPECT_FALSE(Session::retryable(busy));
}

}  // namespace
}  // namespace berth::registry
