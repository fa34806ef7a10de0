#include "registry/blob_push.h"

#include <algorithm>
#include <cctype>
#include <thread>

#include <fmt/format.h>

#include "base/strings.h"

namespace berth::registry {

namespace {

constexpr size_t kPushSmallBody = 1 << 20;

std::string query_escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

http::Request body_request(const std::string& method, const std::string& url, std::string body) {
  http::Request req;
  req.method = method;
  req.url = url;
  req.body = std::move(body);
  req.follow_redirects = false;
  // No "Expect: 100-continue" round trip per chunk: the registry reads what we send.
  req.headers = {"Content-Type: application/octet-stream", "Expect:"};
  return req;
}

// Starts an upload: POST blobs/uploads/ → 202 with the upload's Location.
Result<std::string> start_upload(Session& s) {
  auto r = BERTH_TRY(s.get("blobs/uploads/", {"Content-Length: 0"}, kPushSmallBody, "POST"));
  if (r.status != 202) {
    return tl::unexpected(Session::response_error(r, "POST " + s.url("blobs/uploads/")));
  }
  auto loc = r.headers.get("Location");
  if (!loc || loc->empty()) {
    return fail(Code::kCorrupt,
                fmt::format("POST {}: 202 without a Location", s.url("blobs/uploads/")));
  }
  return resolve_location(BERTH_TRY(s.base_url()), s.url("blobs/uploads/"), *loc);
}

// Where an upload stands after a failed chunk: the offset the registry holds, or nullopt when
// the upload cannot go on (404 unknown; distribution answers 400 BLOB_UPLOAD_INVALID when the
// offset signed into the Location's _state no longer matches what a cut request left behind).
// The answer's Location (with distribution's fresh _state) replaces `location`.
Result<std::optional<int64_t>> upload_status(Session& s, std::string& location) {
  http::Request req;
  req.url = location;
  req.follow_redirects = false;
  req.total_timeout_seconds = 60;
  auto r = BERTH_TRY(s.perform(req));
  if (r.status >= 400 && r.status < 500 && r.status != 401 && r.status != 403 && r.status != 429) {
    return std::optional<int64_t>();
  }
  if (r.status != 204 && r.status != 200) {
    return tl::unexpected(Session::response_error(r, "GET " + location));
  }
  if (auto loc = r.headers.get("Location"); loc && !loc->empty()) {
    location = resolve_location(BERTH_TRY(s.base_url()), location, *loc);
  }
  auto range = r.headers.get("Range");
  auto next = range ? next_offset_from_range(*range) : std::optional<int64_t>(0);
  if (!next) {
    return std::optional<int64_t>();
  }
  return next;
}

// The closing PUT ?digest=, with the whole content (monolithic) or none (chunked).
Result<void> finish_upload(Session& s, const std::string& location, const oci::Digest& digest,
                           std::string body) {
  auto req = body_request("PUT", with_query(location, "digest=" + query_escape(digest.str())),
                          std::move(body));
  auto r = BERTH_TRY(s.perform(std::move(req)));
  if (r.status != 201 && r.status != 204) {
    return tl::unexpected(Session::response_error(r, "PUT " + location));
  }
  return {};
}

// Runs `step` until it succeeds or fails for good; `recover` runs before each retry.
template <typename Step, typename Recover>
Result<void> with_retries(Session& s, UploadResult& out, Step step, Recover recover) {
  for (int attempt = 1;; ++attempt) {
    Result<http::Response> r = step();
    if (r && r->status < 300) {
      return {};
    }
    if (attempt >= s.options().max_attempts || !Session::retryable(r)) {
      if (!r) {
        return tl::unexpected(std::move(r.error()));
      }
      return tl::unexpected(Session::response_error(*r, "uploading blob"));
    }
    ++out.retries;
    std::this_thread::sleep_for(s.backoff(attempt, r));
    BERTH_CHECK(recover());
  }
}

Result<UploadResult> upload_monolithic(Session& s, const BlobSource& src, const UploadOptions& o) {
  UploadResult out;
  std::string body;
  BERTH_CHECK(src.read(0, static_cast<size_t>(src.size), body));
  std::string location = o.location.empty() ? BERTH_TRY(start_upload(s)) : o.location;
  std::string url = with_query(location, "digest=" + query_escape(src.digest.str()));
  BERTH_CHECK(with_retries(
      s, out,
      [&]() -> Result<http::Response> {
        out.transferred += src.size;
        return s.perform(body_request("PUT", url, body));
      },
      [&]() -> Result<void> {
        // A PUT cut short may have ended the upload: a new one is the sure way on.
        location = BERTH_TRY(start_upload(s));
        url = with_query(location, "digest=" + query_escape(src.digest.str()));
        return {};
      }));
  if (o.progress) {
    o.progress(src.size, src.size);
  }
  return out;
}

// One PATCH of [offset, offset+len); on success moves location and offset on as the registry says.
Result<http::Response> patch_chunk(Session& s, const BlobSource& src, std::string& location,
                                   int64_t& offset, size_t len, std::string& buf,
                                   UploadResult& out) {
  if (auto read = src.read(offset, len, buf); !read) {
    return tl::unexpected(std::move(read.error()));
  }
  auto req = body_request("PATCH", location, "");
  req.body_ref = &buf;
  req.headers.push_back(
      fmt::format("Content-Range: {}-{}", offset, offset + static_cast<int64_t>(len) - 1));
  out.transferred += static_cast<int64_t>(len);
  auto r = s.perform(std::move(req));
  if (!r || r->status != 202) {
    return r;
  }
  if (auto loc = r->headers.get("Location"); loc && !loc->empty()) {
    location = resolve_location(BERTH_TRY(s.base_url()), location, *loc);
  }
  auto range = r->headers.get("Range");
  auto next = range ? next_offset_from_range(*range) : std::nullopt;
  offset = next ? *next : offset + static_cast<int64_t>(len);
  return r;
}

// A chunked upload: PATCHes following the registry's Location and offsets, then the PUT.
class ChunkedUpload {
 public:
  ChunkedUpload(Session& s, const BlobSource& src, const UploadOptions& o)
      : s_(s), src_(src), o_(o) {}

  Result<UploadResult> run() {
    location_ = o_.location.empty() ? BERTH_TRY(start_upload(s_)) : o_.location;
    while (offset_ < src_.size) {
      BERTH_CHECK(with_retries(
          s_, out_, [this] { return step(); }, [this] { return recover(); }));
      if (o_.progress) {
        o_.progress(offset_, src_.size);
      }
    }
    BERTH_CHECK(with_retries(
        s_, out_,
        [this]() -> Result<http::Response> {
          BERTH_CHECK(finish_upload(s_, location_, src_.digest, ""));
          http::Response ok;
          ok.status = 201;
          return ok;
        },
        [] { return Result<void>(); }));
    return out_;
  }

 private:
  size_t chunk_len() const {
    return static_cast<size_t>(std::min<int64_t>(o_.chunk_size, src_.size - offset_));
  }

  // One PATCH. The answers that say where to go on are turned into a 202 here: a vanished or
  // refused upload (404, 400: distribution's BLOB_UPLOAD_INVALID after a cut request) starts
  // over, a 416 goes on at the offset the registry reports.
  Result<http::Response> step() {
    http::Response moved;
    moved.status = 202;
    if (offset_ >= src_.size) {  // the registry has it all after a resync
      return moved;
    }
    auto r = patch_chunk(s_, src_, location_, offset_, chunk_len(), buf_, out_);
    if (r && (r->status == 404 || r->status == 400) && restarts_ < s_.options().max_attempts) {
      ++restarts_;
      ++out_.retries;
      location_ = BERTH_TRY(start_upload(s_));
      offset_ = 0;
      return moved;
    }
    if (r && r->status == 416) {
      auto at = BERTH_TRY(upload_status(s_, location_));
      if (!at) {
        location_ = BERTH_TRY(start_upload(s_));
      }
      offset_ = at ? std::min(*at, src_.size) : 0;
      return moved;
    }
    return r;
  }

  // After a failed PATCH: asks the registry what it holds. A status that fails too (the link is
  // still down) counts as the upload lost.
  Result<void> recover() {
    auto at = upload_status(s_, location_);
    if (!at || !*at) {
      location_ = BERTH_TRY(start_upload(s_));
    }
    offset_ = at && *at ? std::min(**at, src_.size) : 0;
    return {};
  }

  Session& s_;
  const BlobSource& src_;
  const UploadOptions& o_;
  UploadResult out_;
  std::string location_;
  int64_t offset_ = 0;
  std::string buf_;  // the chunk being sent, reused: no fresh 32 MiB to zero and fault in each time
  int restarts_ = 0;
};

}  // namespace

Result<bool> blob_exists(Session& session, const oci::Digest& digest) {
  std::string path = "blobs/" + digest.str();
  auto r = BERTH_TRY(session.get(path, {}, kPushSmallBody, "HEAD"));
  if (r.status == 200) {
    return true;
  }
  if (r.status == 404) {
    return false;
  }
  return tl::unexpected(Session::response_error(r, "HEAD " + session.url(path)));
}

Result<MountResult> mount_blob(Session& session, const oci::Digest& digest,
                               const std::string& from_repository) {
  std::string path = fmt::format("blobs/uploads/?mount={}&from={}", query_escape(digest.str()),
                                 query_escape(from_repository));
  auto r = BERTH_TRY(session.get(path, {"Content-Length: 0"}, kPushSmallBody, "POST"));
  MountResult out;
  if (r.status == 201) {
    out.mounted = true;
  } else if (r.status == 202) {
    if (auto loc = r.headers.get("Location"); loc && !loc->empty()) {
      out.upload_location =
          resolve_location(BERTH_TRY(session.base_url()), session.url(path), *loc);
    }
  }
  return out;
}

Result<UploadResult> upload_blob(Session& session, const BlobSource& source,
                                 const UploadOptions& options) {
  if (source.size <= options.monolithic_max) {
    return upload_monolithic(session, source, options);
  }
  return ChunkedUpload(session, source, options).run();
}

std::string resolve_location(std::string_view base, std::string_view request_url,
                             std::string_view location) {
  location = trim(location);
  if (location.find("://") != std::string_view::npos) {
    return std::string(location);
  }
  if (!location.empty() && location.front() == '/') {
    return std::string(base) + std::string(location);
  }
  std::string_view dir = request_url.substr(0, request_url.find('?'));
  dir = dir.substr(0, dir.rfind('/') + 1);
  return std::string(dir) + std::string(location);
}

std::optional<int64_t> next_offset_from_range(std::string_view range) {
  range = trim(range);
  if (range.rfind("bytes=", 0) == 0) {
    range.remove_prefix(6);
  }
  if (range.rfind("0-", 0) != 0) {
    return std::nullopt;
  }
  std::string_view end = range.substr(2);
  if (end == "-1") {
    return 0;
  }
  auto n = parse_uint(end);
  if (!n) {
    return std::nullopt;
  }
  return static_cast<int64_t>(*n) + 1;
}

std::string with_query(std::string_view url, std::string_view param) {
  char sep = url.find('?') == std::string_view::npos ? '?' : '&';
  return fmt::format("{}{}{}", url, sep, param);
}

}  // namespace berth::registry
