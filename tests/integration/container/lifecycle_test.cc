// Restart policies, stop (STOPSIGNAL, then SIGKILL after the timeout), a monitor that outlives
// the CLI, and cleanup: nothing of a container stays on the host after rm, --rm or a failed start.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

#include "container/probe_image.h"

namespace berth::it {
namespace {

using Restart = ContainerTest;
using Stop = ContainerTest;
using Monitor = ContainerTest;
using Cleanup = ContainerTest;

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST_F(Restart, OnFailureRestartsUpToTheCountThenStaysExited) {
  std::string id =
      run_detached({"--name", "rs", "--restart", "on-failure:2"}, {"/probe", "exit", "1"});
  ASSERT_FALSE(id.empty());
  bool done = eventually(
      [&] {
        Json s = inspect_container("rs");
        return s.is_object() && s["RestartCount"] == 2 && s["State"]["Status"] == "exited";
      },
      seconds(20));
  Json ins = inspect_container("rs");
  ASSERT_TRUE(ins.is_object());
  EXPECT_TRUE(done) << ins["State"].dump() << " RestartCount " << ins["RestartCount"];
  EXPECT_EQ(ins["RestartCount"], 2);
  EXPECT_EQ(ins["State"]["ExitCode"], 1);
  EXPECT_EQ(ins["HostConfig"]["RestartPolicy"],
            (Json{{"Name", "on-failure"}, {"MaximumRetryCount", 2}}));
}

TEST_F(Restart, AlwaysDoesNotBringBackAStoppedContainer) {
  std::string id =
      run_detached({"--name", "ra", "--restart", "always"}, {"/probe", "sleep", "60", "--trap"});
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(wait_status("ra", "running"));
  auto s = berth({"stop", "-t", "2", "ra"});
  EXPECT_TRUE(s.ok()) << s.describe();
  EXPECT_EQ(s.out, "ra\n");
  std::this_thread::sleep_for(milliseconds(1500));
  Json ins = inspect_container("ra");
  ASSERT_TRUE(ins.is_object());
  EXPECT_EQ(ins["State"]["Status"], "exited");
  EXPECT_EQ(ins["RestartCount"], 0);
}

TEST_F(Stop, StopSendsSigtermAndTheTrappingProbeExitsAtOnce) {
  ASSERT_FALSE(run_detached({"--name", "st"}, {"/probe", "sleep", "60", "--trap"}).empty());
  ASSERT_TRUE(eventually([&] {
    return berth({"logs", "st"}).out.find("ready") != std::string::npos;
  }));
  auto t0 = std::chrono::steady_clock::now();
  auto s = berth({"stop", "-t", "5", "st"});
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(s.ok()) << s.describe();
  EXPECT_LT(took, seconds(4)) << "the probe exits on SIGTERM: no need to wait for the timeout";
  EXPECT_EQ(wait_exit("st"), 0);
  EXPECT_EQ(berth({"logs", "st"}).out, "ready\ngot SIGTERM\n");
}

TEST_F(Stop, StopKillsAfterTheTimeoutWhenTheSignalIsIgnored) {
  // As PID 1 without a handler, the kernel drops SIGTERM: only SIGKILL ends it.
  ASSERT_FALSE(run_detached({"--name", "sk"}, {"/probe", "sleep", "60"}).empty());
  ASSERT_TRUE(wait_status("sk", "running"));
  auto t0 = std::chrono::steady_clock::now();
  auto s = berth({"stop", "-t", "1", "sk"});
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(s.ok()) << s.describe();
  EXPECT_GE(took, milliseconds(900));
  EXPECT_LT(took, seconds(5));
  Json ins = inspect_container("sk");
  ASSERT_TRUE(ins.is_object());
  EXPECT_EQ(ins["State"]["Status"], "exited");
  EXPECT_EQ(ins["State"]["ExitCode"], 137);
}

TEST_F(Stop, TheStopSignalFlagChoosesTheSignal) {
  ASSERT_FALSE(run_detached({"--name", "su", "--stop-signal", "SIGUSR1"},
                            {"/probe", "signals", "--ignore", "SIGTERM"})
                   .empty());
  ASSERT_TRUE(eventually([&] { return !berth({"logs", "su"}).out.empty(); }));
  auto s = berth({"stop", "-t", "5", "su"});
  EXPECT_TRUE(s.ok()) << s.describe();
  EXPECT_EQ(wait_exit("su"), 0);
  auto lines = split_lines(berth({"logs", "su"}).out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1], "SIGUSR1");
  EXPECT_EQ(inspect_container("su")["Config"]["StopSignal"], "SIGUSR1");
}

TEST_F(Stop, TheImagesStopSignalIsUsed) {
  ASSERT_FALSE(import_probe("usr1:latest", {"STOPSIGNAL SIGUSR1"}).empty());
  ASSERT_FALSE(
      run_detached({"--name", "si"}, {"/probe", "signals", "--ignore", "SIGTERM"}, "usr1:latest")
          .empty());
  ASSERT_TRUE(eventually([&] { return !berth({"logs", "si"}).out.empty(); }));
  EXPECT_EQ(inspect_container("si")["Config"]["StopSignal"], "SIGUSR1");
  auto s = berth({"stop", "-t", "5", "si"});
  EXPECT_TRUE(s.ok()) << s.describe();
  EXPECT_EQ(wait_exit("si"), 0);
  auto lines = split_lines(berth({"logs", "si"}).out);
  ASSERT_EQ(lines.size(), 2u) << berth({"logs", "si"}).out;
  EXPECT_EQ(lines[1], "SIGUSR1");
}

TEST_F(Monitor, KillingTheForegroundCliDoesNotStopTheContainer) {
  BackgroundBerth cli(sb(), {"run", "--name", "fg", "probe:latest", "/probe", "sleep", "30"});
  ASSERT_TRUE(wait_status("fg", "running")) << cli.out();
  int status = cli.kill_and_reap();
  EXPECT_TRUE(WIFSIGNALED(status));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(status_of("fg"), "running");
  auto ps = berth({"ps", "--format", "{{.Names}} {{.Status}}"});
  EXPECT_EQ(ps.out.rfind("fg Up", 0), 0u) << ps.describe();
}

TEST_F(Monitor, KillingTheMonitorLeavesATruthfulContainerThatRmCleans) {
  std::string id = run_detached({"--name", "mk"}, {"/probe", "sleep", "30"});
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(wait_status("mk", "running"));
  pid_t init = inspect_container("mk")["State"]["Pid"].get<pid_t>();
  pid_t monitor = parent_of(init);
  ASSERT_GT(monitor, 1) << "the container's init should have the monitor as its parent";
  ASSERT_EQ(::kill(monitor, SIGKILL), 0);
  ASSERT_TRUE(eventually([&] { return !process_alive(monitor); }));
  EXPECT_TRUE(process_alive(init));
  auto ps = berth({"ps", "--format", "{{.Names}} {{.Status}}"});
  EXPECT_EQ(ps.out.rfind("mk Up", 0), 0u) << ps.describe();
  ASSERT_EQ(::kill(init, SIGKILL), 0);
  EXPECT_TRUE(eventually([&] {
    auto p = berth({"ps", "-a", "--format", "{{.Names}} {{.Status}}"});
    return p.out.rfind("mk Exited", 0) == 0;
  })) << berth({"ps", "-a"}).describe();
  auto rm = berth({"rm", "-f", "mk"});
  EXPECT_TRUE(rm.ok()) << rm.describe();
  HostTrace t = host_trace(id);
  EXPECT_TRUE(t.empty()) << t.describe();
  EXPECT_FALSE(path_exists(container_dir(id)));
}

TEST_F(Cleanup, RmForceOfARunningContainerLeavesNoMountCgroupProcessOrFile) {
  std::string id = run_detached({"--name", "rf"}, {"/probe", "sleep", "30"});
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(wait_status("rf", "running"));
  pid_t init = inspect_container("rf")["State"]["Pid"].get<pid_t>();
  pid_t monitor = parent_of(init);
  HostTrace during = host_trace(id);
  EXPECT_FALSE(during.mounts.empty()) << "the running container's rootfs should be mounted";
  EXPECT_FALSE(during.cgroups.empty()) << "the running container should have a cgroup";
  auto rm = berth({"rm", "-f", "rf"});
  EXPECT_TRUE(rm.ok()) << rm.describe();
  EXPECT_EQ(rm.out, "rf\n");
  HostTrace after = host_trace(id);
  EXPECT_TRUE(after.empty()) << after.describe();
  EXPECT_FALSE(process_alive(init));
  EXPECT_TRUE(eventually([&] { return !process_alive(monitor); }, seconds(3)));
  EXPECT_FALSE(path_exists(container_dir(id)));
  EXPECT_TRUE(all_ids().empty());
}

TEST_F(Cleanup, RunRmLeavesNothingBehind) {
  std::string id = run_detached({"--rm", "--name", "gone"}, {"/probe", "sleep", "0.2"});
  ASSERT_FALSE(id.empty());
  EXPECT_TRUE(eventually([&] { return !path_exists(container_dir(id)); }))
      << "--rm should remove the container after it exits";
  HostTrace t = host_trace(id);
  EXPECT_TRUE(t.empty()) << t.describe();
  EXPECT_TRUE(all_ids().empty());

  auto fg = run({"--rm", "--cidfile", sb().work("cid"), "probe:latest", "/probe", "exit", "4"});
  EXPECT_EQ(fg.exit_code, 4) << fg.describe();
  std::string fid = read_file(sb().work("cid"));
  ASSERT_EQ(fid.size(), 64u);
  HostTrace ft = host_trace(fid);
  EXPECT_TRUE(ft.empty()) << ft.describe();
  EXPECT_FALSE(path_exists(container_dir(fid)));
}

TEST_F(Cleanup, AFailedStartLeavesNoMountCgroupOrProcess) {
  auto r = run({"--name", "bad", "probe:latest", "/nonexistent"});
  EXPECT_EQ(r.exit_code, 127) << r.describe();
  Json ins = inspect_container("bad");
  ASSERT_TRUE(ins.is_object());
  std::string id = ins.value("Id", "");
  HostTrace t = host_trace(id);
  EXPECT_TRUE(t.empty()) << t.describe();
  auto rm = berth({"rm", "bad"});
  EXPECT_TRUE(rm.ok()) << rm.describe();
  EXPECT_FALSE(path_exists(container_dir(id)));
}

}  // namespace
}  // namespace berth::it
