// `run` and `create`: docker's flags (run_flags.h) → a container record → with run, a start that
// stays attached (or prints the ID with -d) and exits with the container's code.
#include <unistd.h>

#include <fmt/format.h>

#include "base/fs.h"
#include "cli/commands/attach_session.h"
#include "cli/commands/run_flags.h"
#include "cli/context.h"

namespace berth::cli {

namespace {

void warn(const std::string& text) {
  std::string line = "WARNING: " + text + "\n";
  (void)write_all(STDERR_FILENO, line.data(), line.size());
}

Result<engine::Container> create(Context& ctx, const RunFlags& f) {
  auto req = BERTH_TRY(to_create_request(f));
  auto* eng = BERTH_TRY(ctx.engine());
  std::vector<std::string> warnings;
  if (f.pull == "always") {
    BERTH_CHECK(pull_for_run(ctx, f.image, f.platform, f.quiet));
  }
  auto c = eng->create_container(req, &warnings);
  if (!c && f.pull == "missing" && c.error().message().rfind("No such image: ", 0) == 0) {
    // docker's words, then its pull, then the create again.
    std::string line =
        fmt::format("Unable to find image '{}' locally\n", c.error().message().substr(15));
    (void)write_all(STDERR_FILENO, line.data(), line.size());
    BERTH_CHECK(pull_for_run(ctx, f.image, f.platform, f.quiet));
    c = eng->create_container(req, &warnings);
  }
  if (!c) {
    return tl::unexpected(std::move(c.error()));
  }
  for (const auto& w : warnings) {
    warn(w);
  }
  if (f.cidfile) {
    BERTH_CHECK(write_file_atomic(*f.cidfile, c->id, 0644));
  }
  return c;
}

void add_create(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto f = std::make_shared<RunFlags>();
  add_container_create_flags(cmd, *f, false);
  set_run_action(cmd, ctx, [&ctx, f]() -> Result<void> {
    auto c = BERTH_TRY(create(ctx, *f));
    ctx.out(c.id + "\n");
    return {};
  });
}

void add_run(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto f = std::make_shared<RunFlags>();
  add_container_create_flags(cmd, *f, true);
  set_run_action(cmd, ctx, [&ctx, f]() -> Result<void> {
    auto c = BERTH_TRY(create(ctx, *f));
    auto* eng = BERTH_TRY(ctx.engine());
    if (f->detach) {
      auto started = eng->start_container(c.id, {});
      if (!started) {
        ctx.error(started.error(), engine::start_failure_exit(started.error().str()));
        return {};
      }
      for (const auto& w : started->warnings) {
        warn(w);
      }
      ctx.out(c.id + "\n");
      return {};
    }
    AttachSession session(ctx, *eng, c);
    return session.start_and_wait(f->interactive, f->sig_proxy);
  });
}

}  // namespace

void add_container_run(CLI::App& app, CLI::App* container, Context& ctx) {
  add_run(app.add_subcommand("run", "Create and run a new container from an image"), ctx);
  add_run(container->add_subcommand("run", "Create and run a new container from an image"), ctx);
  add_create(app.add_subcommand("create", "Create a new container"), ctx);
  add_create(container->add_subcommand("create", "Create a new container"), ctx);
}

}  // namespace berth::cli
