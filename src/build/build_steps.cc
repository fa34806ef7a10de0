#include "build/build_steps.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "build/dockerfile/shell_words.h"
#include "oci/platform.h"
#include "runtime/rootfs.h"
#include "store/layer_ingest.h"

namespace berth::build {

namespace {

Error step_error(const StageState& st, const Instruction& ins, const std::string& what) {
  return Error(Code::kInvalidArgument, where(st.ctx.req->dockerfile_name, ins) + what);
}

// Variables for expansion: the stage's ENV, then its ARGs (ENV wins, as docker's).
ShellEnv stage_env(const StageState& st) {
  return [&st](std::string_view name) -> std::optional<std::string> {
    for (auto it = st.config.config.env.rbegin(); it != st.config.config.env.rend(); ++it) {
      if (it->size() > name.size() && it->compare(0, name.size(), name) == 0 &&
          (*it)[name.size()] == '=') {
        return it->substr(name.size() + 1);
      }
    }
    if (auto a = st.args.find(std::string(name)); a != st.args.end()) {
      return a->second;
    }
    return std::nullopt;
  };
}

Result<std::string> expand(const StageState& st, const Instruction& ins, std::string_view word) {
  auto r = shell_expand_word(word, stage_env(st), {.escape = st.ctx.escape});
  if (!r) {
    return tl::unexpected(step_error(st, ins, r.error().message()));
  }
  return *r;
}

std::string flag_value(const Instruction& ins, std::string_view name) {
  std::string prefix = fmt::format("--{}=", name);
  for (const auto& f : ins.flags) {
    if (f.starts_with(prefix)) {
      return f.substr(prefix.size());
    }
  }
  return "";
}

void set_env(std::vector<std::string>& env, const std::string& key, const std::string& value) {
  std::erase_if(env, [&](const std::string& e) { return e.starts_with(key + "="); });
  env.push_back(key + "=" + value);
}

std::string now_text() { return rfc3339_nano(now_nanos()); }

void add_history(StageState& st, std::string created_by, bool empty_layer) {
  oci::HistoryEntry h;
  h.created = now_text();
  h.created_by = std::move(created_by);
  h.empty_layer = empty_layer;
  st.config.history.push_back(std::move(h));
  st.config.created = st.config.history.back().created;
}

// RUN, CMD and ENTRYPOINT: the exec form as is, the shell form through SHELL (/bin/sh -c).
std::vector<std::string> command_of(const StageState& st, const Instruction& ins) {
  if (ins.json) {
    return ins.args;
  }
  std::vector<std::string> argv = st.config.config.shell;
  if (argv.empty()) {
    argv = {"/bin/sh", "-c"};
  }
  argv.push_back(ins.args.empty() ? "" : ins.args[0]);
  return argv;
}

// The ARGs in scope as "k=v", sorted, except those ENV sets: RUN sees them in its environment.
std::vector<std::string> arg_env(const StageState& st) {
  std::vector<std::string> out;
  for (const auto& [k, v] : st.args) {
    bool in_env = std::any_of(st.config.config.env.begin(), st.config.config.env.end(),
                              [&](const std::string& e) { return e.starts_with(k + "="); });
    if (!in_env) {
      out.push_back(k + "=" + v);
    }
  }
  return out;
}

// Go's time.ParseDuration for HEALTHCHECK's flags ("30s", "1m30s", "1.5s", "500ms").
std::optional<int64_t> go_duration(std::string_view s) {
  static const std::pair<std::string_view, int64_t> kUnits[] = {
      {"ns", 1},           {"us", 1000},         {"ms", 1000000},
      {"s", 1000000000LL}, {"m", 60000000000LL}, {"h", 3600000000000LL}};
  if (s == "0") {
    return 0;
  }
  int64_t total = 0;
  while (!s.empty()) {
    size_t n = 0;
    while (n < s.size() && (std::isdigit(static_cast<unsigned char>(s[n])) || s[n] == '.')) {
      ++n;
    }
    if (n == 0) {
      return std::nullopt;
    }
    double value = std::strtod(std::string(s.substr(0, n)).c_str(), nullptr);
    s.remove_prefix(n);
    int64_t unit = 0;
    for (const auto& [name, nanos] : kUnits) {
      if (s.starts_with(name) && (name != "m" || !s.starts_with("ms"))) {
        unit = nanos;
        s.remove_prefix(name.size());
        break;
      }
    }
    if (unit == 0) {
      return std::nullopt;
    }
    total += static_cast<int64_t>(value * static_cast<double>(unit));
  }
  return total;
}

Result<void> apply_healthcheck(StageState& st, const Instruction& ins) {
  if (ins.args.empty()) {
    return tl::unexpected(step_error(st, ins, "HEALTHCHECK requires at least one argument"));
  }
  oci::HealthConfig hc;
  std::string type = ins.args[0];
  std::transform(type.begin(), type.end(), type.begin(), ::toupper);
  if (type == "NONE") {
    hc.test = {"NONE"};
  } else if (type == "CMD" && ins.args.size() > 1) {
    if (ins.json) {
      hc.test = {"CMD"};
      hc.test.insert(hc.test.end(), ins.args.begin() + 1, ins.args.end());
    } else {
      hc.test = {"CMD-SHELL", ins.args[1]};
    }
  } else {
    return tl::unexpected(
        step_error(st, ins, fmt::format("Unknown type \"{}\" in HEALTHCHECK", ins.args[0])));
  }
  for (auto [flag, field] : {std::pair{"interval", &hc.interval},
                             {"timeout", &hc.timeout},
                             {"start-period", &hc.start_period},
                             {"start-interval", &hc.start_interval}}) {
    if (std::string v = flag_value(ins, flag); !v.empty()) {
      auto d = go_duration(v);
      if (!d) {
        return tl::unexpected(step_error(st, ins, fmt::format("invalid --{}: {}", flag, v)));
      }
      *field = *d;
    }
  }
  if (std::string v = flag_value(ins, "retries"); !v.empty()) {
    auto n = parse_uint(v);
    if (!n || *n > 1000000) {
      return tl::unexpected(step_error(st, ins, fmt::format("invalid --retries: {}", v)));
    }
    hc.retries = static_cast<int>(*n);
  }
  st.config.config.healthcheck = hc;
  return {};
}

// A stage's or image's root filesystem to copy from: one layer directory as it is, several as a
// read-only overlay mounted under the build cache directory until released.
Result<std::pair<std::string, std::function<void()>>> root_of(const StageState& st,
                                                              const oci::ImageConfig& config) {
  const auto& layers = st.ctx.store->layers();
  if (config.diff_ids.empty()) {
    std::string empty = st.ctx.store->root() + "/buildcache/empty";
    BERTH_CHECK(mkdir_p(empty, 0755));
    return std::make_pair(empty, std::function<void()>([] {}));
  }
  if (config.diff_ids.size() == 1) {
    return std::make_pair(layers.diff_path(config.diff_ids[0]), std::function<void()>([] {}));
  }
  runtime::RootfsLayers rl;
  for (auto it = config.diff_ids.rbegin(); it != config.diff_ids.rend(); ++it) {
    rl.lowerdirs.push_back(layers.diff_path(*it));
  }
  std::string base = st.ctx.store->root() + "/buildcache";
  BERTH_CHECK(mkdir_p(base, 0700));
  std::string tmpl = base + "/mnt-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return fail_errno("creating a mount point under " + base);
  }
  if (auto r = runtime::mount_rootfs(rl, tmpl); !r) {
    ::rmdir(tmpl.c_str());
    return tl::unexpected(r.error());
  }
  return std::make_pair(tmpl, std::function<void()>([tmpl] {
                          (void)runtime::unmount_rootfs(tmpl);
                          ::rmdir(tmpl.c_str());
                        }));
}

Result<void> prepare_copy(StageState& st, const Instruction& ins) {
  if (ins.args.size() < 2) {
    return tl::unexpected(step_error(st, ins, ins.lower() + " requires at least two arguments"));
  }
  CopySpec spec;
  std::vector<std::string> words;
  for (const auto& a : ins.args) {
    words.push_back(BERTH_TRY(expand(st, ins, a)));
  }
  spec.dest = words.back();
  spec.sources.assign(words.begin(), words.end() - 1);
  std::string from = flag_value(ins, "from");
  std::function<void()> release = [] {};
  if (from.empty()) {
    spec.source_root = st.ctx.req->context_dir;
    spec.ignore = st.ctx.ignore;
  } else if (auto idx = find_stage(*st.ctx.plan, from, st.ctx.stage)) {
    auto [root, rel] = BERTH_TRY(root_of(st, (*st.ctx.results)[*idx]->config));
    spec.source_root = root;
    release = rel;
  } else {
    auto image = st.ctx.backend->image(from);
    if (!image) {
      return tl::unexpected(step_error(
          st, ins, fmt::format("invalid from flag value {}: {}", from, image.error().message())));
    }
    auto [root, rel] = BERTH_TRY(root_of(st, image->config));
    spec.source_root = root;
    release = rel;
  }
  if (!spec.dest.starts_with("/")) {
    std::string wd = st.config.config.working_dir.empty() ? "/" : st.config.config.working_dir;
    spec.dest = wd + (wd.ends_with("/") ? "" : "/") + spec.dest;
  }
  spec.dest_is_dir =
      spec.dest.ends_with("/") || spec.sources.size() > 1 || spec.dest.ends_with("/.") ||
      std::any_of(spec.sources.begin(), spec.sources.end(),
                  [](const auto& s) { return s.find_first_of("*?[") != std::string::npos; });
  if (std::string chown = flag_value(ins, "chown"); !chown.empty()) {
    auto [u, g] = cut(chown, ':');
    auto uid = parse_uint(u);
    auto gid = g.empty() ? uid : parse_uint(g);
    if (!uid || !gid) {
      release();
      return tl::unexpected(step_error(
          st, ins,
          fmt::format("--chown={}: only numeric user and group IDs are supported", chown)));
    }
    spec.uid = static_cast<uint32_t>(*uid);
    spec.gid = static_cast<uint32_t>(*gid);
  }
  if (std::string chmod = flag_value(ins, "chmod"); !chmod.empty()) {
    char* end = nullptr;
    unsigned long m = std::strtoul(chmod.c_str(), &end, 8);
    if (*end != '\0' || m > 07777) {
      release();
      return tl::unexpected(step_error(st, ins, fmt::format("invalid chmod {}", chmod)));
    }
    spec.mode = static_cast<uint32_t>(m);
  }
  auto entries = resolve_copy(spec);
  if (!entries) {
    release();
    return tl::unexpected(step_error(
        st, ins, fmt::format("failed to compute cache key: {}", entries.error().message())));
  }
  st.copy = std::move(spec);
  st.copy_entries = std::move(*entries);
  st.copy_release = release;
  return {};
}

Result<void> apply_copy(StageState& st, const Instruction& ins) {
  std::string base = st.ctx.store->root() + "/buildcache";
  BERTH_CHECK(mkdir_p(base, 0700));
  std::string tmpl = base + "/copy-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return fail_errno("creating a directory under " + base);
  }
  ::chmod(tmpl.c_str(), 0755);
  auto r = write_copy(*st.copy, st.copy_entries, tmpl);
  Result<store::IngestedLayer> layer = tl::unexpected(Error(Code::kInternal, "not written"));
  if (r) {
    auto dirfd = open_dir(tmpl);
    layer = dirfd ? store::ingest_tree(*st.ctx.store, dirfd->get(), {}, ins.original)
                  : tl::unexpected(dirfd.error());
  }
  (void)remove_tree(tmpl);
  if (!r) {
    return tl::unexpected(step_error(st, ins, r.error().message()));
  }
  if (!layer) {
    return tl::unexpected(step_error(st, ins, layer.error().message()));
  }
  st.config.diff_ids.push_back(layer->diff_id);
  add_history(st, ins.original + " # buildkit", false);
  return {};
}

Result<void> apply_run(StageState& st, const Instruction& ins,
                       const std::function<void(std::string_view)>& log) {
  RunStep step;
  step.argv = command_of(st, ins);
  step.env = st.config.config.env;
  for (auto& e : arg_env(st)) {
    step.env.push_back(std::move(e));
  }
  step.user = st.config.config.user;
  step.workdir = st.config.config.working_dir;
  step.network = st.ctx.req->network;
  auto out = st.ctx.backend->run(st.config, step, log);
  if (!out) {
    return tl::unexpected(step_error(st, ins, out.error().message()));
  }
  if (out->exit_code != 0) {
    std::string shown;
    for (size_t i = 0; i < step.argv.size(); ++i) {
      shown += (i ? " " : "") + step.argv[i];
    }
    return tl::unexpected(
        step_error(st, ins,
                   fmt::format("process \"{}\" did not complete successfully: exit code: {}", shown,
                               out->exit_code)));
  }
  st.config.diff_ids.push_back(*out->layer);
  std::string created_by = ins.json ? fmt::format("RUN {} # buildkit", Json(ins.args).dump())
                                    : fmt::format("RUN {} # buildkit", [&] {
                                        std::string s;
                                        for (size_t i = 0; i < step.argv.size(); ++i) {
                                          s += (i ? " " : "") + step.argv[i];
                                        }
                                        return s;
                                      }());
  add_history(st, created_by, false);
  return {};
}

}  // namespace

Result<void> apply_from(StageState& st, const Stage& stage,
                        const std::map<std::string, std::string>& meta_values) {
  (void)meta_values;
  if (auto idx = find_stage(*st.ctx.plan, stage.base, stage.index)) {
    const auto& parent = *(*st.ctx.results)[*idx];
    st.config = parent.config;
    st.key = parent.key;
    return {};
  }
  if (stage.base == "scratch") {
    auto host = oci::Platform::host();
    st.config = oci::ImageConfig{};
    st.config.architecture = host.architecture;
    st.config.os = host.os;
    st.config.variant = host.variant;
    st.key = Sha256::hex_of("scratch");
    return {};
  }
  auto image = st.ctx.backend->image(stage.base);
  if (!image) {
    return tl::unexpected(step_error(st, stage.from, image.error().message()));
  }
  st.config = image->config;
  st.config.original = Json();  // written in image-spec order, without the base's leftovers
  st.config.extra = Json::object();
  st.config.config.extra = Json::object();
  st.key = Sha256::hex_of("image " + image->id.str());
  return {};
}

Result<std::string> describe_step(StageState& st, const Instruction& ins) {
  std::string kw = ins.lower();
  std::string desc = kw + " " + Json(ins.flags).dump() + " ";
  if (kw == "run") {
    desc += Json(command_of(st, ins)).dump() + " " + Json(arg_env(st)).dump();
    return desc;
  }
  if (kw == "copy" || kw == "add") {
    BERTH_CHECK(prepare_copy(st, ins));
    auto digest = copy_digest(*st.copy, st.copy_entries);
    if (!digest) {
      st.copy_release();
      return tl::unexpected(step_error(st, ins, digest.error().message()));
    }
    return desc + st.copy->dest + " " + *digest;
  }
  if (kw == "arg") {
    note_cached_effects(st, ins);  // the values, as they will be after the step
    return desc + Json(ins.args).dump() + " " + Json(arg_env(st)).dump();
  }
  std::vector<std::string> words;
  for (const auto& a : ins.args) {
    words.push_back(kw == "cmd" || kw == "entrypoint" || kw == "shell" || kw == "healthcheck" ||
                            kw == "onbuild"
                        ? a
                        : BERTH_TRY(expand(st, ins, a)));
  }
  return desc + (ins.json ? "json " : "") + Json(words).dump();
}

void note_cached_effects(StageState& st, const Instruction& ins) {
  std::string kw = ins.lower();
  if (kw == "cmd") {
    st.cmd_set = true;
  } else if (kw == "arg") {
    for (const auto& word : ins.args) {
      auto eq = word.find('=');
      std::string name = word.substr(0, eq);
      const auto& build_args = st.ctx.req->build_args;
      if (auto it = build_args.find(name); it != build_args.end()) {
        st.args[name] = it->second;
      } else if (eq != std::string::npos) {
        auto v = shell_expand_word(word.substr(eq + 1), stage_env(st), {.escape = st.ctx.escape});
        st.args[name] = v ? *v : word.substr(eq + 1);
      } else if (auto m = st.ctx.plan->meta_values.find(name);
                 m != st.ctx.plan->meta_values.end()) {
        st.args[name] = m->second;
      }
    }
  } else if (kw == "copy" || kw == "add") {
    if (st.copy_release) {
      st.copy_release();
      st.copy_release = nullptr;
    }
  }
}

Result<void> apply_step(StageState& st, const Instruction& ins,
                        const std::function<void(std::string_view)>& log) {
  std::string kw = ins.lower();
  auto& cfg = st.config.config;
  if (kw == "run") {
    return apply_run(st, ins, log);
  }
  if (kw == "copy" || kw == "add") {
    auto r = apply_copy(st, ins);
    note_cached_effects(st, ins);  // releases the mounted source
    return r;
  }
  if (kw == "env" || kw == "label") {
    for (size_t i = 0; i + 1 < ins.args.size(); i += 3) {
      std::string key = BERTH_TRY(expand(st, ins, ins.args[i]));
      std::string value = BERTH_TRY(expand(st, ins, ins.args[i + 1]));
      if (kw == "env") {
        set_env(cfg.env, key, value);
      } else {
        cfg.labels[key] = value;
      }
    }
  } else if (kw == "arg") {
    note_cached_effects(st, ins);
  } else if (kw == "workdir") {
    std::string dir = BERTH_TRY(expand(st, ins, ins.args.empty() ? "" : ins.args[0]));
    if (dir.empty()) {
      return tl::unexpected(step_error(st, ins, "WORKDIR requires exactly one argument"));
    }
    if (!dir.starts_with("/")) {
      dir = (cfg.working_dir.empty() ? "/" : cfg.working_dir) + "/" + dir;
    }
    cfg.working_dir = "/" + clean_path(dir.substr(1));
    if (cfg.working_dir == "/.") {
      cfg.working_dir = "/";
    }
  } else if (kw == "user") {
    cfg.user = BERTH_TRY(expand(st, ins, ins.args.empty() ? "" : ins.args[0]));
  } else if (kw == "expose") {
    for (const auto& a : ins.args) {
      std::string p = BERTH_TRY(expand(st, ins, a));
      if (p.find('/') == std::string::npos) {
        p += "/tcp";
      }
      if (std::find(cfg.exposed_ports.begin(), cfg.exposed_ports.end(), p) ==
          cfg.exposed_ports.end()) {
        cfg.exposed_ports.push_back(p);
      }
    }
  } else if (kw == "cmd") {
    cfg.cmd = command_of(st, ins);
    st.cmd_set = true;
  } else if (kw == "entrypoint") {
    cfg.entrypoint = command_of(st, ins);
    if (!st.cmd_set) {
      cfg.cmd = std::nullopt;  // docker: an ENTRYPOINT drops the CMD the base image gave
    }
  } else if (kw == "volume") {
    for (const auto& a : ins.args) {
      std::string v = BERTH_TRY(expand(st, ins, a));
      if (std::find(cfg.volumes.begin(), cfg.volumes.end(), v) == cfg.volumes.end()) {
        cfg.volumes.push_back(v);
      }
    }
  } else if (kw == "stopsignal") {
    cfg.stop_signal = BERTH_TRY(expand(st, ins, ins.args.empty() ? "" : ins.args[0]));
  } else if (kw == "shell") {
    if (!ins.json || ins.args.empty()) {
      return tl::unexpected(step_error(st, ins, "SHELL requires the arguments to be in JSON form"));
    }
    cfg.shell = ins.args;
  } else if (kw == "maintainer") {
    st.config.author = ins.args.empty() ? "" : ins.args[0];
  } else if (kw == "onbuild") {
    auto pos = ins.original.find_first_of(" \t");
    cfg.on_build.push_back(pos == std::string::npos ? ""
                                                    : std::string(trim(ins.original.substr(pos))));
  } else if (kw == "healthcheck") {
    BERTH_CHECK(apply_healthcheck(st, ins));
  } else {
    return tl::unexpected(step_error(st, ins, fmt::format("unknown instruction: {}", ins.keyword)));
  }
  add_history(st, ins.original, true);
  return {};
}

}  // namespace berth::build
