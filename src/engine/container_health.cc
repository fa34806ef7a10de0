// Healthchecks, run by the monitor as docker's daemon runs them: every interval an exec of the
// test command in the container; exit 0 is healthy, a failure or a timeout counts towards
// `retries` (not during the start period), the last 5 results are kept in State.Health.Log.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"
#include "engine/container_hooks.h"
#include "engine/container_prepare.h"
#include "engine/engine.h"
#include "engine/run_options_go.h"
#include "runtime/spawn.h"

namespace berth::engine {

namespace {

constexpr int64_t kDefaultInterval = 30'000'000'000;  // docker's defaults, in nanoseconds
constexpr int64_t kDefaultTimeout = 30'000'000'000;
constexpr int kDefaultRetries = 3;
constexpr size_t kMaxOutput = 4096;
constexpr int kTimedOut = 254;

bool active(const std::optional<oci::HealthConfig>& h) {
  return h && !h->test.empty() && h->test[0] != "NONE";
}

std::vector<std::string> probe_command(const oci::HealthConfig& h) {
  if (h.test[0] == "CMD-SHELL") {
    return {"/bin/sh", "-c", h.test.size() > 1 ? h.test[1] : ""};
  }
  return std::vector<std::string>(h.test.begin() + 1, h.test.end());
}

// In a child of the monitor: exec the probe, wait up to timeout, exit with its code (kTimedOut
// after killing it). Output goes to out_fd.
[[noreturn]] void run_probe(const ContainerStore& cs, const Container& c, pid_t init_pid,
                            int64_t timeout_ns, int out_fd) {
  ExecRequest req;
  req.cmd = probe_command(*c.config.healthcheck);
  auto spec = prepare_exec(cs, c, req);
  UniqueFd init(static_cast<int>(::syscall(SYS_pidfd_open, init_pid, 0)));
  if (!spec || !init) {
    std::string msg = spec ? "container is not running" : spec.error().str();
    (void)write_all(out_fd, msg.data(), msg.size());
    ::_exit(1);
  }
  UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  spec->join_pidfd = init.get();
  spec->stdio[0] = null.get();
  spec->stdio[1] = spec->stdio[2] = out_fd;
  auto pending = runtime::clone_exec(*spec);
  if (pending) {
    if (auto cg = sys::Cgroup::open(cs.cgroup_path(c.id))) {
      (void)cg->add_process(pending->pid());
    }
  }
  UniqueFd child = pending ? pending->take_pidfd() : UniqueFd();
  auto released = pending ? runtime::release_init(*pending, *spec)
                          : Result<void>(tl::unexpected(pending.error()));
  if (!released) {
    std::string msg = released.error().str();
    (void)write_all(out_fd, msg.data(), msg.size());
    ::_exit(start_failure_exit(msg) == 125 ? 1 : start_failure_exit(msg));
  }
  ::close(out_fd);
  pollfd p{child.get(), POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout_ns / 1'000'000)) <= 0) {
    ::syscall(SYS_pidfd_send_signal, child.get(), SIGKILL, nullptr, 0);
    siginfo_t info{};
    ::waitid(P_PIDFD, static_cast<id_t>(child.get()), &info, WEXITED);
    ::_exit(kTimedOut);
  }
  siginfo_t info{};
  ::waitid(P_PIDFD, static_cast<id_t>(child.get()), &info, WEXITED);
  ::_exit(info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status);
}

}  // namespace

int64_t ContainerHooks::tick_ms() const {
  if (!active(c_.config.healthcheck)) {
    return -1;
  }
  int64_t interval = c_.config.healthcheck->interval;
  return (interval > 0 ? interval : kDefaultInterval) / 1'000'000;
}

// Starts a probe unless one is still running: a helper child runs it and reports through a
// pipe that the monitor's loop polls (hook_fds/ready), so output, attached clients and the
// init's exit are served while a probe takes its time.
void ContainerHooks::tick() {
  if (probe_) {
    return;
  }
  auto state = cs_.read_state(c_.id);
  if (!state || state->status != "running" || state->pid <= 0) {
    return;
  }
  const auto& h = *c_.config.healthcheck;
  int64_t timeout = h.timeout > 0 ? h.timeout : kDefaultTimeout;
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) < 0) {
    return;
  }
  std::string start = rfc3339_nano(now_nanos());
  pid_t helper = ::fork();
  if (helper == 0) {
    ::close(pipefd[0]);
    run_probe(cs_, c_, state->pid, timeout, pipefd[1]);
  }
  ::close(pipefd[1]);
  if (helper < 0) {
    ::close(pipefd[0]);
    return;
  }
  ::fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
  probe_.emplace();
  probe_->helper = helper;
  probe_->out = UniqueFd(pipefd[0]);
  probe_->result.start = std::move(start);
}

void ContainerHooks::hook_fds(std::vector<int>& fds) {
  if (probe_) {
    fds.push_back(probe_->out.get());
  }
}

void ContainerHooks::ready(int fd) {
  if (!probe_ || fd != probe_->out.get()) {
    return;
  }
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) {
    auto& out = probe_->result.output;
    if (out.size() < kMaxOutput) {
      out.append(buf, std::min<size_t>(static_cast<size_t>(n), kMaxOutput - out.size()));
    }
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
    return;
  }
  finish_probe();  // end of the helper's output: it is exiting
}

void ContainerHooks::abandon_probe() {
  if (probe_) {
    ::kill(probe_->helper, SIGKILL);
    while (::waitpid(probe_->helper, nullptr, 0) < 0 && errno == EINTR) {
    }
    probe_.reset();
  }
}

void ContainerHooks::finish_probe() {
  int status = 0;
  while (::waitpid(probe_->helper, &status, 0) < 0 && errno == EINTR) {
  }
  HealthResult result = std::move(probe_->result);
  probe_.reset();
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
  const auto& h = *c_.config.healthcheck;
  int64_t timeout = h.timeout > 0 ? h.timeout : kDefaultTimeout;
  result.end = rfc3339_nano(now_nanos());
  if (code == kTimedOut) {
    result.exit_code = -1;
    result.output = "Health check exceeded timeout (" + go::duration_string(timeout) + ")";
  } else {
    result.exit_code = code;
  }
  bool in_start_period = now_nanos() - started_nanos_ < h.start_period;
  int retries = h.retries > 0 ? h.retries : kDefaultRetries;
  update_state([&](ContainerState& s) {
    if (!s.health) {
      s.health = Health{};
    }
    auto& health = *s.health;
    if (result.exit_code == 0) {
      health.status = "healthy";
      health.failing_streak = 0;
    } else if (!in_start_period || health.status != "starting") {
      health.failing_streak += 1;
      if (health.failing_streak >= retries) {
        health.status = "unhealthy";
      }
    }
    health.log.push_back(result);
    if (health.log.size() > 5) {
      health.log.erase(health.log.begin());
    }
  });
}

}  // namespace berth::engine
