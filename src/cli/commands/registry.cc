// `berth pull` / `image pull`, `login` and `logout`, with docker's flags and output. Their
// failures exit 1, as docker's do (the error is still one line on stderr).
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"
#include "cli/context.h"
#include "engine/image_pull.h"

namespace berth::cli {

namespace {

// docker's pull output: on a terminal one line per layer, rewritten in place as its status and
// progress change; otherwise plain lines as they happen (no progress).
class PullPrinter : public engine::PullObserver {
 public:
  // fd: where the lines go (stdout for pull, stderr when run pulls a missing image).
  PullPrinter(int fd, bool quiet) : fd_(fd), quiet_(quiet), tty_(!quiet && ::isatty(fd)) {}

  // `run` names the tag in its "Unable to find image" line and says nothing more about it.
  bool show_default_tag = true;

  void default_tag(std::string_view tag) override {
    if (show_default_tag) {
      line(fmt::format("Using default tag: {}", tag));
    }
  }
  void pulling(std::string_view tag, std::string_view repository) override {
    layers_.clear();  // a new image (pull -a): its layers get lines of their own
    line(fmt::format("{}: Pulling from {}", tag, repository));
  }
  void layer(std::string_view short_id, std::string_view status) override {
    set_layer_line(short_id, fmt::format("{}: {}", short_id, status));
  }
  void progress(std::string_view short_id, int64_t have, int64_t total) override;

  void line(const std::string& text) {
    if (!quiet_) {
      out(text + "\n");
    }
  }

 private:
  struct LayerLine {
    std::string id;
    std::chrono::steady_clock::time_point shown;
    std::chrono::steady_clock::time_point started;  // of its download, at the first progress
    int64_t started_at = -1;                        // bytes it had then (a resumed part)
  };
  void set_layer_line(std::string_view id, const std::string& text);
  void out(const std::string& text) const { (void)write_all(fd_, text.data(), text.size()); }

  int fd_;
  bool quiet_;
  bool tty_;
  std::vector<LayerLine> layers_;  // the layer lines printed last, top to bottom
};

void PullPrinter::set_layer_line(std::string_view id, const std::string& text) {
  if (!tty_) {
    line(text);
    return;
  }
  auto it =
      std::find_if(layers_.begin(), layers_.end(), [&](const LayerLine& l) { return l.id == id; });
  if (it == layers_.end()) {
    layers_.push_back({std::string(id), {}});
    out(text + "\n");
    return;
  }
  // Up to the layer's line, replace it, back down: what docker's jsonmessage does.
  size_t up = static_cast<size_t>(layers_.end() - it);
  out(fmt::format("\x1b[{}A\r\x1b[2K{}\x1b[{}B\r", up, text, up));
}

// "abc123: Downloading [=====>    ]  12.3MB/50MB  24.5MB/s  2 seconds left": docker's bar and
// byte counts, with the speed of this run's download and the time left at that speed.
void PullPrinter::progress(std::string_view short_id, int64_t have, int64_t total) {
  if (!tty_ || total <= 0) {
    return;
  }
  auto it = std::find_if(layers_.begin(), layers_.end(),
                         [&](const LayerLine& l) { return l.id == short_id; });
  auto now = std::chrono::steady_clock::now();
  if (it != layers_.end() && it->started_at < 0) {
    it->started = now;
    it->started_at = have;
  }
  if (it == layers_.end() || (have < total && now - it->shown < std::chrono::milliseconds(100))) {
    return;  // a terminal needs no more than ten updates a second
  }
  it->shown = now;
  constexpr int kWidth = 50;
  int done = static_cast<int>(kWidth * have / total);
  std::string bar = std::string(static_cast<size_t>(done), '=') + (done < kWidth ? ">" : "") +
                    std::string(static_cast<size_t>(std::max(0, kWidth - done - 1)), ' ');
  std::string text =
      fmt::format("{}: Downloading [{}]  {}/{}", short_id, bar,
                  human_size(static_cast<double>(have)), human_size(static_cast<double>(total)));
  double secs = std::chrono::duration<double>(now - it->started).count();
  if (secs > 0 && have > it->started_at) {
    double rate = static_cast<double>(have - it->started_at) / secs;
    text += fmt::format("  {}/s", human_size(rate));
    if (have < total) {
      auto left = static_cast<int64_t>(static_cast<double>(total - have) / rate);
      text += fmt::format("  {} left", human_duration(left));
    }
  }
  set_layer_line(short_id, text);
}

struct PullFlags {
  engine::PullRequest req;
  bool quiet = false;
};

Result<void> run_pull(Context& ctx, const PullFlags& fl) {
  auto* eng = BERTH_TRY(ctx.engine());
  PullPrinter printer(STDOUT_FILENO, fl.quiet);
  auto res = BERTH_TRY(engine::pull_image(*eng, fl.req, &printer));
  bool any_new = false;
  for (const auto& img : res.images) {
    printer.line("Digest: " + img.digest.str());
    any_new = any_new || !img.up_to_date;
    if (!fl.req.all_tags) {
      printer.line(fmt::format("Status: {} for {}",
                               img.up_to_date ? "Image is up to date" : "Downloaded newer image",
                               engine::familiar_ref(img.ref)));
      ctx.out(img.ref + "\n");
    }
  }
  if (fl.req.all_tags && !res.images.empty()) {
    std::string full = res.images.front().ref;
    std::string name = full.substr(0, full.rfind(':'));
    printer.line(fmt::format("Status: {} for {}",
                             any_new ? "Downloaded newer image" : "Image is up to date",
                             engine::familiar_repo_tag(full).first));
    ctx.out(name + "\n");
  }
  return {};
}

void add_pull(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto fl = std::make_shared<PullFlags>();
  cmd->add_flag("-a,--all-tags", fl->req.all_tags, "Download all tagged images in the repository");
  cmd->add_flag("-q,--quiet", fl->quiet, "Suppress verbose output");
  cmd->add_option("--platform", fl->req.platform,
                  "Set platform if server is multi-platform capable");
  cmd->add_flag("--disable-content-trust")->description("Skip image verification (always)");
  cmd->add_option("NAME", fl->req.reference, "NAME[:TAG|@DIGEST]")->required();
  set_action(cmd, ctx, [&ctx, fl] { return run_pull(ctx, *fl); });
}

// Reads one line from the terminal, without echo for passwords.
Result<std::string> prompt(const std::string& text, bool secret) {
  (void)write_all(STDERR_FILENO, text.data(), text.size());
  termios old{};
  bool restore = secret && ::tcgetattr(STDIN_FILENO, &old) == 0;
  if (restore) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  bool got = static_cast<bool>(std::getline(std::cin, line));
  if (restore) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    (void)write_all(STDERR_FILENO, "\n", 1);
  }
  if (!got) {
    return fail(Code::kInvalidArgument, "no input for " + std::string(trim(text)));
  }
  return std::string(trim(line));
}

struct LoginFlags {
  std::string server, username, password;
  bool password_stdin = false;
};

Result<void> run_login(Context& ctx, LoginFlags fl) {
  if (!fl.password.empty() && fl.password_stdin) {
    return fail(Code::kInvalidArgument, "--password and --password-stdin are mutually exclusive");
  }
  if (fl.password_stdin) {
    if (fl.username.empty()) {
      return fail(Code::kInvalidArgument, "Must provide --username with --password-stdin");
    }
    std::string all;
    char buf[4096];
    while (true) {
      size_t n = BERTH_TRY(read_some(STDIN_FILENO, buf, sizeof(buf)));
      if (n == 0) {
        break;
      }
      all.append(buf, n);
    }
    while (!all.empty() && (all.back() == '\n' || all.back() == '\r')) {
      all.pop_back();
    }
    fl.password = all;
  } else if (!fl.password.empty()) {
    std::string warn = "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n";
    (void)write_all(STDERR_FILENO, warn.data(), warn.size());
  }
  if (fl.username.empty()) {
    fl.username = BERTH_TRY(prompt("Username: ", false));
  }
  if (fl.password.empty()) {
    fl.password = BERTH_TRY(prompt("Password: ", true));
  }
  BERTH_CHECK(engine::registry_login(fl.server, fl.username, fl.password));
  ctx.out("Login Succeeded\n");
  return {};
}

void add_login(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto fl = std::make_shared<LoginFlags>();
  cmd->add_option("-u,--username", fl->username, "Username");
  cmd->add_option("-p,--password", fl->password, "Password");
  cmd->add_flag("--password-stdin", fl->password_stdin, "Take the password from stdin");
  cmd->add_option("SERVER", fl->server, "Registry (default: Docker Hub)");
  set_action(cmd, ctx, [&ctx, fl] { return run_login(ctx, *fl); });
}

void add_logout(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto server = std::make_shared<std::string>();
  cmd->add_option("SERVER", *server, "Registry (default: Docker Hub)");
  set_action(cmd, ctx, [&ctx, server]() -> Result<void> {
    auto r = BERTH_TRY(engine::registry_logout(*server));
    ctx.out(r.removed ? fmt::format("Removing login credentials for {}\n", r.key)
                      : fmt::format("Not logged in to {}\n", r.key));
    return {};
  });
}

}  // namespace

// registry_push.cc: `push`, `image push`, `manifest inspect`.
void add_push_commands(CLI::App& app, Context& ctx);

Result<void> pull_for_run(Context& ctx, const std::string& image, const std::string& platform,
                          bool quiet) {
  auto* eng = BERTH_TRY(ctx.engine());
  PullPrinter printer(STDERR_FILENO, quiet);
  printer.show_default_tag = false;
  engine::PullRequest req;
  req.reference = image;
  req.platform = platform;
  auto res = BERTH_TRY(engine::pull_image(*eng, req, &printer));
  for (const auto& img : res.images) {
    printer.line("Digest: " + img.digest.str());
    printer.line(fmt::format("Status: {} for {}",
                             img.up_to_date ? "Image is up to date" : "Downloaded newer image",
                             engine::familiar_ref(img.ref)));
  }
  return {};
}

void add_registry_commands(CLI::App& app, Context& ctx) {
  add_pull(app.add_subcommand("pull", "Download an image from a registry"), ctx);
  // `image` exists: add_image_commands runs first (cli/app.cc).
  CLI::App* image = app.get_subcommand("image");
  add_pull(image->add_subcommand("pull", "Download an image from a registry"), ctx);
  add_login(app.add_subcommand("login", "Log in to a registry"), ctx);
  add_logout(app.add_subcommand("logout", "Log out from a registry"), ctx);
  add_push_commands(app, ctx);
}

}  // namespace berth::cli
