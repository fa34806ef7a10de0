// `berth push`: the config and layer blobs through a pool of upload threads, the manifest last.
//
// A blob the store holds compressed goes as it is. A layer the store holds only uncompressed
// (imported, committed, built here) is compressed into an unnamed file under ingest/ first; the
// compressed blob's digest is remembered by diff ID and format (registry/distribution.h), so the
// next push of the layer asks the registry for that blob before compressing anything. Every blob
// pushed or found is remembered with its host and repository too: a push to another repository
// of the same registry mounts it instead of sending it again.
#include "engine/image_push.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "engine/image_push_compress.h"
#include "oci/manifest.h"
#include "oci/media_types.h"
#include "oci/reference.h"
#include "registry/auth_config.h"
#include "registry/blob_push.h"
#include "registry/distribution.h"
#include "registry/endpoint.h"
#include "registry/manifest_push.h"
#include "registry/session.h"
#include "store/decompress.h"

namespace berth::engine {

namespace {

struct PushContext {
  const store::Store& store;
  registry::Session& session;
  PushObserver* observer;
  store::Compression format;
  std::string format_name;
  std::mutex observer_mu;

  template <typename F>
  void report(F&& f) {
    if (observer != nullptr) {
      std::lock_guard<std::mutex> g(observer_mu);
      f(*observer);
    }
  }
  const std::string& host() const { return session.endpoint().host; }
  const std::string& repository() const { return session.endpoint().repository; }
};

// One blob of the image: the config (no short_id) or a layer.
struct BlobJob {
  oci::Descriptor stored;  // as the stored manifest names it
  std::string short_id;    // the layer's short diff ID; empty for the config
  bool is_layer = false;
  oci::Descriptor pushed;  // what the pushed manifest names (media type set later)
  store::Compression compression = store::Compression::kNone;  // of the pushed blob
  int64_t transferred = 0;
};

Result<store::Compression> stored_compression(const store::Store& store, const oci::Digest& d) {
  auto fd = BERTH_TRY(store.blobs().open(d));
  char head[store::kSniffBytes];
  ssize_t n = ::pread(fd.get(), head, sizeof head, 0);
  if (n < 0) {
    return fail_errno(fmt::format("blob {}", d.str()));
  }
  return BERTH_TRY_CTX(store::sniff_compression(std::string_view(head, static_cast<size_t>(n))),
                       fmt::format("blob {}", d.str()));
}

registry::BlobSource fd_source(const oci::Digest& digest, int64_t size, int fd) {
  return registry::BlobSource{
      digest, size, [fd](int64_t offset, size_t len, std::string& buf) -> Result<void> {
        buf.resize(len);
        size_t got = 0;
        while (got < len) {
          ssize_t n = ::pread(fd, buf.data() + got, len - got, offset + static_cast<int64_t>(got));
          if (n < 0 && errno == EINTR) {
            continue;
          }
          if (n <= 0) {
            return n < 0 ? fail_errno("reading blob")
                         : fail(Code::kCorrupt, "reading blob: shorter than its size");
          }
          got += static_cast<size_t>(n);
        }
        return {};
      }};
}

// Gets the blob into the repository: present already, mounted from another repository of the
// registry, or uploaded from fd. Returns docker's status word for it.
Result<std::string> send_blob(PushContext& ctx, BlobJob& job, int fd) {
  const oci::Descriptor& d = job.pushed;
  std::string status = "Pushed";
  if (BERTH_TRY(registry::blob_exists(ctx.session, d.digest))) {
    status = "Layer already exists";
  } else {
    registry::UploadOptions opts;
    for (const auto& src : registry::blob_sources(ctx.store.root(), d.digest)) {
      if (src.host != ctx.host() || src.repository == ctx.repository()) {
        continue;
      }
      ctx.session.add_pull_scope(src.repository);
      auto m = BERTH_TRY(registry::mount_blob(ctx.session, d.digest, src.repository));
      if (m.mounted) {
        status = "Mounted from " + src.repository;
        break;
      }
      opts.location = m.upload_location;  // the registry started an upload instead: use it
      break;
    }
    if (status == "Pushed") {
      std::string id = job.short_id;
      opts.progress = [&ctx, id](int64_t have, int64_t total) {
        ctx.report([&](PushObserver& o) { o.progress(id, have, total); });
      };
      auto up =
          BERTH_TRY(registry::upload_blob(ctx.session, fd_source(d.digest, d.size, fd), opts));
      job.transferred += up.transferred;
    }
  }
  // Best effort: a lost record only costs a later push a mount.
  (void)registry::record_blob_source(ctx.store.root(), d.digest, {ctx.host(), ctx.repository()});
  return status;
}

// An uncompressed layer: its compressed blob, made now unless the registry has the one an earlier
// push made.
Result<std::string> push_uncompressed(PushContext& ctx, BlobJob& job) {
  const oci::Digest& diff_id = job.stored.digest;
  job.compression = ctx.format;
  if (auto rec = registry::compressed_of(ctx.store.root(), diff_id, ctx.format_name); rec) {
    if (BERTH_TRY(registry::blob_exists(ctx.session, rec->digest))) {
      job.pushed.digest = rec->digest;
      job.pushed.size = rec->size;
      return std::string("Layer already exists");
    }
  }
  auto in = BERTH_TRY(ctx.store.blobs().open(diff_id));
  std::string ingest = ctx.store.root() + "/ingest";
  UniqueFd tmp(::open(ingest.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (!tmp) {
    return fail_errno(fmt::format("creating a temporary file in {}", ingest));
  }
  auto z = BERTH_TRY_CTX(compress_parallel(in.get(), job.stored.size, tmp.get(), ctx.format),
                         fmt::format("compressing layer {}", diff_id.str()));
  job.pushed.digest = z.digest;
  job.pushed.size = z.size;
  auto status = BERTH_TRY(send_blob(ctx, job, tmp.get()));
  // Only once the registry has it: a refused push leaves the store as it was.
  (void)registry::record_compressed(ctx.store.root(), diff_id, ctx.format_name, {z.digest, z.size});
  return status;
}

Result<void> push_job(PushContext& ctx, BlobJob& job) {
  job.pushed = job.stored;
  std::string status;
  if (job.is_layer && job.stored.media_type == oci::kDockerForeignLayer) {
    return {};  // foreign layers stay where their URLs point, as docker leaves them
  }
  job.compression = job.is_layer ? BERTH_TRY(stored_compression(ctx.store, job.stored.digest))
                                 : store::Compression::kNone;
  if (job.is_layer && job.compression == store::Compression::kNone) {
    status = BERTH_TRY(push_uncompressed(ctx, job));
  } else {
    auto fd = BERTH_TRY(ctx.store.blobs().open(job.stored.digest));
    status = BERTH_TRY(send_blob(ctx, job, fd.get()));
  }
  if (job.is_layer) {
    ctx.report([&](PushObserver& o) { o.layer(job.short_id, status); });
  }
  return {};
}

// Runs the jobs on up to `threads` threads; the first error stops the others from starting more.
Result<void> run_jobs(PushContext& ctx, std::vector<BlobJob>& jobs, int threads) {
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::optional<Error> error;
  auto worker = [&] {
    for (size_t i; (i = next++) < jobs.size();) {
      {
        std::lock_guard<std::mutex> g(mu);
        if (error) {
          return;
        }
      }
      auto r = push_job(ctx, jobs[i]);
      if (!r) {
        std::lock_guard<std::mutex> g(mu);
        if (!error) {
          error = std::move(r.error());
        }
      }
    }
  };
  std::vector<std::thread> pool;
  size_t n = std::min(static_cast<size_t>(std::max(1, threads)), jobs.size());
  for (size_t t = 0; t < n; ++t) {
    pool.emplace_back(worker);
  }
  for (auto& t : pool) {
    t.join();
  }
  if (error) {
    return tl::unexpected(std::move(*error));
  }
  return {};
}

std::string layer_type(bool docker, store::Compression c, bool foreign) {
  if (docker) {
    if (foreign) {
      return std::string(oci::kDockerForeignLayer);
    }
    return std::string(c == store::Compression::kGzip ? oci::kDockerLayer
                                                      : oci::kDockerLayerUncompressed);
  }
  return std::string(store::oci_layer_media_type(c, foreign));
}

struct ManifestToPush {
  std::string media_type;
  std::string bytes;
};

// The stored manifest byte for byte when every blob went as it was; else the same manifest
// naming the compressed blobs (an OCI one when zstd is asked of a Docker manifest, which has no
// zstd layer type docker itself writes).
Result<ManifestToPush> manifest_to_push(const PushContext& ctx, const Image& img,
                                        const std::vector<BlobJob>& layers) {
  bool changed = std::any_of(layers.begin(), layers.end(),
                             [](const BlobJob& j) { return j.pushed.digest != j.stored.digest; });
  if (!changed) {
    std::string type = img.manifest_desc.media_type.empty() ? img.manifest.media_type
                                                            : img.manifest_desc.media_type;
    return ManifestToPush{type, BERTH_TRY(ctx.store.blobs().read(img.manifest_desc.digest))};
  }
  oci::Manifest m = img.manifest;
  bool docker = m.is_docker() && ctx.format != store::Compression::kZstd;
  if (m.is_docker() && !docker) {
    m.media_type = std::string(oci::kOciManifest);
    m.config.media_type = std::string(oci::kOciConfig);
  }
  for (size_t i = 0; i < layers.size(); ++i) {
    bool foreign = layers[i].stored.media_type == oci::kDockerForeignLayer ||
                   layers[i].stored.media_type.find("nondistributable") != std::string::npos;
    m.layers[i].digest = layers[i].pushed.digest;
    m.layers[i].size = layers[i].pushed.size;
    m.layers[i].media_type = layer_type(docker, layers[i].compression, foreign);
  }
  return ManifestToPush{m.media_type, m.serialize()};
}

Result<PushedImage> push_one(PushContext& ctx, const Engine& engine, const oci::Reference& ref,
                             int threads) {
  Image img = BERTH_TRY(engine.find_image(ref.str()));
  if (img.config.diff_ids.size() != img.manifest.layers.size()) {
    return fail(Code::kCorrupt,
                fmt::format("{}: the config lists {} layers, the manifest {}", ref.familiar(),
                            img.config.diff_ids.size(), img.manifest.layers.size()));
  }
  std::vector<BlobJob> jobs;
  for (size_t i = img.manifest.layers.size(); i-- > 0;) {  // docker lists the top layer first
    BlobJob j;
    j.stored = img.manifest.layers[i];
    j.short_id = img.config.diff_ids[i].short_id();
    j.is_layer = true;
    ctx.report([&](PushObserver& o) { o.layer(j.short_id, "Preparing"); });
    jobs.push_back(std::move(j));
  }
  BlobJob config;
  config.stored = img.manifest.config;
  jobs.push_back(config);
  PushedImage out;
  BERTH_CHECK(run_jobs(ctx, jobs, threads));
  for (const auto& j : jobs) {
    out.transferred += j.transferred;
  }
  jobs.pop_back();
  std::reverse(jobs.begin(), jobs.end());  // manifest order again
  auto m = BERTH_TRY(manifest_to_push(ctx, img, jobs));
  out.digest = BERTH_TRY(registry::put_manifest(ctx.session, ref.tag, m.media_type, m.bytes));
  // Best effort, as docker's: the image now has a digest in that repository.
  (void)registry::record_repo_digest(ctx.store.root(), img.manifest_desc.digest, ref.name(),
                                     out.digest);
  out.size = static_cast<int64_t>(m.bytes.size());
  out.ref = ref.str();
  out.tag = ref.tag;
  return out;
}

// The references to push: the one named, or with all_tags every local tag of its repository.
Result<std::vector<oci::Reference>> references_to_push(const Engine& engine,
                                                       const oci::Reference& ref, bool all_tags) {
  if (!all_tags) {
    return std::vector<oci::Reference>{ref};
  }
  std::vector<oci::Reference> out;
  for (const auto& e : BERTH_TRY(engine.store().index().load())) {
    auto r = oci::Reference::parse(e.ref);
    if (!e.dangling() && r && r->name() == ref.name() && r->has_tag()) {
      out.push_back(*r);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const oci::Reference& a, const oci::Reference& b) { return a.tag < b.tag; });
  if (out.empty()) {
    return fail(Code::kNotFound, fmt::format("No such image: {}", ref.familiar()));
  }
  return out;
}

Result<store::Compression> parse_format(const std::string& name) {
  if (name.empty() || name == "gzip") {
    return store::Compression::kGzip;
  }
  if (name == "zstd") {
    return store::Compression::kZstd;
  }
  return fail(Code::kInvalidArgument,
              fmt::format("--compression-format: unsupported \"{}\" (gzip or zstd)", name));
}

Result<PushResult> push(Engine& engine, const PushRequest& req, PushObserver* observer) {
  auto format = BERTH_TRY(parse_format(req.compression));
  auto ref = BERTH_TRY(oci::Reference::parse(req.reference));
  if (ref.digest) {
    return fail(Code::kInvalidArgument, "cannot push a digest reference");
  }
  if (req.all_tags && ref.has_tag()) {
    return fail(Code::kInvalidArgument, "tag can't be used with --all-tags/-a");
  }
  if (!req.all_tags && !ref.has_tag()) {
    if (observer != nullptr) {
      observer->default_tag("latest");
    }
    ref = ref.with_default_tag();
  }
  auto refs = BERTH_TRY(references_to_push(engine, ref, req.all_tags));
  auto config = BERTH_TRY(registry::load_registry_config());
  auto endpoint = registry::resolve_endpoint(ref, config);
  registry::SessionOptions opts;
  opts.credentials = BERTH_TRY(registry::credentials_for_host(endpoint.host));
  opts.actions = "pull,push";
  http::Client client;
  registry::Session session(client, endpoint, registry::host_tls(endpoint.host, config), opts);
  PushContext ctx{
      engine.store(), session, observer, format, std::string(store::compression_name(format)), {}};
  auto lock = BERTH_TRY(engine.store().lock_shared());
  if (observer != nullptr) {
    observer->refers_to(ref.name());
  }
  PushResult out;
  for (const auto& r : refs) {
    out.images.push_back(BERTH_TRY(push_one(ctx, engine, r, req.concurrency)));
  }
  return out;
}

}  // namespace

Result<PushResult> push_image(Engine& engine, const PushRequest& request, PushObserver* observer) {
  auto r = push(engine, request, observer);
  if (!r) {
    return tl::unexpected(
        std::move(r.error()).context(fmt::format("pushing {}", request.reference)));
  }
  return r;
}

}  // namespace berth::engine
