// What a container's monitor does at each event: write the log, record the state (under the
// container's lock, whole-file), and decide restarts by the policy, as docker's daemon does.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/container.h"
#include "engine/container_store.h"
#include "monitor/json_log.h"
#include "monitor/monitor.h"
#include "sys/cgroup.h"

namespace berth::engine {

class ContainerHooks : public monitor::Hooks {
 public:
  ContainerHooks(const ContainerStore& cs, const Container& c, sys::Cgroup cgroup);

  // While the starting CLI holds the container's lock (its open file description is shared with
  // the monitor), state writes must not take it again.
  void set_lock_held(bool held) { lock_held_ = held; }

  void output(monitor::Stream stream, const char* data, size_t n) override;
  Result<void> before_release(pid_t pid) override;
  void started(pid_t pid) override;
  std::optional<int64_t> exited(int exit_code) override;
  void restart_failed(const Error& error) override;
  // Healthchecks (container_health.cc): one probe per interval while the init runs.
  void tick() override;
  int64_t tick_ms() const override;
  void hook_fds(std::vector<int>& fds) override;
  void ready(int fd) override;

 private:
  // Reads the state, lets change() edit it and writes it back, under the lock.
  void update_state(const std::function<void(ContainerState&)>& change);
  // The probe in flight: its result is recorded when its output ends, or dropped when the
  // container stops first.
  void finish_probe();
  void abandon_probe();
  struct Probe {
    pid_t helper = -1;
    UniqueFd out;  // non-blocking read end of the helper's output
    HealthResult result;
  };
  std::optional<Probe> probe_;
  std::vector<PortBinding> published_;  // this start's ports (container_network.h)

  const ContainerStore& cs_;
  const Container& c_;
  sys::Cgroup cgroup_;
  std::optional<monitor::JsonLogWriter> log_;
  bool lock_held_ = true;
  uint64_t oom_before_ = 0;
  int64_t started_ms_ = 0;
  int64_t backoff_ms_ = 0;
  int64_t started_nanos_ = 0;
};

// Makes a stopped container's record vanish for every reader at once, cheaply: its name is
// freed and its directory renamed to a hidden name that no lookup matches. Returns that name for
// remove_detached_records ("" when another remover got there first). Freeing a file's blocks
// costs milliseconds on some disks, so whoever waits (the CLI of `run --rm`) is told before the
// files themselves go.
Result<std::string> detach_container_record(const ContainerStore& cs, const Container& c);
// Removes what detach_container_record hid, and any hidden record a crashed remover left
// (errors are ignored: another remover may be at the same work).
void remove_detached_records(const ContainerStore& cs);

// Removes a container's record for every reader (detach_container_record), and with
// anonymous_volumes_too its anonymous volumes that no other container uses (the caller has
// stopped it and released its run state). The files go with remove_detached_records, which the
// caller calls when nobody is waiting any more.
Result<void> remove_container_files(const ContainerStore& cs, const Container& c,
                                    bool anonymous_volumes_too);

}  // namespace berth::engine
