// `berth ps` / `container ls`, `container inspect`.
#include "cli/commands/container_list.h"

#include <unistd.h>

#include <algorithm>
#include <regex>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"
#include "cli/commands/image_json.h"
#include "cli/context.h"
#include "cli/format/go_fmt.h"
#include "cli/format/inspect.h"
#include "cli/format/table.h"
#include "engine/container_store.h"
#include "engine/volumes.h"

namespace berth::cli {

namespace {

// docker's formats (formatter.NewContainerFormat), with \t and \n as the two-character escapes
// the formatter turns into tabs and newlines.
constexpr std::string_view kTable =
    R"(table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t)"
    R"({{.Ports}}\t{{.Names}})";
constexpr std::string_view kRaw =
    R"(container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\n)"
    R"(created_at: {{.CreatedAt}}\n)"
    R"(state: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\nnames: {{.Names}}\n)"
    R"(labels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n)";

// Go's zero time.Time, which docker's records print as "0001-01-01T00:00:00Z".
bool is_zero_time(const std::string& t) {
  return t.empty() || t.starts_with("0001-01-01T00:00:00");
}

int64_t time_nanos(const std::string& t) {
  if (is_zero_time(t)) {
    return 0;
  }
  return parse_rfc3339(t).value_or(0);
}

// units.HumanDuration of now - t.
std::string since(int64_t t_nanos, int64_t now_nanos) {
  return human_duration((now_nanos - t_nanos) / 1000000000);
}

bool is_rune_start(char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }

}  // namespace

bool container_is_up(const engine::ContainerState& s) {
  return s.status == "running" || s.status == "paused" || s.status == "restarting";
}

bool container_has_started(const engine::ContainerState& s) { return !is_zero_time(s.started_at); }

std::string container_health(const engine::ContainerState& s) {
  if (!s.health) {
    return "none";
  }
  return s.health->status.empty() ? "unhealthy" : s.health->status;
}

std::string container_networks(const engine::Container& c) {
  if (!c.networks.empty()) {
    std::vector<std::string> names;
    for (const auto& n : c.networks) {
      names.push_back(n.network_name);
    }
    return join(names, ",");
  }
  const auto& mode = c.host_config.network_mode;
  return mode.starts_with("container:") ? "" : mode;
}

// docker's PORTS column: "0.0.0.0:8080->80/tcp, 0.0.0.0:53->53/udp" while it runs.
std::string container_ports(const engine::ContainerState& s) {
  std::vector<std::string> out;
  for (const auto& p : s.ports) {
    out.push_back(fmt::format("{}:{}->{}", p.host_ip.empty() ? "0.0.0.0" : p.host_ip, p.host_port,
                              p.container_port));
  }
  return join(out, ", ");
}

std::string container_status_text(const engine::ContainerState& s, int64_t now_nanos) {
  if (container_is_up(s)) {
    if (s.status == "paused") {
      return "Up " + since(time_nanos(s.started_at), now_nanos) + " (Paused)";
    }
    if (s.status == "restarting") {
      return fmt::format("Restarting ({}) {} ago", s.exit_code,
                         since(time_nanos(s.finished_at), now_nanos));
    }
    std::string out = "Up " + since(time_nanos(s.started_at), now_nanos);
    if (s.health) {
      std::string health = container_health(s);
      out += " (" + (health == "starting" ? "health: " + health : health) + ")";
    }
    return out;
  }
  if (s.status == "removing") {
    return "Removal In Progress";
  }
  if (s.status == "dead") {
    return "Dead";
  }
  if (is_zero_time(s.started_at)) {
    return "Created";
  }
  if (is_zero_time(s.finished_at)) {
    return "";
  }
  return fmt::format("Exited ({}) {} ago", s.exit_code,
                     since(time_nanos(s.finished_at), now_nanos));
}

std::string container_command(const engine::Container& c) {
  std::string out = c.path;
  for (const auto& a : c.args) {
    out += a.find(' ') != std::string::npos ? " '" + a + "'" : " " + a;
  }
  return out;
}

std::string ellipsis(std::string_view s, size_t max_width) {
  if (max_width == 0) {
    return "";
  }
  // Rune starts, and the width of the text up to the end of each rune (at least 1 per rune).
  std::vector<size_t> starts;
  std::vector<size_t> widths;
  size_t total = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!is_rune_start(s[i])) {
      continue;
    }
    size_t end = i + 1;
    while (end < s.size() && !is_rune_start(s[end])) {
      ++end;
    }
    starts.push_back(i);
    total += std::max<size_t>(1, display_width(s.substr(i, end - i)));
    widths.push_back(total);
  }
  if (starts.empty()) {
    return "";
  }
  if (max_width == 1) {
    return std::string(s.substr(0, starts.size() > 1 ? starts[1] : s.size()));
  }
  if (total <= max_width) {
    return std::string(s);
  }
  size_t keep = 0;  // runes that fit in max_width - 1 columns
  while (keep < widths.size() && widths[keep] <= max_width - 1) {
    ++keep;
  }
  size_t bytes = keep < starts.size() ? starts[keep] : s.size();
  return std::string(s.substr(0, bytes)) + "…";
}

std::string truncate_id(std::string_view id) {
  if (auto colon = id.find(':'); colon != std::string_view::npos) {
    id = id.substr(colon + 1);
  }
  return std::string(id.substr(0, 12));
}

std::string display_image(std::string_view image, std::string_view image_id, bool trunc) {
  if (image.empty()) {
    return "<no image>";
  }
  if (!trunc) {
    return std::string(image);
  }
  if (truncate_id(image_id) == truncate_id(image)) {
    return truncate_id(image);
  }
  // The familiar form, with a digest dropped but a tag kept.
  std::string ref(image.substr(0, image.find('@')));
  return engine::familiar_ref(ref);
}

std::map<std::string, std::string> container_headers() {
  return {{"ID", "CONTAINER ID"},
          {"Names", "NAMES"},
          {"Image", "IMAGE"},
          {"Command", "COMMAND"},
          {"CreatedAt", "CREATED AT"},
          {"RunningFor", "CREATED"},
          {"Ports", "PORTS"},
          {"State", "STATE"},
          {"Status", "STATUS"},
          {"Size", "SIZE"},
          {"Labels", "LABELS"},
          {"Mounts", "MOUNTS"},
          {"LocalVolumes", "LOCAL VOLUMES"},
          {"Networks", "NETWORKS"},
          {"Platform", "PLATFORM"}};
}

Json container_row(const engine::Container& c, const RowOptions& o) {
  int64_t created = time_nanos(c.created) / 1000000000 * 1000000000;  // docker lists seconds
  std::vector<std::string> labels;
  for (const auto& [k, v] : c.config.labels) {
    labels.push_back(k + "=" + v);
  }
  std::vector<std::string> mounts;
  int local = 0;
  for (const auto& m : c.mounts) {
    const std::string& name = m.name.empty() ? m.source : m.name;
    mounts.push_back(o.trunc ? ellipsis(name, 15) : name);
    local += m.driver == "local" ? 1 : 0;
  }
  std::string size = human_size(static_cast<double>(o.size.rw));
  if (o.size.root_fs > 0) {
    size += fmt::format(" (virtual {})", human_size(static_cast<double>(o.size.root_fs)));
  }
  std::string command = container_command(c);
  Json j = Json::object();
  j["Command"] = go_quote(o.trunc ? ellipsis(command, 20) : command);
  j["CreatedAt"] = docker_time(created);
  j["ID"] = o.trunc ? truncate_id(c.id) : c.id;
  j["Image"] = display_image(o.image, c.image_id, o.trunc);
  if (o.label_lookup) {
    j["Label"] = c.config.labels.empty() ? Json(nullptr) : Json(c.config.labels);
  }
  j["Labels"] = join(labels, ",");
  j["LocalVolumes"] = std::to_string(local);
  j["Mounts"] = join(mounts, ",");
  j["Names"] = c.name;
  j["Networks"] = container_networks(c);
  j["Platform"] = nullptr;
  j["Ports"] = container_ports(c.state);
  j["RunningFor"] = since(created, o.now_nanos) + " ago";
  j["Size"] = size;
  j["State"] = c.state.status;
  j["Status"] = container_status_text(c.state, o.now_nanos);
  return j;
}

std::string ps_format(std::string_view format, bool quiet, bool size) {
  if (format.empty() || format == "table") {
    if (quiet) {
      return "{{.ID}}";
    }
    return size ? std::string(kTable) + "\\t{{.Size}}" : std::string(kTable);
  }
  if (format == "raw") {
    if (quiet) {
      return "container_id: {{.ID}}";
    }
    return size ? std::string(kRaw) + "size: {{.Size}}\\n" : std::string(kRaw);
  }
  return quiet ? "{{.ID}}" : std::string(format);
}

std::string rewrite_label_calls(std::string_view format, bool* used) {
  static const std::regex kCall(R"((^|[^\w$.)\]])\.Label\s+("(?:[^"\\]|\\.)*"|`[^`]*`))");
  std::string out;
  size_t pos = 0;
  while (pos < format.size()) {
    size_t open = format.find("{{", pos);
    if (open == std::string_view::npos) {
      break;
    }
    size_t close = format.find("}}", open + 2);
    size_t end = close == std::string_view::npos ? format.size() : close + 2;
    out += format.substr(pos, open - pos);
    std::string action(format.substr(open, end - open));
    std::string rewritten = std::regex_replace(action, kCall, "$1(index .Label $2)");
    *used = *used || rewritten != action;
    out += rewritten;
    pos = end;
  }
  out += format.substr(std::min(pos, format.size()));
  return out;
}

namespace {

struct PsFlags {
  bool all = false;
  bool quiet = false;
  bool size = false;
  bool no_trunc = false;
  bool latest = false;
  int last = -1;
  std::string format;
  std::vector<std::string> filters;
  CLI::Option* size_option = nullptr;
};

// The image IDs an ancestor filter allows: each named image and every image whose layers
// extend its layers (the images built on it).
Result<std::set<std::string>> ancestor_ids(const engine::Engine& eng,
                                           const std::set<std::string>& names) {
  std::vector<engine::Image> bases;
  for (const auto& n : names) {
    auto img = eng.find_image(n);
    if (img) {  // docker ignores an ancestor it cannot find
      bases.push_back(std::move(*img));
    }
  }
  std::set<std::string> ids;
  if (bases.empty()) {
    return ids;
  }
  auto images = BERTH_TRY(eng.list_images(engine::ImageDetail::kFull));
  for (const auto& img : images) {
    const auto& layers = img.config.diff_ids;
    for (const auto& base : bases) {
      const auto& prefix = base.config.diff_ids;
      if (img.id == base.id || (!prefix.empty() && prefix.size() <= layers.size() &&
                                std::equal(prefix.begin(), prefix.end(), layers.begin()))) {
        ids.insert(img.id.str());
      }
    }
  }
  for (const auto& base : bases) {
    ids.insert(base.id.str());
  }
  return ids;
}

// docker's list image: the name the container was created from, or its image ID once that name
// means another image (or none).
std::string listed_image(const engine::Engine& eng, const engine::Container& c,
                         std::map<std::string, std::string>& cache) {
  const std::string& name = c.config.image;
  if (name.empty() || name == c.image_id) {
    return name;
  }
  auto it = cache.find(name);
  if (it == cache.end()) {
    auto img = eng.find_summary(name);
    it = cache.emplace(name, img ? img->id.str() : "").first;
  }
  return it->second == c.image_id ? name : c.image_id;
}

// docker's container sizes: the files of the writable layer, and that plus the image's.
ContainerSize container_size(const engine::Engine& eng, const engine::Container& c) {
  ContainerSize s;
  engine::ContainerStore store(eng.options().root, eng.options().runroot);
  s.rw = engine::tree_size(store.dir(c.id) + "/upper").value_or(0);
  auto img = eng.find_summary(c.image_id);
  s.root_fs = s.rw + (img ? img->size : 0);
  return s;
}

Result<void> run_ps(Context& ctx, const PsFlags& fl) {
  if (!fl.format.empty() && fl.quiet) {
    std::string_view warn =
        "WARNING: Ignoring custom format, because both --format and --quiet are set.\n";
    (void)write_all(STDERR_FILENO, warn.data(), warn.size());
  }
  auto filters = BERTH_TRY(parse_container_filters(fl.filters));
  bool size = fl.size || (!fl.quiet && fl.size_option->count() == 0 &&
                          fl.format.find(".Size") != std::string::npos);
  bool label_lookup = false;
  std::string format = rewrite_label_calls(ps_format(fl.format, fl.quiet, size), &label_lookup);
  auto out = BERTH_TRY(Formatter::create(format, kTable, container_headers(), kRaw));
  auto* eng = BERTH_TRY(ctx.engine());
  auto containers = BERTH_TRY(eng->list_containers());
  std::stable_sort(containers.begin(), containers.end(), [](const auto& a, const auto& b) {
    return time_nanos(a.created) > time_nanos(b.created);
  });
  if (filters.has("ancestor")) {
    filters.ancestor_ids = BERTH_TRY(ancestor_ids(*eng, filters.values.at("ancestor")));
  }
  int limit = fl.latest && fl.last == -1 ? 1 : fl.last;
  auto selected = BERTH_TRY(select_containers(containers, filters, fl.all, limit));
  std::map<std::string, std::string> image_cache;
  RowOptions o;
  o.trunc = !fl.no_trunc;
  o.now_nanos = now_nanos();
  o.label_lookup = label_lookup;
  for (const auto* c : selected) {
    o.image = listed_image(*eng, *c, image_cache);
    o.size = size ? container_size(*eng, *c) : ContainerSize{};
    out.add(container_row(*c, o));
  }
  ctx.out(BERTH_TRY(out.render()));
  return {};
}

void add_ps(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto fl = std::make_shared<PsFlags>();
  cmd->add_flag("-a,--all", fl->all, "Show all containers (default shows just running)");
  cmd->add_flag("-q,--quiet", fl->quiet, "Only display container IDs");
  fl->size_option = cmd->add_flag("-s,--size", fl->size, "Display total file sizes");
  cmd->add_flag("--no-trunc", fl->no_trunc, "Don't truncate output");
  cmd->add_flag("-l,--latest", fl->latest,
                "Show the latest created container (includes all states)");
  cmd->add_option("-n,--last", fl->last, "Show n last created containers (includes all states)");
  cmd->add_option("--format", fl->format, "Format output using a Go template, or json");
  cmd->add_option("-f,--filter", fl->filters, "Filter output based on conditions provided")
      ->allow_extra_args(false);
  set_action(cmd, ctx, [&ctx, fl] { return run_ps(ctx, *fl); });
}

void add_inspect(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto names = std::make_shared<std::vector<std::string>>();
  auto format = std::make_shared<std::string>();
  auto size = std::make_shared<bool>(false);
  cmd->add_option("CONTAINER", *names, "Containers to inspect")->required();
  cmd->add_option("-f,--format", *format, "Format output using a Go template");
  cmd->add_flag("-s,--size", *size, "Display total file sizes");
  set_action(cmd, ctx, [&ctx, names, format, size] {
    return print_container_inspect(ctx, *names, *format, *size);
  });
}

}  // namespace

Result<Json> inspect_container(const engine::Engine& eng, std::string_view name_or_id, bool size) {
  auto c = BERTH_TRY(eng.find_container(name_or_id));
  Json j = engine::container_inspect_json(c);
  engine::ContainerStore store(eng.options().root, eng.options().runroot);
  Json& data = j["GraphDriver"]["Data"];
  data["MergedDir"] = store.merged(c.id);
  data["UpperDir"] = store.dir(c.id) + "/upper";
  data["WorkDir"] = store.dir(c.id) + "/work";
  if (!size) {
    return j;
  }
  // docker's SizeRw and SizeRootFs come right after GraphDriver.
  ContainerSize s = container_size(eng, c);
  Json out = Json::object();
  for (auto& [k, v] : j.items()) {
    out[k] = std::move(v);
    if (k == "GraphDriver") {
      out["SizeRw"] = s.rw;
      out["SizeRootFs"] = s.root_fs;
    }
  }
  return out;
}

Result<void> print_container_inspect(Context& ctx, const std::vector<std::string>& names,
                                     const std::string& format, bool size) {
  auto* eng = BERTH_TRY(ctx.engine());
  std::vector<Json> items;
  std::optional<Error> first_error;
  for (const auto& n : names) {
    auto j = inspect_container(*eng, n, size);
    if (!j) {
      if (!first_error) {
        first_error = j.error();
      }
      continue;
    }
    items.push_back(std::move(*j));
  }
  ctx.out(BERTH_TRY(render_inspect(items, format)));
  if (first_error) {
    return tl::unexpected(*first_error);
  }
  return {};
}

void add_container_listing(CLI::App& app, CLI::App* container, Context& ctx) {
  add_ps(app.add_subcommand("ps", "List containers"), ctx);
  add_ps(container->add_subcommand("ls", "List containers")->alias("list")->alias("ps"), ctx);
  add_inspect(container->add_subcommand("inspect", "Display detailed information on containers"),
              ctx);
}

}  // namespace berth::cli
