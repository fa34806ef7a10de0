// Registration of docker's run/create flags on a CLI11 command, and docker's positional rule:
// flag parsing stops at the image, and the rest goes to the container untouched.
#include "cli/commands/run_flags.h"

#include <fmt/format.h>

#include "cli/context.h"

namespace berth::cli {

namespace {

// A usage error found while parsing; the caller's CLI::ParseError handler prints it.
class RunUsageError : public CLI::ParseError {
 public:
  explicit RunUsageError(std::string message)
      : CLI::ParseError("RunUsageError", std::move(message), CLI::ExitCodes::ExtrasError) {}
};

// "berth run" or "berth container run", for docker's "requires at least 1 argument".
std::string command_path(const CLI::App* cmd) {
  std::string path = cmd->get_name();
  for (const CLI::App* p = cmd->get_parent(); p != nullptr; p = p->get_parent()) {
    path = p->get_name() + " " + path;
  }
  return path;
}

// pflag's text for a flag it does not know.
std::string unknown_flag(const std::string& arg) {
  if (arg.rfind("--", 0) == 0) {
    return fmt::format("unknown flag: {}", arg.substr(0, arg.find('=')));
  }
  return fmt::format("unknown shorthand flag: '{}' in {}", arg.substr(1, 1), arg);
}

// Fills f.image and f.args from what CLI11 left: with prefix_command(), the first word that is
// not a flag and everything after it, preceded by any flag CLI11 did not know and by "--" when
// it ended the flags before the image.
void take_positionals(CLI::App* cmd, RunFlags& f) {
  std::vector<std::string> rest = cmd->remaining();
  size_t i = 0;
  if (i < rest.size() && rest[i] == "--") {
    ++i;
  } else if (i < rest.size() && rest[i].size() > 1 && rest[i][0] == '-') {
    throw RunUsageError(unknown_flag(rest[i]));
  }
  if (i >= rest.size()) {
    throw RunUsageError(fmt::format("'{}' requires at least 1 argument", command_path(cmd)));
  }
  f.image = rest[i];
  f.args.assign(rest.begin() + static_cast<std::ptrdiff_t>(i) + 1, rest.end());
}

// Option adders: docker's flags take one value per occurrence; a repeated single-valued flag
// keeps its last value, a list flag keeps every value.
struct Adder {
  CLI::App* cmd;

  void text(const std::string& names, std::string& field, const std::string& help) const {
    cmd->add_option(names, field, help)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  }
  void maybe(const std::string& names, std::optional<std::string>& field,
             const std::string& help) const {
    cmd->add_option_function<std::string>(
           names, [&field](const std::string& v) { field = v; }, help)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  }
  void list(const std::string& names, std::vector<std::string>& field,
            const std::string& help) const {
    cmd->add_option(names, field, help)
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  }
  void flag(const std::string& names, bool& field, const std::string& help) const {
    cmd->add_flag(names, field, help)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  }
};

void add_process_flags(const Adder& a, RunFlags& f) {
  a.list("-e,--env", f.env, "Set environment variables");
  a.list("--env-file", f.env_file, "Read in a file of environment variables");
  a.text("-w,--workdir", f.workdir, "Working directory inside the container");
  a.text("-u,--user", f.user, "Username or UID (format: <name|uid>[:<group|gid>])");
  a.maybe("--entrypoint", f.entrypoint, "Overwrite the default ENTRYPOINT of the image");
  a.text("-h,--hostname", f.hostname, "Container host name");
  a.text("--domainname", f.domainname, "Container NIS domain name");
  a.text("--name", f.name, "Assign a name to the container");
  a.flag("-i,--interactive", f.interactive, "Keep STDIN open even if not attached");
  a.flag("-t,--tty", f.tty, "Allocate a pseudo-TTY");
  a.flag("--rm", f.rm,
         "Automatically remove the container and its associated anonymous volumes when it exits");
  a.list("-a,--attach", f.attach, "Attach to STDIN, STDOUT or STDERR");
  a.cmd
      ->add_flag_function(
          "--init", [&f](std::int64_t n) { f.init = n > 0; },
          "Run an init inside the container that forwards signals and reaps processes")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  a.text("--stop-signal", f.stop_signal, "Signal to stop the container");
  a.maybe("--stop-timeout", f.stop_timeout, "Timeout (in seconds) to stop a container");
  a.list("-l,--label", f.labels, "Set meta data on a container");
  a.list("--label-file", f.label_file, "Read in a line delimited file of labels");
  a.text("--pull", f.pull, "Pull image before running (\"always\", \"missing\", \"never\")");
  a.text("--platform", f.platform, "Set platform if server is multi-platform capable");
  a.flag("-q,--quiet", f.quiet, "Suppress the pull output");
  a.maybe("--cidfile", f.cidfile, "Write the container ID to the file");
}

void add_storage_and_security_flags(const Adder& a, RunFlags& f) {
  a.list("-v,--volume", f.volumes, "Bind mount a volume");
  a.list("--mount", f.mounts, "Attach a filesystem mount to the container");
  a.list("--tmpfs", f.tmpfs, "Mount a tmpfs directory");
  a.flag("--read-only", f.read_only, "Mount the container's root filesystem as read only");
  a.list("--cap-add", f.cap_add, "Add Linux capabilities");
  a.list("--cap-drop", f.cap_drop, "Drop Linux capabilities");
  a.list("--security-opt", f.security_opt, "Security Options");
  a.flag("--privileged", f.privileged, "Give extended privileges to this container");
  a.list("--group-add", f.group_add, "Add additional groups to join");
}

void add_resource_flags(const Adder& a, RunFlags& f) {
  a.maybe("-m,--memory", f.memory, "Memory limit");
  a.maybe("--memory-swap", f.memory_swap,
          "Swap limit equal to memory plus swap: '-1' to enable unlimited swap");
  a.maybe("--memory-reservation", f.memory_reservation, "Memory soft limit");
  a.maybe("--cpus", f.cpus, "Number of CPUs");
  a.maybe("-c,--cpu-shares", f.cpu_shares, "CPU shares (relative weight)");
  a.maybe("--cpu-period", f.cpu_period, "Limit CPU CFS (Completely Fair Scheduler) period");
  a.maybe("--cpu-quota", f.cpu_quota, "Limit CPU CFS (Completely Fair Scheduler) quota");
  a.maybe("--pids-limit", f.pids_limit, "Tune container pids limit (set -1 for unlimited)");
  a.maybe("--shm-size", f.shm_size, "Size of /dev/shm");
  a.list("--ulimit", f.ulimits, "Ulimit options");
}

void add_lifecycle_flags(const Adder& a, RunFlags& f) {
  a.text("--restart", f.restart, "Restart policy to apply when a container exits");
  a.text("--health-cmd", f.health_cmd, "Command to run to check health");
  a.maybe("--health-interval", f.health_interval,
          "Time between running the check (ms|s|m|h) (default 0s)");
  a.maybe("--health-timeout", f.health_timeout,
          "Maximum time to allow one check to run (ms|s|m|h) (default 0s)");
  a.maybe("--health-retries", f.health_retries, "Consecutive failures needed to report unhealthy");
  a.maybe("--health-start-period", f.health_start_period,
          "Start period for the container to initialize before starting health-retries "
          "countdown (ms|s|m|h) (default 0s)");
  a.maybe("--health-start-interval", f.health_start_interval,
          "Time between running the check during the start period (ms|s|m|h) (default 0s)");
  a.flag("--no-healthcheck", f.no_healthcheck, "Disable any container-specified HEALTHCHECK");
  a.text("--log-driver", f.log_driver, "Logging driver for the container");
  a.list("--log-opt", f.log_opts, "Log driver options");
}

void add_network_flags(const Adder& a, RunFlags& f) {
  a.text("--network,--net", f.network, "Connect a container to a network");
  a.text("--ip", f.ip, "IPv4 address (e.g., 172.30.100.104)");
  a.list("--network-alias,--net-alias", f.network_aliases,
         "Add network-scoped alias for the container");
  a.list("--dns", f.dns, "Set custom DNS servers");
  a.list("--dns-search", f.dns_search, "Set custom DNS search domains");
  a.list("--dns-option,--dns-opt", f.dns_options, "Set DNS options");
  a.list("--add-host", f.add_hosts, "Add a custom host-to-IP mapping (host:ip)");
  a.list("-p,--publish", f.publish, "Publish a container's port(s) to the host");
  a.flag("-P,--publish-all", f.publish_all, "Publish all exposed ports to random ports");
  a.list("--expose", f.expose, "Expose a port or a range of ports");
}

}  // namespace

void add_container_create_flags(CLI::App* cmd, RunFlags& f, bool run) {
  cmd->set_help_flag("--help", "Print usage");
  stop_flags_at_first_word(cmd, "IMAGE", "The image, then the command and its arguments",
                           "[COMMAND] [ARG...]");
  Adder a{cmd};
  if (run) {
    a.flag("-d,--detach", f.detach, "Run container in background and print container ID");
    a.flag("--sig-proxy", f.sig_proxy, "Proxy received signals to the process");
    a.text("--detach-keys", f.detach_keys, "Override the key sequence for detaching a container");
  }
  add_process_flags(a, f);
  add_storage_and_security_flags(a, f);
  add_resource_flags(a, f);
  add_lifecycle_flags(a, f);
  add_network_flags(a, f);
  cmd->parse_complete_callback([cmd, &f] { take_positionals(cmd, f); });
}

}  // namespace berth::cli
