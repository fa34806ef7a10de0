#include "store/layer_ingest.h"

#include <fcntl.h>
#include <unistd.h>

#include <thread>

#include <fmt/format.h>

#include "base/unique_fd.h"
#include "store/decompress.h"
#include "store/layer_apply.h"

namespace berth::store {

namespace {

Result<void> check(const oci::Digest& got, const std::optional<oci::Digest>& want,
                   std::string_view what_digest) {
  if (want && *want != got) {
    return fail(Code::kCorrupt, fmt::format("{} mismatch: expected {}, got {}", what_digest,
                                            want->str(), got.str()));
  }
  return {};
}

}  // namespace

Result<IngestedLayer> ingest_layer(const Store& store, Reader& raw, std::string_view what,
                                   const IngestOptions& options) {
  auto ctx = [&](Error e) { return tl::unexpected(std::move(e).context(std::string(what))); };
  bool raw_verified = options.raw_verified && options.raw_digest;
  HashingReader raw_hash(&raw, !raw_verified);
  auto tar = open_decompressing(&raw_hash);
  if (!tar) {
    return ctx(std::move(tar.error()));
  }
  std::unique_ptr<BlobWriter> blob;
  if (options.store_tar) {
    auto w = store.blobs().writer();
    if (!w) {
      return ctx(std::move(w.error()));
    }
    blob = std::move(*w);
  }
  HashingReader tar_hash(tar->get());
  TeeReader tee(&tar_hash, blob.get());
  // A layer already applied under the expected diff ID needs only its hash checked.
  bool apply = !(options.diff_id && store.layers().has(*options.diff_id));
  std::unique_ptr<LayerUnpack> unpack;
  int64_t bytes = 0;
  if (apply) {
    auto u = store.layers().begin_unpack();
    if (!u) {
      return ctx(std::move(u.error()));
    }
    unpack = std::move(*u);
    auto stats = apply_layer(tee, unpack->dirfd(), what);
    if (!stats) {
      return tl::unexpected(std::move(stats.error()));  // apply_layer names the entry and `what`
    }
    bytes = stats->bytes;
  }
  // apply_layer drained the tar (or nothing read it); drain both streams (trailing bytes after
  // the compressed stream's end still belong to the blob the manifest names).
  if (auto r = drain(tee); !r) {
    return ctx(std::move(r.error()));
  }
  if (auto r = drain(raw_hash); !r) {
    return ctx(std::move(r.error()));
  }
  IngestedLayer out{
      oci::Digest::from_sha256_hex(tar_hash.hex()), tar_hash.count(),
      raw_verified ? *options.raw_digest : oci::Digest::from_sha256_hex(raw_hash.hex()),
      raw_hash.count()};
  if (auto r = check(out.diff_id, options.diff_id, "layer diff ID"); !r) {
    return ctx(std::move(r.error()));
  }
  if (auto r = check(out.raw_digest, options.raw_digest, "layer digest"); !r) {
    return ctx(std::move(r.error()));
  }
  if (blob) {
    if (auto r = blob->commit(out.diff_id); !r) {
      return ctx(std::move(r.error()));
    }
  }
  if (unpack && !store.layers().has(out.diff_id)) {
    if (auto r = unpack->commit(out.diff_id, bytes); !r) {
      return ctx(std::move(r.error()));
    }
  }
  return out;
}

Result<IngestedLayer> ingest_tree(const Store& store, int dirfd, const DiffOptions& diff,
                                  std::string_view what) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return fail_errno("pipe");
  }
  UniqueFd rd(fds[0]);
  UniqueFd wr(fds[1]);
  Result<void> written;
  std::thread producer([&] {
    FdWriter out(wr.get());
    written = write_layer(dirfd, out, diff);
    wr.reset();  // end of stream for the reader
  });
  FdReader in(rd.get());
  auto layer = ingest_layer(store, in, what);
  rd.reset();  // a reader that stopped early must not leave the producer blocked
  producer.join();
  if (!written) {
    return tl::unexpected(std::move(written.error()).context(std::string(what)));
  }
  return layer;
}

}  // namespace berth::store
