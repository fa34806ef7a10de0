// Resource limits (--memory OOM, --pids-limit) and the filesystem a container gets: --read-only
// with --tmpfs, bind mounts read-write and read-only, named volumes filled from the image.
#include <sys/stat.h>

#include <filesystem>

#include "container/probe_image.h"

namespace berth::it {
namespace {

using Limits = ContainerTest;
using Filesystem = ContainerTest;

TEST_F(Limits, AMemoryLimitOomKillsWithExit137AndInspectSaysOOMKilled) {
  auto r = run({"--name", "oom", "--memory", "32m", "probe:latest", "/probe", "oom", "200"});
  EXPECT_EQ(r.exit_code, 137) << r.describe();
  EXPECT_EQ(r.out.find("done"), std::string::npos) << "the probe must not get 200 MiB";
  Json ins = inspect_container("oom");
  ASSERT_TRUE(ins.is_object());
  EXPECT_EQ(ins["State"]["Status"], "exited");
  EXPECT_EQ(ins["State"]["OOMKilled"], true) << ins["State"].dump();
  EXPECT_EQ(ins["State"]["ExitCode"], 137);
  EXPECT_EQ(ins["HostConfig"]["Memory"], 32 * 1024 * 1024);
}

TEST_F(Limits, AContainerUnderItsMemoryLimitIsNotOomKilled) {
  auto r = run({"--name", "fits", "--memory", "64m", "probe:latest", "/probe", "oom", "8"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  Json ins = inspect_container("fits");
  ASSERT_TRUE(ins.is_object());
  EXPECT_EQ(ins["State"]["OOMKilled"], false);
}

TEST_F(Limits, AMemoryReservationIsTheCgroupsSoftLimit) {
  std::string id =
      run_detached({"--name", "soft", "--memory-reservation", "48m"}, {"sleep", "30"}, "busybox");
  ASSERT_FALSE(id.empty());
  Json ins = inspect_container("soft");
  ASSERT_TRUE(ins.is_object());
  EXPECT_EQ(ins["HostConfig"]["MemoryReservation"], 48 * 1024 * 1024);
  // The memory controller of this machine is v1 (hybrid) or v2: one of the two files says it.
  std::string want = std::to_string(48 * 1024 * 1024);
  bool found = false;
  for (const auto& dir : host_trace(id).cgroups) {
    for (const char* file : {"/memory.soft_limit_in_bytes", "/memory.low"}) {
      if (path_exists(dir + file)) {
        EXPECT_EQ(read_file(dir + file), want + "\n") << dir << file;
        found = true;
      }
    }
  }
  EXPECT_TRUE(found) << "no memory cgroup of the container was found";
  auto bad = run({"--memory-reservation", "1m", "busybox", "true"});
  EXPECT_EQ(bad.exit_code, 125) << bad.describe();
  EXPECT_NE(bad.err.find("Minimum memory reservation allowed is 6MB"), std::string::npos);
}

TEST_F(Limits, APidsLimitStopsAForkBombWithEagain) {
  auto r = run({"--rm", "--pids-limit", "20", "probe:latest", "/probe", "forkbomb", "100"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  Json j = parse_json(split_lines(r.out).empty() ? "" : split_lines(r.out)[0], "forkbomb");
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["first_error"], "EAGAIN") << j.dump();
  EXPECT_LT(j["forked"].get<int>(), 20) << j.dump();
  EXPECT_GE(j["forked"].get<int>(), 10) << j.dump();
  Json rep = report({"--pids-limit", "20"});
  ASSERT_TRUE(rep.is_object());
  EXPECT_EQ(rep["pids_max"], "20");
}

TEST_F(Filesystem, AReadOnlyRootRefusesWritesWhileATmpfsIsWritable) {
  Json rep = report({"--read-only", "--tmpfs", "/scratch"});
  ASSERT_TRUE(rep.is_object());
  EXPECT_EQ(rep["root_writable"], "EROFS");
  auto tmp = run({"--rm", "--read-only", "--tmpfs", "/scratch", "probe:latest", "/probe", "write",
                  "/scratch/f", "hi"});
  EXPECT_EQ(tmp.exit_code, 0) << tmp.describe();
  EXPECT_NE(tmp.out.find("\"result\":\"ok\""), std::string::npos) << tmp.describe();
  auto etc = run({"--rm", "--read-only", "--tmpfs", "/scratch", "probe:latest", "/probe", "write",
                  "/etc/f", "hi"});
  EXPECT_EQ(etc.exit_code, 1) << etc.describe();
  EXPECT_NE(etc.out.find("\"result\":\"EROFS\""), std::string::npos) << etc.describe();
  Json plain = report();
  ASSERT_TRUE(plain.is_object());
  EXPECT_EQ(plain["root_writable"], "ok");
}

TEST_F(Filesystem, BindMountsAreWritableUnlessRo) {
  std::string host = sb().work("shared");
  std::filesystem::create_directories(host);
  write_file(host + "/in", "from host");
  auto w = run({"--rm", "-v", host + ":/data", "probe:latest", "/probe", "write", "/data/out",
                "from container"});
  EXPECT_EQ(w.exit_code, 0) << w.describe();
  EXPECT_EQ(read_file(host + "/out"), "from container");
  auto c = run({"--rm", "-v", host + ":/data:ro", "probe:latest", "/probe", "cat", "/data/in"});
  EXPECT_EQ(c.out, "from host") << c.describe();
  auto ro =
      run({"--rm", "-v", host + ":/data:ro", "probe:latest", "/probe", "write", "/data/x", "no"});
  EXPECT_EQ(ro.exit_code, 1) << ro.describe();
  EXPECT_NE(ro.out.find("EROFS"), std::string::npos) << ro.describe();
  EXPECT_FALSE(path_exists(host + "/x"));
}

TEST_F(Filesystem, ANamedVolumeIsCreatedFilledFromTheImageAndSurvivesRm) {
  auto r = run({"--name", "v1", "-v", "vol:/etc", "probe:latest", "/probe", "cat", "/etc/passwd"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("root:x:0:0:"), std::string::npos) << r.describe();
  std::string data = sb().root() + "/volumes/vol/_data";
  EXPECT_TRUE(path_exists(data + "/passwd")) << "the volume is filled from the image's /etc";
  auto w = run({"--rm", "-v", "vol:/etc", "probe:latest", "/probe", "write", "/etc/marker", "m"});
  EXPECT_EQ(w.exit_code, 0) << w.describe();
  EXPECT_TRUE(berth({"rm", "v1"}).ok());
  EXPECT_EQ(split_lines(berth({"volume", "ls", "-q"}).out), std::vector<std::string>{"vol"});
  auto again = run({"--rm", "-v", "vol:/etc", "probe:latest", "/probe", "cat", "/etc/marker"});
  EXPECT_EQ(again.out, "m") << again.describe();
  berth({"volume", "rm", "vol"});
}

}  // namespace
}  // namespace berth::it
