#include "registry/manifest_push.h"

#include <thread>

#include <fmt/format.h>

namespace berth::registry {

Result<oci::Digest> put_manifest(Session& session, std::string_view tag_or_digest,
                                 std::string_view media_type, const std::string& bytes) {
  oci::Digest digest = oci::Digest::sha256_of(bytes);
  BERTH_CHECK(session.base_url());  // pings first: url() needs the scheme
  std::string url = session.url("manifests/" + std::string(tag_or_digest));
  for (int attempt = 1;; ++attempt) {
    http::Request req;
    req.method = "PUT";
    req.url = url;
    req.body = bytes;
    req.follow_redirects = false;
    req.total_timeout_seconds = 300;
    req.headers = {fmt::format("Content-Type: {}", media_type), "Expect:"};
    auto r = session.perform(std::move(req));
    if (r && r->status == 201) {
      auto served = r->headers.get("Docker-Content-Digest");
      if (served && !served->empty() && *served != digest.str()) {
        return fail(Code::kCorrupt, fmt::format("PUT {}: the registry stored digest {}, not {}",
                                                url, *served, digest.str()));
      }
      return digest;
    }
    if (attempt >= session.options().max_attempts || !Session::retryable(r)) {
      if (!r) {
        return tl::unexpected(std::move(r.error()));
      }
      return tl::unexpected(Session::response_error(*r, "PUT " + url));
    }
    std::this_thread::sleep_for(session.backoff(attempt, r));
  }
}

}  // namespace berth::registry
