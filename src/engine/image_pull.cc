// `berth pull`: manifest negotiation, then the config and layer blobs through a pool of download
// threads into the store, layers applied by this thread as their blobs arrive, index.json last.
//
// Nothing a pull stores is unverified: blobs are checked against their digest before they are
// renamed into blobs/, layers against the config's diff IDs as they are applied. What a failed
// pull stored stays (verified content that the next pull reuses, swept by `image prune` when
// nothing names it), and so do its partial downloads under ingest/, which the next pull resumes.
#include "engine/image_pull.h"

#include <deque>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/log.h"
#include "oci/image_config.h"
#include "oci/index.h"
#include "oci/manifest.h"
#include "oci/media_types.h"
#include "oci/platform.h"
#include "oci/reference.h"
#include "registry/auth_config.h"
#include "registry/blob_fetch.h"
#include "registry/cred_helper.h"
#include "registry/distribution.h"
#include "registry/endpoint.h"
#include "registry/manifest_fetch.h"
#include "registry/session.h"
#include "store/layer_ingest.h"

namespace berth::engine {

namespace {

constexpr int64_t kMaxConfigBytes = 64 << 20;

struct PullContext {
  const store::Store& store;
  registry::Session& session;
  PullObserver* observer;
  oci::Platform platform;
  bool explicit_platform = false;  // --platform was given
  std::mutex observer_mu;          // observer calls never overlap

  template <typename F>
  void report(F&& f) {
    if (observer != nullptr) {
      std::lock_guard<std::mutex> g(observer_mu);
      f(*observer);
    }
  }
};

std::string partial_path(const store::Store& store, const oci::Digest& d) {
  return fmt::format("{}/ingest/pull-{}-{}", store.root(), d.algorithm(), d.hex());
}

// Downloads a blob into the store (nothing when it is there already); returns what went over
// the network.
Result<registry::FetchResult> fetch_to_store(PullContext& ctx, const oci::Descriptor& d,
                                             std::function<void(int64_t, int64_t)> progress) {
  if (d.digest.algorithm() != "sha256") {
    return fail(Code::kUnsupported,
                fmt::format("blob {}: only sha256 digests are supported", d.digest.str()));
  }
  // Where a blob came from lets a later push to another repository of that registry mount it.
  auto note_source = [&] {
    (void)registry::record_blob_source(
        ctx.store.root(), d.digest,
        {ctx.session.endpoint().host, ctx.session.endpoint().repository});
  };
  if (ctx.store.blobs().has(d.digest)) {
    note_source();
    registry::FetchResult present;
    present.present = true;
    return present;
  }
  registry::BlobFetch f{d, partial_path(ctx.store, d.digest),
                        [&] { return ctx.store.blobs().has(d.digest); }, std::move(progress)};
  auto r = BERTH_TRY(registry::fetch_blob(ctx.session, f));
  if (!r.present) {
    std::string final_path = ctx.store.blobs().path(d.digest);
    if (::rename(f.partial_path.c_str(), final_path.c_str()) != 0) {
      return fail_errno(fmt::format("storing blob {}", d.digest.str()));
    }
    BERTH_CHECK(fsync_dir(dir_name(final_path)));
    r.locked.reset();
  }
  note_source();
  return r;
}

// ---- layers: downloads in a thread pool, applies here ----

struct LayerJob {
  oci::Descriptor blob;
  oci::Digest diff_id;
  std::string short_id;
  bool need_blob = false;
  bool need_layer = false;
};

class LayerPipeline {
 public:
  LayerPipeline(PullContext& ctx, std::vector<LayerJob> jobs, int threads)
      : ctx_(ctx), jobs_(std::move(jobs)), threads_(std::max(1, threads)) {}

  // Downloads what is missing, applies what is missing; the first error stops the rest.
  Result<void> run(int64_t& transferred, int64_t& resumed);

 private:
  void worker();
  Result<void> apply(const LayerJob& job);

  PullContext& ctx_;
  std::vector<LayerJob> jobs_;
  int threads_;
  std::mutex mu_;
  std::deque<size_t> todo_;  // jobs not started
  std::optional<Error> error_;
  bool stop_ = false;
  int64_t transferred_ = 0, resumed_ = 0;
};

// Each worker downloads a layer and applies it at once: layers apply in any order (each is
// unpacked on its own), so downloads and unpacking spread over every core.
void LayerPipeline::worker() {
  while (true) {
    size_t i;
    {
      std::lock_guard<std::mutex> g(mu_);
      if (stop_ || todo_.empty()) {
        return;
      }
      i = todo_.front();
      todo_.pop_front();
    }
    const LayerJob& job = jobs_[i];
    registry::FetchResult fetched;
    Result<void> r;
    if (job.need_blob) {
      auto f = fetch_to_store(ctx_, job.blob, [&](int64_t have, int64_t total) {
        ctx_.report([&](PullObserver& o) { o.progress(job.short_id, have, total); });
      });
      if (f) {
        fetched = std::move(*f);
      } else {
        r = tl::unexpected(std::move(f.error()));
      }
    }
    if (r) {
      r = apply(job);
    }
    std::lock_guard<std::mutex> g(mu_);
    if (!r) {
      if (!error_) {
        error_ = std::move(r.error());
      }
      stop_ = true;
    } else {
      transferred_ += fetched.transferred;
      resumed_ += fetched.resumed_from;
    }
  }
}

Result<void> LayerPipeline::apply(const LayerJob& job) {
  ctx_.report([&](PullObserver& o) { o.layer(job.short_id, "Download complete"); });
  if (job.need_layer && !ctx_.store.layers().has(job.diff_id)) {
    auto fd = BERTH_TRY(ctx_.store.blobs().open(job.blob.digest));
    FdReader in(fd.get());
    store::IngestOptions opts{job.diff_id, job.blob.digest, false, true};
    BERTH_CHECK(store::ingest_layer(ctx_.store, in, "layer " + job.blob.digest.str(), opts));
  }
  ctx_.report([&](PullObserver& o) { o.layer(job.short_id, "Pull complete"); });
  return {};
}

Result<void> LayerPipeline::run(int64_t& transferred, int64_t& resumed) {
  for (size_t i = 0; i < jobs_.size(); ++i) {
    todo_.push_back(i);
  }
  std::vector<std::thread> pool;
  int n = std::min<int>(threads_, static_cast<int>(todo_.size()));
  for (int t = 0; t < n; ++t) {
    pool.emplace_back([this] { worker(); });
  }
  for (auto& t : pool) {
    t.join();
  }
  transferred = transferred_;
  resumed = resumed_;
  if (error_) {
    return tl::unexpected(std::move(*error_));
  }
  return {};
}

// ---- one image ----

// The image manifest to pull for a reference: the manifest it names, or the platform's entry of
// the index it names. `top` is what the reference names (its digest is the repo digest).
Result<registry::FetchedManifest> resolve_manifest(PullContext& ctx,
                                                   const registry::FetchedManifest& top,
                                                   const std::string& what) {
  if (oci::is_manifest_type(top.media_type)) {
    return top;
  }
  auto index = BERTH_TRY(oci::Index::parse(top.bytes, "manifest list for " + what));
  auto chosen = BERTH_TRY_CTX(oci::select_platform(index, ctx.platform), what);
  auto m = BERTH_TRY(registry::fetch_manifest(ctx.session, chosen.digest.str(), what));
  if (!oci::is_manifest_type(m.media_type)) {
    return fail(Code::kUnsupported,
                fmt::format("{}: nested image indexes are not supported", what));
  }
  return m;
}

// The layers still to fetch or apply. `quiet`: the image is here already under this name, and
// docker then prints no layer lines.
Result<std::vector<LayerJob>> layer_jobs(PullContext& ctx, const oci::Manifest& m,
                                         const oci::ImageConfig& config, const std::string& what,
                                         bool quiet) {
  if (config.diff_ids.size() != m.layers.size()) {
    return fail(Code::kCorrupt, fmt::format("{}: the config lists {} layers, the manifest {}", what,
                                            config.diff_ids.size(), m.layers.size()));
  }
  std::vector<LayerJob> jobs;
  std::set<oci::Digest> seen;  // a blob named twice (empty layers) is fetched and applied once
  for (size_t i = 0; i < m.layers.size(); ++i) {
    BERTH_CHECK_CTX(oci::layer_compression(m.layers[i].media_type), what);
    LayerJob j{m.layers[i], config.diff_ids[i], m.layers[i].digest.short_id(), false, false};
    j.need_blob = !ctx.store.blobs().has(j.blob.digest);
    j.need_layer = !ctx.store.layers().has(j.diff_id);
    if (!quiet || j.need_blob || j.need_layer) {
      ctx.report([&](PullObserver& o) {
        o.layer(j.short_id, j.need_blob || j.need_layer ? "Pulling fs layer" : "Already exists");
      });
    }
    if ((j.need_blob || j.need_layer) && seen.insert(j.blob.digest).second) {
      jobs.push_back(std::move(j));
    }
  }
  return jobs;
}

// Whether index.json names the manifest `digest` with ref already.
Result<bool> is_named(const store::Store& store, const oci::Digest& digest,
                      const oci::Reference& ref) {
  for (const auto& e : BERTH_TRY(store.index().load())) {
    if (e.manifest.digest == digest && (!ref.has_tag() || e.ref == ref.str())) {
      return true;
    }
  }
  return false;
}

// Names the image: the reference's tag points at the manifest (a digest reference leaves the
// image without a tag, as docker's <none>). True when it pointed there already.
Result<bool> name_image(const store::Store& store, const oci::Descriptor& desc,
                        const oci::Reference& ref) {
  bool same = BERTH_TRY(is_named(store, desc.digest, ref));
  BERTH_CHECK(store.index().update([&](std::vector<store::ImageEntry>& entries) -> Result<void> {
    if (ref.has_tag()) {
      store::set_ref(entries, desc, ref.str());
    } else {
      store::add_dangling(entries, desc);
    }
    return {};
  }));
  return same;
}

// A single-platform image pulled with --platform must be of that platform, as docker checks.
Result<void> check_platform(const PullContext& ctx, const oci::ImageConfig& config,
                            const registry::FetchedManifest& top, const std::string& what) {
  if (!ctx.explicit_platform || !oci::is_manifest_type(top.media_type) || config.os.empty()) {
    return {};
  }
  oci::Platform actual{config.os, config.architecture, config.variant, {}, {}};
  if (!actual.matches(ctx.platform)) {
    return fail(Code::kNotFound,
                fmt::format("image with reference {} was found but does not match the specified "
                            "platform: wanted {}, actual: {}",
                            what, ctx.platform.str(), actual.str()));
  }
  return {};
}

Result<PulledImage> pull_one(PullContext& ctx, const oci::Reference& ref, int threads) {
  std::string what = ref.familiar();
  std::string tag_or_digest = ref.digest ? ref.digest->str() : ref.tag;
  ctx.report([&](PullObserver& o) { o.pulling(tag_or_digest, ctx.session.endpoint().repository); });
  auto top = BERTH_TRY(registry::fetch_manifest(ctx.session, tag_or_digest, what));
  auto chosen = BERTH_TRY(resolve_manifest(ctx, top, what));
  auto manifest = BERTH_TRY(oci::Manifest::parse(chosen.bytes, "manifest for " + what));
  if (manifest.config.size > kMaxConfigBytes) {
    return fail(Code::kCorrupt, fmt::format("{}: the image config is larger than 64 MiB", what));
  }
  PulledImage out;
  auto cfg_fetch = BERTH_TRY(fetch_to_store(ctx, manifest.config, nullptr));
  out.transferred += cfg_fetch.transferred;
  auto config_bytes = BERTH_TRY(ctx.store.blobs().read(manifest.config.digest));
  auto config = BERTH_TRY(oci::ImageConfig::parse(config_bytes, "config of " + what));
  BERTH_CHECK(check_platform(ctx, config, top, what));
  auto jobs = BERTH_TRY(
      layer_jobs(ctx, manifest, config, what, BERTH_TRY(is_named(ctx.store, chosen.digest, ref))));
  int64_t transferred = 0, resumed = 0;
  BERTH_CHECK(LayerPipeline(ctx, std::move(jobs), threads).run(transferred, resumed));
  out.transferred += transferred;
  out.resumed = resumed;
  oci::Descriptor desc;
  desc.media_type = chosen.media_type;
  desc.digest = BERTH_TRY(ctx.store.blobs().put(chosen.bytes));
  desc.size = static_cast<int64_t>(chosen.bytes.size());
  out.up_to_date = BERTH_TRY(name_image(ctx.store, desc, ref)) && out.transferred == 0;
  (void)registry::record_repo_digest(ctx.store.root(), desc.digest, ref.name(), top.digest);
  out.ref = ref.str();
  out.digest = top.digest;
  return out;
}

Result<std::vector<oci::Reference>> references_to_pull(registry::Session& session,
                                                       const oci::Reference& ref, bool all_tags) {
  if (!all_tags) {
    return std::vector<oci::Reference>{ref};
  }
  std::vector<oci::Reference> out;
  for (const auto& tag : BERTH_TRY(registry::list_tags(session))) {
    oci::Reference r = ref;
    r.tag = tag;
    out.push_back(std::move(r));
  }
  return out;
}

Result<PullResult> pull(Engine& engine, const PullRequest& req, PullObserver* observer) {
  auto ref = BERTH_TRY(oci::Reference::parse(req.reference));
  if (req.all_tags && (ref.has_tag() || ref.digest)) {
    return fail(Code::kInvalidArgument, "tag can't be used with --all-tags/-a");
  }
  if (!req.all_tags && !ref.has_tag() && !ref.digest) {
    if (observer != nullptr) {
      observer->default_tag("latest");
    }
    ref = ref.with_default_tag();
  }
  oci::Platform platform = oci::Platform::host();
  if (!req.platform.empty()) {
    platform = BERTH_TRY(oci::Platform::parse(req.platform));
  }
  auto config = BERTH_TRY(registry::load_registry_config());
  auto endpoints = registry::pull_endpoints(ref, config);
  http::Client client;
  auto lock = BERTH_TRY(engine.store().lock_shared());
  for (size_t i = 0;; ++i) {
    const auto& endpoint = endpoints[i];
    registry::SessionOptions opts;
    opts.credentials = BERTH_TRY(registry::credentials_for_host(endpoint.host));
    registry::Session session(client, endpoint, registry::host_tls(endpoint.host, config), opts);
    PullContext ctx{engine.store(), session, observer, platform, !req.platform.empty(), {}};
    auto pulled = [&]() -> Result<PullResult> {
      PullResult out;
      for (const auto& r : BERTH_TRY(references_to_pull(session, ref, req.all_tags))) {
        out.images.push_back(BERTH_TRY(pull_one(ctx, r, req.concurrency)));
      }
      return out;
    }();
    // As docker's daemon: whatever goes wrong with a mirror, the next one (and in the end
    // Docker Hub) is tried. What a mirror delivered stays in the store and is not fetched again.
    if (pulled || i + 1 == endpoints.size()) {
      return pulled;
    }
    log::info("pulling {} from mirror {}: {}; trying the next", ref.familiar(), endpoint.host,
              pulled.error().str());
  }
}

}  // namespace

Result<PullResult> pull_image(Engine& engine, const PullRequest& request, PullObserver* observer) {
  auto r = pull(engine, request, observer);
  if (!r) {
    return tl::unexpected(
        std::move(r.error()).context(fmt::format("pulling {}", request.reference)));
  }
  return r;
}

Result<std::string> registry_login(std::string_view server, const std::string& username,
                                   const std::string& password) {
  if (username.empty() || password.empty()) {
    return fail(Code::kInvalidArgument, "Username and password required");
  }
  auto config = BERTH_TRY(registry::load_registry_config());
  std::string host = registry::host_of_server(server);
  registry::Endpoint endpoint;
  endpoint.domain = host;
  endpoint.host = host;
  endpoint.insecure = registry::is_insecure_host(host, config);
  registry::SessionOptions opts;
  opts.credentials = registry::Credentials{username, password};
  http::Client client;
  registry::Session session(client, endpoint, registry::host_tls(host, config), opts);
  BERTH_CHECK_CTX(session.verify_login(), fmt::format("login to {}", host));
  std::string path = registry::docker_config_path();
  Json doc = BERTH_TRY(registry::read_docker_config(path));
  std::string key = registry::auth_key_of_server(server);
  if (auto helper = registry::credential_helper(doc, key)) {
    // As docker: the password goes to the helper, config.json keeps an empty entry.
    BERTH_CHECK(registry::helper_store(*helper, key, *opts.credentials));
    registry::erase_credentials(doc, key);
    doc["auths"][key] = Json::object();
  } else {
    registry::set_credentials(doc, key, *opts.credentials);
  }
  BERTH_CHECK(registry::write_docker_config(path, doc));
  return key;
}

Result<LogoutResult> registry_logout(std::string_view server) {
  std::string path = registry::docker_config_path();
  Json doc = BERTH_TRY(registry::read_docker_config(path));
  LogoutResult out;
  out.key = registry::auth_key_of_server(server);
  if (auto helper = registry::credential_helper(doc, out.key)) {
    BERTH_CHECK(registry::helper_erase(*helper, out.key));
  }
  out.removed = registry::erase_credentials(doc, out.key);
  if (out.removed) {
    BERTH_CHECK(registry::write_docker_config(path, doc));
  }
  return out;
}

}  // namespace berth::engine
