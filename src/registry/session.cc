#include "registry/session.h"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "base/json.h"
#include "base/strings.h"

namespace berth::registry {

namespace {

constexpr size_t kSmallBody = 1 << 20;

std::string percent_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// The challenge to answer: Bearer when offered (it carries the scope), else Basic.
std::optional<Challenge> pick_challenge(const http::Response& r) {
  std::optional<Challenge> basic;
  for (const auto& h : r.headers.all("WWW-Authenticate")) {
    for (auto& c : parse_challenges(h)) {
      if (c.scheme == "bearer") {
        return c;
      }
      if (c.scheme == "basic") {
        basic = c;
      }
    }
  }
  return basic;
}

// Distribution's error body: {"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}
std::string registry_errors(const std::string& body) {
  auto j = parse_json(body, "error body");
  if (!j || !j->is_object() || !j->contains("errors") || !(*j)["errors"].is_array()) {
    return "";
  }
  std::vector<std::string> parts;
  for (const auto& e : (*j)["errors"]) {
    std::string code = e.value("code", "");
    std::string msg = e.value("message", "");
    parts.push_back(msg.empty() ? to_lower(code) : msg);
  }
  return join(parts, "; ");
}

}  // namespace

Session::Session(http::Client& client, Endpoint endpoint, HostTls tls, SessionOptions options)
    : client_(client),
      endpoint_(std::move(endpoint)),
      tls_(std::move(tls)),
      options_(std::move(options)) {}

http::Request Session::request(const std::string& url) const {
  http::Request req;
  req.url = url;
  req.tls.extra_ca_pem = tls_.ca_pem;
  req.tls.client_cert_file = tls_.client_cert;
  req.tls.client_key_file = tls_.client_key;
  return req;
}

std::string Session::url(const std::string& path) const {
  return fmt::format("{}/v2/{}/{}", base_, endpoint_.repository, path);
}

Result<void> Session::ping() {
  std::lock_guard<std::mutex> g(mu_);
  if (pinged_) {
    return {};
  }
  auto try_scheme = [&](std::string_view scheme) {
    auto req = request(fmt::format("{}://{}/v2/", scheme, endpoint_.host));
    req.total_timeout_seconds = 60;
    return client_.perform(req, kSmallBody);
  };
  base_ = "https://" + endpoint_.host;
  auto r = try_scheme("https");
  if (!r && endpoint_.insecure) {
    // A TLS server answers plain HTTP with a 400 page: only a registry's own answers count.
    auto plain = try_scheme("http");
    if (plain && (plain->status == 200 || plain->status == 401)) {
      base_ = "http://" + endpoint_.host;
      r = std::move(plain);
    } else if (!http::is_tls_error(r.error()) && !plain) {
      r = std::move(plain);
    }
  }
  if (!r) {
    return tl::unexpected(
        std::move(r.error()).context(fmt::format("pinging registry {}", endpoint_.host)));
  }
  if (r->status == 401) {
    challenge_ = pick_challenge(*r);
  } else if (r->status >= 300) {
    return tl::unexpected(response_error(*r, fmt::format("GET {}/v2/", base_))
                              .context(fmt::format("{} is not a registry", endpoint_.host)));
  }
  pinged_ = true;
  return {};
}

Result<void> Session::ensure_pinged() {
  {
    std::lock_guard<std::mutex> g(mu_);
    if (pinged_) {
      return {};
    }
  }
  return ping();
}

Result<std::string> Session::fetch_token(const Challenge& c, const std::string& scope) {
  auto realm = c.params.find("realm");
  if (realm == c.params.end() || realm->second.empty()) {
    return fail(Code::kUnavailable,
                fmt::format("{}: Bearer challenge without a realm", endpoint_.host));
  }
  std::vector<std::string> query;
  if (auto svc = c.params.find("service"); svc != c.params.end()) {
    query.push_back("service=" + percent_encode(svc->second));
  }
  // Several scopes (push plus a mount's source) go as repeated scope parameters, as docker sends
  // them; `scope` holds them separated by spaces.
  for (const auto& one : split(scope, ' ')) {
    if (!one.empty()) {
      query.push_back("scope=" + percent_encode(one));
    }
  }
  std::string sep = realm->second.find('?') == std::string::npos ? "?" : "&";
  auto req = request(realm->second + (query.empty() ? "" : sep + join(query, "&")));
  req.total_timeout_seconds = 60;
  if (options_.credentials) {
    req.headers.push_back(
        "Authorization: Basic " +
        base64_encode(options_.credentials->username + ":" + options_.credentials->password));
  }
  auto r = BERTH_TRY(client_.perform(req, kSmallBody));
  if (r.status == 401 || r.status == 403) {
    return fail(Code::kPermissionDenied, options_.credentials
                                             ? "unauthorized: incorrect username or password"
                                             : "unauthorized: authentication required");
  }
  if (r.status != 200) {
    return tl::unexpected(response_error(r, "GET " + realm->second));
  }
  auto j = BERTH_TRY(parse_json(r.body, "token response"));
  for (const char* key : {"token", "access_token"}) {
    if (j.is_object() && j.contains(key) && j[key].is_string() &&
        !j[key].get<std::string>().empty()) {
      return j[key].get<std::string>();
    }
  }
  return fail(Code::kCorrupt,
              fmt::format("GET {}: the token response has no token", realm->second));
}

Result<std::string> Session::authorization(bool force) {
  std::lock_guard<std::mutex> g(mu_);
  if (!challenge_) {
    return std::string();
  }
  if (challenge_->scheme == "basic") {
    if (!options_.credentials) {
      return std::string();
    }
    return "Authorization: Basic " +
           base64_encode(options_.credentials->username + ":" + options_.credentials->password);
  }
  if (!force && !auth_header_.empty()) {
    return auth_header_;
  }
  std::string scope = fmt::format("repository:{}:{}", endpoint_.repository, options_.actions);
  for (const auto& extra : extra_scopes_) {
    scope += " " + extra;
  }
  auth_header_ = "Authorization: Bearer " + BERTH_TRY(fetch_token(*challenge_, scope));
  return auth_header_;
}

Result<void> Session::verify_login() {
  BERTH_CHECK(ensure_pinged());
  std::optional<Challenge> c;
  {
    std::lock_guard<std::mutex> g(mu_);
    c = challenge_;
  }
  if (!c) {
    return {};  // the registry asks for nothing: docker accepts such a login too
  }
  if (c->scheme == "bearer") {
    return fetch_token(*c, "").map([](const std::string&) {});
  }
  auto req = request(base_ + "/v2/");
  req.total_timeout_seconds = 60;
  req.headers.push_back(BERTH_TRY(authorization(false)));
  auto r = BERTH_TRY(client_.perform(req, kSmallBody));
  if (r.status == 401 || r.status == 403) {
    return fail(Code::kPermissionDenied, "unauthorized: incorrect username or password");
  }
  if (r.status >= 300) {
    return tl::unexpected(response_error(r, "GET " + req.url));
  }
  return {};
}

Result<http::Response> Session::send(http::Request req, const http::BodySink* sink,
                                     size_t max_body) {
  size_t base_headers = req.headers.size();
  for (int round = 0; round < 2; ++round) {
    std::string auth = BERTH_TRY(authorization(round > 0));
    req.headers.resize(base_headers);
    if (!auth.empty()) {
      req.headers.push_back(auth);
    }
    auto r = sink != nullptr ? client_.stream(req, *sink) : client_.perform(req, max_body);
    if (!r || r->status != 401 || round > 0) {
      return r;
    }
    // A 401 after authenticating: the token expired or the registry wants another scope.
    auto fresh = pick_challenge(*r);
    if (!fresh) {
      return r;
    }
    std::lock_guard<std::mutex> g(mu_);
    challenge_ = fresh;
  }
  return fail(Code::kInternal, "unreachable");
}

Result<http::Response> Session::get(const std::string& path,
                                    const std::vector<std::string>& headers, size_t max_body,
                                    const std::string& method) {
  BERTH_CHECK(ensure_pinged());
  for (int attempt = 1;; ++attempt) {
    auto req = request(url(path));
    req.method = method;
    req.headers = headers;
    req.total_timeout_seconds = 300;
    auto r = send(req, nullptr, max_body);
    if (attempt >= options_.max_attempts || !retryable(r)) {
      return r;
    }
    std::this_thread::sleep_for(backoff(attempt, r));
  }
}

Result<http::Response> Session::stream(const std::string& path, std::optional<int64_t> range_from,
                                       const http::BodySink& sink) {
  BERTH_CHECK(ensure_pinged());
  auto req = request(url(path));
  req.range_from = range_from;
  return send(req, &sink, 0);
}

Result<http::Response> Session::perform(http::Request req, size_t max_body) {
  BERTH_CHECK(ensure_pinged());
  req.tls.extra_ca_pem = tls_.ca_pem;
  req.tls.client_cert_file = tls_.client_cert;
  req.tls.client_key_file = tls_.client_key;
  return send(std::move(req), nullptr, max_body);
}

void Session::add_pull_scope(const std::string& repository) {
  std::string scope = fmt::format("repository:{}:pull", repository);
  std::lock_guard<std::mutex> g(mu_);
  if (repository == endpoint_.repository ||
      std::find(extra_scopes_.begin(), extra_scopes_.end(), scope) != extra_scopes_.end()) {
    return;
  }
  extra_scopes_.push_back(scope);
  auth_header_.clear();  // the next request asks for a token with the new scope
}

Result<std::string> Session::base_url() {
  BERTH_CHECK(ensure_pinged());
  std::lock_guard<std::mutex> g(mu_);
  return base_;
}

Error Session::response_error(const http::Response& r, const std::string& what) {
  std::string detail = registry_errors(r.body);
  if (detail.empty()) {
    std::string_view body = trim(r.body);
    detail =
        body.size() <= 200 && body.find('\n') == std::string_view::npos ? std::string(body) : "";
  }
  Code code = Code::kInvalidArgument;
  if (r.status == 401 || r.status == 403) {
    code = Code::kPermissionDenied;
  } else if (r.status == 404) {
    code = Code::kNotFound;
  } else if (r.status == 429 || r.status >= 500) {
    code = Code::kUnavailable;
  }
  std::string msg = fmt::format("{}: {}", what, r.status);
  if (!detail.empty()) {
    msg += " " + detail;
  }
  return Error(code, msg);
}

bool Session::retryable(const Result<http::Response>& r) {
  if (!r) {
    return r.error().code() == Code::kUnavailable && !http::is_tls_error(r.error());
  }
  return r->status == 429 || r->status >= 500;
}

std::chrono::milliseconds Session::backoff(int attempt, const Result<http::Response>& r) const {
  if (r) {
    if (auto after = r->headers.get("Retry-After"); after) {
      if (auto s = parse_uint(trim(*after)); s) {
        return std::chrono::milliseconds(std::min<uint64_t>(*s, 30) * 1000);
      }
    }
  }
  auto d = options_.first_backoff * (1 << std::min(attempt - 1, 5));
  return std::min<std::chrono::milliseconds>(d, std::chrono::seconds(8));
}

Result<std::vector<std::string>> list_tags(Session& s) {
  std::vector<std::string> tags;
  std::string path = "tags/list";
  std::string prefix = fmt::format("/v2/{}/", s.endpoint().repository);
  for (int page = 0; page < 1000 && !path.empty(); ++page) {
    auto r = BERTH_TRY(s.get(path, {}, 16 << 20));
    if (r.status != 200) {
      return tl::unexpected(Session::response_error(r, "GET " + s.url(path)));
    }
    auto j = BERTH_TRY(parse_json(r.body, "tags list"));
    if (j.is_object() && j.contains("tags") && j["tags"].is_array()) {
      for (const auto& t : j["tags"]) {
        if (t.is_string()) {
          tags.push_back(t.get<std::string>());
        }
      }
    }
    path.clear();
    // Link: </v2/<name>/tags/list?last=x&n=100>; rel="next"
    if (auto link = r.headers.get("Link");
        link && link->find("rel=\"next\"") != std::string::npos) {
      auto open = link->find('<');
      auto close = link->find('>');
      if (open != std::string::npos && close != std::string::npos && close > open) {
        std::string target = link->substr(open + 1, close - open - 1);
        if (target.rfind(prefix, 0) == 0) {
          path = target.substr(prefix.size());
        }
      }
    }
  }
  return tags;
}

}  // namespace berth::registry
