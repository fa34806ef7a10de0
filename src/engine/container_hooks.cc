#include "engine/container_hooks.h"

#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"
#include "engine/container_mounts.h"
#include "engine/container_network.h"
#include "engine/engine.h"
#include "engine/run_options.h"

namespace berth::engine {

namespace {

int64_t steady_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

ContainerHooks::ContainerHooks(const ContainerStore& cs, const Container& c, sys::Cgroup cgroup)
    : cs_(cs), c_(c), cgroup_(std::move(cgroup)) {
  const auto& lc = c_.host_config.log_config;
  auto opts = parse_log_opts(lc);  // docker's units (decimal) and checks, done again at create
  if (lc.type != "none" && opts) {
    auto w = monitor::JsonLogWriter::open(c_.log_path, opts->max_size, opts->max_file);
    if (w) {
      log_.emplace(std::move(*w));
    }
  }
}

void ContainerHooks::update_state(const std::function<void(ContainerState&)>& change) {
  std::optional<sys::FileLock> lock;
  if (!lock_held_) {
    auto l = cs_.lock(c_.id);
    if (!l) {
      return;
    }
    lock.emplace(std::move(*l));
  }
  if (!path_exists(cs_.dir(c_.id) + "/config.json")) {
    return;  // removed meanwhile (rm -f)
  }
  auto s = cs_.read_state(c_.id);
  ContainerState st = s ? *s : c_.state;
  change(st);
  (void)cs_.write_state(c_.id, st);
}

void ContainerHooks::output(monitor::Stream stream, const char* data, size_t n) {
  if (log_) {
    auto s = stream == monitor::Stream::kStderr ? monitor::LogStream::kStderr
                                                : monitor::LogStream::kStdout;
    log_->write(s, data, n, now_nanos());
  }
}

Result<void> ContainerHooks::before_release(pid_t pid) {
  published_ = BERTH_TRY(connect_init(c_, pid));
  return {};
}

void ContainerHooks::started(pid_t pid) {
  oom_before_ = cgroup_.oom_kills().value_or(0);
  started_ms_ = steady_ms();
  started_nanos_ = now_nanos();
  auto me = process_start_time(::getpid()).value_or(0);
  auto init = process_start_time(pid).value_or(0);
  update_state([&](ContainerState& s) {
    s.status = "running";
    s.pid = pid;
    s.pid_start_time = init;
    s.monitor_pid = ::getpid();
    s.monitor_start_time = me;
    s.started_at = rfc3339_nano(now_nanos());
    s.exit_code = 0;
    s.error.clear();
    s.oom_killed = false;
    s.ports = published_;
    if (c_.config.healthcheck && !c_.config.healthcheck->test.empty() &&
        c_.config.healthcheck->test[0] != "NONE") {
      s.health = Health{};
    }
  });
}

std::optional<int64_t> ContainerHooks::exited(int exit_code) {
  abandon_probe();  // docker records no result for a probe the container's end cut short
  unpublish_ports(c_, published_);  // its veths went with its network namespace
  published_.clear();
  if (log_) {
    int64_t now = now_nanos();
    log_->flush_partial(monitor::LogStream::kStdout, now);
    log_->flush_partial(monitor::LogStream::kStderr, now);
  }
  bool oom = cgroup_.oom_kills().value_or(0) > oom_before_;
  int64_t ran_ms = steady_ms() - started_ms_;
  std::optional<int64_t> delay;
  update_state([&](ContainerState& s) {
    s.exit_code = exit_code;
    s.oom_killed = oom;
    s.pid = 0;
    s.pid_start_time = 0;
    s.finished_at = rfc3339_nano(now_nanos());
    s.ports.clear();
    const auto& rp = c_.host_config.restart_policy;
    bool restart = false;
    if (!s.stopped_by_user) {
      if (rp.name == "always" || rp.name == "unless-stopped") {
        restart = true;
      } else if (rp.name == "on-failure") {
        restart = exit_code != 0 &&
                  (rp.maximum_retry_count == 0 || s.restart_count < rp.maximum_retry_count);
      }
    }
    if (restart) {
      // docker's back-off: 100 ms doubling up to a minute, reset after 10 s of running.
      backoff_ms_ =
          ran_ms >= 10000 || backoff_ms_ == 0 ? 100 : std::min<int64_t>(backoff_ms_ * 2, 60000);
      delay = backoff_ms_;
      s.status = "restarting";
      s.restart_count += 1;
    } else {
      s.status = "exited";
      s.monitor_pid = 0;
      s.monitor_start_time = 0;
    }
  });
  return delay;
}

void ContainerHooks::restart_failed(const Error& error) {
  update_state([&](ContainerState& s) {
    s.status = "exited";
    s.error = error.str();
    int code = start_failure_exit(s.error);
    s.exit_code = code == 125 ? 128 : code;
    s.monitor_pid = 0;
    s.monitor_start_time = 0;
  });
}

namespace {

constexpr std::string_view kDetachedPrefix = ".removing-";

}  // namespace

Result<std::string> detach_container_record(const ContainerStore& cs, const Container& c) {
  cs.release_name(c.name, c.id);
  std::string dir = cs.dir(c.id);
  std::string hidden = fmt::format("{}/containers/{}{}", cs.root(), kDetachedPrefix, c.id);
  // ContainerStore lists and resolves only 64-hex directory names: after the rename the
  // container does not exist for any reader.
  if (::rename(dir.c_str(), hidden.c_str()) != 0) {
    if (errno == ENOENT) {
      return std::string();
    }
    return fail_errno("removing " + dir);
  }
  return hidden;
}

void remove_detached_records(const ContainerStore& cs) {
  std::string base = cs.root() + "/containers";
  DIR* d = ::opendir(base.c_str());
  if (d == nullptr) {
    return;
  }
  std::vector<std::string> hidden;
  while (struct dirent* e = ::readdir(d)) {
    if (std::string_view(e->d_name).starts_with(kDetachedPrefix)) {
      hidden.push_back(base + "/" + e->d_name);
    }
  }
  ::closedir(d);
  for (const auto& h : hidden) {
    (void)remove_tree(h);
  }
}

Result<void> remove_container_files(const ContainerStore& cs, const Container& c,
                                    bool anonymous_volumes_too) {
  BERTH_CHECK(detach_container_record(cs, c));
  (void)leave_networks(cs.root(), c);  // best effort: a lost address is found by network prune
  refresh_network_hosts(cs.root(), cs.runroot(), c.networks);
  if (anonymous_volumes_too) {
    if (auto volumes = Volumes::open(cs.root())) {
      for (const auto& name : anonymous_volumes(c, *volumes)) {
        (void)volumes->remove_unused(name, true);
      }
    }
  }
  return {};
}

}  // namespace berth::engine
