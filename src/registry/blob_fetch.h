// Downloading one blob into a partial file that survives interruption: the next attempt (in this
// run after a retryable failure, or in the next `pull` after a cut or a kill -9) re-hashes what
// the file holds and asks only for the rest with "Range: bytes=N-". The content is verified by
// its digest and size while it streams; a blob whose digest is wrong is deleted, never kept.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/sha256.h"
#include "base/unique_fd.h"
#include "oci/descriptor.h"
#include "registry/session.h"

namespace berth::registry {

// A partial file opened for resuming: its descriptor holds an exclusive flock (another process
// pulling the same blob waits for it), and `hash` covers its first `size` bytes.
struct PartialFile {
  UniqueFd fd;
  Sha256 hash;
  int64_t size = 0;
};

// Opens or creates `path` (0644) and waits for its lock. A file larger than `expected_size` is
// emptied (it cannot be a prefix of the blob). When the file at `path` was renamed or removed
// while waiting (another process finished the blob), the result's fd is invalid (size 0): check
// whether the blob is stored now, and call again if not. Blocks while re-hashing.
Result<PartialFile> open_partial(const std::string& path, int64_t expected_size);

// What to do with the response to a request that asked for bytes from `asked_from` on.
enum class RangeAnswer {
  kAppend,   // 206 from asked_from on (or 200 to a request without Range): append
  kRestart,  // 200 to a Range request (the server ignored it): empty the file, take it all
  kInvalid,  // 206 starting elsewhere, or not a 2xx: do not write
};
// `content_range` is the Content-Range header, when the response had one
// ("bytes 100-199/200"; "bytes */200" never comes with a body).
RangeAnswer range_answer(int status, int64_t asked_from,
                         const std::optional<std::string>& content_range);

struct BlobFetch {
  oci::Descriptor desc;      // digest and size to verify against
  std::string partial_path;  // the partial file, kept between attempts and runs
  // Whether the blob is stored already (another process finished it meanwhile).
  std::function<bool()> present;
  // Bytes of the blob on disk so far (resumed part included), after each chunk; may be null.
  std::function<void(int64_t have, int64_t total)> progress;
};

struct FetchResult {
  bool present = false;      // the blob was found stored, nothing was fetched
  int64_t resumed_from = 0;  // bytes reused from an earlier partial file
  int64_t transferred = 0;   // bytes received over the network, retries included
  // The verified, fsynced partial file, still locked: rename it into place, then close this.
  UniqueFd locked;
};

// Downloads desc's blob into fetch.partial_path, resuming and retrying (Session's policy) on
// connection errors, 429 and 5xx. Errors: Corrupt "digest mismatch: expected …, got …" or a
// size mismatch (the partial file is deleted), the registry's answer (NotFound "blob unknown"
// …), or the last attempt's connection error. Blocks.
Result<FetchResult> fetch_blob(Session& session, const BlobFetch& fetch);

}  // namespace berth::registry
