// The verbs on existing containers: list, find, stop, kill, rm, wait. Each reads the record,
// makes its state truthful (a monitor can die), and acts on the init by its pid checked against
// the recorded start time, so that a recycled pid is never signalled.
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"
#include "engine/container_hooks.h"
#include "engine/container_prepare.h"
#include "engine/container_store.h"
#include "engine/engine.h"
#include "engine/run_options.h"
#include "sys/cgroup.h"

namespace berth::engine {

namespace {

bool is_active(const ContainerState& s) {
  return s.status == "running" || s.status == "paused" || s.status == "restarting";
}

// A pidfd for the recorded process, or invalid when it is gone or not the same process.
UniqueFd open_process(pid_t pid, uint64_t start_time) {
  if (pid <= 0) {
    return UniqueFd();
  }
  UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (fd && !same_process(pid, start_time)) {
    fd.reset();
  }
  return fd;
}

// Waits until the process behind pidfd exits, up to timeout_ms (< 0: forever).
bool wait_exit(int pidfd, int timeout_ms) {
  pollfd p{pidfd, POLLIN, 0};
  int n;
  while ((n = ::poll(&p, 1, timeout_ms)) < 0 && errno == EINTR) {
  }
  return n > 0;
}

Result<void> signal_process(int pidfd, int sig) {
  if (::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) < 0 && errno != ESRCH) {
    return fail_errno("sending the signal");
  }
  return {};
}

void mark_stopped_by_user(const ContainerStore& cs, const std::string& id) {
  auto lock = cs.lock(id);
  auto s = cs.read_state(id);
  if (lock && s) {
    s->stopped_by_user = true;
    (void)cs.write_state(id, *s);
  }
}

// Waits for the monitor to finish (it records the exit and cleans up), up to timeout_ms.
void wait_monitor(const ContainerState& s, int timeout_ms) {
  UniqueFd mon = open_process(s.monitor_pid, s.monitor_start_time);
  if (mon) {
    wait_exit(mon.get(), timeout_ms);
  }
}

}  // namespace

Result<std::vector<Container>> Engine::list_containers() const {
  ContainerStore cs(options_.root, options_.runroot);
  std::vector<Container> out;
  for (const auto& id : BERTH_TRY(cs.ids())) {
    auto c = cs.read(id);
    if (!c) {
      if (c.error().code() == Code::kNotFound) {
        continue;  // removed while we listed
      }
      return tl::unexpected(std::move(c.error()));
    }
    c->state = truthful_state(c->state);
    out.push_back(std::move(*c));
  }
  std::sort(out.begin(), out.end(),
            [](const Container& a, const Container& b) { return a.created > b.created; });
  return out;
}

Result<Container> Engine::find_container(std::string_view name_or_id) const {
  ContainerStore cs(options_.root, options_.runroot);
  auto id = BERTH_TRY(cs.resolve(name_or_id));
  auto c = BERTH_TRY(cs.read(id));
  c.state = truthful_state(c.state);
  return c;
}

Result<void> Engine::kill_container(std::string_view name_or_id, int signal) {
  auto c = BERTH_TRY(find_container(name_or_id));
  UniqueFd init = open_process(c.state.pid, c.state.pid_start_time);
  if (!is_active(c.state) || !init) {
    return fail(
        Code::kConflict,
        fmt::format("cannot kill container: {}: container {} is not running", name_or_id, c.id));
  }
  ContainerStore cs(options_.root, options_.runroot);
  mark_stopped_by_user(cs, c.id);
  BERTH_CHECK(signal_process(init.get(), signal));
  // docker's daemon resumes a paused container after sending SIGKILL or its stop signal (any
  // signal when none is configured), so that the signal is delivered and it can exit.
  bool stop_signal = signal == SIGKILL || c.config.stop_signal.empty() ||
                     parse_signal(c.config.stop_signal).value_or(-1) == signal;
  if (c.state.status == "paused" && stop_signal) {
    auto lock = BERTH_TRY(cs.lock(c.id));
    auto s = BERTH_TRY(cs.read_state(c.id));
    if (s.status == "paused") {
      auto cg = BERTH_TRY_CTX(sys::Cgroup::open(cs.cgroup_path(c.id)), "unpausing " + c.id);
      BERTH_CHECK(cg.thaw());
      s.status = "running";
      BERTH_CHECK(cs.write_state(c.id, s));
    }
  }
  return {};
}

Result<void> Engine::stop_container(std::string_view name_or_id, std::optional<int> timeout,
                                    std::optional<int> signal) {
  auto c = BERTH_TRY(find_container(name_or_id));
  ContainerStore cs(options_.root, options_.runroot);
  if (!is_active(c.state)) {
    return {};
  }
  mark_stopped_by_user(cs, c.id);
  int secs = timeout.value_or(c.config.stop_timeout.value_or(10));
  UniqueFd init = open_process(c.state.pid, c.state.pid_start_time);
  if (init) {
    if (auto cg = sys::Cgroup::open(cs.cgroup_path(c.id)); cg && c.state.status == "paused") {
      (void)cg->thaw();
    }
    if (!signal) {
      signal =
          c.config.stop_signal.empty() ? SIGTERM : BERTH_TRY(parse_signal(c.config.stop_signal));
    }
    BERTH_CHECK(signal_process(init.get(), *signal));
    if (secs < 0 || !wait_exit(init.get(), secs * 1000)) {
      if (secs >= 0) {
        BERTH_CHECK(signal_process(init.get(), SIGKILL));
        wait_exit(init.get(), 10000);
      }
    }
  }
  wait_monitor(c.state, 10000);
  auto after = BERTH_TRY(find_container(c.id));
  if (after.state.status == "running" &&
      !open_process(after.state.monitor_pid, after.state.monitor_start_time)) {
    // The monitor is gone, so nobody else will record the stop.
    auto lock = BERTH_TRY(cs.lock(c.id));
    (void)release_container(cs, c.id);
    after.state = truthful_state(after.state);
    BERTH_CHECK(cs.write_state(c.id, after.state));
  }
  return {};
}

Result<void> Engine::remove_container(std::string_view name_or_id, bool force, bool volumes) {
  auto c = BERTH_TRY(find_container(name_or_id));
  ContainerStore cs(options_.root, options_.runroot);
  if (is_active(c.state)) {
    if (!force) {
      return fail(Code::kConflict,
                  fmt::format("cannot remove container \"/{}\": container is {}: stop the "
                              "container before removing or force remove",
                              c.name, c.state.status));
    }
    mark_stopped_by_user(cs, c.id);
    if (auto cg = sys::Cgroup::open(cs.cgroup_path(c.id))) {
      BERTH_CHECK(cg->kill_all(SIGKILL));
    }
    if (UniqueFd init = open_process(c.state.pid, c.state.pid_start_time)) {
      (void)signal_process(init.get(), SIGKILL);
      wait_exit(init.get(), 10000);
    }
    wait_monitor(c.state, 10000);
  }
  auto lock = cs.lock(c.id);
  if (!lock && lock.error().code() == Code::kNotFound && !cs.resolve(c.id)) {
    return {};  // a --rm container's monitor removed it as it stopped
  }
  BERTH_CHECK(lock);
  BERTH_CHECK(release_container(cs, c.id));
  BERTH_CHECK(remove_container_files(cs, c, volumes));
  remove_detached_records(cs);
  return {};
}

Result<int> Engine::wait_container(std::string_view name_or_id) {
  auto c = BERTH_TRY(find_container(name_or_id));
  ContainerStore cs(options_.root, options_.runroot);
  for (int delay_ms = 5;; delay_ms = std::min(delay_ms * 2, 100)) {
    if (!is_active(c.state)) {
      return c.state.exit_code;
    }
    if (c.state.status == "running") {
      // The monitor records the exit right after the init is gone.
      if (UniqueFd init = open_process(c.state.pid, c.state.pid_start_time)) {
        wait_exit(init.get(), 1000);
        delay_ms = 5;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    auto next = cs.read(c.id);
    if (!next) {
      if (next.error().code() == Code::kNotFound) {
        return c.state.exit_code;  // removed (--rm) after it stopped
      }
      return tl::unexpected(std::move(next.error()));
    }
    next->state = truthful_state(next->state);
    c = std::move(*next);
  }
}

}  // namespace berth::engine
