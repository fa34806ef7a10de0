// RunFlags → engine::CreateRequest: docker's CLI parse() and the daemon's create-time checks, in
// that order, so that the first error a user sees is the one docker would show.
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <climits>

#include <fmt/format.h>

#include "base/strings.h"
#include "cli/commands/run_flags.h"

namespace berth::cli {

using engine::CreateRequest;
using engine::HostConfig;

namespace {

constexpr int64_t kMinMemory = 6 * 1024 * 1024;  // docker's linuxMinMemory
constexpr int64_t kMinDuration = 1000000;        // 1 ms, docker's healthcheck minimum

tl::unexpected<Error> invalid(std::string message) {
  return fail(Code::kInvalidArgument, std::move(message));
}

template <typename T, typename F>
Result<T> optional_value(const std::optional<std::string>& raw, T fallback, F parse) {
  if (!raw) {
    return fallback;
  }
  return parse(*raw);
}

Result<int64_t> int_flag(const std::optional<std::string>& raw, std::string_view flag) {
  return optional_value<int64_t>(
      raw, 0, [&](const std::string& v) { return engine::parse_int_flag(v, flag); });
}

Result<int64_t> duration_flag(const std::optional<std::string>& raw, std::string_view flag) {
  return optional_value<int64_t>(
      raw, 0, [&](const std::string& v) { return engine::parse_go_duration(v, flag); });
}

// -a values, -i and -d: docker's attach and stdin settings.
Result<void> attach_streams(const RunFlags& f, engine::ContainerConfig& c) {
  for (const auto& a : f.attach) {
    std::string s = to_lower(a);
    if (s != "stdin" && s != "stdout" && s != "stderr") {
      return tl::unexpected(
          engine::flag_error("-a, --attach", a, "valid streams are STDIN, STDOUT and STDERR"));
    }
    c.attach_stdin = c.attach_stdin || s == "stdin";
    c.attach_stdout = c.attach_stdout || s == "stdout";
    c.attach_stderr = c.attach_stderr || s == "stderr";
  }
  c.open_stdin = f.interactive;
  c.tty = f.tty;
  c.attach_stdin = c.attach_stdin || f.interactive;
  if (f.attach.empty()) {
    c.attach_stdout = c.attach_stderr = true;
  }
  c.stdin_once = c.open_stdin && c.attach_stdin;
  if (f.detach) {
    if (!f.attach.empty()) {
      return invalid("conflicting options: cannot specify both --attach and --detach");
    }
    c.attach_stdin = c.attach_stdout = c.attach_stderr = c.stdin_once = false;
  }
  return {};
}

// --env-file files first, then -e (a later value for a key wins in the engine's merge).
Result<std::vector<std::string>> environment(const RunFlags& f, const RunEnvironment& env) {
  std::vector<std::string> out;
  std::vector<std::string> flags;
  for (const auto& e : f.env) {
    auto v = BERTH_TRY(engine::expand_env_flag(e, env.lookup));
    if (v) {
      flags.push_back(std::move(*v));
    }
  }
  for (const auto& file : f.env_file) {
    auto lines = BERTH_TRY(engine::parse_env_file(file, env.lookup));
    out.insert(out.end(), lines.begin(), lines.end());
  }
  out.insert(out.end(), flags.begin(), flags.end());
  return out;
}

void add_unique(std::vector<std::string>& to, const std::vector<std::string>& more) {
  for (const auto& m : more) {
    if (std::find(to.begin(), to.end(), m) == to.end()) {
      to.push_back(m);
    }
  }
}

Result<std::vector<std::string>> exposed_ports(const RunFlags& f) {
  std::vector<std::string> out;
  for (const auto& p : f.publish) {
    add_unique(out, BERTH_TRY(engine::parse_publish(p)));
  }
  for (const auto& e : f.expose) {
    add_unique(out, BERTH_TRY(engine::parse_expose(e)));
  }
  return out;
}

// Go's filepath.Clean for an absolute path.
std::string clean_abs(const std::string& p) {
  std::vector<std::string> parts;
  for (const auto& s : split(p, '/')) {
    if (s.empty() || s == ".") {
      continue;
    }
    if (s == "..") {
      if (!parts.empty()) {
        parts.pop_back();
      }
      continue;
    }
    parts.push_back(s);
  }
  return "/" + join(parts, "/");
}

Result<std::optional<oci::HealthConfig>> healthcheck(const RunFlags& f) {
  int64_t interval = BERTH_TRY(duration_flag(f.health_interval, "--health-interval"));
  int64_t timeout = BERTH_TRY(duration_flag(f.health_timeout, "--health-timeout"));
  int64_t start_period = BERTH_TRY(duration_flag(f.health_start_period, "--health-start-period"));
  int64_t start_interval =
      BERTH_TRY(duration_flag(f.health_start_interval, "--health-start-interval"));
  int64_t retries = BERTH_TRY(int_flag(f.health_retries, "--health-retries"));
  bool have = !f.health_cmd.empty() || interval != 0 || timeout != 0 || start_period != 0 ||
              start_interval != 0 || retries != 0;
  if (f.no_healthcheck) {
    if (have) {
      return invalid("--no-healthcheck conflicts with --health-* options");
    }
    oci::HealthConfig none;
    none.test = {"NONE"};
    return std::optional<oci::HealthConfig>(none);
  }
  if (!have) {
    return std::optional<oci::HealthConfig>();
  }
  const std::pair<const char*, int64_t> checks[] = {{"interval", interval},
                                                    {"timeout", timeout},
                                                    {"retries", retries},
                                                    {"start-period", start_period},
                                                    {"start-interval", start_interval}};
  for (const auto& [name, v] : checks) {
    if (v < 0) {
      return invalid(fmt::format("--health-{} cannot be negative", name));
    }
  }
  const std::pair<const char*, int64_t> minimums[] = {{"Interval", interval},
                                                      {"Timeout", timeout},
                                                      {"StartPeriod", start_period},
                                                      {"StartInterval", start_interval}};
  for (const auto& [name, v] : minimums) {
    if (v != 0 && v < kMinDuration) {
      return invalid(fmt::format("{} in Healthcheck cannot be less than 1ms", name));
    }
  }
  if (retries > INT_MAX) {
    return tl::unexpected(engine::flag_error(
        "--health-retries", *f.health_retries,
        fmt::format("strconv.ParseInt: parsing \"{}\": value out of range", *f.health_retries)));
  }
  oci::HealthConfig h;
  if (!f.health_cmd.empty()) {
    h.test = {"CMD-SHELL", f.health_cmd};
  }
  h.interval = interval;
  h.timeout = timeout;
  h.start_period = start_period;
  h.start_interval = start_interval;
  h.retries = static_cast<int>(retries);
  return std::optional<oci::HealthConfig>(h);
}

// docker's Config: identity, process, environment, labels, health, stop settings.
Result<void> container_config(const RunFlags& f, const RunEnvironment& env, CreateRequest& r) {
  auto& c = r.config;
  BERTH_CHECK(engine::validate_hostname(f.hostname));
  c.hostname = f.hostname;
  c.domainname = f.domainname;
  c.user = f.user;
  BERTH_CHECK(attach_streams(f, c));
  c.env = BERTH_TRY(environment(f, env));
  c.labels = BERTH_TRY(engine::parse_label_flags(f.labels, f.label_file));
  c.image = f.image;
  c.cmd = f.args;
  r.cmd_set = !f.args.empty();
  if (f.entrypoint) {
    r.entrypoint_set = true;
    c.entrypoint = f.entrypoint->empty() ? std::vector<std::string>{}
                                         : std::vector<std::string>{*f.entrypoint};
  }
  if (!f.workdir.empty()) {
    if (f.workdir[0] != '/') {
      return invalid(fmt::format(
          "the working directory '{}' is invalid, it needs to be an absolute path", f.workdir));
    }
    c.working_dir = clean_abs(f.workdir);
  }
  c.healthcheck = BERTH_TRY(healthcheck(f));
  r.no_healthcheck = f.no_healthcheck;
  if (!f.stop_signal.empty()) {
    BERTH_CHECK(engine::parse_signal(f.stop_signal));
    c.stop_signal = f.stop_signal;
  }
  if (f.stop_timeout) {
    int64_t t = BERTH_TRY(engine::parse_int_flag(*f.stop_timeout, "--stop-timeout"));
    if (t > INT_MAX || t < INT_MIN) {
      return tl::unexpected(engine::flag_error(
          "--stop-timeout", *f.stop_timeout,
          fmt::format("strconv.ParseInt: parsing \"{}\": value out of range", *f.stop_timeout)));
    }
    c.stop_timeout = static_cast<int>(t);
  }
  c.exposed_ports = BERTH_TRY(exposed_ports(f));
  return {};
}

// The daemon's memory checks (reservation has no place in HostConfig yet, but is checked).
Result<void> check_memory(const HostConfig& h, int64_t reservation) {
  if (h.memory != 0 && h.memory < kMinMemory) {
    return invalid("Minimum memory limit allowed is 6MB");
  }
  if (h.memory > 0 && h.memory_swap > 0 && h.memory_swap < h.memory) {
    return invalid("Minimum memoryswap limit should be larger than memory limit, see usage");
  }
  if (h.memory == 0 && h.memory_swap > 0) {
    return invalid("You should always set the Memory limit when using Memoryswap limit, see usage");
  }
  if (reservation > 0 && reservation < kMinMemory) {
    return invalid("Minimum memory reservation allowed is 6MB");
  }
  if (h.memory > 0 && reservation > 0 && h.memory < reservation) {
    return invalid("Minimum memory limit can not be less than memory reservation limit, see usage");
  }
  return {};
}

// The daemon's CPU checks; online_cpus bounds --cpus as docker's runtime.NumCPU() does.
Result<void> check_cpu(const HostConfig& h, int online_cpus) {
  if (h.nano_cpus > 0 && h.cpu_period > 0) {
    return invalid("Conflicting options: Nano CPUs and CPU Period cannot both be set");
  }
  if (h.nano_cpus > 0 && h.cpu_quota > 0) {
    return invalid("Conflicting options: Nano CPUs and CPU Quota cannot both be set");
  }
  if (h.nano_cpus < 0 || h.nano_cpus > int64_t{online_cpus} * 1000000000) {
    return invalid(fmt::format(
        "range of CPUs is from 0.01 to {0}.00, as there are only {0} CPUs available", online_cpus));
  }
  if (h.cpu_period != 0 && (h.cpu_period < 1000 || h.cpu_period > 1000000)) {
    return invalid(
        "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
  }
  if (h.cpu_quota > 0 && h.cpu_quota < 1000) {
    return invalid("CPU cfs quota can not be less than 1ms (i.e. 1000)");
  }
  if (h.cpu_shares < 0) {
    return invalid(
        fmt::format("invalid CPU shares ({}): value must be a positive integer", h.cpu_shares));
  }
  return {};
}

// Memory, CPU, pids, /dev/shm and ulimits: the flags' values, then the daemon's checks.
Result<void> resources(const RunFlags& f, const RunEnvironment& env, HostConfig& h) {
  auto bytes = [](const std::optional<std::string>& raw, std::string_view flag) {
    return optional_value<int64_t>(
        raw, 0, [&](const std::string& v) { return engine::parse_bytes(v, flag); });
  };
  h.memory = BERTH_TRY(bytes(f.memory, "-m, --memory"));
  h.memory_reservation = BERTH_TRY(bytes(f.memory_reservation, "--memory-reservation"));
  h.memory_swap = BERTH_TRY(optional_value<int64_t>(
      f.memory_swap, 0, [](const std::string& v) { return engine::parse_memory_swap(v); }));
  h.nano_cpus = BERTH_TRY(optional_value<int64_t>(
      f.cpus, 0, [](const std::string& v) { return engine::parse_cpus(v); }));
  h.cpu_shares = BERTH_TRY(int_flag(f.cpu_shares, "-c, --cpu-shares"));
  h.cpu_period = BERTH_TRY(int_flag(f.cpu_period, "--cpu-period"));
  h.cpu_quota = BERTH_TRY(int_flag(f.cpu_quota, "--cpu-quota"));
  if (f.shm_size) {
    int64_t shm = BERTH_TRY(engine::parse_bytes(*f.shm_size, "--shm-size"));
    h.shm_size = shm > 0 ? shm : h.shm_size;
  }
  if (f.pids_limit) {
    int64_t pids = BERTH_TRY(engine::parse_int_flag(*f.pids_limit, "--pids-limit"));
    h.pids_limit = pids > 0 ? std::optional<int64_t>(pids) : std::nullopt;  // <= 0: unlimited
  }
  h.ulimits = BERTH_TRY(engine::parse_ulimit_flags(f.ulimits));
  BERTH_CHECK(check_memory(h, h.memory_reservation));
  return check_cpu(h, env.online_cpus);
}

// "./data:/data" → "/abs/data:/data", as docker's CLI sends a relative bind.
std::string bind_entry(const std::string& value, const engine::VolumeFlag& v) {
  if (v.type != "bind" || value.empty() || value[0] == '/') {
    return value;
  }
  return v.source + value.substr(value.find(':'));
}

Result<void> check_unique_target(std::vector<std::string>& seen, const std::string& target) {
  if (std::find(seen.begin(), seen.end(), target) != seen.end()) {
    return invalid(fmt::format("Duplicate mount point: {}", target));
  }
  seen.push_back(target);
  return {};
}

Result<void> storage(const RunFlags& f, const RunEnvironment& env, HostConfig& h) {
  std::vector<std::string> targets;
  for (const auto& v : f.volumes) {
    auto parsed = BERTH_TRY(engine::parse_volume_flag(v, env.cwd));
    std::string entry = bind_entry(v, parsed);
    if (std::find(h.binds.begin(), h.binds.end(), entry) != h.binds.end()) {
      continue;  // docker keeps -v values in a set
    }
    BERTH_CHECK(check_unique_target(targets, parsed.target));
    h.binds.push_back(entry);
  }
  for (const auto& m : f.mounts) {
    auto spec = BERTH_TRY(engine::parse_mount_flag(m, env.cwd));
    BERTH_CHECK(check_unique_target(targets, spec.target));
    h.mounts.push_back(std::move(spec));
  }
  for (const auto& t : f.tmpfs) {
    auto [path, options] = BERTH_TRY(engine::parse_tmpfs_flag(t));
    h.tmpfs[path] = options;
  }
  for (const auto& [path, options] : h.tmpfs) {
    BERTH_CHECK(check_unique_target(targets, clean_abs(path)));
  }
  h.readonly_rootfs = f.read_only;
  return {};
}

Result<void> network(const RunFlags& f, HostConfig& h) {
  h.network_mode = BERTH_TRY(engine::parse_network_mode(f.network));
  if (h.network_mode.starts_with("container:")) {  // docker's daemon checks, in its words
    if (!f.publish.empty() || f.publish_all) {
      return invalid("conflicting options: port publishing and the container type network mode");
    }
    if (!f.dns.empty()) {
      return invalid("conflicting options: dns and the network mode");
    }
  }
  for (const auto& p : f.publish) {
    auto bindings = BERTH_TRY(engine::parse_port_bindings(p));
    h.port_bindings.insert(h.port_bindings.end(), bindings.begin(), bindings.end());
  }
  for (const auto& d : f.dns) {
    h.dns.push_back(BERTH_TRY(engine::parse_dns(d)));
  }
  for (const auto& d : f.dns_search) {
    h.dns_search.push_back(BERTH_TRY(engine::parse_dns_search(d)));
  }
  h.dns_options = f.dns_options;
  for (const auto& a : f.add_hosts) {
    h.extra_hosts.push_back(BERTH_TRY(engine::parse_add_host(a)));
  }
  return {};
}

// docker's HostConfig: everything about how the container runs on this host.
Result<void> host_config(const RunFlags& f, const RunEnvironment& env, HostConfig& h) {
  BERTH_CHECK(resources(f, env, h));
  BERTH_CHECK(storage(f, env, h));
  BERTH_CHECK(network(f, h));
  h.restart_policy = BERTH_TRY(engine::parse_restart_policy(f.restart));
  h.auto_remove = f.rm;
  if (h.auto_remove && h.restart_policy.name != "no") {
    return invalid("conflicting options: cannot specify both --restart and --rm");
  }
  h.log_config.type = f.log_driver.empty() ? "json-file" : f.log_driver;
  h.log_config.config = BERTH_TRY(engine::parse_log_opt_flags(h.log_config.type, f.log_opts));
  BERTH_CHECK(engine::parse_log_opts(h.log_config));
  BERTH_CHECK(engine::validate_capabilities(f.cap_add, f.cap_drop));
  h.cap_add = f.cap_add;
  h.cap_drop = f.cap_drop;
  h.security_opt = BERTH_TRY(engine::parse_security_opts(f.security_opt));
  h.group_add = f.group_add;
  h.privileged = f.privileged;
  h.init = f.init;
  return {};
}

}  // namespace

RunEnvironment process_run_environment() {
  RunEnvironment env;
  char buf[PATH_MAX];
  if (::getcwd(buf, sizeof(buf)) != nullptr) {
    env.cwd = buf;
  }
  env.lookup = engine::lookup_process_env;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof(set), &set) == 0) {
    env.online_cpus = std::max(1, CPU_COUNT(&set));
  } else {
    env.online_cpus = static_cast<int>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
  }
  return env;
}

Result<CreateRequest> to_create_request(const RunFlags& f, const RunEnvironment& env) {
  if (f.pull != "always" && f.pull != "missing" && f.pull != "never") {
    return invalid(fmt::format(
        "invalid pull option: '{}': must be one of \"always\", \"missing\" or \"never\"", f.pull));
  }
  CreateRequest r;
  if (!f.name.empty()) {
    r.name = BERTH_TRY(engine::validate_container_name(f.name));
  }
  r.platform = f.platform;
  BERTH_CHECK(container_config(f, env, r));
  BERTH_CHECK(host_config(f, env, r.host_config));
  r.ip = f.ip;
  r.network_aliases = f.network_aliases;
  r.publish_all = f.publish_all;
  return r;
}

Result<CreateRequest> to_create_request(const RunFlags& f) {
  return to_create_request(f, process_run_environment());
}

}  // namespace berth::cli
