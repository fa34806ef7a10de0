// Uploading blobs to a repository (OCI distribution spec, "Pushing blobs"): a HEAD to skip blobs
// the registry has, a cross-repository mount when the blob is in another repository of the same
// registry, and uploads, either monolithic (POST, then one PUT ?digest= with the content) for
// small blobs or chunked (POST, PATCHes with Content-Range following each answer's Location, a
// closing PUT ?digest=) for large ones. A chunked upload that fails in the middle (cut, 5xx,
// 429) asks the registry how much it has (GET of the upload's Location, its Range header) and
// goes on from there.
//
// Threads: the functions may run in several threads over one Session. Blocking: all of them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "oci/digest.h"
#include "registry/session.h"

namespace berth::registry {

// Whether the repository has the blob: HEAD blobs/<digest> answered 200 (true) or 404 (false).
// Other answers are errors as Session::response_error puts them.
Result<bool> blob_exists(Session& session, const oci::Digest& digest);

struct MountResult {
  bool mounted = false;  // the registry linked the blob from the other repository (201)
  // When not mounted: the Location of the upload the registry started instead (202), to be
  // passed to upload_blob; empty when it started none.
  std::string upload_location;
};

// POST blobs/uploads/?mount=<digest>&from=<repository>. The session should have a pull scope on
// `from_repository` (Session::add_pull_scope). A registry that refuses the mount (no access to
// the source, blob gone, mounts disabled) is not an error: mounted is false.
Result<MountResult> mount_blob(Session& session, const oci::Digest& digest,
                               const std::string& from_repository);

// A blob's content, read at any offset (a retried chunk is read again). `read` makes `into`
// exactly the `len` bytes from `offset` (offset + len <= size) or fails. `into` is the
// uploader's buffer, reused from chunk to chunk: resizing it to the same length costs nothing.
// It may be called from the uploading thread only.
struct BlobSource {
  oci::Digest digest;
  int64_t size = 0;
  std::function<Result<void>(int64_t offset, size_t len, std::string& into)> read;
};

struct UploadOptions {
  int64_t monolithic_max = 8 << 20;  // blobs up to this size go in one PUT
  int64_t chunk_size = 32 << 20;     // each PATCH of a chunked upload sends this much at most
  // An upload the registry started already (MountResult::upload_location); empty: POST one.
  std::string location;
  // Bytes the registry has acknowledged so far; may be null.
  std::function<void(int64_t have, int64_t total)> progress;
};

struct UploadResult {
  int64_t transferred = 0;  // bytes sent in request bodies, retries included
  int retries = 0;          // failed attempts that were taken up again
};

// Uploads `source` into the session's repository. Retries (Session's max_attempts and backoff
// per step) on connection errors, 429 and 5xx; a chunked upload resumes at the offset the
// registry reports, a vanished upload (404) starts over. Errors: the registry's answer ("PUT
// <url>: 400 digest invalid: …") or the last attempt's connection error.
Result<UploadResult> upload_blob(Session& session, const BlobSource& source,
                                 const UploadOptions& options);

// ---- the bookkeeping of an upload, exposed for tests ----

// The absolute URL of a Location header: absolute URLs as they are, "/v2/…" against `base`
// ("https://host:5000"), a relative path against the directory of `request_url`.
std::string resolve_location(std::string_view base, std::string_view request_url,
                             std::string_view location);

// The offset after what an upload holds, from the Range header of a PATCH or status answer:
// "0-1234" (or "bytes=0-1234") → 1235; "0--1" (distribution's answer for an empty upload) → 0.
// nullopt when the header is not of that form or does not start at 0.
std::optional<int64_t> next_offset_from_range(std::string_view range);

// `url` with `param` ("digest=sha256%3A…") added to its query ('?' or '&' as needed).
std::string with_query(std::string_view url, std::string_view param);

}  // namespace berth::registry
