// A session with one repository on one registry (OCI distribution spec / Docker Registry v2):
// chooses the scheme, answers authentication challenges (Bearer tokens with a repository scope,
// or Basic) and retries what is worth retrying.
//
// Threads: one Session may serve several threads at once (the blob workers of a pull); the
// token is shared and refreshed under a lock. Blocking: every call blocks on the network.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "http/client.h"
#include "registry/auth_config.h"
#include "registry/challenge.h"
#include "registry/endpoint.h"

namespace berth::registry {

struct SessionOptions {
  std::optional<Credentials> credentials;
  std::string actions = "pull";  // the token scope's actions: repository:<name>:<actions>
  int max_attempts = 5;          // tries of one request on 5xx, 429 and connection errors
  std::chrono::milliseconds first_backoff{250};
};

class Session {
 public:
  // Does no I/O; `client` is borrowed and must outlive the session.
  Session(http::Client& client, Endpoint endpoint, HostTls tls, SessionOptions options);

  // GET /v2/: decides the scheme (HTTPS; plain HTTP only for an insecure endpoint whose HTTPS
  // attempt failed) and records the registry's challenge. Called by the first request if not
  // before. Errors: Unavailable naming the URL and curl's reason (the HTTPS one when both fail
  // and HTTPS failed on TLS).
  Result<void> ping();

  // Checks the session's credentials against the registry (docker login): Basic is tried on
  // /v2/, Bearer by fetching a token. PermissionDenied "unauthorized: incorrect username or
  // password" when the registry refuses them.
  Result<void> verify_login();

  // A GET (or HEAD) of `path` under /v2/<repository>/ ("manifests/latest"), with authentication
  // and retries; the body is collected (max_body). Any HTTP status is returned, after 401s were
  // answered once with fresh credentials.
  Result<http::Response> get(const std::string& path, const std::vector<std::string>& headers,
                             size_t max_body, const std::string& method = "GET");

  // One streamed GET attempt with authentication (no retries: the caller resumes with a new
  // range_from). A 2xx body goes to sink.
  Result<http::Response> stream(const std::string& path, std::optional<int64_t> range_from,
                                const http::BodySink& sink);

  // One request (any method, an absolute URL on this registry such as an upload's Location) with
  // the session's TLS material and authentication, a 401 answered once with fresh credentials,
  // and no retries: an upload's caller retries itself after asking the registry where it stands.
  // Any HTTP status is returned; the body is collected (max_body).
  Result<http::Response> perform(http::Request req, size_t max_body = 1 << 20);

  // Adds `repository:<repository>:pull` to the scope of the tokens this session asks for (a
  // cross-repository mount must read its source); the next request fetches a new token. Does no
  // I/O; a no-op for Basic auth and for a repository already in the scope.
  void add_pull_scope(const std::string& repository);

  // "https://host" or "http://host", once pinged (pings first when not yet).
  Result<std::string> base_url();

  // The URL of a path under the repository ("https://host/v2/library/busybox/manifests/x").
  std::string url(const std::string& path) const;
  const Endpoint& endpoint() const { return endpoint_; }
  const SessionOptions& options() const { return options_; }

  // An error for a non-2xx response, in one line: "<what>: <status> <registry's errors>"
  // (Distribution's {"errors":[{"code","message"}]} when the body has them). The code follows
  // the status: 401/403 PermissionDenied, 404 NotFound, 429/5xx Unavailable, else
  // InvalidArgument.
  static Error response_error(const http::Response& r, const std::string& what);

  // Whether a failed attempt is worth another (connection errors that are not TLS errors, 429,
  // 5xx), and how long to wait first (Retry-After when the registry says, else doubling backoff
  // from first_backoff, at most 8 s).
  static bool retryable(const Result<http::Response>& r);
  std::chrono::milliseconds backoff(int attempt, const Result<http::Response>& r) const;

 private:
  http::Request request(const std::string& url) const;
  Result<void> ensure_pinged();
  // Fetches (or, with force, refetches) the Authorization header value for the challenge.
  Result<std::string> authorization(bool force);
  Result<std::string> fetch_token(const Challenge& c, const std::string& scope);
  Result<http::Response> send(http::Request req, const http::BodySink* sink, size_t max_body);

  http::Client& client_;
  Endpoint endpoint_;
  HostTls tls_;
  SessionOptions options_;

  std::mutex mu_;
  bool pinged_ = false;
  std::string base_;  // "https://host" or "http://host"
  std::optional<Challenge> challenge_;
  std::string auth_header_;                // "Authorization: …" or empty
  std::vector<std::string> extra_scopes_;  // from add_pull_scope
};

// The tags of a repository (GET tags/list, following Link pagination).
Result<std::vector<std::string>> list_tags(Session& s);

}  // namespace berth::registry
