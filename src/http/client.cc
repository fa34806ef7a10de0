#include "http/client.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"

namespace berth::http {

namespace {

constexpr size_t kMaxErrorBody = 64 << 10;
constexpr std::string_view kTlsPrefix = "TLS: ";

// The system bundle Debian's ca-certificates writes; read once, prepended to per-registry CAs
// because CURLOPT_CAINFO_BLOB replaces the default trust store instead of adding to it.
const std::string& system_ca_bundle() {
  static const std::string bundle = [] {
    for (const char* p :
         {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"}) {
      if (auto r = read_file(p); r) {
        return *r;
      }
    }
    return std::string();
  }();
  return bundle;
}

bool is_tls_code(CURLcode c) {
  switch (c) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return true;
    default:
      return false;
  }
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// What one transfer collects while curl runs its callbacks.
struct Transfer {
  CURL* easy = nullptr;
  Response* resp = nullptr;
  const BodySink* sink = nullptr;  // null: collect into resp->body
  size_t max_body = 0;
  bool too_large = false;
  std::optional<Error> sink_error;
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    t->resp->headers.clear();  // a new response (after a redirect or a 100 Continue)
    return size * n;
  }
  bool found = false;
  auto [name, value] = cut(line, ':', &found);
  if (found) {
    t->resp->headers.add(std::string(trim(name)), std::string(trim(value)));
  }
  return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  long status = 0;
  curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
  if (t->sink != nullptr && status >= 200 && status < 300) {
    t->resp->status = static_cast<int>(status);
    auto r = (*t->sink)(*t->resp, std::string_view(data, len));
    if (!r) {
      t->sink_error = std::move(r.error());
      return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
    }
    return len;
  }
  size_t limit = t->sink != nullptr ? kMaxErrorBody : t->max_body;
  if (t->resp->body.size() + len > limit) {
    if (t->sink != nullptr) {
      return len;  // an error page: keep its head only
    }
    t->too_large = true;
    return 0;
  }
  t->resp->body.append(data, len);
  return len;
}

}  // namespace

void Headers::add(std::string name, std::string value) {
  items_.emplace_back(std::move(name), std::move(value));
}

std::optional<std::string> Headers::get(std::string_view name) const {
  for (const auto& [k, v] : items_) {
    if (iequals(k, name)) {
      return v;
    }
  }
  return std::nullopt;
}

std::vector<std::string> Headers::all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : items_) {
    if (iequals(k, name)) {
      out.push_back(v);
    }
  }
  return out;
}

bool is_tls_error(const Error& e) { return e.message().find(kTlsPrefix) != std::string::npos; }

struct Client::Impl {
  CURLSH* share = nullptr;
  std::mutex share_mu[CURL_LOCK_DATA_LAST];
  std::mutex pool_mu;
  std::vector<CURL*> idle;  // easy handles between requests, with their live connections

  Impl() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    share = curl_share_init();
    curl_share_setopt(share, CURLSHOPT_LOCKFUNC, &Impl::lock);
    curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, &Impl::unlock);
    curl_share_setopt(share, CURLSHOPT_USERDATA, this);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }
  ~Impl() {
    for (CURL* e : idle) {
      curl_easy_cleanup(e);
    }
    curl_share_cleanup(share);
  }

  static void lock(CURL*, curl_lock_data data, curl_lock_access, void* self) {
    static_cast<Impl*>(self)->share_mu[data].lock();
  }
  static void unlock(CURL*, curl_lock_data data, void* self) {
    static_cast<Impl*>(self)->share_mu[data].unlock();
  }

  CURL* take() {
    std::lock_guard<std::mutex> g(pool_mu);
    if (!idle.empty()) {
      CURL* e = idle.back();
      idle.pop_back();
      curl_easy_reset(e);  // keeps its connections, DNS and session caches
      return e;
    }
    return curl_easy_init();
  }
  void give_back(CURL* e) {
    std::lock_guard<std::mutex> g(pool_mu);
    idle.push_back(e);
  }

  Result<Response> run(const Request& req, const BodySink* sink, size_t max_body);
  void configure(CURL* e, const Request& req, curl_slist* headers, Transfer* t, char* errbuf);
};

void Client::Impl::configure(CURL* e, const Request& req, curl_slist* headers, Transfer* t,
                             char* errbuf) {
  curl_easy_setopt(e, CURLOPT_SHARE, share);
  curl_easy_setopt(e, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for DNS timeouts
  curl_easy_setopt(e, CURLOPT_USERAGENT, std::string(kUserAgent).c_str());
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, req.follow_redirects ? 1L : 0L);
  curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, req.connect_timeout_seconds);
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, req.stall_timeout_seconds);
  curl_easy_setopt(e, CURLOPT_TIMEOUT, req.total_timeout_seconds);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 256L << 10);
  if (req.method == "HEAD") {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  } else if (req.method != "GET") {
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }
  if (req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
    const std::string& body = req.body_ref != nullptr ? *req.body_ref : req.body;
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  if (req.range_from) {
    curl_easy_setopt(e, CURLOPT_RANGE, fmt::format("{}-", *req.range_from).c_str());
  }
  if (!req.tls.extra_ca_pem.empty()) {
    std::string pem = system_ca_bundle() + "\n" + req.tls.extra_ca_pem;
    curl_blob blob{pem.data(), pem.size(), CURL_BLOB_COPY};
    curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
  }
  if (!req.tls.client_cert_file.empty()) {
    curl_easy_setopt(e, CURLOPT_SSLCERT, req.tls.client_cert_file.c_str());
    curl_easy_setopt(e, CURLOPT_SSLKEY, req.tls.client_key_file.c_str());
  }
}

Result<Response> Client::Impl::run(const Request& req, const BodySink* sink, size_t max_body) {
  CURL* e = take();
  if (e == nullptr) {
    return fail(Code::kInternal, "curl_easy_init failed");
  }
  Response resp;
  Transfer t{e, &resp, sink, max_body, false, std::nullopt};
  curl_slist* headers = nullptr;
  for (const auto& h : req.headers) {
    headers = curl_slist_append(headers, h.c_str());
  }
  char errbuf[CURL_ERROR_SIZE] = {0};
  configure(e, req, headers, &t, errbuf);
  CURLcode rc = curl_easy_perform(e);
  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  char* eff = nullptr;
  curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &eff);
  resp.status = static_cast<int>(status);
  resp.effective_url = eff != nullptr ? eff : req.url;
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    // A handle that failed may hold a half-used connection: drop it rather than pool it.
    curl_easy_cleanup(e);
  } else {
    give_back(e);
  }
  std::string what = fmt::format("{} {}", req.method, req.url);
  if (t.sink_error) {
    return tl::unexpected(std::move(*t.sink_error));
  }
  if (t.too_large) {
    return fail(Code::kCorrupt,
                fmt::format("{}: response body larger than {} bytes", what, max_body));
  }
  if (rc != CURLE_OK) {
    std::string reason = errbuf[0] != '\0' ? std::string(trim(errbuf)) : curl_easy_strerror(rc);
    return fail(Code::kUnavailable,
                fmt::format("{}: {}{}", what, is_tls_code(rc) ? kTlsPrefix : "", reason));
  }
  return resp;
}

Client::Client() : impl_(std::make_unique<Impl>()) {}
Client::~Client() = default;

Result<Response> Client::perform(const Request& request, size_t max_body) {
  return impl_->run(request, nullptr, max_body);
}

Result<Response> Client::stream(const Request& request, const BodySink& sink) {
  return impl_->run(request, &sink, 0);
}

}  // namespace berth::http
