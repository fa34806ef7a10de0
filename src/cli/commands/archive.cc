// `berth save` / `image save` and `berth load` / `image load`.
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"
#include "cli/context.h"

namespace berth::cli {

namespace {

struct SaveFlags {
  std::string output;
  std::string format = "docker-archive";
  std::vector<std::string> images;
};

// Writes to a temp file beside the target and renames it over the target at the end, so a
// failed save never leaves a truncated archive where the user expects a good one.
Result<void> save_to_file(engine::Engine& eng, const SaveFlags& fl, engine::ArchiveFormat fmt_) {
  std::string tmp =
      fmt::format("{}/.{}.tmp-{}", dir_name(fl.output), base_name(fl.output), random_hex(8));
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd) {
    return fail_errno(fmt::format("creating {}", fl.output));
  }
  FdWriter out(fd.get());
  auto r = eng.save_images(fl.images, fmt_, out);
  if (r && ::fsync(fd.get()) != 0) {
    r = fail_errno(fmt::format("writing {}", fl.output));
  }
  fd.reset();
  if (r && ::rename(tmp.c_str(), fl.output.c_str()) != 0) {
    r = fail_errno(fmt::format("writing {}", fl.output));
  }
  if (!r) {
    ::unlink(tmp.c_str());
  }
  return r;
}

Result<void> run_save(Context& ctx, const SaveFlags& fl) {
  engine::ArchiveFormat f;
  if (fl.format == "docker-archive" || fl.format == "docker") {
    f = engine::ArchiveFormat::kDocker;
  } else if (fl.format == "oci-archive" || fl.format == "oci") {
    f = engine::ArchiveFormat::kOci;
  } else {
    return fail(
        Code::kInvalidArgument,
        fmt::format("unknown archive format '{}': use docker-archive or oci-archive", fl.format));
  }
  auto* eng = BERTH_TRY(ctx.engine());
  if (!fl.output.empty()) {
    return save_to_file(*eng, fl, f);
  }
  if (::isatty(STDOUT_FILENO)) {
    return fail(Code::kInvalidArgument,
                "cowardly refusing to save to a terminal. Use the -o flag or redirect");
  }
  FdWriter out(STDOUT_FILENO);
  return eng->save_images(fl.images, f, out);
}

void add_save(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto fl = std::make_shared<SaveFlags>();
  cmd->add_option("-o,--output", fl->output, "Write to a file, instead of STDOUT");
  cmd->add_option("--format", fl->format, "docker-archive (default) or oci-archive");
  cmd->add_option("IMAGE", fl->images, "Images to save")->required();
  set_action(cmd, ctx, [&ctx, fl] { return run_save(ctx, *fl); });
}

void add_load(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto input = std::make_shared<std::string>();
  auto quiet = std::make_shared<bool>(false);
  cmd->add_option("-i,--input", *input, "Read from tar archive file, instead of STDIN");
  cmd->add_flag("-q,--quiet", *quiet, "Suppress the load output");
  set_action(cmd, ctx, [&ctx, input, quiet]() -> Result<void> {
    auto* eng = BERTH_TRY(ctx.engine());
    UniqueFd fd;
    int src = STDIN_FILENO;
    if (!input->empty()) {
      fd.reset(::open(input->c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd) {
        return fail_errno(fmt::format("opening {}", *input));
      }
      src = fd.get();
    } else if (::isatty(STDIN_FILENO)) {
      return fail(Code::kInvalidArgument,
                  "requested load from stdin, but stdin is empty: use -i or redirect");
    }
    FdReader in(src);
    auto res = BERTH_TRY(eng->load_images(in, input->empty() ? "stdin" : *input));
    std::string text;
    for (const auto& r : res.loaded_refs) {
      text += fmt::format("Loaded image: {}\n", r);
    }
    for (const auto& id : res.loaded_ids) {
      text += fmt::format("Loaded image ID: {}\n", id.str());
    }
    if (!*quiet) {
      ctx.out(text);
    }
    return {};
  });
}

}  // namespace

void add_archive_commands(CLI::App& app, Context& ctx) {
  CLI::App* image = app.get_subcommand("image");
  add_save(app.add_subcommand("save", "Save one or more images to a tar archive"), ctx);
  add_save(image->add_subcommand("save", "Save one or more images to a tar archive"), ctx);
  add_load(app.add_subcommand("load", "Load an image from a tar archive or STDIN"), ctx);
  add_load(image->add_subcommand("load", "Load an image from a tar archive or STDIN"), ctx);
}

}  // namespace berth::cli
