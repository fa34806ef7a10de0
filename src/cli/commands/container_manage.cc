// `rename`, `pause`, `unpause`, `top`, `stats`, `port`, `container prune`, `cp`, `export` and
// `attach`. Errors the daemon would report exit 1, as docker's CLI does; the CLI's own usage
// errors exit 125 like the other berth commands.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "base/stream.h"
#include "base/strings.h"
#include "cli/commands/attach_session.h"
#include "cli/context.h"
#include "cli/format/table.h"
#include "engine/container_manage.h"

namespace berth::cli {

namespace {

void add_rename(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto names = std::make_shared<std::pair<std::string, std::string>>();
  cmd->add_option("CONTAINER", names->first, "The container to rename")->required();
  cmd->add_option("NEW_NAME", names->second, "Its new name")->required();
  set_action(cmd, ctx, [&ctx, names]() -> Result<void> {
    auto* eng = BERTH_TRY(ctx.engine());
    return engine::rename_container(*eng, names->first, names->second);
  });
}

void add_pause(CLI::App* cmd, Context& ctx, bool pause) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto names = std::make_shared<std::vector<std::string>>();
  cmd->add_option("CONTAINER", *names, "Containers")->required();
  set_action(cmd, ctx, [&ctx, names, pause]() -> Result<void> {
    auto* eng = BERTH_TRY(ctx.engine());
    for (const auto& n : *names) {
      auto r = pause ? engine::pause_container(*eng, n) : engine::unpause_container(*eng, n);
      if (!r) {
        ctx.error(r.error(), kExitDaemonError);
        continue;
      }
      ctx.out(n + "\n");
    }
    return {};
  });
}

// docker's top table: tabwriter with a minimum cell width of 20 and padding 3.
std::string top_table(const engine::TopResult& t) {
  std::vector<std::vector<std::string>> rows{t.titles};
  rows.insert(rows.end(), t.processes.begin(), t.processes.end());
  std::vector<size_t> width(t.titles.size(), 0);
  for (const auto& r : rows) {
    for (size_t i = 0; i + 1 < r.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], std::max<size_t>(display_width(r[i]) + 3, 20));
    }
  }
  std::string out;
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) {
      out += r[i];
      if (i + 1 < r.size()) {
        out.append(width[i] - std::min(width[i], display_width(r[i])), ' ');
      }
    }
    out += "\n";
  }
  return out;
}

void add_top(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  // Everything after the container belongs to ps ("top c -o pid,comm").
  stop_flags_at_first_word(cmd, "CONTAINER", "The container, then ps options", "[ps OPTIONS]");
  cmd->footer("Usage: berth top CONTAINER [ps OPTIONS]");
  set_action(cmd, ctx, [&ctx, cmd]() -> Result<void> {
    auto rest = cmd->remaining();
    if (rest.empty()) {
      ctx.error(Error(Code::kInvalidArgument, "\"top\" requires at least 1 argument"));
      return {};
    }
    auto* eng = BERTH_TRY(ctx.engine());
    std::vector<std::string> ps_args(rest.begin() + 1, rest.end());
    auto t = BERTH_TRY(engine::top_container(*eng, rest[0], ps_args));
    ctx.out(top_table(t));
    return {};
  });
}

// ---- stats ----

constexpr std::string_view kStatsTable =
    "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t"
    "{{.BlockIO}}\t{{.PIDs}}";

std::map<std::string, std::string> stats_headers() {
  return {{"Container", "CONTAINER"},
          {"ID", "CONTAINER ID"},
          {"Name", "NAME"},
          {"CPUPerc", "CPU %"},
          {"MemUsage", "MEM USAGE / LIMIT"},
          {"MemPerc", "MEM %"},
          {"NetIO", "NET I/O"},
          {"BlockIO", "BLOCK I/O"},
          {"PIDs", "PIDS"}};
}

struct StatsFlags {
  bool all = false;
  bool no_stream = false;
  bool no_trunc = false;
  std::string format;
  std::vector<std::string> names;
};

struct Tracked {
  std::string shown;  // what the user typed, or the ID (docker's .Container)
  engine::Container c;
  engine::StatsSample last;
};

Json stats_item(const Tracked& t, const engine::StatsRow& r, bool trunc) {
  auto pair = [](uint64_t a, uint64_t b) {
    return human_size(static_cast<double>(a)) + " / " + human_size(static_cast<double>(b));
  };
  Json j = Json::object();
  j["Container"] = t.shown;
  j["ID"] = trunc ? t.c.id.substr(0, 12) : t.c.id;
  j["Name"] = t.c.name;
  j["CPUPerc"] = fmt::format("{:.2f}%", r.cpu_percent);
  j["MemUsage"] = engine::bytes_size(static_cast<double>(r.mem_usage)) + " / " +
                  engine::bytes_size(static_cast<double>(r.mem_limit));
  j["MemPerc"] = fmt::format("{:.2f}%", r.mem_percent);
  j["NetIO"] = pair(r.net_rx, r.net_tx);
  j["BlockIO"] = pair(r.blk_read, r.blk_write);
  j["PIDs"] = fmt::format("{}", r.pids);
  return j;
}

// The containers to show: the named ones, else every running one (with -a every one).
Result<std::vector<Tracked>> stats_targets(Context& ctx, engine::Engine& eng,
                                           const StatsFlags& fl) {
  std::vector<Tracked> out;
  if (!fl.names.empty()) {
    for (const auto& n : fl.names) {
      auto c = eng.find_container(n);
      if (!c) {
        ctx.error(c.error(), kExitDaemonError);
        continue;
      }
      out.push_back(Tracked{n, std::move(*c), {}});
    }
    return out;
  }
  for (auto& c : BERTH_TRY(eng.list_containers())) {
    if (fl.all || c.state.status == "running" || c.state.status == "paused") {
      std::string id = c.id;
      out.push_back(Tracked{id, std::move(c), {}});
    }
  }
  return out;
}

Result<void> run_stats(Context& ctx, const StatsFlags& fl) {
  auto* eng = BERTH_TRY(ctx.engine());
  (void)BERTH_TRY(Formatter::create(fl.format, kStatsTable, stats_headers()));  // fail early
  auto targets = BERTH_TRY(stats_targets(ctx, *eng, fl));
  if (!fl.names.empty() && targets.empty()) {
    return {};  // every name failed (reported)
  }
  for (auto& t : targets) {
    t.last = BERTH_TRY(engine::sample_stats(*eng, t.c));
  }
  bool tty = ::isatty(STDOUT_FILENO) != 0;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    auto out = BERTH_TRY(Formatter::create(fl.format, kStatsTable, stats_headers()));
    for (auto& t : targets) {
      if (auto now = eng->find_container(t.c.id)) {
        t.c = std::move(*now);
      }
      auto sample = BERTH_TRY(engine::sample_stats(*eng, t.c));
      out.add(stats_item(t, engine::stats_row(t.last, sample), !fl.no_trunc));
      t.last = sample;
    }
    std::string text = BERTH_TRY(out.render());
    if (tty && !fl.no_stream) {
      text = "\033[2J\033[H" + text;
    }
    ctx.out(text);
    if (fl.no_stream) {
      return {};
    }
    if (fl.names.empty()) {
      // New containers join the stream; stopped ones leave it (unless -a).
      auto next = BERTH_TRY(stats_targets(ctx, *eng, fl));
      for (auto& n : next) {
        for (const auto& t : targets) {
          if (t.c.id == n.c.id) {
            n.last = t.last;
          }
        }
      }
      targets = std::move(next);
    }
  }
}

void add_stats(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto fl = std::make_shared<StatsFlags>();
  cmd->add_flag("-a,--all", fl->all, "Show all containers (default shows just running)");
  cmd->add_flag("--no-stream", fl->no_stream,
                "Disable streaming stats and only pull the first result");
  cmd->add_flag("--no-trunc", fl->no_trunc, "Do not truncate output");
  cmd->add_option("--format", fl->format, "Format output using a custom template");
  cmd->add_option("CONTAINER", fl->names, "Containers");
  set_action(cmd, ctx, [&ctx, fl] { return run_stats(ctx, *fl); });
}

void add_port(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto args = std::make_shared<std::vector<std::string>>(2);
  cmd->add_option("CONTAINER", (*args)[0], "Container")->required();
  cmd->add_option("PRIVATE_PORT", (*args)[1], "PRIVATE_PORT[/PROTO]");
  set_action(cmd, ctx, [&ctx, args]() -> Result<void> {
    auto* eng = BERTH_TRY(ctx.engine());
    auto c = BERTH_TRY(eng->find_container((*args)[0]));
    std::string want = (*args)[1];
    if (!want.empty() && want.find('/') == std::string::npos) {
      want += "/tcp";
    }
    std::string text;
    for (const auto& p : c.state.ports) {  // published while it runs, in the order given
      std::string host = (p.host_ip.empty() ? "0.0.0.0" : p.host_ip) + ":" + p.host_port;
      if (want.empty()) {
        text += fmt::format("{} -> {}\n", p.container_port, host);
      } else if (p.container_port == want) {
        text += host + "\n";
      }
    }
    if (!want.empty() && text.empty()) {
      return fail(Code::kNotFound,
                  fmt::format("No public port '{}' published for {}", want, (*args)[0]));
    }
    ctx.out(text);
    return {};
  });
}

void add_container_prune(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto force = std::make_shared<bool>(false);
  auto filters = std::make_shared<std::vector<std::string>>();
  cmd->add_flag("-f,--force", *force, "Do not prompt for confirmation");
  cmd->add_option("--filter", *filters, "Provide filter values (e.g. \"until=<timestamp>\")");
  set_action(cmd, ctx, [&ctx, force, filters]() -> Result<void> {
    if (!*force) {
      ctx.out(
          "WARNING! This will remove all stopped containers.\nAre you sure you want to "
          "continue? [y/N] ");
      std::string line;
      char c = 0;
      while (::read(STDIN_FILENO, &c, 1) == 1 && c != '\n') {
        line += c;
      }
      if (std::string_view answer = trim(line); answer != "y" && answer != "Y") {
        return {};
      }
    }
    auto* eng = BERTH_TRY(ctx.engine());
    auto res = BERTH_TRY(engine::prune_containers(*eng, *filters));
    std::string text;
    if (!res.ids.empty()) {
      text += "Deleted Containers:\n";
      for (const auto& id : res.ids) {
        text += id + "\n";
      }
      text += "\n";
    }
    text +=
        fmt::format("Total reclaimed space: {}\n", human_size(static_cast<double>(res.reclaimed)));
    ctx.out(text);
    return {};
  });
}

// ---- cp ----

struct CpArg {
  std::string container;  // empty: a local path
  std::string path;
};

// docker's splitCpArg: an absolute or ./ path is local; otherwise "CONTAINER:PATH".
CpArg split_cp_arg(const std::string& arg) {
  if (arg.empty() || arg[0] == '/' || arg[0] == '.') {
    return {"", arg};
  }
  auto colon = arg.find(':');
  if (colon == std::string::npos || colon == 0) {
    return {"", arg};
  }
  return {arg.substr(0, colon), arg.substr(colon + 1)};
}

struct CpFlags {
  std::vector<std::string> args;
  bool archive = false, follow = false, quiet = false;
};

Result<void> run_cp(Context& ctx, const CpFlags& fl) {
  CpArg src = split_cp_arg(fl.args[0]), dst = split_cp_arg(fl.args[1]);
  if (!src.container.empty() && !dst.container.empty()) {
    return fail(Code::kInvalidArgument, "copying between containers is not supported");
  }
  if (src.container.empty() && dst.container.empty()) {
    return fail(Code::kInvalidArgument, "must specify at least one container source");
  }
  auto* eng = BERTH_TRY(ctx.engine());
  engine::CopyOptions opts{fl.archive};
  int64_t bytes = 0;
  std::string where;
  if (!src.container.empty()) {
    if (dst.path == "-") {
      FdWriter out(STDOUT_FILENO);
      return engine::copy_from_container_tar(*eng, src.container, src.path, out);
    }
    bytes = BERTH_TRY(engine::copy_from_container(*eng, src.container, src.path, dst.path, opts));
    where = dst.path;
  } else {
    if (src.path == "-") {
      FdReader in(STDIN_FILENO);
      return engine::copy_tar_to_container(*eng, dst.container, in, dst.path);
    }
    bytes = BERTH_TRY(engine::copy_to_container(*eng, dst.container, src.path, dst.path, opts));
    where = fl.args[1];
  }
  if (!fl.quiet && ::isatty(STDERR_FILENO) != 0) {
    std::string line = fmt::format("Successfully copied {} to {}\n",
                                   human_size(static_cast<double>(bytes)), where);
    (void)::write(STDERR_FILENO, line.data(), line.size());
  }
  return {};
}

void add_cp(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto fl = std::make_shared<CpFlags>();
  cmd->add_flag("-a,--archive", fl->archive, "Archive mode (copy all uid/gid information)");
  cmd->add_flag("-L,--follow-link", fl->follow, "Always follow symbol link in SRC_PATH");
  cmd->add_flag("-q,--quiet", fl->quiet, "Suppress progress output during copy");
  fl->args.resize(2);
  cmd->add_option("SRC", fl->args[0], "CONTAINER:SRC_PATH or SRC_PATH|-")->required();
  cmd->add_option("DEST", fl->args[1], "DEST_PATH|- or CONTAINER:DEST_PATH")->required();
  set_action(cmd, ctx, [&ctx, fl] { return run_cp(ctx, *fl); });
}

void add_export(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto name = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  cmd->add_option("-o,--output", *output, "Write to a file, instead of STDOUT");
  cmd->add_option("CONTAINER", *name, "Container")->required();
  set_action(cmd, ctx, [&ctx, name, output]() -> Result<void> {
    if (output->empty() && ::isatty(STDOUT_FILENO) != 0) {
      return fail(Code::kInvalidArgument,
                  "cowardly refusing to save to a terminal. Use the -o flag or redirect");
    }
    auto* eng = BERTH_TRY(ctx.engine());
    BERTH_CHECK(eng->find_container(*name));
    if (output->empty()) {
      FdWriter out(STDOUT_FILENO);
      return engine::export_container(*eng, *name, out);
    }
    UniqueFd fd(::open(output->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) {
      return fail_errno(fmt::format("failed to export container: {}", *output));
    }
    FdWriter out(fd.get());
    auto r = engine::export_container(*eng, *name, out);
    if (!r) {
      ::unlink(output->c_str());
    }
    return r;
  });
}

void add_attach(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto name = std::make_shared<std::string>();
  auto no_stdin = std::make_shared<bool>(false);
  auto sig_proxy = std::make_shared<bool>(true);
  cmd->add_flag("--no-stdin", *no_stdin, "Do not attach STDIN");
  cmd->add_flag("--sig-proxy", *sig_proxy, "Proxy all received signals to the process");
  cmd->add_option("--detach-keys", "Override the key sequence for detaching a container");
  cmd->add_option("CONTAINER", *name, "Container")->required();
  set_action(cmd, ctx, [&ctx, name, no_stdin, sig_proxy]() -> Result<void> {
    auto* eng = BERTH_TRY(ctx.engine());
    auto c = BERTH_TRY(eng->find_container(*name));
    if (c.state.status == "paused") {
      return fail(Code::kConflict, "You cannot attach to a paused container, unpause it first");
    }
    if (c.state.status != "running" && c.state.status != "restarting") {
      return fail(Code::kConflict, "You cannot attach to a stopped container, start it first");
    }
    AttachSession session(ctx, *eng, c);
    return session.attach_and_wait(!*no_stdin && c.config.open_stdin, *sig_proxy);
  });
}

}  // namespace

void add_container_manage(CLI::App& app, CLI::App* container, Context& ctx) {
  for (CLI::App* parent : {&app, container}) {
    add_rename(parent->add_subcommand("rename", "Rename a container"), ctx);
    add_pause(parent->add_subcommand("pause", "Pause all processes within one or more containers"),
              ctx, true);
    add_pause(
        parent->add_subcommand("unpause", "Unpause all processes within one or more containers"),
        ctx, false);
    add_top(parent->add_subcommand("top", "Display the running processes of a container"), ctx);
    add_stats(parent->add_subcommand("stats",
                                     "Display a live stream of container(s) resource "
                                     "usage statistics"),
              ctx);
    add_port(parent->add_subcommand("port",
                                    "List port mappings or a specific mapping for the "
                                    "container"),
             ctx);
    add_cp(parent->add_subcommand(
               "cp", "Copy files/folders between a container and the local filesystem"),
           ctx);
    add_export(parent->add_subcommand("export", "Export a container's filesystem as a tar archive"),
               ctx);
    add_attach(parent->add_subcommand("attach",
                                      "Attach local standard input, output, and error "
                                      "streams to a running container"),
               ctx);
  }
  add_container_prune(container->add_subcommand("prune", "Remove all stopped containers"), ctx);
}

}  // namespace berth::cli
