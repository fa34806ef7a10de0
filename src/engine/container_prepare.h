// Turning a container record into what the kernel needs: its rootfs mounted on the host, its
// cgroup, and a runtime::InitSpec with every value resolved (user in the container's own
// /etc/passwd, capabilities, seccomp program, rlimits, the mount plan). Runs in the monitor.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "engine/container.h"
#include "engine/container_store.h"
#include "runtime/init_spec.h"
#include "sys/cgroup.h"

namespace berth::engine {

struct Prepared {
  runtime::InitSpec spec;
  sys::Cgroup cgroup;
  std::vector<std::string> warnings;  // for the CLI to print (clamped ulimits...)
  UniqueFd join_netns;                // --network container:<id>: spec.join_netns_fd's owner
};

// Mounts c's overlay (its image layers under its upper dir) on target, an existing directory;
// volatile_upper: see runtime::RootfsLayers (only for a mount the upper dir never outlives).
Result<void> mount_container_rootfs(const ContainerStore& cs, const Container& c,
                                    const std::string& target, bool volatile_upper = false);

// Mounts the rootfs at cs.merged(c.id), creates the cgroup (replacing a stale one left by a
// crashed monitor) and resolves the spec. On failure everything it made is undone.
Result<Prepared> prepare_container(const ContainerStore& cs, const Container& c);

// The spec of an exec: the container's user, environment, capabilities, seccomp and limits,
// with the request's changes; the user is looked up in the container's mounted rootfs. The
// caller sets join_pidfd and stdio.
Result<runtime::InitSpec> prepare_exec(const ContainerStore& cs, const Container& c,
                                       const ExecRequest& req);

// Undoes prepare_container after the container stopped: kills what is left in the cgroup,
// removes it, unmounts the rootfs and removes the run directory. Idempotent; reports the first
// failure after trying every step.
Result<void> release_container(const ContainerStore& cs, const std::string& id);

}  // namespace berth::engine
