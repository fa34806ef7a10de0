// `exec`: a process cloned into a running container by this CLI, which stays its parent and
// waits for it (docker's exec, without a daemon in between).
#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <tuple>

#include <fmt/format.h>

#include "base/fs.h"
#include "engine/container_prepare.h"
#include "engine/container_store.h"
#include "engine/engine.h"
#include "runtime/spawn.h"
#include "sys/cgroup.h"

namespace berth::engine {

namespace {

// Copies between our stdio and the pty master until the process is gone.
void pump_pty(int master, bool with_stdin) {
  char buf[16384];
  bool in_open = with_stdin;
  for (;;) {
    pollfd fds[2] = {{master, POLLIN, 0}, {in_open ? STDIN_FILENO : -1, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      return;
    }
    if (fds[0].revents != 0) {
      ssize_t n = ::read(master, buf, sizeof buf);
      if (n <= 0 || !write_all(STDOUT_FILENO, buf, static_cast<size_t>(n))) {
        return;  // EIO: every slave fd is closed
      }
    }
    if (fds[1].revents != 0) {
      ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n <= 0) {
        in_open = false;
      } else {
        (void)write_all(master, buf, static_cast<size_t>(n));
      }
    }
  }
}

}  // namespace

Result<int> Engine::exec_container(std::string_view name_or_id, const ExecRequest& request) {
  ContainerStore cs(options_.root, options_.runroot);
  auto c = BERTH_TRY(find_container(name_or_id));
  UniqueFd init(static_cast<int>(::syscall(SYS_pidfd_open, c.state.pid, 0)));
  if (c.state.status != "running" || !init || !same_process(c.state.pid, c.state.pid_start_time)) {
    return fail(Code::kConflict, fmt::format("container {} is not running", c.id));
  }
  if (request.cmd.empty()) {
    return fail(Code::kInvalidArgument, "exec: no command specified");
  }
  auto spec = BERTH_TRY(prepare_exec(cs, c, request));
  spec.join_pidfd = init.get();
  UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  UniqueFd master, slave;
  if (request.detach) {
    spec.stdio[0] = spec.stdio[1] = spec.stdio[2] = null.get();
  } else if (request.tty) {
    std::tie(master, slave) = BERTH_TRY(runtime::open_pty());
    spec.stdio[0] = spec.stdio[1] = spec.stdio[2] = slave.get();
    spec.tty = true;
  } else {
    spec.stdio[0] = request.interactive ? STDIN_FILENO : null.get();
    spec.stdio[1] = STDOUT_FILENO;
    spec.stdio[2] = STDERR_FILENO;
  }
  auto pending = BERTH_TRY(runtime::clone_exec(spec));
  auto cg = sys::Cgroup::open(cs.cgroup_path(c.id));
  if (cg) {
    if (auto r = cg->add_process(pending.pid()); !r) {
      runtime::abort_init(pending);
      return tl::unexpected(std::move(r.error()));
    }
  }
  UniqueFd child = pending.take_pidfd();
  BERTH_CHECK(runtime::release_init(pending, spec));
  slave.reset();
  if (request.detach) {
    return 0;
  }
  if (master) {
    pump_pty(master.get(), request.interactive);
  }
  siginfo_t info{};
  while (::waitid(P_PIDFD, static_cast<id_t>(child.get()), &info, WEXITED) < 0 && errno == EINTR) {
  }
  return info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
}

}  // namespace berth::engine
