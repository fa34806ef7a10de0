#include "registry/blob_fetch.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"

namespace berth::registry {

namespace {

// Re-hashes the first `size` bytes of fd.
Result<Sha256> hash_prefix(int fd, int64_t size, const std::string& path) {
  Sha256 h;
  std::vector<char> buf(1 << 20);
  int64_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, buf.data(), std::min<int64_t>(buf.size(), size - done), done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return fail_errno(fmt::format("reading {}", path), n < 0 ? errno : EIO);
    }
    h.update(buf.data(), static_cast<size_t>(n));
    done += n;
  }
  return h;
}

// Empties the partial file and its hash (the server sent the whole blob, or what we had was
// not a prefix of it).
Result<void> restart(PartialFile& p, const std::string& path) {
  if (::ftruncate(p.fd.get(), 0) != 0) {
    return fail_errno(fmt::format("truncating {}", path));
  }
  p.hash = Sha256();
  p.size = 0;
  return {};
}

// One GET attempt appending to p; returns the response (status) or a connection error.
Result<http::Response> attempt(Session& session, const BlobFetch& f, PartialFile& p,
                               int64_t& transferred) {
  int64_t asked_from = p.size;
  bool first = true;
  http::BodySink sink = [&](const http::Response& head, std::string_view chunk) -> Result<void> {
    if (first) {
      first = false;
      auto ans = range_answer(head.status, asked_from, head.headers.get("Content-Range"));
      if (ans == RangeAnswer::kInvalid) {
        return fail(
            Code::kCorrupt,
            fmt::format("GET {}: the registry answered bytes={}- with {} {}", f.desc.digest.str(),
                        asked_from, head.status, head.headers.get("Content-Range").value_or("")));
      }
      if (ans == RangeAnswer::kRestart) {
        BERTH_CHECK(restart(p, f.partial_path));
      }
    }
    if (p.size + static_cast<int64_t>(chunk.size()) > f.desc.size) {
      return fail(Code::kCorrupt, fmt::format("blob {}: more than the {} bytes its descriptor says",
                                              f.desc.digest.str(), f.desc.size));
    }
    if (::pwrite(p.fd.get(), chunk.data(), chunk.size(), p.size) !=
        static_cast<ssize_t>(chunk.size())) {
      return fail_errno(fmt::format("writing {}", f.partial_path));
    }
    p.hash.update(chunk.data(), chunk.size());
    p.size += static_cast<int64_t>(chunk.size());
    transferred += static_cast<int64_t>(chunk.size());
    if (f.progress) {
      f.progress(p.size, f.desc.size);
    }
    return {};
  };
  std::optional<int64_t> range;
  if (asked_from > 0) {
    range = asked_from;
  }
  return session.stream("blobs/" + f.desc.digest.str(), range, sink);
}

// The downloaded file is complete: it must hash to the digest, else it is deleted.
Result<void> verify(PartialFile& p, const BlobFetch& f) {
  oci::Digest got = oci::Digest::from_sha256_hex(p.hash.hex());
  if (got != f.desc.digest) {
    ::unlink(f.partial_path.c_str());
    return fail(Code::kCorrupt,
                fmt::format("blob {}: digest mismatch: expected {}, got {}",
                            f.desc.digest.short_id(), f.desc.digest.str(), got.str()));
  }
  if (::fsync(p.fd.get()) != 0) {
    return fail_errno(fmt::format("fsync {}", f.partial_path));
  }
  return {};
}

}  // namespace

Result<PartialFile> open_partial(const std::string& path, int64_t expected_size) {
  PartialFile p;
  p.fd.reset(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!p.fd) {
    return fail_errno(fmt::format("opening {}", path));
  }
  while (::flock(p.fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) {
      return fail_errno(fmt::format("locking {}", path));
    }
  }
  struct stat by_fd {
  }, by_path{};
  if (::fstat(p.fd.get(), &by_fd) != 0) {
    return fail_errno(fmt::format("stat {}", path));
  }
  if (::stat(path.c_str(), &by_path) != 0 || by_path.st_ino != by_fd.st_ino ||
      by_path.st_dev != by_fd.st_dev) {
    p.fd.reset();  // the holder before us finished (renamed it) or gave up (removed it)
    return p;
  }
  if (by_fd.st_size > expected_size) {
    BERTH_CHECK(restart(p, path));
    return p;
  }
  p.size = by_fd.st_size;
  p.hash = BERTH_TRY(hash_prefix(p.fd.get(), p.size, path));
  return p;
}

RangeAnswer range_answer(int status, int64_t asked_from,
                         const std::optional<std::string>& content_range) {
  if (status == 200) {
    return asked_from == 0 ? RangeAnswer::kAppend : RangeAnswer::kRestart;
  }
  if (status != 206 || !content_range) {
    return RangeAnswer::kInvalid;
  }
  // "bytes 100-199/200" (the unit may be followed by several spaces)
  std::string_view cr = trim(*content_range);
  if (to_lower(cr.substr(0, 6)) != "bytes ") {
    return RangeAnswer::kInvalid;
  }
  auto first = trim(cut(cr.substr(6), '-').first);
  auto start = parse_uint(first);
  return start && static_cast<int64_t>(*start) == asked_from ? RangeAnswer::kAppend
                                                             : RangeAnswer::kInvalid;
}

Result<FetchResult> fetch_blob(Session& session, const BlobFetch& f) {
  FetchResult out;
  PartialFile p;
  for (int tries = 0; !p.fd; ++tries) {
    if (f.present && f.present()) {
      out.present = true;
      return out;
    }
    if (tries > 3) {
      return fail(Code::kConflict, fmt::format("{}: kept being replaced", f.partial_path));
    }
    p = BERTH_TRY(open_partial(f.partial_path, f.desc.size));
  }
  if (f.present && f.present()) {
    out.present = true;  // someone finished it while we waited; our file is a fresh empty one
    ::unlink(f.partial_path.c_str());
    return out;
  }
  out.resumed_from = p.size;
  for (int n = 1;; ++n) {
    if (p.size == f.desc.size) {
      BERTH_CHECK(verify(p, f));
      out.locked = std::move(p.fd);
      return out;
    }
    auto r = attempt(session, f, p, out.transferred);
    if (!r && r.error().code() == Code::kCorrupt) {
      ::unlink(f.partial_path.c_str());  // more bytes than the blob has: none of it is trusted
      return tl::unexpected(std::move(r.error()));
    }
    if (r && r->status == 416) {
      BERTH_CHECK(restart(p, f.partial_path));  // our offset is past its end: start over
      if (n < session.options().max_attempts) {
        continue;
      }
    } else if (r && r->status / 100 == 2 && p.size < f.desc.size) {
      r = fail(Code::kUnavailable, fmt::format("GET blob {}: the body ended after {} of {} bytes",
                                               f.desc.digest.short_id(), p.size, f.desc.size));
    }
    bool ok = r && r->status / 100 == 2;
    if (!ok && (!Session::retryable(r) || n >= session.options().max_attempts)) {
      if (r) {
        return tl::unexpected(Session::response_error(
            *r, fmt::format("GET {}", session.url("blobs/" + f.desc.digest.str()))));
      }
      return tl::unexpected(std::move(r.error()));
    }
    if (!ok) {
      std::this_thread::sleep_for(session.backoff(n, r));
    }
  }
}

}  // namespace berth::registry
