// `berth build`: docker's flags; BuildKit's plain progress on stderr ("#3 [2/4] RUN make",
// "#3 CACHED", "#3 DONE 0.4s"), with -q only the image ID on stdout. A failed build exits 1
// and tags nothing.
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <map>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"
#include "cli/context.h"
#include "engine/image_build.h"

namespace berth::cli {

namespace {

struct BuildFlags {
  std::vector<std::string> tags, build_args, labels;
  std::string file, target, network = "host", iidfile, progress = "auto", platform;
  std::string context;
  bool no_cache = false, quiet = false, pull = false;
};

Result<void> run_build(Context& ctx, const BuildFlags& f) {
  build::BuildRequest req;
  struct stat st {};
  if (f.context == "-" || ::stat(f.context.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return fail(Code::kInvalidArgument,
                fmt::format("unable to prepare context: path \"{}\" not found or not a directory",
                            f.context));
  }
  req.context_dir = f.context;
  std::string file = f.file.empty() ? f.context + "/Dockerfile" : f.file;
  if (f.file == "-") {
    std::string text;
    char buf[65536];
    for (ssize_t n; (n = ::read(0, buf, sizeof buf)) > 0;) {
      text.append(buf, static_cast<size_t>(n));
    }
    req.dockerfile = std::move(text);
  } else {
    auto text = read_file(file);
    if (!text) {
      return fail(
          Code::kNotFound,
          fmt::format("failed to read dockerfile: open {}: no such file or directory", file));
    }
    req.dockerfile = std::move(*text);
  }
  for (const auto& a : f.build_args) {
    auto [k, v] = cut(a, '=');
    if (a.find('=') != std::string::npos) {
      req.build_args[std::string(k)] = std::string(v);
    } else if (const char* env = ::getenv(std::string(k).c_str())) {
      req.build_args[std::string(k)] = env;  // docker: --build-arg NAME takes it from the env
    }
  }
  for (const auto& l : f.labels) {
    auto [k, v] = cut(l, '=');
    req.labels[std::string(k)] = std::string(v);
  }
  req.target = f.target;
  req.no_cache = f.no_cache;
  req.network = f.network == "default" ? "host" : f.network;
  auto* engine = BERTH_TRY(ctx.engine());
  std::deque<std::string> recent;  // shown with -q when the build fails
  auto log = [&](std::string_view line) {
    if (f.quiet) {
      recent.emplace_back(line);
      if (recent.size() > 10) {
        recent.pop_front();
      }
      return;
    }
    std::string text = std::string(line) + "\n";
    (void)write_all(2, text.data(), text.size());
  };
  auto built = engine::build_image(*engine, req, f.tags, log);
  if (!built) {
    for (const auto& l : recent) {
      std::string text = l + "\n";
      (void)write_all(2, text.data(), text.size());
    }
    return tl::unexpected(built.error());
  }
  std::string id = built->image_id.str();
  if (!f.iidfile.empty()) {
    BERTH_CHECK(write_file_atomic(f.iidfile, id, 0644));
  }
  if (f.quiet) {
    ctx.out(id + "\n");
  } else {
    log(fmt::format("#{} writing image {} done", built->steps + 1, id));
    for (const auto& t : f.tags) {
      auto full = engine::normalize_ref(t);
      log(fmt::format("#{} naming to {} done", built->steps + 1, full ? *full : t));
    }
  }
  return {};
}

}  // namespace

void add_build_commands(CLI::App& app, Context& ctx) {
  for (CLI::App* cmd :
       {app.add_subcommand("build", "Build an image from a Dockerfile"),
        app.get_subcommand("image")->add_subcommand("build", "Build an image from a Dockerfile")}) {
    if (ctx.stub(cmd)) {
      continue;
    }
    auto f = std::make_shared<BuildFlags>();
    cmd->add_option("-t,--tag", f->tags, "Name and optionally a tag in the \"name:tag\" format");
    cmd->add_option("-f,--file", f->file, "Name of the Dockerfile (default: \"PATH/Dockerfile\")");
    cmd->add_option("--build-arg", f->build_args, "Set build-time variables");
    cmd->add_option("--label", f->labels, "Set metadata for an image");
    cmd->add_option("--target", f->target, "Set the target build stage to build");
    cmd->add_option("--network", f->network, "Set the networking mode for the RUN instructions");
    cmd->add_option("--iidfile", f->iidfile, "Write the image ID to the file");
    cmd->add_option("--progress", f->progress, "Set type of progress output (auto, plain, tty)");
    cmd->add_option("--platform", f->platform, "Set target platform for build");
    cmd->add_flag("--no-cache", f->no_cache, "Do not use cache when building the image");
    cmd->add_flag("--pull", f->pull, "Always attempt to pull a newer version of the image");
    cmd->add_flag("-q,--quiet", f->quiet,
                  "Suppress the build output and print image ID on success");
    cmd->add_option("PATH", f->context, "The build context")->required();
    set_action(cmd, ctx, [&ctx, f]() -> Result<void> { return run_build(ctx, *f); });
  }
  CLI::App* builder = app.add_subcommand("builder", "Manage builds");
  builder->require_subcommand(1);
  CLI::App* prune = builder->add_subcommand("prune", "Remove build cache");
  if (ctx.stub(prune)) {
    return;
  }
  auto all = std::make_shared<bool>(false);
  auto force = std::make_shared<bool>(false);
  prune->add_flag("-a,--all", *all, "Remove all unused build cache, not just dangling ones");
  prune->add_flag("-f,--force", *force, "Do not prompt for confirmation");
  set_action(prune, ctx, [&ctx, all, force]() -> Result<void> {  // flags live as long
    auto* engine = BERTH_TRY(ctx.engine());
    int64_t freed = BERTH_TRY(engine::prune_build_cache(*engine));
    ctx.out(fmt::format("Total:\t{}\n", human_size(freed)));
    return {};
  });
}

}  // namespace berth::cli
