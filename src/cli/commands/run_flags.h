// docker's `run` and `create` flags: registration on a CLI11 command, and their conversion into
// an engine::CreateRequest with docker's checks and error texts (engine/run_options.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/error.h"
#include "engine/container.h"
#include "engine/run_options.h"

namespace berth::cli {

// The flags as given, before any check. A std::optional is nullopt when the flag was not given
// (docker tells "--stop-timeout 0" from no flag); numbers stay text so that a bad value gets
// docker's error from to_create_request rather than CLI11's.
struct RunFlags {
  // IMAGE [COMMAND] [ARG...]: everything after the image belongs to the container, even words
  // that look like flags (`run busybox ls -l` → args {"ls", "-l"}).
  std::string image;
  std::vector<std::string> args;

  // run only.
  bool detach = false;      // -d, --detach
  bool sig_proxy = true;    // --sig-proxy
  std::string detach_keys;  // --detach-keys

  // What the command does around the container.
  std::vector<std::string> attach;     // -a, --attach (stdin, stdout, stderr)
  std::string name;                    // --name
  std::string pull = "missing";        // --pull: always, missing, never
  std::string platform;                // --platform
  bool quiet = false;                  // -q, --quiet (pull output)
  std::optional<std::string> cidfile;  // --cidfile

  // Process and identity.
  std::vector<std::string> env, env_file;       // -e/--env, --env-file
  std::string workdir, user;                    // -w/--workdir, -u/--user
  std::optional<std::string> entrypoint;        // --entrypoint ("" clears the image's)
  std::string hostname, domainname;             // -h/--hostname, --domainname
  bool interactive = false, tty = false;        // -i, -t
  bool rm = false;                              // --rm
  std::optional<bool> init;                     // --init[=bool]
  std::string stop_signal;                      // --stop-signal
  std::optional<std::string> stop_timeout;      // --stop-timeout (seconds)
  std::vector<std::string> labels, label_file;  // -l/--label, --label-file

  // Storage.
  std::vector<std::string> volumes, mounts, tmpfs;  // -v/--volume, --mount, --tmpfs
  bool read_only = false;                           // --read-only

  // Security.
  std::vector<std::string> cap_add, cap_drop, security_opt, group_add;
  bool privileged = false;

  // Resources.
  std::optional<std::string> memory, memory_swap, memory_reservation, shm_size;
  std::optional<std::string> cpus, cpu_shares, cpu_period, cpu_quota, pids_limit;
  std::vector<std::string> ulimits;

  // Restart, health, logging.
  std::string restart = "no";
  std::string health_cmd;
  std::optional<std::string> health_interval, health_timeout, health_retries;
  std::optional<std::string> health_start_period, health_start_interval;
  bool no_healthcheck = false;
  std::string log_driver;  // "" is json-file
  std::vector<std::string> log_opts;

  // Network ("none" unless given; bridge networks come later).
  std::string network;
  std::string ip;                            // --ip
  std::vector<std::string> network_aliases;  // --network-alias
  std::vector<std::string> dns, dns_search, dns_options, add_hosts;
  std::vector<std::string> publish, expose;  // kept for bridge networks; ports also exposed
  bool publish_all = false;
};

// Registers docker's flags for `create` (run=false) or `run` (run=true adds -d/--detach,
// --sig-proxy and --detach-keys), binding them to f, which must outlive cmd's parse. Also:
//   - replaces CLI11's -h help flag by --help (-h is --hostname, as in docker);
//   - stops flag parsing at the image: cmd gets prefix_command() and no fallthrough, so global
//     options must come before the command, as with docker;
//   - sets cmd's parse_complete_callback to fill f.image and f.args; it throws a CLI::ParseError
//     for an unknown flag before the image ("unknown flag: --foo", "unknown shorthand flag: 'x'
//     in -x") and for a missing image ("'berth run' requires at least 1 argument"). The final
//     callback (set_action) is left to the caller.
void add_container_create_flags(CLI::App* cmd, RunFlags& f, bool run);

// What to_create_request takes from the process, replaceable in tests.
struct RunEnvironment {
  std::string cwd;           // for "./dir" in -v and --mount source
  engine::EnvLookup lookup;  // bare -e KEY and --env-file KEY take values from here
  int online_cpus = 1;       // the bound for --cpus, as docker's daemon checks it
};
// The calling process's: getcwd(), getenv(), the CPUs in its affinity mask.
RunEnvironment process_run_environment();

// Converts and validates the flags with docker's rules and texts (engine/run_options.h for the
// values), including docker's conflicts:
//   conflicting options: cannot specify both --restart and --rm
//   --no-healthcheck conflicts with --health-* options
//   conflicting options: cannot specify both --attach and --detach
//   Minimum memoryswap limit should be larger than memory limit, see usage
//   Conflicting options: Nano CPUs and CPU Period cannot both be set
//   Duplicate mount point: /data
// The request's config holds only what the flags say; the engine merges the image's defaults.
// --entrypoint "" gives entrypoint_set with an empty entrypoint list. --no-healthcheck gives
// no_healthcheck and a healthcheck of ["NONE"]; --health-* give a HealthConfig with test
// ["CMD-SHELL", cmd] (empty test without --health-cmd: the image's is kept). -v values go to
// host_config.binds as docker sends them ("./d:/d" made absolute; anonymous "/d" too); -p and
// --expose add their container ports to exposed_ports. run -d clears the attach settings.
// Left to the caller (validated here when docker does so early): detach, sig_proxy,
// detach_keys, pull, quiet, cidfile, the -p host bindings and -P. Errors are InvalidArgument,
// one line (or a file's read error).
Result<engine::CreateRequest> to_create_request(const RunFlags& f, const RunEnvironment& env);
Result<engine::CreateRequest> to_create_request(const RunFlags& f);

}  // namespace berth::cli
