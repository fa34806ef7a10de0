// `berth images` / `image ls`, `image inspect` / `inspect`, `history`.
#include <fnmatch.h>

#include <set>

#include <fmt/format.h>

#include "base/strings.h"
#include "cli/commands/container_list.h"
#include "cli/commands/image_json.h"
#include "cli/context.h"
#include "cli/format/inspect.h"
#include "cli/format/table.h"

namespace berth::cli {

namespace {

struct ImagesFlags {
  bool quiet = false;
  bool digests = false;
  bool no_trunc = false;
  bool all = false;
  std::string format;
  std::vector<std::string> filters;
};

// docker's reference filter: path.Match of the pattern against the familiar name, and against
// name:tag when the pattern has a tag.
bool matches_reference(const Json& row, const std::string& pattern) {
  std::string repo = row["Repository"];
  std::string tag = row["Tag"];
  if (repo == "<none>") {
    return false;
  }
  return fnmatch(pattern.c_str(), repo.c_str(), FNM_PATHNAME) == 0 ||
         fnmatch(pattern.c_str(), (repo + ":" + tag).c_str(), FNM_PATHNAME) == 0;
}

Result<bool> row_passes(const Json& row, const engine::Image& img,
                        const std::vector<std::string>& filters) {
  for (const auto& f : filters) {
    bool found = false;
    auto [key, value] = cut(f, '=', &found);
    if (!found) {
      return fail(Code::kInvalidArgument,
                  fmt::format("bad format of filter (expected name=value): {}", f));
    }
    if (key == "reference") {
      if (!matches_reference(row, std::string(value))) {
        return false;
      }
    } else if (key == "dangling") {
      if (value != "true" && value != "false") {
        return fail(Code::kInvalidArgument,
                    fmt::format("invalid filter 'dangling={}': expected true or false", value));
      }
      if ((value == "true") != img.refs.empty()) {
        return false;
      }
    } else if (key == "label") {
      bool has_eq = false;
      auto [lk, lv] = cut(value, '=', &has_eq);
      auto it = img.config.config.labels.find(std::string(lk));
      if (it == img.config.config.labels.end() || (has_eq && it->second != lv)) {
        return false;
      }
    } else {
      return fail(Code::kInvalidArgument, fmt::format("invalid filter '{}'", key));
    }
  }
  return true;
}

Result<void> run_images(Context& ctx, const ImagesFlags& fl) {
  auto* eng = BERTH_TRY(ctx.engine());
  auto images = BERTH_TRY(eng->list_images(engine::ImageDetail::kSummary));
  std::string table =
      fl.digests
          ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
          : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
  std::string format = fl.quiet && fl.format.empty() ? "{{.ID}}" : fl.format;
  auto f = BERTH_TRY(Formatter::create(format, table, image_headers()));
  std::set<std::string> seen_ids;
  for (const auto& img : images) {
    for (const auto& row : image_rows(img, fl.no_trunc)) {
      if (!BERTH_TRY(row_passes(row, img, fl.filters))) {
        continue;
      }
      if (fl.quiet && !seen_ids.insert(row["ID"].get<std::string>()).second) {
        continue;
      }
      f.add(row);
    }
  }
  ctx.out(BERTH_TRY(f.render()));
  return {};
}

void add_images(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto fl = std::make_shared<ImagesFlags>();
  cmd->add_flag("-q,--quiet", fl->quiet, "Only show image IDs");
  cmd->add_flag("--digests", fl->digests, "Show digests");
  cmd->add_flag("--no-trunc", fl->no_trunc, "Don't truncate output");
  cmd->add_flag("-a,--all", fl->all, "Show all images");
  cmd->add_option("--format", fl->format, "Format output using a Go template, or json");
  cmd->add_option("-f,--filter", fl->filters, "Filter output based on conditions provided")
      ->allow_extra_args(false);
  set_action(cmd, ctx, [&ctx, fl] { return run_images(ctx, *fl); });
}

// type: "" (docker's order: a container, then an image), "container" or "image".
Result<void> run_inspect(Context& ctx, const std::vector<std::string>& names,
                         const std::string& format, const std::string& type) {
  auto* eng = BERTH_TRY(ctx.engine());
  if (type != "" && type != "image" && type != "container") {
    return fail(Code::kInvalidArgument,
                fmt::format("\"{}\" is not a valid value for --type", type));
  }
  std::vector<Json> items;
  std::optional<Error> first_error;
  for (const auto& n : names) {
    if (type != "image") {
      auto c = inspect_container(*eng, n, false);
      if (c) {
        items.push_back(std::move(*c));
        continue;
      }
      if (type == "container" || c.error().code() != Code::kNotFound) {
        first_error = first_error ? first_error : c.error();
        continue;
      }
    }
    auto img = eng->find_image(n);
    if (!img) {
      if (!first_error) {
        first_error = type.empty() && img.error().code() == Code::kNotFound
                          ? Error(Code::kNotFound, "No such object: " + n)
                          : img.error();
      }
      continue;
    }
    items.push_back(image_inspect_json(*img));
  }
  // docker prints what it found, then fails for what it did not.
  ctx.out(BERTH_TRY(render_inspect(items, format)));
  if (first_error) {
    return tl::unexpected(*first_error);
  }
  return {};
}

void add_inspect(CLI::App* cmd, Context& ctx, bool images_only) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto names = std::make_shared<std::vector<std::string>>();
  auto format = std::make_shared<std::string>();
  auto type = std::make_shared<std::string>(images_only ? "image" : "");
  cmd->add_option("NAME", *names, "Objects to inspect")->required();
  cmd->add_option("-f,--format", *format, "Format output using a Go template");
  if (!images_only) {
    cmd->add_option("--type", *type, "Only inspect objects of the given type");
    cmd->add_flag("-s,--size")->description("Display total file sizes if the type is container");
  }
  set_action(cmd, ctx,
             [&ctx, names, format, type] { return run_inspect(ctx, *names, *format, *type); });
}

}  // namespace

void add_image_listing(CLI::App& app, CLI::App* image, Context& ctx) {
  add_images(app.add_subcommand("images", "List images"), ctx);
  add_images(image->add_subcommand("ls", "List images")->alias("list"), ctx);
  add_inspect(app.add_subcommand("inspect", "Display detailed information on objects"), ctx, false);
  add_inspect(image->add_subcommand("inspect", "Display detailed information on images"), ctx,
              true);
}

}  // namespace berth::cli
