// InitSpec: everything a container's init needs, computed in the parent (which may allocate and
// fail with a Result) so that the child, between clone() and execve(), only reads it and makes
// raw syscalls (DESIGN.md "Errors", docs/dev/sys.md "Order in the container's init").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sys/caps.h"
#include "sys/mounts.h"
#include "sys/rlimits.h"
#include "sys/seccomp_filter.h"
#include "sys/user_lookup.h"

namespace berth::runtime {

struct InitSpec {
  // The process. argv[0] is looked up in exec_candidates (see exec_candidates()).
  std::vector<std::string> argv;
  std::vector<std::string> env;  // "KEY=value"
  std::string cwd = "/";         // inside the container, after pivot_root
  sys::ExecUser user;
  sys::CapabilitySet caps;
  bool no_new_privs = false;
  sys::SeccompProgram seccomp;  // empty: unconfined
  sys::RlimitPlan rlimits;
  std::vector<std::string> exec_candidates;  // full paths to try, in order

  // Namespaces: pid, mount, uts and ipc are always new; net and cgroup as set.
  bool new_net = true;  // --network none: a new one with loopback up; host: the monitor's
  // --network container:<id>: a network namespace fd (of that container's init) the init
  // joins instead (new_net false); it must stay open until the init has started.
  int join_netns_fd = -1;
  bool new_cgroupns = true;
  std::string hostname;
  std::string domainname;

  // The root filesystem and every mount in it, ending with pivot_root.
  sys::MountPlan mounts{"/"};

  // exec into a running container: a pidfd of its init. The process then joins the init's
  // namespaces (clone_exec) instead of making new ones; mounts, hostname and loopback are
  // the container's already and are not touched.
  int join_pidfd = -1;

  // stdio for fds 0, 1, 2: fds of the calling process, dup'ed into place in the child. With
  // tty, all three are the pty's slave, which becomes the init's controlling terminal.
  int stdio[3] = {-1, -1, -1};
  bool tty = false;
};

// The paths execve() tries for argv0, like runc's lookup: argv0 itself when it contains a '/',
// else each directory of the PATH in env (docker's default PATH when env has none) joined with
// argv0. Empty argv0 gives nothing.
std::vector<std::string> exec_candidates(const std::string& argv0,
                                         const std::vector<std::string>& env);

// docker's default PATH for containers.
inline constexpr const char* kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

}  // namespace berth::runtime
