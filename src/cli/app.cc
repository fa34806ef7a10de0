#include "cli/app.h"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <iostream>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/log.h"
#include "cli/context.h"

namespace berth::cli {

void Context::out(std::string_view text) {
  auto r = write_all(STDOUT_FILENO, text.data(), text.size());
  if (!r && exit_code == 0) {
    exit_code = 1;
  }
}

void Context::error(const Error& e, int code) {
  std::string line = fmt::format("Error: {}\n", e.str());
  (void)write_all(STDERR_FILENO, line.data(), line.size());
  exit_code = code;
}

namespace {

bool names(const CLI::App* cmd, std::string_view word) {
  if (cmd->get_name() == word) {
    return true;
  }
  const auto& aliases = cmd->get_aliases();
  return std::find(aliases.begin(), aliases.end(), word) != aliases.end();
}

}  // namespace

bool Context::stub(CLI::App* cmd) const {
  std::vector<const CLI::App*> path;  // from the top-level command down to cmd
  for (const CLI::App* a = cmd; a != nullptr && a->get_parent() != nullptr; a = a->get_parent()) {
    path.insert(path.begin(), a);
  }
  size_t n = std::min(path.size(), command_words.size());
  for (size_t i = 0; i < n; ++i) {
    if (!names(path[i], command_words[i])) {
      cmd->allow_extras();
      return true;
    }
  }
  return false;
}

namespace {

void set_action_exiting(CLI::App* cmd, Context& ctx, Action action, int code) {
  cmd->callback([&ctx, action = std::move(action), code] {
    if (auto r = action(); !r) {
      ctx.error(r.error(), code);
    }
  });
}

}  // namespace

void set_action(CLI::App* cmd, Context& ctx, Action action) {
  set_action_exiting(cmd, ctx, std::move(action), kExitDaemonError);
}

void set_run_action(CLI::App* cmd, Context& ctx, Action action) {
  set_action_exiting(cmd, ctx, std::move(action), kExitEngineError);
}

void stop_flags_at_first_word(CLI::App* cmd, const std::string& name, const std::string& help,
                              const std::string& type_name) {
  cmd->fallthrough(false);
  cmd->prefix_command();
  // A positional that takes nothing: with validate_positionals() every word fails its check, so
  // the first one stops flag parsing (prefix_command) and "--" is kept in remaining() instead of
  // ending the command.
  cmd->validate_positionals();
  cmd->add_option_function<std::string>(
         name, [](const std::string&) {}, help)
      ->type_name(type_name)
      ->check(CLI::Validator([](std::string&) { return std::string("not a flag"); }, ""));
}

namespace {

std::string env_or(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

// The first two words of argv after the global flags (--root X, --runroot X); none when a flag
// other than those comes first (--help, --version, a mistake), so that everything is registered.
std::vector<std::string> command_words(int argc, char** argv) {
  std::vector<std::string> words;
  for (int i = 1; i < argc && words.size() < 2; ++i) {
    std::string_view a = argv[i];
    if (words.empty() && (a == "--root" || a == "--runroot")) {
      ++i;
    } else if (words.empty() && (a.rfind("--root=", 0) == 0 || a.rfind("--runroot=", 0) == 0)) {
      continue;
    } else if (!a.empty() && a[0] == '-') {
      break;
    } else {
      words.emplace_back(a);
    }
  }
  return words;
}

}  // namespace

int run(int argc, char** argv) {
  // Writes to a closed pipe (`berth images | head -1`, a layer reader that stopped early)
  // must fail as EPIPE, not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  log::phase("cli start");
  Context ctx;
  ctx.command_words = command_words(argc, argv);
  ctx.options.root = env_or("BERTH_ROOT", "/var/lib/berth");
  ctx.options.runroot = env_or("BERTH_RUNROOT", "/run/berth");

  CLI::App app{"berth: build, run and deploy containers", "berth"};
  app.require_subcommand(1);
  app.fallthrough();
  app.add_option("--root", ctx.options.root, "Root of the store (env BERTH_ROOT)");
  app.add_option("--runroot", ctx.options.runroot, "Root of run state (env BERTH_RUNROOT)");
  app.set_version_flag("-v,--version", "berth version 0.1.0");
  add_image_commands(app, ctx);
  add_archive_commands(app, ctx);
  add_system_commands(app, ctx);
  add_volume_commands(app, ctx);
  add_network_commands(app, ctx);
  add_build_commands(app, ctx);
  add_registry_commands(app, ctx);
  CLI::App* container = app.add_subcommand("container", "Manage containers");
  container->require_subcommand(1);
  add_container_run(app, container, ctx);
  add_container_verbs(app, container, ctx);
  add_container_listing(app, container, ctx);
  add_container_manage(app, container, ctx);
  log::phase("cli parsing");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "berth: " << e.what() << "\nSee 'berth --help'.\n";
    return kExitEngineError;
  }
  log::phase("cli done");
  return ctx.exit_code;
}

}  // namespace berth::cli
