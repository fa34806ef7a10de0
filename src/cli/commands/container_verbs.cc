// `start`, `stop`, `restart`, `kill`, `rm`, `wait`, `logs`: the verbs that act on existing
// containers. Like docker, each takes several containers, reports a failure and goes on, and
// exits 1 when any failed.
#include <unistd.h>

#include <fmt/format.h>

#include "base/stream.h"
#include "base/strings.h"
#include "cli/commands/attach_session.h"
#include "cli/context.h"
#include "engine/container_logs.h"
#include "engine/run_options.h"

namespace berth::cli {

namespace {

using Names = std::shared_ptr<std::vector<std::string>>;

// Runs fn for each name; prints the name on success (docker echoes what the user typed).
Result<void> each(Context& ctx, const Names& names,
                  const std::function<Result<void>(engine::Engine*, const std::string&)>& fn) {
  auto* eng = BERTH_TRY(ctx.engine());
  for (const auto& n : *names) {
    if (auto r = fn(eng, n); !r) {
      ctx.error(r.error(), kExitDaemonError);
      continue;
    }
    ctx.out(n + "\n");
  }
  return {};
}

void add_start(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto names = std::make_shared<std::vector<std::string>>();
  auto attach = std::make_shared<bool>(false);
  auto interactive = std::make_shared<bool>(false);
  cmd->add_flag("-a,--attach", *attach, "Attach STDOUT/STDERR and forward signals");
  cmd->add_flag("-i,--interactive", *interactive, "Attach container's STDIN");
  cmd->add_option("--detach-keys", "Override the key sequence for detaching a container");
  cmd->add_option("CONTAINER", *names, "Containers to start")->required();
  set_action(cmd, ctx, [&ctx, names, attach, interactive]() -> Result<void> {
    auto* eng = BERTH_TRY(ctx.engine());
    if (!*attach && !*interactive) {
      return each(ctx, names, [](engine::Engine* e, const std::string& n) -> Result<void> {
        auto started = e->start_container(n, {});
        if (!started) {
          return tl::unexpected(std::move(started.error()));
        }
        return {};
      });
    }
    if (names->size() > 1) {
      return fail(Code::kInvalidArgument,
                  "you cannot start and attach multiple containers at once");
    }
    auto c = BERTH_TRY(eng->find_container(names->front()));
    AttachSession session(ctx, *eng, c);
    return session.start_and_wait(*interactive);
  });
}

void add_stop(CLI::App* cmd, Context& ctx, bool restart) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto names = std::make_shared<std::vector<std::string>>();
  auto timeout = std::make_shared<std::optional<int>>();
  auto signal = std::make_shared<std::string>();
  cmd->add_option("-t,--time", *timeout, "Seconds to wait before killing the container");
  cmd->add_option("-s,--signal", *signal, "Signal to send to the container");
  cmd->add_option("CONTAINER", *names, "Containers")->required();
  set_action(cmd, ctx, [&ctx, names, timeout, signal, restart]() -> Result<void> {
    std::optional<int> sig;
    if (!signal->empty()) {
      sig = BERTH_TRY(engine::parse_signal(*signal));
    }
    return each(ctx, names, [&](engine::Engine* e, const std::string& n) -> Result<void> {
      BERTH_CHECK(e->stop_container(n, *timeout, sig));
      if (restart) {
        auto started = e->start_container(n, {});
        if (!started) {
          return tl::unexpected(std::move(started.error()));
        }
      }
      return {};
    });
  });
}

void add_kill(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto names = std::make_shared<std::vector<std::string>>();
  auto signal = std::make_shared<std::string>("KILL");
  cmd->add_option("-s,--signal", *signal, "Signal to send to the container");
  cmd->add_option("CONTAINER", *names, "Containers to kill")->required();
  set_action(cmd, ctx, [&ctx, names, signal]() -> Result<void> {
    int sig = BERTH_TRY(engine::parse_signal(*signal));
    return each(ctx, names, [sig](engine::Engine* e, const std::string& n) {
      return e->kill_container(n, sig);
    });
  });
}

void add_rm(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto names = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  auto volumes = std::make_shared<bool>(false);
  cmd->add_flag("-f,--force", *force, "Force the removal of a running container (uses SIGKILL)");
  cmd->add_flag("-v,--volumes", *volumes, "Remove anonymous volumes associated with the container");
  cmd->add_flag("-l,--link")->description("Remove the specified link");
  cmd->add_option("CONTAINER", *names, "Containers to remove")->required();
  set_action(cmd, ctx, [&ctx, names, force, volumes]() -> Result<void> {
    return each(ctx, names, [&](engine::Engine* e, const std::string& n) {
      return e->remove_container(n, *force, *volumes);
    });
  });
}

void add_wait(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto names = std::make_shared<std::vector<std::string>>();
  cmd->add_option("CONTAINER", *names, "Containers to wait for")->required();
  set_action(cmd, ctx, [&ctx, names]() -> Result<void> {
    auto* eng = BERTH_TRY(ctx.engine());
    for (const auto& n : *names) {
      auto code = eng->wait_container(n);
      if (!code) {
        ctx.error(code.error(), kExitDaemonError);
        continue;
      }
      ctx.out(fmt::format("{}\n", *code));
    }
    return {};
  });
}

void add_logs(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto name = std::make_shared<std::string>();
  auto opts = std::make_shared<engine::LogsOptions>();
  auto since = std::make_shared<std::string>();
  auto until = std::make_shared<std::string>();
  cmd->add_flag("-f,--follow", opts->follow, "Follow log output");
  cmd->add_flag("-t,--timestamps", opts->timestamps, "Show timestamps");
  cmd->add_flag("--details", opts->details, "Show extra details provided to logs");
  cmd->add_option("-n,--tail", opts->tail, "Number of lines to show from the end of the logs");
  cmd->add_option("--since", *since, "Show logs since timestamp or relative (e.g. 42m)");
  cmd->add_option("--until", *until, "Show logs before a timestamp or relative (e.g. 42m)");
  cmd->add_option("CONTAINER", *name, "Container")->required();
  set_action(cmd, ctx, [&ctx, name, opts, since, until]() -> Result<void> {
    auto* eng = BERTH_TRY(ctx.engine());
    auto c = BERTH_TRY(eng->find_container(*name));
    BERTH_CHECK(engine::check_logs_readable(c.host_config.log_config.type));
    int64_t now = now_nanos();
    if (!since->empty()) {
      opts->since = BERTH_TRY(engine::parse_log_time(*since, now));
    }
    if (!until->empty()) {
      opts->until = BERTH_TRY(engine::parse_log_time(*until, now));
    }
    FdWriter out(STDOUT_FILENO), err(STDERR_FILENO);
    std::string id = c.id;
    return engine::read_logs(c.log_path, *opts, out, err, [eng, id]() {
      auto now = eng->find_container(id);
      return now && (now->state.status == "running" || now->state.status == "restarting" ||
                     now->state.status == "paused");
    });
  });
}

void add_exec(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto name = std::make_shared<std::string>();
  auto req = std::make_shared<engine::ExecRequest>();
  auto env_files = std::make_shared<std::vector<std::string>>();
  cmd->add_flag("-i,--interactive", req->interactive, "Keep STDIN open even if not attached");
  cmd->add_flag("-t,--tty", req->tty, "Allocate a pseudo-TTY");
  cmd->add_flag("-d,--detach", req->detach, "Detached mode: run command in the background");
  cmd->add_option("-u,--user", req->user, "Username or UID (format: <name|uid>[:<group|gid>])");
  cmd->add_option("-e,--env", req->env, "Set environment variables")->allow_extra_args(false);
  cmd->add_option("--env-file", *env_files, "Read in a file of environment variables")
      ->allow_extra_args(false);
  cmd->add_option("-w,--workdir", req->workdir, "Working directory inside the container");
  cmd->add_flag("--privileged", req->privileged, "Give extended privileges to the command");
  cmd->add_option("--detach-keys", "Override the key sequence for detaching a container");
  // As for run (run_flags.cc): flags stop at the container's name, the rest is the command.
  stop_flags_at_first_word(cmd, "CONTAINER", "The container, then the command and its arguments",
                           "COMMAND [ARG...]");
  set_action(cmd, ctx, [&ctx, cmd, name, req, env_files]() -> Result<void> {
    auto* eng = BERTH_TRY(ctx.engine());
    std::vector<std::string> rest = cmd->remaining();
    size_t i = !rest.empty() && rest[0] == "--" ? 1 : 0;
    if (i < rest.size() && rest[i].size() > 1 && rest[i][0] == '-') {
      return fail(Code::kInvalidArgument, "unknown flag: " + rest[i]);
    }
    if (rest.size() < i + 2) {
      return fail(Code::kInvalidArgument, "\"berth exec\" requires at least 2 arguments.");
    }
    *name = rest[i];
    req->cmd.assign(rest.begin() + static_cast<std::ptrdiff_t>(i) + 1, rest.end());
    std::vector<std::string> env;
    for (const auto& f : *env_files) {
      auto more = BERTH_TRY(engine::parse_env_file(f, engine::lookup_process_env));
      env.insert(env.end(), more.begin(), more.end());
    }
    for (const auto& e : req->env) {
      if (auto v = BERTH_TRY(engine::expand_env_flag(e, engine::lookup_process_env))) {
        env.push_back(*v);
      }
    }
    req->env = env;
    AttachTerminal raw(req->tty && req->interactive);
    auto code = eng->exec_container(*name, *req);
    if (!code) {
      Code c = code.error().code();
      bool refused = c == Code::kNotFound || c == Code::kConflict;  // no such / not running
      ctx.error(code.error(),
                refused ? kExitDaemonError : engine::start_failure_exit(code.error().str()));
      return {};
    }
    ctx.exit_code = *code;
    return {};
  });
}

}  // namespace

void add_container_verbs(CLI::App& app, CLI::App* container, Context& ctx) {
  for (CLI::App* parent : {&app, container}) {
    add_start(parent->add_subcommand("start", "Start one or more stopped containers"), ctx);
    add_stop(parent->add_subcommand("stop", "Stop one or more running containers"), ctx, false);
    add_stop(parent->add_subcommand("restart", "Restart one or more containers"), ctx, true);
    add_kill(parent->add_subcommand("kill", "Kill one or more running containers"), ctx);
    add_wait(parent->add_subcommand("wait", "Block until containers stop, then print exit codes"),
             ctx);
    add_logs(parent->add_subcommand("logs", "Fetch the logs of a container"), ctx);
  }
  add_exec(app.add_subcommand("exec", "Execute a command in a running container"), ctx);
  add_exec(container->add_subcommand("exec", "Execute a command in a running container"), ctx);
  add_rm(app.add_subcommand("rm", "Remove one or more containers"), ctx);
  add_rm(container->add_subcommand("rm", "Remove one or more containers")->alias("remove"), ctx);
}

}  // namespace berth::cli
