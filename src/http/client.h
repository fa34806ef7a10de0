// HTTP client over libcurl: one request at a time per call, bodies collected into memory (with a
// size limit) or streamed into a callback, redirects followed, Range requests, TLS with the
// system CAs plus extra CA certificates per request.
//
// Threads: a Client is safe to use from several threads at once. It keeps a pool of curl easy
// handles (each one keeps its open connections between requests, so a worker that reuses a
// handle reuses its connection) and shares DNS and TLS sessions between them.
// Blocking: every call blocks until the response is complete, the transfer fails or it times out.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"

namespace berth::http {

// Response headers in the order received; names compare case-insensitively.
class Headers {
 public:
  void add(std::string name, std::string value);
  void clear() { items_.clear(); }
  // The first value of `name`; nullopt when absent.
  std::optional<std::string> get(std::string_view name) const;
  // Every value of `name` (WWW-Authenticate may come several times).
  std::vector<std::string> all(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

struct TlsOptions {
  // PEM certificates trusted besides the system's (a registry's certs.d/<host>/ca.crt).
  std::string extra_ca_pem;
  // A client certificate and key (PEM files); empty for none.
  std::string client_cert_file;
  std::string client_key_file;
};

struct Request {
  std::string method = "GET";  // GET, HEAD, POST, PUT, PATCH, DELETE
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // sent for POST, PUT and PATCH
  // When set, sent instead of body without a copy: a buffer the caller reuses (a 32 MiB upload
  // chunk); it must outlive the request.
  const std::string* body_ref = nullptr;
  std::optional<int64_t> range_from;  // asks for bytes from this offset on ("Range: bytes=N-")
  bool follow_redirects = true;       // up to 10; Authorization is not sent to another host
  TlsOptions tls;
  long connect_timeout_seconds = 30;
  // The transfer fails when fewer than 1 byte per second arrives during this long (a stall).
  long stall_timeout_seconds = 60;
  // The whole request must finish within this long; 0 for no limit (blob downloads).
  long total_timeout_seconds = 0;
};

struct Response {
  int status = 0;
  Headers headers;   // of the final response (after redirects)
  std::string body;  // the body, unless it was streamed into a sink
  std::string effective_url;
};

// Receives a 2xx response body piece by piece, with the response's status and headers (body
// empty) so that the first call can check them (206 or 200 to a Range request). An error aborts
// the transfer and is returned by Client::stream as it is.
using BodySink = std::function<Result<void>(const Response& head, std::string_view chunk)>;

// A failed transfer (no HTTP response: DNS, connect, TLS, reset, timeout) is an Error with code
// Unavailable whose message starts with "<METHOD> <url>: " and names curl's reason. TLS
// verification failures are Unavailable too; is_tls_error() tells them apart.
class Client {
 public:
  Client();
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Performs the request and collects the body into Response::body. A body larger than
  // max_body fails with Corrupt "<METHOD> <url>: response body larger than N bytes".
  // Any HTTP status is a successful Result: callers decide what a 404 means.
  Result<Response> perform(const Request& request, size_t max_body = 4 << 20);

  // Performs the request; a 2xx body goes to `sink` as it arrives, any other status's body is
  // collected into Response::body (at most 64 KiB kept).
  Result<Response> stream(const Request& request, const BodySink& sink);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Whether an error from Client came from TLS (handshake or certificate verification).
bool is_tls_error(const Error& e);

// The user agent every request sends.
inline constexpr std::string_view kUserAgent = "berth/0.1";

}  // namespace berth::http
