// Where a container's record and run state live, and the rules for changing them
// (docs/dev/runtime.md "On disk"): a per-container lock file, whole-file atomic writes, a name
// link made with symlink(2) for uniqueness, and the checks that make a recorded state truthful.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/container.h"
#include "sys/file_lock.h"

namespace berth::engine {

class ContainerStore {
 public:
  ContainerStore(std::string root, std::string runroot)
      : root_(std::move(root)), runroot_(std::move(runroot)) {}

  const std::string& root() const { return root_; }
  const std::string& runroot() const { return runroot_; }
  std::string dir(const std::string& id) const { return root_ + "/containers/" + id; }
  std::string run_dir(const std::string& id) const { return runroot_ + "/containers/" + id; }
  std::string merged(const std::string& id) const { return run_dir(id) + "/merged"; }
  std::string attach_socket(const std::string& id) const { return run_dir(id) + "/attach.sock"; }
  std::string seccomp_cache() const { return runroot_ + "/seccomp"; }
  std::string cgroup_path(const std::string& id) const { return "/berth/" + id; }

  // Blocks until this container's lock is held (exclusive).
  Result<sys::FileLock> lock(const std::string& id) const;

  // config.json, atomically; durable (fsync) unless the container is --rm.
  Result<void> write_config(const Container& c) const;
  Result<void> write_state(const std::string& id, const ContainerState& s) const;
  // Reads config.json and state.json. NotFound when the container does not exist (or is half
  // removed: no config.json).
  Result<Container> read(const std::string& id) const;
  Result<ContainerState> read_state(const std::string& id) const;

  // The IDs of every container (directories with a config.json).
  Result<std::vector<std::string>> ids() const;
  // The ID a name's link points at, or nullopt.
  std::optional<std::string> id_for_name(const std::string& name) const;
  // Claims a name for id; Conflict in docker's words when it is taken.
  Result<void> claim_name(const std::string& name, const std::string& id) const;
  void release_name(const std::string& name, const std::string& id) const;

  // Resolves a name, full ID or unique ID prefix. NotFound "No such container: x"; an
  // ambiguous prefix is InvalidArgument, as docker's.
  Result<std::string> resolve(std::string_view name_or_id) const;

 private:
  std::string root_;
  std::string runroot_;
};

// The start time of a process (field 22 of /proc/<pid>/stat), or nullopt when it is gone.
std::optional<uint64_t> process_start_time(pid_t pid);
// Whether pid is alive and is the same process as recorded (start time equal).
bool same_process(pid_t pid, uint64_t start_time);

// Makes a recorded state truthful: running/paused/restarting whose monitor and init are both
// gone reads as exited (255, as docker shows a lost task); running whose init is gone while the
// monitor lives is left to the monitor.
ContainerState truthful_state(ContainerState s);

}  // namespace berth::engine
