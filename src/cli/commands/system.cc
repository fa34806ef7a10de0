// `berth system df`.
#include <fmt/format.h>

#include "base/strings.h"
#include "cli/commands/image_json.h"
#include "cli/context.h"
#include "cli/format/table.h"

namespace berth::cli {

namespace {

std::string reclaimable(int64_t part, int64_t total) {
  int pct = total > 0
                ? static_cast<int>(100.0 * static_cast<double>(part) / static_cast<double>(total))
                : 0;
  std::string s = human_size(static_cast<double>(part));
  return total > 0 ? fmt::format("{} ({}%)", s, pct) : s;
}

Json df_row(const std::string& type, int64_t total, int64_t active, int64_t size, int64_t recl) {
  Json j = Json::object();
  j["Active"] = std::to_string(active);
  j["Reclaimable"] = reclaimable(recl, size);
  j["Size"] = human_size(static_cast<double>(size));
  j["TotalCount"] = std::to_string(total);
  j["Type"] = type;
  return j;
}

}  // namespace

void add_system_commands(CLI::App& app, Context& ctx) {
  CLI::App* system = app.add_subcommand("system", "Manage berth");
  system->require_subcommand(1);
  CLI::App* df = system->add_subcommand("df", "Show disk usage");
  auto format = std::make_shared<std::string>();
  df->add_option("--format", *format, "Format output using a Go template, or json");
  df->add_flag("-v,--verbose")->description("Show detailed information on space usage");
  set_action(df, ctx, [&ctx, format]() -> Result<void> {
    auto* eng = BERTH_TRY(ctx.engine());
    auto du = BERTH_TRY(eng->disk_usage());
    auto f = BERTH_TRY(Formatter::create(
        *format, "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}",
        image_headers()));
    f.add(df_row("Images", du.images, du.images_active, du.images_size, du.images_reclaimable));
    f.add(df_row("Containers", 0, 0, 0, 0));
    f.add(df_row("Local Volumes", 0, 0, 0, 0));
    f.add(df_row("Build Cache", 0, 0, 0, 0));
    ctx.out(BERTH_TRY(f.render()));
    return {};
  });
}

}  // namespace berth::cli
