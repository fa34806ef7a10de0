// The verbs that manage an existing container without starting or stopping it: rename,
// pause/unpause, top, stats, port, container prune, cp and export (docker's words, flags and
// rules). Each resolves the container by name, full ID or unique ID prefix and fails with
// NotFound "No such container: x" when there is none. Errors are one line, docker's wording.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/stream.h"
#include "engine/engine.h"

namespace berth::engine {

// Renames a container: claims new_name first (Conflict in docker's words when taken), rewrites
// config.json under the container's lock, then releases the old name. InvalidArgument for the
// same name ("Renaming a container with the same name as its current name") or a name outside
// docker's [a-zA-Z0-9][a-zA-Z0-9_.-]+.
Result<void> rename_container(const Engine& eng, std::string_view name_or_id,
                              std::string_view new_name);

// Freezes (thaws) the container's cgroup and records "paused" ("running") under its lock.
// Conflict "Container <id> is not running" / "is already paused" / "is not paused".
Result<void> pause_container(const Engine& eng, std::string_view name_or_id);
Result<void> unpause_container(const Engine& eng, std::string_view name_or_id);

// ps output cut to a container's processes, as docker's daemon returns it.
struct TopResult {
  std::vector<std::string> titles;
  std::vector<std::vector<std::string>> processes;
};

// Keeps the rows of `ps` output (header first) whose PID column is in pids. The last column
// keeps its spaces (a command line). InvalidArgument "Couldn't find PID field in ps output"
// when the header has no PID column; Corrupt for a row whose PID does not parse.
Result<TopResult> filter_ps_output(std::string_view ps_output, const std::vector<pid_t>& pids);

// Runs `ps <ps_args>` (default "-ef") on the host and keeps the container's processes (its
// cgroup's). Blocks until ps exits. Conflict "Container <id> is not running".
Result<TopResult> top_container(const Engine& eng, std::string_view name_or_id,
                                const std::vector<std::string>& ps_args);

// One reading of a container's counters (zeros for a container that is not running).
struct StatsSample {
  bool running = false;
  uint64_t cpu_ns = 0;     // the cgroup's CPU time
  uint64_t system_ns = 0;  // the host's total CPU time (/proc/stat), as docker's SystemUsage
  uint32_t online_cpus = 1;
  int64_t mem_usage = 0;  // usage minus inactive file cache, as docker's CLI shows it
  int64_t mem_limit = 0;  // the cgroup's limit, else the host's memory
  uint64_t blk_read = 0, blk_write = 0;
  int64_t pids = 0;
};

// Reads the counters of c's cgroup. Never blocks beyond reading cgroupfs and /proc.
Result<StatsSample> sample_stats(const Engine& eng, const Container& c);

// docker's stats columns, computed from two samples of one container.
struct StatsRow {
  double cpu_percent = 0;
  int64_t mem_usage = 0, mem_limit = 0;
  double mem_percent = 0;
  uint64_t net_rx = 0, net_tx = 0;  // no networks before issue 6
  uint64_t blk_read = 0, blk_write = 0;
  int64_t pids = 0;
};
StatsRow stats_row(const StatsSample& before, const StatsSample& after);

// go-units BytesSize: binary units, 4 significant digits ("1.953MiB", "512B").
std::string bytes_size(double bytes);

// `container prune`: removes every container that is not running, paused or restarting and
// passes the filters ("until=<time|duration>", "label=k", "label=k=v", "label!=…").
// InvalidArgument for another filter or a bad value. reclaimed: the size of their upper dirs.
struct ContainerPruneResult {
  std::vector<std::string> ids;
  int64_t reclaimed = 0;
};
Result<ContainerPruneResult> prune_containers(Engine& eng, const std::vector<std::string>& filters);

// `cp`. Container paths are resolved inside the container's root (openat2 RESOLVE_IN_ROOT);
// a stopped container's rootfs is mounted for the copy (under its lock) and unmounted after.
// Docker's path rules: a source ending in "/." copies a directory's contents; a destination
// that exists as a directory receives the source under its base name; a missing destination is
// created (its parent must exist); a destination ending in "/" must be an existing directory.
// Errors: NotFound "Could not find the file <path> in container <name>", InvalidArgument "not a
// directory", "no such directory", "cannot copy directory" (a directory onto a file).
struct CopyOptions {
  bool archive = false;  // -a: keep the source's owners (else files are owned by the receiver)
};
// From the container to a host path; returns the bytes of file data copied.
Result<int64_t> copy_from_container(const Engine& eng, std::string_view name_or_id,
                                    const std::string& src, const std::string& host_dest,
                                    const CopyOptions& options);
// From the container as a tar on out (entries named after the source's base name, or its
// contents for "/."). Blocks on out.
Result<void> copy_from_container_tar(const Engine& eng, std::string_view name_or_id,
                                     const std::string& src, Writer& out);
// From a host path into the container.
Result<int64_t> copy_to_container(const Engine& eng, std::string_view name_or_id,
                                  const std::string& host_src, const std::string& dest,
                                  const CopyOptions& options);
// A tar read from in, extracted into the container directory dest (which must exist). The tar
// is unpacked safely into a private directory first (store::apply_layer), then copied.
Result<void> copy_tar_to_container(const Engine& eng, std::string_view name_or_id, Reader& in,
                                   const std::string& dest);

// `export`: the container's root filesystem view as an uncompressed tar on out.
Result<void> export_container(const Engine& eng, std::string_view name_or_id, Writer& out);

}  // namespace berth::engine
