// Healthchecks run by the monitor: --health-* flags and the image's HEALTHCHECK, the states
// docker reports (starting → healthy → unhealthy), timeouts, and a probe that takes its time
// without holding up the container's output or the notice of its exit.
#include <chrono>
#include <thread>

#include "container/probe_image.h"

namespace berth::it {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class Health : public ContainerTest {
 protected:
  // State.Health of the container (null when it has none).
  Json health_json(const std::string& name) {
    Json ins = inspect_container(name);
    if (!ins.is_object() || !ins["State"].contains("Health")) {
      return nullptr;
    }
    return ins["State"]["Health"];
  }
  std::string health_status(const std::string& name) {
    Json h = health_json(name);
    return h.is_object() ? h["Status"].get<std::string>() : "";
  }
};

TEST_F(Health, StartingThenHealthyThenUnhealthyAfterRetriesFail) {
  ASSERT_FALSE(run_detached({"--name", "hc", "--health-cmd", "test ! -e /tmp/sick",
                             "--health-interval", "300ms", "--health-retries", "2"},
                            {"sleep", "60"})
                   .empty());
  EXPECT_EQ(health_status("hc"), "starting") << "no probe has run yet";
  EXPECT_NE(berth({"ps"}).out.find("(health: starting)"), std::string::npos);

  ASSERT_TRUE(eventually([&] { return health_status("hc") == "healthy"; }))
      << health_json("hc").dump();
  EXPECT_NE(berth({"ps"}).out.find("(healthy)"), std::string::npos);
  Json h = health_json("hc");
  EXPECT_EQ(h["FailingStreak"], 0);
  ASSERT_FALSE(h["Log"].empty());
  EXPECT_EQ(h["Log"].back()["ExitCode"], 0);

  auto sick = berth({"exec", "hc", "touch", "/tmp/sick"});
  ASSERT_TRUE(sick.ok()) << sick.describe();
  ASSERT_TRUE(eventually([&] { return health_status("hc") == "unhealthy"; }))
      << health_json("hc").dump();
  h = health_json("hc");
  EXPECT_GE(h["FailingStreak"].get<int>(), 2);
  EXPECT_EQ(h["Log"].back()["ExitCode"], 1);
  EXPECT_NE(berth({"ps"}).out.find("(unhealthy)"), std::string::npos);

  // The log keeps the last five results only.
  ASSERT_TRUE(eventually([&] { return health_json("hc")["FailingStreak"].get<int>() >= 6; }));
  EXPECT_EQ(health_json("hc")["Log"].size(), 5u);
}

TEST_F(Health, TheImagesHealthcheckRunsWithoutFlags) {
  // docker's import takes no HEALTHCHECK change: the image is built.
  std::string ctx = sb().work("hc-context");
  write_file(ctx + "/Dockerfile",
             "FROM probe:latest\nHEALTHCHECK --interval=300ms CMD [\"/probe\", \"exit\", \"0\"]\n");
  auto built = berth({"build", "-q", "-t", "probe:hc", ctx});
  ASSERT_TRUE(built.ok()) << built.describe();
  ASSERT_FALSE(run_detached({"--name", "img"}, {"sleep", "60"}, "probe:hc").empty());
  EXPECT_TRUE(eventually([&] { return health_status("img") == "healthy"; }))
      << health_json("img").dump();

  // --no-healthcheck turns it off: no Health at all.
  ASSERT_FALSE(
      run_detached({"--name", "off", "--no-healthcheck"}, {"sleep", "60"}, "probe:hc").empty());
  std::this_thread::sleep_for(milliseconds(800));
  Json ins = inspect_container("off");
  ASSERT_TRUE(ins.is_object());
  EXPECT_FALSE(ins["State"].contains("Health")) << ins["State"].dump();
}

TEST_F(Health, AProbeOverItsTimeoutCountsAsAFailure) {
  ASSERT_FALSE(run_detached({"--name", "slow", "--health-cmd", "sleep 20", "--health-interval",
                             "200ms", "--health-timeout", "500ms", "--health-retries", "1"},
                            {"sleep", "60"})
                   .empty());
  ASSERT_TRUE(eventually([&] { return health_status("slow") == "unhealthy"; }))
      << health_json("slow").dump();
  Json last = health_json("slow")["Log"].back();
  EXPECT_EQ(last["ExitCode"], -1);
  EXPECT_EQ(last["Output"], "Health check exceeded timeout (500ms)") << last.dump();
}

TEST_F(Health, ARunningProbeHoldsUpNeitherOutputNorExit) {
  // The probe sleeps for 30 s from 200 ms on; the container writes at 1 s and exits at 2 s.
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_FALSE(run_detached({"--name", "busy", "--health-cmd", "sleep 30", "--health-interval",
                             "200ms", "--health-timeout", "60s"},
                            {"sh", "-c", "sleep 1; echo late; sleep 1; exit 3"})
                   .empty());
  EXPECT_TRUE(eventually(
      [&] {
        return berth({"logs", "busy"}).out == "late\n";
      },
      seconds(5)))
      << "output written while a probe runs reaches the log";
  auto w = berth({"wait", "busy"});
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(w.out, "3\n") << w.describe();
  EXPECT_LT(took, seconds(10)) << "the exit is noticed while the probe still sleeps";
  EXPECT_EQ(health_status("busy"), "starting") << "the cut-short probe records nothing";
}

}  // namespace
}  // namespace berth::it
