// `berth network create|ls|inspect|rm|prune`: docker's commands, output and exit codes. What
// docker's daemon refuses (name taken, overlapping subnet, unknown network) exits 1; flag
// errors exit 125.
#include <unistd.h>

#include <fmt/format.h>

#include "base/strings.h"
#include "cli/commands/image_json.h"
#include "cli/context.h"
#include "cli/format/inspect.h"
#include "cli/format/table.h"
#include "engine/container_network.h"
#include "engine/networks.h"

namespace berth::cli {
namespace {

Result<engine::Networks> open_network_store(Context& ctx) {
  // Networks need no image store: opening only <root>/networks keeps these commands quick.
  return engine::Networks::open(ctx.options.root);
}

std::map<std::string, std::string> network_kv_map(const std::vector<std::string>& values) {
  std::map<std::string, std::string> out;
  for (const auto& v : values) {
    auto [k, val] = cut(v, '=');
    out[std::string(k)] = std::string(val);
  }
  return out;
}

struct NetworkCreateFlags {
  std::string driver = "bridge";
  std::vector<std::string> subnets, gateways, ranges, labels, opts;
  bool internal = false;
  std::string name;
};

// docker accepts the IPAM flags repeated (one per subnet); berth has one IPv4 subnet.
Result<std::optional<std::string>> single_network_flag(const std::vector<std::string>& v,
                                                       const char* flag) {
  if (v.size() > 1) {
    return fail(Code::kInvalidArgument,
                fmt::format("{}: only one value is supported, got {}", flag, v.size()));
  }
  return v.empty() ? std::nullopt : std::optional<std::string>(v[0]);
}

void add_network_create(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto fl = std::make_shared<NetworkCreateFlags>();
  cmd->add_option("-d,--driver", fl->driver, "Driver to manage the Network");
  cmd->add_option("--subnet", fl->subnets, "Subnet in CIDR format")->allow_extra_args(false);
  cmd->add_option("--gateway", fl->gateways, "IPv4 Gateway for the master subnet")
      ->allow_extra_args(false);
  cmd->add_option("--ip-range", fl->ranges, "Allocate container ip from a sub-range")
      ->allow_extra_args(false);
  cmd->add_flag("--internal", fl->internal, "Restrict external access to the network");
  cmd->add_option("--label", fl->labels, "Set metadata on a network")->allow_extra_args(false);
  cmd->add_option("-o,--opt", fl->opts, "Set driver specific options")->allow_extra_args(false);
  cmd->add_option("NETWORK", fl->name, "Network name")->required();
  set_action(cmd, ctx, [&ctx, fl]() -> Result<void> {
    engine::NetworkCreateOptions o;
    o.name = fl->name;
    o.driver = fl->driver;
    o.subnet = BERTH_TRY(single_network_flag(fl->subnets, "--subnet"));
    o.gateway = BERTH_TRY(single_network_flag(fl->gateways, "--gateway"));
    o.ip_range = BERTH_TRY(single_network_flag(fl->ranges, "--ip-range"));
    o.internal = fl->internal;
    o.labels = network_kv_map(fl->labels);
    o.options = network_kv_map(fl->opts);
    auto nets = BERTH_TRY(open_network_store(ctx));
    ctx.out(BERTH_TRY(nets.create(o)) + "\n");
    return {};
  });
}

Json network_row(const engine::NetworkInfo& n, bool no_trunc) {
  std::vector<std::string> labels;
  for (const auto& [k, v] : n.labels) {
    labels.push_back(k + "=" + v);
  }
  Json j = Json::object();
  j["CreatedAt"] = docker_time(n.created_nanos);
  j["Driver"] = n.driver;
  j["ID"] = no_trunc ? n.id : n.id.substr(0, 12);
  j["IPv6"] = "false";
  j["Internal"] = n.inspect.value("Internal", false) ? "true" : "false";
  j["Labels"] = join(labels, ",");
  j["Name"] = n.name;
  j["Scope"] = "local";
  return j;
}

struct NetworkListFlags {
  bool quiet = false, no_trunc = false;
  std::string format;
  std::vector<std::string> filters;
};

Result<void> run_network_ls(Context& ctx, const NetworkListFlags& fl) {
  auto filters = BERTH_TRY(engine::parse_network_filters(fl.filters, false));
  auto nets = BERTH_TRY(open_network_store(ctx));
  std::string format = fl.format.empty() ? "table" : fl.format;
  if (fl.quiet && format == "table") {
    format = "{{.ID}}";
  }
  auto f = BERTH_TRY(Formatter::create(format, "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}",
                                       {{"ID", "NETWORK ID"},
                                        {"Name", "NAME"},
                                        {"Driver", "DRIVER"},
                                        {"Scope", "SCOPE"},
                                        {"IPv6", "IPV6"},
                                        {"Internal", "INTERNAL"},
                                        {"Labels", "LABELS"},
                                        {"CreatedAt", "CREATED AT"}}));
  for (const auto& n : BERTH_TRY(nets.list())) {
    if (engine::network_matches(n, filters)) {
      f.add(network_row(n, fl.no_trunc));
    }
  }
  ctx.out(BERTH_TRY(f.render()));
  return {};
}

void add_network_ls(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto fl = std::make_shared<NetworkListFlags>();
  cmd->add_flag("-q,--quiet", fl->quiet, "Only display network IDs");
  cmd->add_flag("--no-trunc", fl->no_trunc, "Do not truncate the output");
  cmd->add_option("--format", fl->format, "Format output using a Go template, or json");
  cmd->add_option("-f,--filter", fl->filters, "Provide filter values (e.g. \"driver=bridge\")")
      ->allow_extra_args(false);
  set_action(cmd, ctx, [&ctx, fl] { return run_network_ls(ctx, *fl); });
}

void add_network_inspect(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto names = std::make_shared<std::vector<std::string>>();
  auto format = std::make_shared<std::string>();
  cmd->add_option("-f,--format", *format, "Format output using a Go template");
  cmd->add_option("NETWORK", *names, "Networks to inspect")->required();
  set_action(cmd, ctx, [&ctx, names, format]() -> Result<void> {
    auto nets = BERTH_TRY(open_network_store(ctx));
    std::vector<Json> items;
    std::vector<Error> errors;
    for (const auto& n : *names) {
      auto info = nets.find(n);
      if (!info) {
        errors.push_back(info.error());
        continue;
      }
      items.push_back(info->inspect);
    }
    // docker prints what it found, then the errors, and exits 1.
    ctx.out(BERTH_TRY(render_inspect(items, *format)));
    for (const auto& e : errors) {
      ctx.error(e, kExitDaemonError);
    }
    return {};
  });
}

void add_network_rm(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto names = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  cmd->add_flag("-f,--force", *force, "Do not error if the network does not exist");
  cmd->add_option("NETWORK", *names, "Networks to remove")->required();
  set_action(cmd, ctx, [&ctx, names, force]() -> Result<void> {
    auto nets = BERTH_TRY(open_network_store(ctx));
    for (const auto& n : *names) {
      // Each network on its own, as docker: report the failure, go on, exit 1 at the end.
      auto r = nets.remove(n);
      if (!r && !(*force && r.error().code() == Code::kNotFound)) {
        ctx.error(r.error(), kExitDaemonError);
        continue;
      }
      ctx.out(n + "\n");
    }
    return {};
  });
}

// docker's prompt.Confirm: one line from stdin, "y" or "Y" goes on; anything else cancels.
bool confirm_network_prune(Context& ctx, const std::string& warning) {
  ctx.out(warning + "\nAre you sure you want to continue? [y/N] ");
  std::string line;
  char c = 0;
  while (::read(STDIN_FILENO, &c, 1) == 1 && c != '\n') {
    line += c;
  }
  std::string_view answer = trim(line);
  return answer == "y" || answer == "Y";
}

void add_network_prune(CLI::App* cmd, Context& ctx) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto force = std::make_shared<bool>(false);
  auto filters = std::make_shared<std::vector<std::string>>();
  cmd->add_flag("-f,--force", *force, "Do not prompt for confirmation");
  cmd->add_option("--filter", *filters, "Provide filter values (e.g. \"until=<timestamp>\")")
      ->allow_extra_args(false);
  set_action(cmd, ctx, [&ctx, force, filters]() -> Result<void> {
    auto f = BERTH_TRY(engine::parse_network_filters(*filters, true));
    if (!*force &&
        !confirm_network_prune(ctx,
                               "WARNING! This will remove all custom networks not used by at "
                               "least one container.")) {
      return {};
    }
    auto nets = BERTH_TRY(open_network_store(ctx));
    auto removed = BERTH_TRY(nets.prune(f));
    if (!removed.empty()) {
      ctx.out("Deleted Networks:\n" + join(removed, "\n") + "\n\n");
    }
    return {};
  });
}

struct ConnectFlags {
  std::string network, container, ip;
  std::vector<std::string> aliases;
  bool force = false;
};

void add_network_connect(CLI::App* cmd, Context& ctx, bool connect) {
  if (ctx.stub(cmd)) {
    return;
  }
  auto fl = std::make_shared<ConnectFlags>();
  if (connect) {
    cmd->add_option("--alias", fl->aliases, "Add network-scoped alias for the container")
        ->allow_extra_args(false);
    cmd->add_option("--ip", fl->ip, "IPv4 address (e.g., \"172.30.100.104\")");
  } else {
    cmd->add_flag("-f,--force", fl->force, "Force the container to disconnect from a network");
  }
  cmd->add_option("NETWORK", fl->network, "Network")->required();
  cmd->add_option("CONTAINER", fl->container, "Container")->required();
  set_action(cmd, ctx, [&ctx, fl, connect]() -> Result<void> {
    if (connect) {
      return engine::connect_container(ctx.options.root, ctx.options.runroot, fl->network,
                                       fl->container, fl->ip, fl->aliases);
    }
    return engine::disconnect_container(ctx.options.root, ctx.options.runroot, fl->network,
                                        fl->container);
  });
}

}  // namespace

void add_network_commands(CLI::App& app, Context& ctx) {
  CLI::App* network = app.add_subcommand("network", "Manage networks");
  network->require_subcommand(1);
  add_network_create(network->add_subcommand("create", "Create a network"), ctx);
  add_network_ls(network->add_subcommand("ls", "List networks")->alias("list"), ctx);
  add_network_inspect(
      network->add_subcommand("inspect", "Display detailed information on one or more networks"),
      ctx);
  add_network_rm(network->add_subcommand("rm", "Remove one or more networks")->alias("remove"),
                 ctx);
  add_network_prune(network->add_subcommand("prune", "Remove all unused networks"), ctx);
  add_network_connect(network->add_subcommand("connect", "Connect a container to a network"), ctx,
                      true);
  add_network_connect(
      network->add_subcommand("disconnect", "Disconnect a container from a network"), ctx, false);
}

}  // namespace berth::cli
