// `start`: the CLI forks the container's monitor, which prepares and starts the init and then
// lives on, while the CLI waits for its report (docs/dev/runtime.md "Start"). The monitor is not
// exec'd: it is this process, already loaded, which is what keeps a start within budget.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/log.h"
#include "base/strings.h"
#include "engine/container_hooks.h"
#include "engine/container_prepare.h"
#include "engine/container_store.h"
#include "engine/engine.h"
#include "monitor/monitor.h"

namespace berth::engine {

namespace {

void report(int fd, std::string_view line) { (void)write_all(fd, line.data(), line.size()); }

// A unix socket address for path. sun_path holds 108 bytes, less than a run root under /tmp
// plus a 64-digit ID needs, so the directory is reached through an fd's /proc link.
struct SocketAddress {
  UniqueFd dir;
  sockaddr_un addr{};
};

Result<SocketAddress> socket_address(const std::string& path) {
  SocketAddress a;
  a.addr.sun_family = AF_UNIX;
  a.dir = BERTH_TRY(open_dir(dir_name(path)));
  std::string short_path = fmt::format("/proc/self/fd/{}/{}", a.dir.get(), base_name(path));
  if (short_path.size() >= sizeof a.addr.sun_path) {
    return fail(Code::kInvalidArgument, "socket name too long: " + path);
  }
  std::memcpy(a.addr.sun_path, short_path.c_str(), short_path.size() + 1);
  return a;
}

Result<UniqueFd> listen_attach(const std::string& path) {
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  auto a = BERTH_TRY(socket_address(path));
  ::unlink(path.c_str());
  if (!s || ::bind(s.get(), reinterpret_cast<sockaddr*>(&a.addr), sizeof a.addr) < 0 ||
      ::listen(s.get(), 16) < 0) {
    return fail_errno("listening on " + path);
  }
  return s;
}

void detach_from_caller() {
  ::setsid();
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::close(null);
  }
}

// The failed first start: recorded as docker does (still "created", ExitCode and Error set),
// everything made undone, and with --rm the container removed.
void fail_start(const ContainerStore& cs, const Container& c, const Error& e, int report_fd) {
  std::string msg = e.str();
  int code = start_failure_exit(msg);
  (void)release_container(cs, c.id);
  if (c.host_config.auto_remove) {
    (void)remove_container_files(cs, c, true);
    remove_detached_records(cs);
  } else {
    ContainerState s = c.state;
    s.exit_code = code == 125 ? 128 : code;
    s.error = msg;
    s.pid = 0;
    s.monitor_pid = 0;
    (void)cs.write_state(c.id, s);
  }
  report(report_fd, "err " + msg + "\n");
}

[[noreturn]] void monitor_main(const ContainerStore& cs, Container c, sys::FileLock lock,
                               int report_fd, std::optional<monitor::Attachment> attachment) {
  detach_from_caller();
  log::phase("monitor forked");
  auto prepared = prepare_container(cs, c);
  if (!prepared) {
    fail_start(cs, c, prepared.error(), report_fd);
    ::_exit(0);
  }
  ContainerHooks hooks(cs, c, prepared->cgroup);
  monitor::MonitorOptions mo;
  mo.tty = c.config.tty;
  mo.open_stdin = c.config.open_stdin;
  mo.stdin_once = c.config.stdin_once;
  mo.shed_memory_after_ms = 500;
  monitor::Monitor m(prepared->spec, prepared->cgroup, mo, hooks);
  if (attachment) {
    m.attach(std::move(*attachment));
  }
  if (auto l = listen_attach(cs.attach_socket(c.id))) {
    m.listen(std::move(*l));
  }
  auto pid = m.start();
  if (!pid) {
    fail_start(cs, c, pid.error(), report_fd);
    ::_exit(0);
  }
  { auto drop = std::move(lock); }  // the CLI's copy goes when it reads the report
  hooks.set_lock_held(false);
  for (const auto& w : prepared->warnings) {
    report(report_fd, "warn " + w + "\n");
  }
  report(report_fd, fmt::format("ok {}\n", *pid));
  ::close(report_fd);
  log::phase("init started");
  int code = m.run();
  log::phase("init exited");
  (void)release_container(cs, c.id);
  if (c.host_config.auto_remove) {
    (void)remove_container_files(cs, c, true);
  }
  log::phase("container released");
  m.notify_exit(code);
  if (c.host_config.auto_remove) {
    remove_detached_records(cs);  // after the CLI is told: freeing blocks is slow on some disks
  }
  ::_exit(0);
}

Result<std::string> read_report(int fd) {
  std::string text;
  char buf[4096];
  for (;;) {
    auto n = BERTH_TRY(read_some(fd, buf, sizeof buf));
    if (n == 0) {
      return text;
    }
    text.append(buf, n);
  }
}

}  // namespace

int start_failure_exit(std::string_view message) {
  if (message.find("executable file not found") != std::string::npos ||
      message.find("no such file or directory") != std::string::npos) {
    return 127;
  }
  if (message.find("permission denied") != std::string::npos ||
      message.find("is a directory") != std::string::npos) {
    return 126;
  }
  return 125;
}

Result<StartedContainer> Engine::start_container(std::string_view name_or_id,
                                                 const StartOptions& options) {
  ContainerStore cs(options_.root, options_.runroot);
  std::string id = BERTH_TRY(cs.resolve(name_or_id));
  auto lock = BERTH_TRY(cs.lock(id));
  Container c = BERTH_TRY(cs.read(id));
  c.state = truthful_state(c.state);
  StartedContainer started;
  if (c.state.status == "running" || c.state.status == "restarting") {
    started.pid = c.state.pid;
    started.already_running = true;
    return started;
  }
  if (c.state.status == "paused") {
    return fail(Code::kConflict, "cannot start a paused container, try unpause instead");
  }
  int rp[2];
  if (::pipe2(rp, O_CLOEXEC) < 0) {
    return fail_errno("creating the monitor's report pipe");
  }
  UniqueFd report_r(rp[0]), report_w(rp[1]);
  std::optional<monitor::Attachment> attachment;
  UniqueFd control;
  if (options.attach) {
    int sp[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
      return fail_errno("creating the attach socket");
    }
    control = UniqueFd(sp[0]);
    monitor::Attachment a;
    a.control = UniqueFd(sp[1]);
    auto dup_fd = [](int fd) { return UniqueFd(fd >= 0 ? ::fcntl(fd, F_DUPFD_CLOEXEC, 3) : -1); };
    a.in = dup_fd(options.in);
    a.out = dup_fd(options.out);
    a.err = dup_fd(options.err);
    attachment = std::move(a);
  }
  c.state.stopped_by_user = false;
  log::phase("forking the monitor");
  pid_t child = ::fork();
  if (child < 0) {
    return fail_errno("starting the container's monitor");
  }
  if (child == 0) {
    report_r.reset();
    control.reset();
    monitor_main(cs, std::move(c), std::move(lock), report_w.release(), std::move(attachment));
  }
  report_w.reset();
  attachment.reset();
  auto text = BERTH_TRY(read_report(report_r.get()));
  for (const auto& line : split(text, '\n')) {
    if (line.rfind("warn ", 0) == 0) {
      started.warnings.push_back(line.substr(5));
    } else if (line.rfind("ok ", 0) == 0) {
      started.pid = static_cast<pid_t>(parse_uint(line.substr(3)).value_or(0));
      started.control = std::move(control);
      return started;
    } else if (line.rfind("err ", 0) == 0) {
      return tl::unexpected(Error(Code::kUnavailable, line.substr(4)));
    }
  }
  return fail(Code::kInternal, "the container's monitor died while starting it");
}

Result<UniqueFd> Engine::attach_container(std::string_view name_or_id, int in, int out, int err) {
  ContainerStore cs(options_.root, options_.runroot);
  std::string id = BERTH_TRY(cs.resolve(name_or_id));
  std::string path = cs.attach_socket(id);
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  auto a = socket_address(path);
  if (!s || !a || ::connect(s.get(), reinterpret_cast<sockaddr*>(&a->addr), sizeof a->addr) < 0) {
    return fail(Code::kConflict, "You cannot attach to a stopped container, start it first");
  }
  BERTH_CHECK(monitor::send_attachment(s.get(), in, out, err));
  return s;
}

}  // namespace berth::engine
