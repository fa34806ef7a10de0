// Container: one container as the engine records it. The types mirror docker's inspect document
// (Config, HostConfig, State, Mounts) so that `inspect` is a rendering of the record and
// config.json reads like docker's; berth's own bookkeeping is kept apart in BerthState.
//
// On disk (docs/dev/runtime.md): <root>/containers/<id>/config.json holds Container minus
// `state`; state.json holds `state`. Both are written whole (temp + fsync + rename) under the
// container's lock.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "oci/container_config.h"
#include "oci/image_config.h"

namespace berth::engine {

// docker's container Config (the run-time view: the image's defaults merged with the flags).
struct ContainerConfig {
  std::string hostname;    // --hostname, else the first 12 hex digits of the ID
  std::string domainname;  // --domainname
  std::string user;        // -u, else the image's USER
  bool attach_stdin = false, attach_stdout = false, attach_stderr = false;
  bool tty = false;              // -t
  bool open_stdin = false;       // -i
  bool stdin_once = false;       // run -i without -d: stdin closes after the first attach detaches
  std::vector<std::string> env;  // image env, then -e/--env-file (later wins)
  std::vector<std::string> cmd;  // after docker's entrypoint/cmd rules
  std::optional<oci::HealthConfig> healthcheck;        // flags override the image's HEALTHCHECK
  std::string image;                                   // as the user wrote it ("busybox")
  std::vector<std::string> volumes;                    // the image's VOLUME paths
  std::string working_dir;                             // -w, else the image's WORKDIR
  std::optional<std::vector<std::string>> entrypoint;  // nullopt: none
  std::map<std::string, std::string> labels;           // image labels, then --label
  std::string stop_signal;                             // --stop-signal, else the image's, else ""
  std::optional<int> stop_timeout;                     // --stop-timeout (seconds)
  std::vector<std::string> exposed_ports;              // "80/tcp"
};

struct RestartPolicy {
  std::string name = "no";  // "no", "always", "unless-stopped", "on-failure"
  int maximum_retry_count = 0;
};

struct LogConfig {
  std::string type = "json-file";
  std::map<std::string, std::string> config;  // --log-opt key=value (max-size, max-file)
};

struct UlimitSpec {
  std::string name;
  int64_t soft = 0;
  int64_t hard = 0;
};

// --mount (docker's mount.Mount); -v and --tmpfs stay in Binds / Tmpfs as docker keeps them.
struct MountSpec {
  std::string type = "volume";  // "bind", "volume", "tmpfs"
  std::string source;           // host path (bind), volume name (volume; empty: anonymous)
  std::string target;           // absolute path in the container
  bool read_only = false;
  std::string bind_propagation;    // "rprivate" ...
  bool bind_nonrecursive = false;  // bind-recursive=disabled
  bool volume_nocopy = false;      // volume-nocopy
  std::map<std::string, std::string> volume_labels;
  int64_t tmpfs_size = 0;   // bytes; 0: the kernel's default (half of RAM)
  uint32_t tmpfs_mode = 0;  // 0: 1777
};

// -p: one host binding of a container port (docker's PortBinding, keyed by container port).
struct PortBinding {
  std::string container_port;  // "80/tcp"
  std::string host_ip;         // "" for every address
  std::string host_port;       // "8080", a range "8000-8010" to pick from, "" for any free one
  bool operator==(const PortBinding&) const = default;
};

// A container's endpoint on a bridge network (issue 6), fixed at create: the address stays
// reserved in the network's record until the container is removed.
struct NetworkAttachment {
  std::string network_id, network_name;
  std::string bridge;       // the Linux bridge device
  std::string ip, gateway;  // dotted quads
  int prefix = 0;
  std::vector<std::string> aliases;  // --network-alias
};

// docker's HostConfig: only what berth acts on (plus what inspect must show).
struct HostConfig {
  std::vector<std::string> binds;  // -v as given: "src:dst[:opts]" and "name:dst", "/anon"
  LogConfig log_config;
  // "bridge" (the default network, docker's default), "none", "host", or a user-defined
  // network's name or ID (container:<id> is not supported yet). Records without one (made by
  // the engine itself) have no network.
  std::string network_mode = "none";
  std::vector<PortBinding> port_bindings;  // -p, in the order given
  RestartPolicy restart_policy;
  bool auto_remove = false;  // --rm
  std::vector<std::string> cap_add, cap_drop;
  std::vector<std::string> dns, dns_search, dns_options, extra_hosts;  // resolv.conf, hosts
  std::vector<std::string> group_add;
  bool privileged = false;
  bool readonly_rootfs = false;
  std::vector<std::string> security_opt;     // "no-new-privileges", "seccomp=<file|unconfined>"
  std::map<std::string, std::string> tmpfs;  // --tmpfs path → options
  int64_t shm_size = 64 << 20;
  int64_t cpu_shares = 0;
  int64_t memory = 0;     // bytes; 0 unset
  int64_t nano_cpus = 0;  // --cpus × 1e9
  int64_t cpu_period = 0, cpu_quota = 0;
  int64_t memory_swap = 0;         // 0 unset, -1 unlimited
  int64_t memory_reservation = 0;  // bytes; 0 unset
  std::optional<int64_t> pids_limit;
  std::vector<UlimitSpec> ulimits;
  std::vector<MountSpec> mounts;                          // --mount
  std::optional<bool> init;                               // --init
  std::vector<std::string> masked_paths, readonly_paths;  // filled at create (docker's lists)
};

// docker's Health in State.
struct HealthResult {
  std::string start, end;  // RFC 3339 nano
  int exit_code = 0;
  std::string output;
};
struct Health {
  std::string status = "starting";  // "starting", "healthy", "unhealthy"
  int failing_streak = 0;
  std::vector<HealthResult> log;  // the last 5
};

// docker's State plus berth's bookkeeping of who is running it.
struct ContainerState {
  // "created", "running", "paused", "restarting", "removing", "exited", "dead"
  std::string status = "created";
  bool oom_killed = false;
  pid_t pid = 0;  // the init, in the host's PID namespace; 0 when not running
  int exit_code = 0;
  std::string error;
  std::string started_at = "0001-01-01T00:00:00Z";
  std::string finished_at = "0001-01-01T00:00:00Z";
  std::optional<Health> health;
  int restart_count = 0;
  // berth: the monitor process and the start times (/proc/<pid>/stat field 22) that make the
  // pids unambiguous; a stopped-by-user flag for unless-stopped and restart decisions.
  pid_t monitor_pid = 0;
  uint64_t monitor_start_time = 0;
  uint64_t pid_start_time = 0;
  bool stopped_by_user = false;
  // While running: the published ports with the host port each got (NetworkSettings.Ports).
  std::vector<PortBinding> ports;
};

// docker's Mounts entry (what is actually mounted, after volumes are resolved).
struct MountPoint {
  std::string type;  // "bind", "volume", "tmpfs"
  std::string name;  // volume name
  std::string source;
  std::string destination;
  std::string driver;  // "local" for volumes
  std::string mode;    // as given ("ro", "z", "")
  bool rw = true;
  std::string propagation;  // "rprivate" for binds
};

struct Container {
  std::string id;                 // 64 hex digits
  std::string name;               // without docker's leading "/"
  std::string created;            // RFC 3339 nano
  std::string path;               // argv[0] as configured (entrypoint or cmd)
  std::vector<std::string> args;  // the rest
  std::string image_id;           // "sha256:…"
  ContainerConfig config;
  HostConfig host_config;
  std::vector<MountPoint> mounts;
  ContainerState state;
  // Paths docker shows: ResolvConfPath, HostnamePath, HostsPath, LogPath.
  std::string resolv_conf_path, hostname_path, hosts_path, log_path;
  // berth: the image's layer directories, top-most first (the overlay's lowerdirs).
  std::vector<std::string> layer_dirs;
  // berth: its bridge network endpoints (empty for none, host).
  std::vector<NetworkAttachment> networks;
};

// What `create` and `run` ask for: the flags, turned into docker's Config and HostConfig. The
// engine fills the rest from the image (entrypoint/cmd rules, env, user, workdir, labels,
// healthcheck, stop signal, volumes, exposed ports).
struct CreateRequest {
  std::string name;  // --name; "" → a generated name
  ContainerConfig config;
  HostConfig host_config;
  bool entrypoint_set = false;  // --entrypoint given; "" clears the image's entrypoint
  bool cmd_set = false;         // arguments after the image given (they replace the image's CMD)
  bool no_healthcheck = false;  // --no-healthcheck
  std::string platform;         // --platform
  std::string ip;               // --ip on the container's network
  std::vector<std::string> network_aliases;  // --network-alias
  bool publish_all = false;                  // -P: every exposed port to a free host port
  // The builder's RUN steps: an image that is not in the store yet (its layers are), used
  // instead of looking config.image up.
  std::optional<oci::ImageConfig> image_config;
};

// An exec into a running container (`exec`, healthchecks).
struct ExecRequest {
  std::vector<std::string> cmd;
  std::string user;              // "" → the container's
  std::vector<std::string> env;  // added to the container's
  std::string workdir;           // "" → the container's
  bool privileged = false;
  bool tty = false;
  bool interactive = false;  // -i: stdin is passed on
  bool detach = false;       // -d: not waited for
};

// JSON for config.json (every member of Container except `state`, docker's names and order,
// plus a "Berth" object for layer_dirs) and state.json (`state` alone, docker's names plus
// berth's). from_json errors are Corrupt, naming `what`.
Json container_to_json(const Container& c);
Result<Container> container_from_json(const Json& j, std::string_view what);
Json state_to_json(const ContainerState& s);
Result<ContainerState> state_from_json(const Json& j, std::string_view what);

// docker's inspect document for one container (the shape of `docker container inspect`):
// Id, Created, Path, Args, State{Status, Running, Paused, Restarting, OOMKilled, Dead, Pid,
// ExitCode, Error, StartedAt, FinishedAt, Health}, Image, ResolvConfPath, HostnamePath,
// HostsPath, LogPath, Name ("/" + name), RestartCount, Driver ("overlay2"), Platform, MountLabel,
// ProcessLabel, AppArmorProfile, ExecIDs, HostConfig{...}, GraphDriver, Mounts, Config{...},
// NetworkSettings.
Json container_inspect_json(const Container& c);

}  // namespace berth::engine
