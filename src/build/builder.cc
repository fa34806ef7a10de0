// The builder's executor: stages in order, each instruction applied to the stage's image config,
// every step's result cached by its key (builder.h).
#include "build/builder.h"

#include <sys/stat.h>

#include <chrono>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "build/build_steps.h"
#include "build/dockerfile/dockerignore.h"
#include "build/dockerfile/shell_words.h"
#include "build/stages.h"

namespace berth::build {

namespace {

std::string cache_dir(const store::Store& store) { return store.root() + "/buildcache"; }

// A cached config whose layers are all still in the store, or nullopt.
std::optional<oci::ImageConfig> load_cached(const store::Store& store, const std::string& key) {
  auto bytes = read_file(cache_dir(store) + "/" + key);
  if (!bytes) {
    return std::nullopt;
  }
  auto config = oci::ImageConfig::parse(*bytes, "build cache record " + key);
  if (!config) {
    return std::nullopt;
  }
  for (const auto& d : config->diff_ids) {
    if (!store.layers().has(d) || !store.blobs().has(d)) {
      return std::nullopt;
    }
  }
  return std::move(*config);
}

Result<void> save_cached(const store::Store& store, const std::string& key,
                         const oci::ImageConfig& config) {
  BERTH_CHECK(mkdir_p(cache_dir(store), 0700));
  return write_file_atomic(cache_dir(store) + "/" + key, config.serialize(), 0600,
                           Durability::kAtomicOnly);
}

class Builder {
 public:
  Builder(const BuildRequest& req, BuildBackend& backend, const store::Store& store,
          const std::function<void(std::string_view)>& log)
      : req_(req), backend_(backend), store_(store), log_(log) {}

  Result<BuildResult> run() {
    auto df = BERTH_TRY(parse_dockerfile(req_.dockerfile, req_.dockerfile_name));
    escape_ = df.escape;
    plan_ = BERTH_TRY(plan_stages(df, req_.dockerfile_name, req_.build_args));
    auto ignore_text = read_file(req_.context_dir + "/.dockerignore");
    if (ignore_text) {
      ignore_ = BERTH_TRY_CTX(DockerIgnore::parse(*ignore_text), ".dockerignore");
    }
    auto needed = BERTH_TRY(needed_stages(plan_, req_.target));
    for (int i : needed) {
      total_steps_ += 1 + static_cast<int>(plan_.stages[i].steps.size());
    }
    results_.resize(plan_.stages.size());
    for (int i : needed) {
      results_[i] = BERTH_TRY(build_stage(i));
    }
    BuildResult out;
    out.config = results_[needed.back()]->config;
    for (const auto& [k, v] : req_.labels) {
      out.config.config.labels[k] = v;
    }
    out.steps = step_no_;
    out.cached = cached_;
    return out;
  }

 private:
  Result<StageState> build_stage(int i) {
    const Stage& stage = plan_.stages[i];
    StageState st;
    st.ctx = {&req_,   &store_, &backend_, &plan_, &results_, ignore_ ? &*ignore_ : nullptr,
              escape_, i};
    BERTH_CHECK(begin(stage.from, [&]() -> Result<bool> {
      BERTH_CHECK(apply_from(st, stage, plan_.meta_values));
      return false;
    }));
    for (const auto& ins : stage.steps) {
      std::string desc = BERTH_TRY(describe_step(st, ins));
      std::string key = Sha256::hex_of(st.key + "\n" + desc);
      bool cached = false;
      BERTH_CHECK(begin(ins, [&]() -> Result<bool> {
        if (!req_.no_cache) {
          if (auto hit = load_cached(store_, key)) {
            st.config = std::move(*hit);
            note_cached_effects(st, ins);
            cached = true;
            return true;
          }
        }
        BERTH_CHECK(apply_step(st, ins, log_));
        BERTH_CHECK(save_cached(store_, key, st.config));
        return false;
      }));
      st.key = key;
      cached_ += cached ? 1 : 0;
    }
    return st;
  }

  // Prints the step's header, runs it and its closing line ("CACHED" or "DONE 0.3s").
  Result<void> begin(const Instruction& ins, const std::function<Result<bool>()>& body) {
    ++step_no_;
    log_(fmt::format("#{} [{}/{}] {}", step_no_, step_no_, total_steps_, ins.original));
    auto t0 = std::chrono::steady_clock::now();
    auto r = body();
    if (!r) {
      return tl::unexpected(std::move(r.error()));
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    log_(*r ? fmt::format("#{} CACHED", step_no_)
            : fmt::format("#{} DONE {:.1f}s", step_no_, secs));
    return {};
  }

  const BuildRequest& req_;
  BuildBackend& backend_;
  const store::Store& store_;
  const std::function<void(std::string_view)>& log_;
  StagePlan plan_;
  std::optional<DockerIgnore> ignore_;
  char escape_ = '\\';
  std::vector<std::optional<StageState>> results_;
  int step_no_ = 0, total_steps_ = 0, cached_ = 0;
};

}  // namespace

Result<BuildResult> build_image(const BuildRequest& request, BuildBackend& backend,
                                const store::Store& store,
                                const std::function<void(std::string_view)>& log) {
  return Builder(request, backend, store, log).run();
}

}  // namespace berth::build
