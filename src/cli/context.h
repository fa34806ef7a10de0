// Context: what every command gets — the global flags and the engine, opened on first use so
// that `--help` and usage errors touch no store.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/error.h"
#include "engine/engine.h"

namespace berth::cli {

inline constexpr int kExitEngineError = 125;

class Context {
 public:
  engine::EngineOptions options;

  Result<engine::Engine*> engine() {
    if (!engine_) {
      engine_ = BERTH_TRY(engine::Engine::open(options));
    }
    return engine_.get();
  }

  // Prints to stdout in one write (so a closed pipe is noticed once).
  void out(std::string_view text);
  // Prints "Error: <message>" to stderr and records the exit code.
  void error(const Error& e, int code = kExitEngineError);

  int exit_code = 0;

  // The command words argv names after berth's global flags ("run", or "container" "run"):
  // commands are costly to register (their flags are a quarter of every berth command's
  // start-up), so those argv does not select register no flags. Empty when argv names no
  // command: then everything is registered.
  std::vector<std::string> command_words;
  // For the first line of a command's add function: when argv does not select cmd (by its name
  // or an alias, under its parent groups), makes it a stub that keeps its name and description
  // for --help, and returns true: the caller registers nothing more.
  bool stub(CLI::App* cmd) const;

 private:
  std::unique_ptr<engine::Engine> engine_;
};

// Registers a command whose action returns Result<void>; an error is printed on one line and
// sets exit code 1, as docker's CLI does for whatever its daemon refuses (no such container, not
// running, an invalid filter, a bad archive). Usage errors (unknown flags, bad flag values)
// exit 125 before any action runs.
using Action = std::function<Result<void>()>;
void set_action(CLI::App* cmd, Context& ctx, Action action);
inline constexpr int kExitDaemonError = 1;
// The same, for the commands whose own errors docker reports as 125: `run` and `create`.
void set_run_action(CLI::App* cmd, Context& ctx, Action action);

// For commands whose words after the first belong to someone else (`run IMAGE CMD...`,
// `exec CONTAINER CMD...`, `top CONTAINER PS-OPTIONS...`): flags stop at the first word and
// every word from there on, "--" included, is left in cmd->remaining(). `name` and `help`
// document that first word in --help.
void stop_flags_at_first_word(CLI::App* cmd, const std::string& name, const std::string& help,
                              const std::string& type_name);

void add_image_commands(CLI::App& app, Context& ctx);
void add_archive_commands(CLI::App& app, Context& ctx);
void add_system_commands(CLI::App& app, Context& ctx);
void add_volume_commands(CLI::App& app, Context& ctx);
void add_network_commands(CLI::App& app, Context& ctx);
void add_build_commands(CLI::App& app, Context& ctx);
void add_registry_commands(CLI::App& app, Context& ctx);
// The pull `run` and `create` do for an image the store lacks (--pull missing) or always (--pull
// always): docker's pull lines on stderr (none with quiet), errors as pull's.
Result<void> pull_for_run(Context& ctx, const std::string& image, const std::string& platform,
                          bool quiet);
// Containers: `container` is the `berth container` group the verbs are also registered under.
void add_container_run(CLI::App& app, CLI::App* container, Context& ctx);
void add_container_verbs(CLI::App& app, CLI::App* container, Context& ctx);
void add_container_listing(CLI::App& app, CLI::App* container, Context& ctx);
void add_container_manage(CLI::App& app, CLI::App* container, Context& ctx);

}  // namespace berth::cli
