// The per-container monitor (DESIGN.md "Shape"; docs/dev/runtime.md): the init's parent, owner
// of its stdio or pty, feeder of its log and of attached clients, and the one that sees it exit.
// What the container's state means (state.json, restart policy, cleanup) is the caller's: the
// monitor reports through Hooks and does what they answer.
//
// Single-threaded: one poll(2) loop over the init's pidfd, its output, the attached clients and
// the timers the hooks ask for. It must stay small (issue 3: ≤ 1 MB resident), so no JSON and
// no iostreams here.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "runtime/init_spec.h"
#include "runtime/spawn.h"
#include "sys/cgroup.h"

namespace berth::monitor {

enum class Stream { kStdout = 1, kStderr = 2 };

// A client attached to the container's stdio (the CLI of `run`, `start -a`, `attach`). The
// monitor writes output straight into the client's own fds and reads its stdin; when control
// hangs up the client is gone and its fds are closed. At the end the monitor writes
// "exit <code>\n" on control.
struct Attachment {
  UniqueFd control;
  UniqueFd in, out, err;  // invalid when not attached to that stream
};

struct MonitorOptions {
  bool tty = false;
  bool open_stdin = false;  // -i: the container's stdin is a pipe (or the pty) fed by clients
  bool stdin_once = false;  // close the container's stdin when the first client's stdin ends
  // Once the container has run this long, run() calls shed_memory() (once); -1: never. Not at
  // once: most of a short container's life would go into reading /proc/self/smaps.
  int shed_memory_after_ms = -1;
};

class Hooks {
 public:
  virtual ~Hooks() = default;
  // Output of the container, as read (for the log).
  virtual void output(Stream stream, const char* data, size_t n) = 0;
  // The init exists, in its cgroup, and has not started its setup: its namespaces can be
  // joined (networks are connected here). An error aborts this start.
  virtual Result<void> before_release(pid_t pid) {
    (void)pid;
    return {};
  }
  // The init is running (execve done) with this pid.
  virtual void started(pid_t pid) = 0;
  // The init has exited with a docker exit code (128 + signal when killed). Returns the delay
  // in milliseconds before starting it again, or nullopt to stop for good.
  virtual std::optional<int64_t> exited(int exit_code) = 0;
  // A restart failed to start (the container stays down).
  virtual void restart_failed(const Error& error) = 0;
  // Called every tick_ms() while the init runs (healthchecks); may be a no-op.
  virtual void tick() {}
  virtual int64_t tick_ms() const { return -1; }
  // Descriptors of the hooks' own work (a running healthcheck's output, sockets) that the loop
  // polls for reading along with its own: asked again at every turn, so the set may change.
  // ready(fd) is called for each that polled readable or hung up. Neither may block.
  virtual void hook_fds(std::vector<int>& fds) { (void)fds; }
  virtual void ready(int fd) { (void)fd; }
};

class Monitor {
 public:
  Monitor(runtime::InitSpec& spec, sys::Cgroup cgroup, MonitorOptions options, Hooks& hooks)
      : spec_(spec), cgroup_(std::move(cgroup)), options_(options), hooks_(hooks) {}

  // Makes the init's stdio, clones it, puts it into the cgroup and lets it exec. Returns its pid
  // (in the host's pid namespace). The error is the init's own (see runtime::release_init).
  Result<pid_t> start();
  void attach(Attachment a);
  // Adds a listening unix socket whose clients send their fds (SCM_RIGHTS) to attach.
  void listen(UniqueFd socket) { listener_ = std::move(socket); }
  // Serves the container until it stops for good (hooks.exited answered nullopt, or a restart
  // failed). Returns the last exit code. Call after a successful start().
  int run();
  // Tells every attached client the exit code and drops them.
  void notify_exit(int code);
  pid_t pid() const { return pid_; }

 private:
  Result<void> make_stdio();
  void close_child_ends();
  bool pump(int fd, Stream stream);
  void forward_stdin(size_t client);
  void drop_client(size_t i);
  void accept_client();
  int reap();

  runtime::InitSpec& spec_;
  sys::Cgroup cgroup_;
  MonitorOptions options_;
  bool memory_shed_ = false;
  Hooks& hooks_;
  pid_t pid_ = -1;
  UniqueFd pidfd_;
  // Our ends: the pty master, or the pipes' read ends and stdin's write end.
  UniqueFd master_, out_r_, err_r_, in_w_;
  // The child's ends, closed once it has started.
  UniqueFd child_in_, child_out_, child_err_;
  std::vector<Attachment> clients_;
  UniqueFd listener_;
  std::vector<int> hook_fds_;  // reused every turn of the loop
  bool stdin_closed_ = false;
};

// Receives an Attachment sent by send_attachment over a connected unix socket (the socket
// becomes its control). Blocks until the message arrives.
Result<Attachment> receive_attachment(UniqueFd socket);
// Sends fds (-1 = not attached) over a connected unix socket to the monitor.
Result<void> send_attachment(int socket, int in, int out, int err);

}  // namespace berth::monitor

namespace berth::monitor {

// Gives back memory a long-lived monitor does not need after the start: free heap pages
// (malloc_trim) and the page-table entries of read-only file mappings (code the start ran and
// the loop never will; they fault back in from the page cache if touched). Writable mappings are
// never touched. Best effort.
void shed_memory() noexcept;

}  // namespace berth::monitor
