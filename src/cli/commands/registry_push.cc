// `berth push` / `image push` and `manifest inspect`, with docker's flags and output. Their
// failures exit 1, as docker's do (the error is still one line on stderr).
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"
#include "cli/context.h"
#include "engine/image_push.h"

namespace berth::cli {

namespace {

// docker's push output as plain lines (the progress bar is the pull printer's and not shared
// yet); -q prints nothing but the pushed reference.
class PushPrinter : public engine::PushObserver {
 public:
  explicit PushPrinter(bool quiet) : quiet_(quiet) {}

  void default_tag(std::string_view tag) override {
    line(fmt::format("Using default tag: {}", tag));
  }
  void refers_to(std::string_view name) override {
    line(fmt::format("The push refers to repository [{}]", name));
  }
  void layer(std::string_view short_id, std::string_view status) override {
    line(fmt::format("{}: {}", short_id, status));
  }
  void line(const std::string& text) {
    if (!quiet_) {
      std::string s = text + "\n";
      (void)write_all(STDOUT_FILENO, s.data(), s.size());
    }
  }

 private:
  bool quiet_;
};

struct PushFlags {
  engine::PushRequest req;
  bool quiet = false;
};

Result<void> run_push(Context& ctx, const PushFlags& fl) {
  auto* eng = BERTH_TRY(ctx.engine());
  PushPrinter printer(fl.quiet);
  auto res = BERTH_TRY(engine::push_image(*eng, fl.req, &printer));
  for (const auto& img : res.images) {
    printer.line(fmt::format("{}: digest: {} size: {}", img.tag, img.digest.str(), img.size));
    if (fl.quiet) {
      ctx.out(img.ref + "\n");
    }
  }
  return {};
}

void add_push(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto fl = std::make_shared<PushFlags>();
  cmd->add_flag("-a,--all-tags", fl->req.all_tags, "Push all tags of an image to the repository");
  cmd->add_flag("-q,--quiet", fl->quiet, "Suppress verbose output");
  cmd->add_option("--compression-format", fl->req.compression,
                  "Compression of layers stored uncompressed (gzip, zstd)");
  cmd->add_flag("--disable-content-trust")->description("Skip image signing (always)");
  cmd->add_option("--platform", "Push a platform-specific manifest (the image's own)");
  cmd->add_option("NAME", fl->req.reference, "NAME[:TAG]")->required();
  set_action(cmd, ctx, [&ctx, fl] { return run_push(ctx, *fl); });
}

struct InspectFlags {
  std::string reference;
  bool insecure = false;
  bool verbose = false;
};

void add_manifest_inspect(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto fl = std::make_shared<InspectFlags>();
  cmd->add_flag("--insecure", fl->insecure, "Allow communication with an insecure registry");
  cmd->add_flag("-v,--verbose", fl->verbose, "Output additional info (ignored)");
  cmd->add_option("MANIFEST", fl->reference, "Image or manifest list")->required();
  set_action(cmd, ctx, [&ctx, fl]() -> Result<void> {
    auto m = BERTH_TRY(engine::inspect_remote_manifest(fl->reference, fl->insecure));
    ctx.out(engine::indent_json_like_go(m.bytes) + "\n");
    return {};
  });
}

// A subcommand by name, or null (this CLI11 has no get_subcommand_no_throw).
CLI::App* find_subcommand(CLI::App& app, const std::string& name) {
  auto found = app.get_subcommands([&](CLI::App* c) { return c->get_name() == name; });
  return found.empty() ? nullptr : found.front();
}

}  // namespace

void add_push_commands(CLI::App& app, Context& ctx) {
  add_push(app.add_subcommand("push", "Upload an image to a registry"), ctx);
  if (CLI::App* image = find_subcommand(app, "image"); image != nullptr) {
    add_push(image->add_subcommand("push", "Upload an image to a registry"), ctx);
  }
  CLI::App* manifest = find_subcommand(app, "manifest");
  if (manifest == nullptr) {
    manifest = app.add_subcommand("manifest", "Manage manifests and manifest lists");
    manifest->require_subcommand(1);
  }
  add_manifest_inspect(
      manifest->add_subcommand("inspect", "Display an image manifest or manifest list"), ctx);
}

}  // namespace berth::cli
