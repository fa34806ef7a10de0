// `berth build`: the engine's side of the builder (image_build.h).
#include "engine/image_build.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"
#include "engine/container_store.h"
#include "engine/image_in_use.h"
#include "engine/image_pull.h"
#include "runtime/rootfs.h"
#include "store/gc.h"
#include "store/layer_ingest.h"

namespace berth::engine {

namespace {

constexpr size_t kLastLines = 10;

// A RUN container's upper directory holds the mount points of the files the engine bind-mounts
// over the image's (/etc/hostname, hosts, resolv.conf): empty files that are not the step's.
void drop_mount_points(const std::string& upper) {
  for (const char* f : {"etc/hostname", "etc/hosts", "etc/resolv.conf"}) {
    std::string p = upper + "/" + f;
    struct stat st {};
    if (::lstat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0) {
      ::unlink(p.c_str());
    }
  }
  ::rmdir((upper + "/etc").c_str());  // only when nothing else is in it
}

class EngineBackend : public build::BuildBackend {
 public:
  explicit EngineBackend(Engine& engine) : engine_(engine) {}

  Result<build::BaseImage> image(std::string_view ref) override {
    auto img = engine_.find_image(ref);
    if (!img && img.error().code() == Code::kNotFound) {
      PullRequest pr;
      pr.reference = std::string(ref);
      BERTH_CHECK(pull_image(engine_, pr, nullptr));
      img = engine_.find_image(ref);
    }
    if (!img) {
      return tl::unexpected(img.error());
    }
    return build::BaseImage{img->id, img->config};
  }

  Result<build::RunOutcome> run(const oci::ImageConfig& state, const build::RunStep& step,
                                const std::function<void(std::string_view)>& output) override {
    CreateRequest req;
    req.image_config = state;
    // The step sees the image's files, not its VOLUMEs or HEALTHCHECK (BuildKit's behaviour).
    req.image_config->config.volumes.clear();
    req.image_config->config.healthcheck.reset();
    req.no_healthcheck = true;
    req.config.image = oci::Digest::sha256_of(state.serialize()).str();
    req.config.cmd = step.argv;
    req.cmd_set = true;
    req.config.entrypoint = std::vector<std::string>{};
    req.entrypoint_set = true;
    req.config.env = step.env;
    req.config.user = step.user;
    req.config.working_dir = step.workdir;
    req.host_config.network_mode = step.network;
    std::vector<std::string> warnings;
    auto c = BERTH_TRY(engine_.create_container(req, &warnings));
    auto outcome = run_container(c.id, output);
    Result<oci::Digest> layer = tl::unexpected(Error(Code::kInternal, "no layer"));
    if (outcome && outcome->exit_code == 0) {
      ContainerStore cs(engine_.options().root, engine_.options().runroot);
      std::string upper = cs.dir(c.id) + "/upper";
      drop_mount_points(upper);
      auto dirfd = open_dir(upper);
      if (dirfd) {
        store::DiffOptions diff;
        diff.overlay_upper = true;
        auto ingested = store::ingest_tree(engine_.store(), dirfd->get(), diff, "RUN");
        layer = ingested ? Result<oci::Digest>(ingested->diff_id)
                         : Result<oci::Digest>(tl::unexpected(ingested.error()));
      } else {
        layer = tl::unexpected(dirfd.error());
      }
    }
    (void)engine_.remove_container(c.id, true, true);
    if (!outcome) {
      return tl::unexpected(outcome.error());
    }
    if (outcome->exit_code == 0) {
      outcome->layer = BERTH_TRY(layer);
    }
    return outcome;
  }

 private:
  // Starts the container with its output into a pipe, passes the lines on and waits for the exit
  // code the monitor reports.
  Result<build::RunOutcome> run_container(const std::string& id,
                                          const std::function<void(std::string_view)>& output) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      return fail_errno("pipe");
    }
    UniqueFd rd(fds[0]), wr(fds[1]);
    StartOptions so;
    so.attach = true;
    so.out = wr.get();
    so.err = wr.get();
    auto started = engine_.start_container(id, so);
    wr.reset();
    if (!started) {
      return tl::unexpected(started.error());
    }
    build::RunOutcome out;
    std::deque<std::string> last;
    std::string pending;
    char buf[8192];
    auto emit = [&](std::string line) {
      output(line);
      last.push_back(std::move(line));
      if (last.size() > kLastLines) {
        last.pop_front();
      }
    };
    for (;;) {
      ssize_t n = ::read(rd.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        break;
      }
      pending.append(buf, static_cast<size_t>(n));
      for (size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
        emit(pending.substr(0, nl));
        pending.erase(0, nl + 1);
      }
    }
    if (!pending.empty()) {
      emit(pending);
    }
    std::string got;
    for (;;) {
      ssize_t n = ::read(started->control.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        break;
      }
      got.append(buf, static_cast<size_t>(n));
    }
    if (got.rfind("exit ", 0) == 0) {
      out.exit_code = static_cast<int>(parse_uint(trim(got.substr(5))).value_or(255));
    } else {
      out.exit_code = BERTH_TRY(engine_.wait_container(id));
    }
    out.last_lines.assign(last.begin(), last.end());
    return out;
  }

  Engine& engine_;
};

}  // namespace

Result<BuildOutcome> build_image(Engine& engine, const build::BuildRequest& request,
                                 const std::vector<std::string>& tags,
                                 const std::function<void(std::string_view)>& log) {
  std::vector<std::string> refs;
  for (const auto& t : tags) {
    auto ref = normalize_ref(t);
    if (!ref) {
      return fail(Code::kInvalidArgument,
                  fmt::format("invalid tag \"{}\": invalid reference format", t));
    }
    refs.push_back(*ref);
  }
  EngineBackend backend(engine);
  auto built = BERTH_TRY(build::build_image(request, backend, engine.store(), log));
  BERTH_CHECK(engine.commit_image(built.config, refs));
  BuildOutcome out;
  out.image_id = oci::Digest::sha256_of(built.config.serialize());
  out.steps = built.steps;
  out.cached = built.cached;
  return out;
}

Result<int64_t> prune_build_cache(Engine& engine) {
  std::string dir = engine.store().root() + "/buildcache";
  // A killed build may have left a --from root mounted (mnt-*): unmounted before the removal.
  if (DIR* d = ::opendir(dir.c_str())) {
    std::vector<std::string> mounts;
    while (struct dirent* e = ::readdir(d)) {
      if (std::string_view(e->d_name).starts_with("mnt-")) {
        mounts.push_back(dir + "/" + e->d_name);
      }
    }
    ::closedir(d);
    for (const auto& m : mounts) {
      (void)runtime::unmount_rootfs(m);
    }
    BERTH_CHECK(remove_tree(dir));
  }
  auto gc = BERTH_TRY(store::collect_garbage(engine.store(), gc_keeping_used_layers(engine)));
  return gc.bytes_freed;
}

}  // namespace berth::engine
