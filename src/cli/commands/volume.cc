// `berth volume create|ls|inspect|rm|prune`: docker's commands, output and exit codes. Errors
// that docker's daemon reports exit 1, as the docker CLI does for every volume command; flag
// errors exit 125.
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "base/strings.h"
#include "cli/context.h"
#include "cli/format/inspect.h"
#include "cli/format/table.h"
#include "engine/volumes.h"

namespace berth::cli {

namespace {

Result<engine::Volumes> open_volumes(Context& ctx) {
  // Volumes need no image store: opening only <root>/volumes keeps these commands quick.
  return engine::Volumes::open(ctx.options.root);
}

// docker's units.HumanSize: decimal units, 4 significant digits ("1.234kB", "0B").
std::string human_size4(double size) {
  static const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  int i = 0;
  while (size >= 1000.0 && i < 8) {
    size /= 1000.0;
    ++i;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g%s", size, kUnits[i]);
  return buf;
}

// sortorder.NaturalLess: runs of digits compare as numbers (then fewer leading zeros first),
// digits sort before any other byte, everything else byte by byte.
bool natural_less(const std::string& a, const std::string& b) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    bool da = digit(a[i]), db = digit(b[j]);
    if (da != db) {
      return da;
    }
    if (!da) {
      if (a[i] != b[j]) {
        return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
      }
      ++i, ++j;
      continue;
    }
    while (i < a.size() && a[i] == '0') {
      ++i;
    }
    while (j < b.size() && b[j] == '0') {
      ++j;
    }
    size_t nz_a = i, nz_b = j;
    while (i < a.size() && digit(a[i])) {
      ++i;
    }
    while (j < b.size() && digit(b[j])) {
      ++j;
    }
    std::string_view na(a.data() + nz_a, i - nz_a), nb(b.data() + nz_b, j - nz_b);
    if (na.size() != nb.size()) {
      return na.size() < nb.size();
    }
    if (na != nb) {
      return na < nb;
    }
    if (nz_a != nz_b) {
      return nz_a < nz_b;
    }
  }
  return a.size() < b.size();
}

// docker's ValidateLabel for --label; the error is a flag error (exit 125).
Result<void> validate_label(const std::string& label) {
  auto [key, value] = cut(label, '=');
  size_t start = key.find_first_not_of(" \t");
  key = start == std::string_view::npos ? std::string_view{} : key.substr(start);
  if (key.empty()) {
    return fail(Code::kInvalidArgument,
                fmt::format("invalid argument \"{}\" for \"--label\" flag: invalid label '{}': "
                            "empty name",
                            label, label));
  }
  if (key.find_first_of(" \t") != std::string_view::npos) {
    return fail(Code::kInvalidArgument,
                fmt::format("invalid argument \"{}\" for \"--label\" flag: label '{}' contains "
                            "whitespaces",
                            label, key));
  }
  return {};
}

// docker's FilterOpt.Set refuses a filter without '=' while parsing flags (exit 125).
Result<void> check_filter_flags(const std::vector<std::string>& filters, const char* flag) {
  for (const auto& f : filters) {
    if (!f.empty() && f.find('=') == std::string::npos) {
      return fail(Code::kInvalidArgument,
                  fmt::format("invalid argument \"{}\" for \"{}\" flag: bad format of filter "
                              "(expected name=value)",
                              f, flag));
    }
  }
  return {};
}

std::map<std::string, std::string> kv_map(const std::vector<std::string>& values) {
  std::map<std::string, std::string> out;
  for (const auto& v : values) {
    auto [k, val] = cut(v, '=');
    out[std::string(k)] = std::string(val);
  }
  return out;
}

struct CreateFlags {
  std::string driver = "local";
  std::string name_flag;
  std::vector<std::string> opts;
  std::vector<std::string> labels;
  std::vector<std::string> args;
};

void add_create(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto fl = std::make_shared<CreateFlags>();
  cmd->add_option("-d,--driver", fl->driver, "Specify volume driver name");
  cmd->add_option("--name", fl->name_flag, "Specify volume name")->group("");
  cmd->add_option("-o,--opt", fl->opts, "Set driver specific options")->allow_extra_args(false);
  cmd->add_option("--label", fl->labels, "Set metadata for a volume")->allow_extra_args(false);
  cmd->add_option("VOLUME", fl->args, "Volume name")->expected(0, 1);
  set_action(cmd, ctx, [&ctx, fl]() -> Result<void> {
    for (const auto& l : fl->labels) {
      if (auto ok = validate_label(l); !ok) {
        ctx.error(ok.error());
        return {};
      }
    }
    std::string name = fl->name_flag;
    if (!fl->args.empty()) {
      if (!name.empty()) {
        return fail(Code::kInvalidArgument,
                    "conflicting options: cannot specify a volume-name through both --name and "
                    "as a positional arg");
      }
      name = fl->args[0];
    }
    auto vols = BERTH_TRY(open_volumes(ctx));
    auto v = BERTH_TRY(vols.create(name, fl->driver, kv_map(fl->opts), kv_map(fl->labels)));
    ctx.out(v.name + "\n");
    return {};
  });
}

Json volume_row(const engine::Volume& v) {
  std::vector<std::string> labels;
  for (const auto& [k, val] : v.labels) {
    labels.push_back(k + "=" + val);
  }
  std::sort(labels.begin(), labels.end());  // docker sorts the "k=v" strings, not the keys
  Json j = Json::object();
  j["Availability"] = "N/A";
  j["Driver"] = v.driver;
  j["Group"] = "N/A";
  j["Labels"] = join(labels, ",");
  j["Links"] = "N/A";
  j["Mountpoint"] = v.mountpoint;
  j["Name"] = v.name;
  j["Scope"] = "local";
  j["Size"] = "N/A";
  j["Status"] = "N/A";
  return j;
}

std::map<std::string, std::string> volume_headers() {
  return {{"ID", "ID"},
          {"Name", "VOLUME NAME"},
          {"Group", "GROUP"},
          {"Driver", "DRIVER"},
          {"Scope", "SCOPE"},
          {"Availability", "AVAILABILITY"},
          {"Mountpoint", "MOUNTPOINT"},
          {"Labels", "LABELS"},
          {"Links", "LINKS"},
          {"Size", "SIZE"},
          {"Status", "STATUS"}};
}

struct ListFlags {
  bool quiet = false;
  std::string format;
  std::vector<std::string> filters;
};

Result<void> run_ls(Context& ctx, const ListFlags& fl) {
  if (auto ok = check_filter_flags(fl.filters, "-f, --filter"); !ok) {
    ctx.error(ok.error());
    return {};
  }
  auto filters = BERTH_TRY(engine::parse_volume_list_filters(fl.filters));
  auto vols = BERTH_TRY(open_volumes(ctx));
  auto list = BERTH_TRY(vols.list(filters));
  std::sort(list.begin(), list.end(),
            [](const auto& a, const auto& b) { return natural_less(a.name, b.name); });
  std::string format = fl.format.empty() ? "table" : fl.format;
  if (fl.quiet && format == "table") {
    format = "{{.Name}}";
  } else if (fl.quiet && format == "raw") {
    format = "name: {{.Name}}";
  }
  auto f = BERTH_TRY(Formatter::create(format, "table {{.Driver}}\t{{.Name}}", volume_headers(),
                                       "name: {{.Name}}\\ndriver: {{.Driver}}\\n"));
  for (const auto& v : list) {
    f.add(volume_row(v));
  }
  ctx.out(BERTH_TRY(f.render()));
  return {};
}

void add_ls(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto fl = std::make_shared<ListFlags>();
  cmd->add_flag("-q,--quiet", fl->quiet, "Only display volume names");
  cmd->add_option("--format", fl->format, "Format output using a Go template, or json");
  cmd->add_option("-f,--filter", fl->filters, "Provide filter values (e.g. \"dangling=true\")")
      ->allow_extra_args(false);
  set_action(cmd, ctx, [&ctx, fl] { return run_ls(ctx, *fl); });
}

void add_inspect(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto names = std::make_shared<std::vector<std::string>>();
  auto format = std::make_shared<std::string>();
  cmd->add_option("-f,--format", *format, "Format output using a Go template");
  cmd->add_option("VOLUME", *names, "Volumes to inspect")->required();
  set_action(cmd, ctx, [&ctx, names, format]() -> Result<void> {
    auto vols = BERTH_TRY(open_volumes(ctx));
    std::vector<Json> items;
    std::vector<Error> errors;
    for (const auto& n : *names) {
      auto v = vols.inspect(n);
      if (!v) {
        errors.push_back(v.error());
        continue;
      }
      items.push_back(engine::volume_inspect_json(*v));
    }
    // docker prints what it found, then the errors, and exits 1.
    ctx.out(BERTH_TRY(render_inspect(items, *format)));
    for (const auto& e : errors) {
      ctx.error(e, kExitDaemonError);
    }
    return {};
  });
}

void add_rm(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto names = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  cmd->add_flag("-f,--force", *force, "Force the removal of one or more volumes");
  cmd->add_option("VOLUME", *names, "Volumes to remove")->required();
  set_action(cmd, ctx, [&ctx, names, force]() -> Result<void> {
    auto vols = BERTH_TRY(open_volumes(ctx));
    for (const auto& n : *names) {
      // Each volume on its own, as docker: report the failure, go on, exit 1 at the end.
      auto r = vols.remove_unused(n, *force);
      if (!r) {
        ctx.error(r.error(), kExitDaemonError);
        continue;
      }
      ctx.out(n + "\n");
    }
    return {};
  });
}

// docker's prompt.Confirm: one line from stdin, "y" or "Y" (spaces trimmed) goes on; anything
// else, or end of input, cancels. Reads byte by byte so nothing past the line is consumed.
bool confirm(Context& ctx, const std::string& warning) {
  ctx.out(warning + "\nAre you sure you want to continue? [y/N] ");
  std::string line;
  char c = 0;
  while (::read(STDIN_FILENO, &c, 1) == 1 && c != '\n') {
    line += c;
  }
  std::string_view answer = trim(line);
  return answer == "y" || answer == "Y";
}

struct PruneFlags {
  bool all = false;
  bool force = false;
  std::vector<std::string> filters;
};

Result<void> run_prune(Context& ctx, const PruneFlags& fl) {
  if (auto ok = check_filter_flags(fl.filters, "--filter"); !ok) {
    ctx.error(ok.error());
    return {};
  }
  auto options = BERTH_TRY(engine::parse_volume_prune_filters(fl.filters, fl.all));
  if (!fl.force &&
      !confirm(ctx, fl.all ? "WARNING! This will remove all local volumes not used by at least "
                             "one container."
                           : "WARNING! This will remove anonymous local volumes not used by at "
                             "least one container.")) {
    return {};  // docker: a cancelled prune prints nothing more and exits 0
  }
  auto vols = BERTH_TRY(open_volumes(ctx));
  auto res = BERTH_TRY(vols.prune(options));
  std::string text;
  if (!res.removed.empty()) {
    text += "Deleted Volumes:\n";
    for (const auto& n : res.removed) {
      text += n + "\n";
    }
    text += "\n";
  }
  text += fmt::format("Total reclaimed space: {}\n",
                      human_size4(static_cast<double>(res.removed.empty() ? 0 : res.reclaimed)));
  ctx.out(text);
  return {};
}

void add_volume_prune(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto fl = std::make_shared<PruneFlags>();
  cmd->add_flag("-a,--all", fl->all, "Remove all unused volumes, not just anonymous ones");
  cmd->add_flag("-f,--force", fl->force, "Do not prompt for confirmation");
  cmd->add_option("--filter", fl->filters, "Provide filter values (e.g. \"label=<label>\")")
      ->allow_extra_args(false);
  set_action(cmd, ctx, [&ctx, fl] { return run_prune(ctx, *fl); });
}

}  // namespace

void add_volume_commands(CLI::App& app, Context& ctx) {
  CLI::App* volume = app.add_subcommand("volume", "Manage volumes");
  volume->require_subcommand(1);
  add_create(volume->add_subcommand("create", "Create a volume"), ctx);
  add_ls(volume->add_subcommand("ls", "List volumes")->alias("list"), ctx);
  add_inspect(
      volume->add_subcommand("inspect", "Display detailed information on one or more volumes"),
      ctx);
  add_rm(volume->add_subcommand("rm", "Remove one or more volumes")->alias("remove"), ctx);
  add_volume_prune(volume->add_subcommand("prune", "Remove unused local volumes"), ctx);
}

}  // namespace berth::cli
