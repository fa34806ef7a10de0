// Shared pieces of the container integration tests: a probe image (busybox plus the static
// probe binary at /probe), tagged also as busybox:latest, per test in a private store; helpers
// that run containers, read `container inspect`, wait for states, and look for what a container
// leaves on the host (mounts, cgroup directories, processes).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "sandbox.h"

namespace berth::it {

// docker's default capability set (CapEff/CapBnd of a default container).
inline constexpr unsigned long long kDockerDefaultCaps = 0x00000000a80425fbULL;

// What of one container can be seen on the host.
struct HostTrace {
  std::vector<std::string> mounts;   // /proc/self/mountinfo lines naming the container's ID
  std::vector<std::string> cgroups;  // cgroup directories whose name holds the ID
  std::vector<pid_t> pids;           // processes whose /proc/PID/cgroup names the ID
  bool empty() const { return mounts.empty() && cgroups.empty() && pids.empty(); }
  std::string describe() const;
};
HostTrace host_trace(const std::string& id);

// True when a process with this PID exists and is not a zombie.
bool process_alive(pid_t pid);
// The PPid line of /proc/PID/status, or -1.
pid_t parent_of(pid_t pid);

// Polls `pred` every 50 ms until it holds or `timeout` passes; returns its last value.
bool eventually(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A started `berth` command that keeps running in the background (fork/exec, output in files).
// The destructor SIGKILLs it by PID and reaps it.
class BackgroundBerth {
 public:
  BackgroundBerth(const Sandbox& sb, const std::vector<std::string>& args);
  ~BackgroundBerth();
  BackgroundBerth(const BackgroundBerth&) = delete;
  BackgroundBerth& operator=(const BackgroundBerth&) = delete;
  pid_t pid() const { return pid_; }
  // SIGKILL and reap; returns the wait status.
  int kill_and_reap();
  std::string out() const;

 private:
  pid_t pid_ = -1;
  std::string out_path_;
};

class ContainerTest : public SandboxTest {
 protected:
  void SetUp() override;
  // rm -f of every container the store lists, so no test leaves a running container behind.
  void TearDown() override;

  // Imports the probe rootfs as `ref` with docker's PATH, CMD ["sh"] and `changes` (Dockerfile
  // lines for import --change); returns the image ID ("" after recording a failure).
  std::string import_probe(const std::string& ref, const std::vector<std::string>& changes = {});
  // `berth run ARGS...` with a 60 s timeout.
  ProcResult run(const std::vector<std::string>& args);
  // `run -d FLAGS... probe:latest CMD...` → the full ID ("" after recording a failure).
  std::string run_detached(const std::vector<std::string>& flags,
                           const std::vector<std::string>& cmd,
                           const std::string& image = "probe:latest");
  // `run --rm FLAGS... probe:latest /probe report` parsed (null after recording a failure).
  Json report(const std::vector<std::string>& flags = {});
  // The one object of `container inspect NAME` (null after recording a failure).
  Json inspect_container(const std::string& name);
  // True when `container inspect NAME` succeeds.
  bool container_exists(const std::string& name) {
    return berth({"container", "inspect", name}).ok();
  }
  // .State.Status, or "" when inspect fails.
  std::string status_of(const std::string& name);
  // Waits until .State.Status == status.
  bool wait_status(const std::string& name, const std::string& status,
                   std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // `berth wait NAME`: the exit code it prints, or -1.
  int wait_exit(const std::string& name);
  // `ps -a -q --no-trunc` lines.
  std::vector<std::string> all_ids();
  // Directories under <root>/containers.
  std::vector<std::string> container_dirs();
  std::string container_dir(const std::string& id) { return sb().root() + "/containers/" + id; }

  std::string probe_id_;
};

}  // namespace berth::it
