// Value parsers for docker's run/create flags, with docker's semantics and docker's error text.
//
// Pure functions: no I/O except reading the files that flags name (--env-file, --label-file and
// a seccomp profile). Every error is one line with code InvalidArgument (a file that cannot be
// read keeps its errno's code). Where docker's CLI rejects a flag value while parsing flags,
// the text is pflag's: `invalid argument "<value>" for "<flag>" flag: <reason>` (flag_error);
// where docker's daemon rejects it, the text is the daemon's message without "Error response
// from daemon: ".
//
// The reference is docker 28 (the CLI 28.2 installed here, and moby's daemon). Files:
// run_options.cc (numbers, signals, restart, names), run_options_env.cc (environment, labels,
// logging, security), run_options_mounts.cc (-v, --mount, --tmpfs), run_options_net.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "engine/container.h"

namespace berth::engine {

// pflag's text for a value a flag refuses: invalid argument "12q" for "-m, --memory" flag: <why>.
// flag is docker's flag display: "-m, --memory" with a shorthand, "--cpus" without.
std::string flag_error_text(std::string_view flag, std::string_view value, std::string_view why);
// The same as an InvalidArgument error.
Error flag_error(std::string_view flag, std::string_view value, std::string_view why);
// flag_error as a failed Result, to return directly.
tl::unexpected<Error> bad_flag(std::string_view flag, std::string_view value, std::string_view why);

// --- numbers -------------------------------------------------------------------------------------

// go-units RAMInBytes: "12", "100b", "512k", "12m", "1.5g", "2 GiB", "1t", "1p"; binary units,
// case-insensitive, optional "b" or "ib" after the unit letter. Errors as docker's:
//   invalid argument "12q" for "-m, --memory" flag: invalid suffix: 'q'
//   invalid argument "-1" for "-m, --memory" flag: invalid size: '-1'
Result<int64_t> parse_bytes(std::string_view value, std::string_view flag);
// go-units FromHumanSize: the same syntax with decimal units ("10m" = 10,000,000), as docker's
// json-file max-size. Bare errors ("invalid size: 'x'"), for callers to put in context.
Result<int64_t> parse_decimal_bytes(std::string_view value);
// --memory-swap: "-1" (unlimited) or parse_bytes.
Result<int64_t> parse_memory_swap(std::string_view value, std::string_view flag = "--memory-swap");
// --cpus as nano CPUs: "1.5" → 1500000000, "3/2" too; "failed to parse x as a rational number",
// "value is too precise" (finer than 1e-9) as docker's.
Result<int64_t> parse_cpus(std::string_view value, std::string_view flag = "--cpus");
// pflag's Int/Int64 flags (Go's strconv.ParseInt with base 0: "10", "-1", "0x10", "010"):
//   invalid argument "x" for "--pids-limit" flag: strconv.ParseInt: parsing "x": invalid syntax
Result<int64_t> parse_int_flag(std::string_view value, std::string_view flag);
// Go's time.ParseDuration in nanoseconds ("1m30s", "500ms", "1.5h", "-2s", "0"), for --health-*:
//   invalid argument "5x" for "--health-interval" flag: time: unknown unit "x" in duration "5x"
Result<int64_t> parse_go_duration(std::string_view value, std::string_view flag);

// --- signals -------------------------------------------------------------------------------------

// A signal as docker reads one (moby/sys/signal): a number 1..64, or a name with or without
// "SIG" in any case ("SIGTERM", "term", "RTMIN+3", "SIGRTMAX-2"). Error: `invalid signal: X`.
Result<int> parse_signal(std::string_view value);
// The name of a signal number: "SIGTERM", "SIGRTMIN+3", "SIGRTMAX"; the number as text for one
// without a name.
std::string signal_name(int sig);

// --- restart, names ------------------------------------------------------------------------------

// "no", "always", "unless-stopped", "on-failure", "on-failure:3"; "" reads as "no". Errors as
// docker's CLI and daemon:
//   invalid restart policy format: maximum retry count must be an integer
//   invalid restart policy: maximum retry count can only be used with 'on-failure'
//   invalid restart policy: unknown policy 'x'; use one of 'no', 'always', 'on-failure', or ...
Result<RestartPolicy> parse_restart_policy(std::string_view value);

// --name: returns the name without docker's optional leading "/". Error as docker's:
//   Invalid container name (x y), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed
Result<std::string> validate_container_name(std::string_view name);
// --hostname: at most 64 bytes (HOST_NAME_MAX), as docker's daemon checks:
//   hostname "…" is too long (maximum 64 bytes)
Result<void> validate_hostname(std::string_view hostname);

// --cap-add/--cap-drop: each a capability name docker knows ("NET_ADMIN", "cap_net_admin") or
// "ALL". Error as docker's daemon: invalid CapAdd: unknown capability: "CAP_FOO"
Result<void> validate_capabilities(const std::vector<std::string>& add,
                                   const std::vector<std::string>& drop);
// --ulimit values (sys::parse_ulimits' rules and texts); a later value for a name replaces an
// earlier one.
Result<std::vector<UlimitSpec>> parse_ulimit_flags(const std::vector<std::string>& values);

// --- environment and labels ----------------------------------------------------------------------

// Looks a variable up in our environment; nullopt when unset. Tests pass their own.
using EnvLookup = std::function<std::optional<std::string>(const std::string& key)>;
std::optional<std::string> lookup_process_env(const std::string& key);

// docker's key/value file rules (--env-file, --label-file): lines KEY=VALUE kept as written
// (the value keeps its spaces and quotes), a UTF-8 BOM dropped, leading whitespace trimmed,
// '#' comment lines and blank lines skipped, "\r\n" ends a line too. A bare KEY takes the value
// from lookup and is dropped when lookup has none or lookup is empty (label files). Errors name
// the file as docker's do:
//   invalid env file (f.env): variable 'a b' contains whitespaces
//   invalid env file (f.env): no variable name on line '=x'
//   invalid env file (f.env): invalid utf8 bytes at line 3: [...]
Result<std::vector<std::string>> parse_env_text(std::string_view text, std::string_view file,
                                                const EnvLookup& lookup);
// Reads path and applies parse_env_text. A file that cannot be read:
//   open f.env: no such file or directory
Result<std::vector<std::string>> parse_env_file(const std::string& path,
                                                const EnvLookup& lookup = lookup_process_env);
// One -e value: "K=v" as it is; a bare "K" takes our value ("K=ours") or nullopt when unset
// (docker then sets nothing). Error:
//   invalid argument "=x" for "-e, --env" flag: invalid environment variable: =x
Result<std::optional<std::string>> expand_env_flag(std::string_view value,
                                                   const EnvLookup& lookup = lookup_process_env);
// --label-file files, then -l values (later wins): "k=v"; a bare "k" flag is k="" while a bare
// "k" line in a file is dropped, as docker does. Errors:
//   invalid argument "a b=1" for "-l, --label" flag: label 'a b' contains whitespaces
//   invalid argument "=x" for "-l, --label" flag: invalid label '=x': empty name
// and parse_env_file's for the files.
Result<std::map<std::string, std::string>> parse_label_flags(
    const std::vector<std::string>& labels, const std::vector<std::string>& label_files);

// --- volumes and mounts --------------------------------------------------------------------------

// One -v value, after docker's CLI and daemon checks.
struct VolumeFlag {
  std::string type;    // "bind" (source is an absolute host path) or "volume"
  std::string source;  // the host path (cleaned), the volume name, or "" (anonymous volume)
  std::string target;  // absolute path in the container, cleaned
  std::string mode;    // the third field as given ("ro", "rw,z", "nocopy"), "" when none
  bool read_only = false;
  std::string propagation;  // from mode ("rshared"...); "" when mode names none
  bool nocopy = false;      // "nocopy" in mode (volumes only)
};
// "/host:/ctr", "/host:/ctr:ro", "name:/ctr[:mode]", "/ctr" (anonymous). mode is a comma list
// of rw|ro, z|Z, a propagation, nocopy, consistent|cached|delegated, each kind at most once.
// Named volumes must match [a-zA-Z0-9][a-zA-Z0-9_.-]+. A source starting with "." is a
// relative host path, made absolute against cwd as docker's CLI does (with cwd empty it is
// refused like any other bad volume name). Errors as docker's:
//   invalid empty volume spec
//   invalid spec: /a:/b:/c:d: too many colons
//   invalid mode: xyz
//   invalid volume specification: '/a:/': invalid mount config for type "bind": invalid
//     specification: destination can't be '/'
//   invalid volume specification: 'a:b': invalid mount config for type "volume": invalid mount
//     path: 'b' mount path must be absolute
//   create a b: "a b" includes invalid characters for a local volume name, only ...
Result<VolumeFlag> parse_volume_flag(std::string_view value, std::string_view cwd = "");

// One --mount value (CSV: type=bind|volume|tmpfs, source|src, target|destination|dst,
// readonly|ro[=bool], bind-propagation, bind-recursive=enabled|disabled|readonly,
// bind-nonrecursive[=bool], volume-nocopy[=bool], volume-label=k=v, volume-driver=local,
// tmpfs-size, tmpfs-mode (octal), consistency (ignored, as on Linux)). Errors are docker's CLI
// text inside flag_error for "--mount", then the daemon's ("invalid mount config for type
// \"bind\": field Source must not be empty"). A bind source is not checked for existence here.
// Options berth has no place for yet (volume-subpath, volume-opt, image mounts, another volume
// driver, bind-recursive=writable) are refused with an error that says so. A source starting
// with "." is made absolute against cwd, as for -v.
Result<MountSpec> parse_mount_flag(std::string_view value, std::string_view cwd = "");

// One --tmpfs value: "/run" or "/run:size=64m,mode=755" → {path, options}, both as given (as
// docker keeps HostConfig.Tmpfs). The path must be
// absolute and not "/"; each option a mount flag (ro, rw, nosuid, noexec, ...) or one of size,
// mode, uid, gid, nr_inodes, nr_blocks, mpol with a value. Errors as docker's daemon:
//   invalid mount path: 'run' mount path must be absolute
//   invalid tmpfs option "foo"
Result<std::pair<std::string, std::string>> parse_tmpfs_flag(std::string_view value);

// --- logging and security ------------------------------------------------------------------------

// What the json-file writer needs, from LogConfig::config.
struct JsonFileLogOptions {
  int64_t max_size = -1;  // bytes (decimal units, as docker's FromHumanSize); -1: no rotation
  int max_file = 1;       // files kept, the current one included
  bool compress = false;
};
// --log-opt values "k=v" → a map (a value without "=" maps to ""). Driver "none" takes none:
//   invalid logging opts for driver none
Result<std::map<std::string, std::string>> parse_log_opt_flags(
    std::string_view driver, const std::vector<std::string>& values);
// Validates a log config as docker's daemon does and returns the json-file options (defaults
// for "none"). Drivers: "json-file" ("" reads as it) and "none"; others:
//   logger: no log driver named 'syslog' is registered
// json-file keys: max-size, max-file, compress, labels, labels-regex, env, env-regex, tag, mode
// (blocking|non-blocking), max-buffer-size (non-blocking only). Errors as docker's:
//   unknown log opt 'x' for json-file log driver
//   max-size must be a positive number / max-file cannot be less than 1
//   compress cannot be true when max-file is less than 2 or max-size is not set
// (docker accepts max-file > 1 without max-size: nothing rotates then; so does berth.)
Result<JsonFileLogOptions> parse_log_opts(const LogConfig& config);

// --security-opt values, in order. Kept as given: "no-new-privileges[=|:bool]",
// "seccomp=unconfined", "seccomp=builtin", "apparmor=…", "label=…", "label:…", "disable",
// "systempaths=unconfined" (for the engine: no masked or read-only paths). "seccomp=<file>"
// becomes "seccomp=<the file's JSON, compacted>" as docker's CLI sends it. Errors as docker's:
//   Invalid --security-opt: "seccomp"
//   invalid --security-opt 2: "foo=bar"
//   opening seccomp profile (p.json) failed: open p.json: no such file or directory
//   compacting json for seccomp profile (p.json) failed: <parser's reason>
Result<std::vector<std::string>> parse_security_opts(const std::vector<std::string>& values);

// --- network -------------------------------------------------------------------------------------

// --network/--net: "bridge" (also "default" and "": docker's default network), "none", "host",
// "container:<name|id>" (joining that running container's network namespace) or a
// user-defined network's name or ID.
Result<std::string> parse_network_mode(std::string_view value);
// --dns: an IP address, returned in canonical form:
//   invalid argument "x" for "--dns" flag: IP address is not correctly formatted: x
Result<std::string> parse_dns(std::string_view value);
// --dns-search: a domain or ".":
//   invalid argument "-x" for "--dns-search" flag: -x is not a valid domain
Result<std::string> parse_dns_search(std::string_view value);
// --add-host: "host:ip" or "host=ip" (IPv6 maybe in brackets, or "host-gateway") → "host:ip":
//   invalid argument "foo" for "--add-host" flag: bad format for add-host: "foo"
Result<std::string> parse_add_host(std::string_view value);
// --expose: "80", "80/udp", "8000-8010/tcp" → each port as "80/tcp". Errors as docker's:
//   invalid port format for --expose: 80:90
//   invalid range format for --expose: 70000, error: strconv.ParseUint: parsing "70000": ...
Result<std::vector<std::string>> parse_expose(std::string_view value);
// -p/--publish: "[ip:][hostPort:]containerPort[/proto]" or the long form
// "published=8080,target=80,protocol=udp"; returns the container ports it exposes ("80/tcp").
// Errors as docker's: "invalid containerPort: abc", "invalid hostPort: x", "invalid proto: x".
Result<std::vector<std::string>> parse_publish(std::string_view value);
// The same flag as docker's HostConfig.PortBindings: one binding per container port (a host
// range with one container port is kept whole: a free port in it is picked at start).
Result<std::vector<PortBinding>> parse_port_bindings(std::string_view value);

}  // namespace berth::engine
