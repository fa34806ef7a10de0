// Starting a container's init: clone into new namespaces, hold the child until the caller has
// put it into its cgroup, then let it set itself up and execve. The caller (the monitor) is the
// init's parent and reaps it.
#pragma once

#include <sys/types.h>

#include <utility>

#include "base/error.h"
#include "base/unique_fd.h"
#include "runtime/init_spec.h"

namespace berth::runtime {

// A cloned init, waiting on its sync pipe for release().
class PendingInit {
 public:
  pid_t pid() const { return pid_; }
  int pidfd() const { return pidfd_.get(); }
  UniqueFd take_pidfd() { return std::move(pidfd_); }

 private:
  friend Result<PendingInit> clone_init(const InitSpec& spec);
  friend Result<PendingInit> clone_exec(const InitSpec& spec);
  // The pipes, the child's argument arrays and a fork-like clone with extra flags.
  static Result<PendingInit> clone_child(const InitSpec& spec, unsigned long flags,
                                         const char* what);
  friend Result<void> release_init(PendingInit& init, const InitSpec& spec);
  friend void abort_init(PendingInit& init) noexcept;
  pid_t pid_ = -1;
  UniqueFd pidfd_;
  UniqueFd sync_w_;
  UniqueFd err_r_;
};

// Clones the init with new pid, mount, uts and ipc namespaces (and net when spec.new_net). The
// child waits on a pipe before doing anything, so the caller can add it to a cgroup first.
// spec must stay alive and unchanged until release_init returns. The calling process must be
// single-threaded (the child is a copy of it). Errors: the clone's errno.
Result<PendingInit> clone_init(const InitSpec& spec);

// Clones a process into the running container whose init spec.join_pidfd names: it is created
// in the init's pid namespace and, once released, joins its mount, uts, ipc, net and cgroup
// namespaces and runs spec's process part (user, rlimits, capabilities, seccomp, cwd, exec).
// The caller adds it to the container's cgroup before release_init. Errors: the setns or clone
// errno.
Result<PendingInit> clone_exec(const InitSpec& spec);

// Releases the child and waits until it has called execve (success) or failed. On failure the
// child is reaped and the error names the step, in docker's words where users look for them:
//   exec: "foo": executable file not found in $PATH        (NotFound; docker exits 127)
//   exec: "/bin/x": permission denied                      (PermissionDenied; 126)
//   unable to start container process: mounting …: …        (the mount plan's description)
Result<void> release_init(PendingInit& init, const InitSpec& spec);

// A new pty: its master and its slave, both close-on-exec (the child dup2s the slave into place).
Result<std::pair<UniqueFd, UniqueFd>> open_pty();

// Kills a pending or released init (SIGKILL) and reaps it; for cleanup after a failed start.
void abort_init(PendingInit& init) noexcept;

}  // namespace berth::runtime
