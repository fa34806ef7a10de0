// `berth import`, `tag`, `rmi` / `image rm`, `history`, `image prune`.
#include <unistd.h>

#include <fmt/format.h>

#include "base/strings.h"
#include "cli/commands/image_json.h"
#include "cli/context.h"
#include "cli/format/table.h"

namespace berth::cli {

void add_image_listing(CLI::App& app, CLI::App* image, Context& ctx);

namespace {

void add_import(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto req = std::make_shared<engine::ImportRequest>();
  cmd->add_option("-c,--change", req->changes, "Apply Dockerfile instruction to the image")
      ->allow_extra_args(false);
  cmd->add_option("-m,--message", req->message, "Set commit message for imported image");
  cmd->add_option("--platform", req->platform, "Set platform if server is multi-platform capable");
  cmd->add_option("SOURCE", req->source, "A tarball, a directory or - for stdin")->required();
  cmd->add_option("REPOSITORY", req->reference, "REPOSITORY[:TAG]");
  set_action(cmd, ctx, [&ctx, req]() -> Result<void> {
    auto* eng = BERTH_TRY(ctx.engine());
    FdReader in(STDIN_FILENO);
    req->input = &in;
    auto id = BERTH_TRY(eng->import_image(*req));
    req->input = nullptr;
    ctx.out(id.str() + "\n");
    return {};
  });
}

void add_tag(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto args = std::make_shared<std::vector<std::string>>();
  cmd->add_option("ARGS", *args, "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]")->expected(2)->required();
  set_action(cmd, ctx, [&ctx, args]() -> Result<void> {
    auto* eng = BERTH_TRY(ctx.engine());
    return eng->tag_image((*args)[0], (*args)[1]);
  });
}

void add_rmi(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto names = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  cmd->add_flag("-f,--force", *force, "Force removal of the image");
  cmd->add_flag("--no-prune")->description("Do not delete untagged parents");
  cmd->add_option("IMAGE", *names, "Images to remove")->required();
  set_action(cmd, ctx, [&ctx, names, force]() -> Result<void> {
    auto* eng = BERTH_TRY(ctx.engine());
    for (const auto& n : *names) {
      auto removed = eng->remove_image(n, *force);
      if (!removed) {
        ctx.error(removed.error(), kExitDaemonError);  // docker reports each failure, goes on
        continue;
      }
      std::string text;
      for (const auto& item : *removed) {
        text += fmt::format("{}: {}\n", item.untagged ? "Untagged" : "Deleted", item.what);
      }
      ctx.out(text);
    }
    return {};
  });
}

std::map<std::string, std::string> history_headers() {
  auto h = image_headers();
  h["ID"] = "IMAGE";  // docker's history calls the column IMAGE, images calls it IMAGE ID
  return h;
}

// docker's history rows: newest first; layers only the top row knows the ID of show <missing>.
Result<void> run_history(Context& ctx, const std::string& name, bool no_trunc, bool quiet,
                         const std::string& format) {
  auto* eng = BERTH_TRY(ctx.engine());
  auto img = BERTH_TRY(eng->find_image(name));
  auto f = BERTH_TRY(
      Formatter::create(quiet && format.empty() ? "{{.ID}}" : format,
                        "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}",
                        history_headers()));
  const auto& hist = img.config.history;
  std::vector<int64_t> sizes;
  size_t layer = 0;
  for (const auto& h : hist) {
    int64_t size = 0;
    if (!h.empty_layer && layer < img.layer_sizes.size()) {
      size = img.layer_sizes[layer++];
    }
    sizes.push_back(size);
  }
  for (size_t i = hist.size(); i-- > 0;) {
    const auto& h = hist[i];
    Json row = Json::object();
    std::string id =
        i + 1 == hist.size() ? (no_trunc ? img.id.str() : img.id.short_id()) : "<missing>";
    auto created = parse_rfc3339(h.created);
    std::string by = h.created_by;
    if (!no_trunc && by.size() > 45) {
      by = by.substr(0, 44) + "…";
    }
    row["ID"] = id;
    row["CreatedAt"] = created ? docker_time(*created) : "";
    row["CreatedSince"] =
        created ? human_duration((now_nanos() - *created) / 1000000000) + " ago" : "N/A";
    row["CreatedBy"] = by;
    row["Size"] = human_size(static_cast<double>(sizes[i]));
    row["Comment"] = h.comment;
    f.add(row);
  }
  ctx.out(BERTH_TRY(f.render()));
  return {};
}

void add_history(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto name = std::make_shared<std::string>();
  auto flags = std::make_shared<std::pair<bool, bool>>(false, false);
  auto format = std::make_shared<std::string>();
  cmd->add_flag("--no-trunc", flags->first, "Don't truncate output");
  cmd->add_flag("-q,--quiet", flags->second, "Only show image IDs");
  cmd->add_flag("-H,--human")->description("Print sizes and dates in human readable format");
  cmd->add_option("--format", *format, "Format output using a Go template");
  cmd->add_option("IMAGE", *name, "Image")->required();
  set_action(cmd, ctx, [&ctx, name, flags, format] {
    return run_history(ctx, *name, flags->first, flags->second, *format);
  });
}

void add_image_prune(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto all = std::make_shared<bool>(false);
  auto force = std::make_shared<bool>(false);
  cmd->add_flag("-a,--all", *all, "Remove all unused images, not just dangling ones");
  cmd->add_flag("-f,--force", *force, "Do not prompt for confirmation");
  cmd->add_option("--filter")->description("Provide filter values");
  set_action(cmd, ctx, [&ctx, all, force]() -> Result<void> {
    if (!*force) {
      ctx.out(*all ? "WARNING! This will remove all images without at least one container "
                     "associated to them.\nAre you sure you want to continue? [y/N] "
                   : "WARNING! This will remove all dangling images.\nAre you sure you want to "
                     "continue? [y/N] ");
      char c = 0;
      if (::read(STDIN_FILENO, &c, 1) != 1 || (c != 'y' && c != 'Y')) {
        return {};
      }
    }
    auto* eng = BERTH_TRY(ctx.engine());
    auto res = BERTH_TRY(eng->prune_images(*all));
    std::string text;
    if (!res.items.empty()) {
      text += "Deleted Images:\n";
      for (const auto& item : res.items) {
        text += fmt::format("{}: {}\n", item.untagged ? "untagged" : "deleted", item.what);
      }
      text += "\n";
    }
    text +=
        fmt::format("Total reclaimed space: {}\n", human_size(static_cast<double>(res.reclaimed)));
    ctx.out(text);
    return {};
  });
}

}  // namespace

void add_image_commands(CLI::App& app, Context& ctx) {
  CLI::App* image = app.add_subcommand("image", "Manage images");
  image->require_subcommand(1);
  add_image_listing(app, image, ctx);
  add_import(app.add_subcommand("import", "Import the contents from a tarball to create an image"),
             ctx);
  add_import(image->add_subcommand("import", "Import the contents from a tarball"), ctx);
  add_tag(app.add_subcommand("tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"), ctx);
  add_tag(image->add_subcommand("tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"),
          ctx);
  add_rmi(app.add_subcommand("rmi", "Remove one or more images"), ctx);
  add_rmi(image->add_subcommand("rm", "Remove one or more images")->alias("remove"), ctx);
  add_history(app.add_subcommand("history", "Show the history of an image"), ctx);
  add_history(image->add_subcommand("history", "Show the history of an image"), ctx);
  add_image_prune(image->add_subcommand("prune", "Remove unused images"), ctx);
}

}  // namespace berth::cli
