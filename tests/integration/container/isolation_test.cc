// What a process inside a default (and a loosened) container sees, through `probe report`.
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>

#include "container/probe_image.h"

namespace berth::it {
namespace {

using Isolation = ContainerTest;

unsigned long long hex_caps(const Json& report, const std::string& key) {
  return std::strtoull(report["status"].value(key, "").c_str(), nullptr, 16);
}

// The host's value of a Cap* line of /proc/self/status.
unsigned long long host_caps(const std::string& key) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) == 0) {
      return std::strtoull(line.substr(key.size() + 1).c_str(), nullptr, 16);
    }
  }
  return 0;
}

std::set<std::string> mount_targets(const Json& report) {
  std::set<std::string> out;
  for (const auto& m : report["mounts"]) {
    out.insert(m.value("target", ""));
  }
  return out;
}

// The options of the last mount on `target` ("" when none).
std::string mount_options(const Json& report, const std::string& target) {
  std::string opts;
  for (const auto& m : report["mounts"]) {
    if (m.value("target", "") == target) {
      opts = m.value("options", "");
    }
  }
  return opts;
}

TEST_F(Isolation, TheProbeIsPidOneAndSeesNoHostProcess) {
  Json r = report();
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["pid"], 1);
  EXPECT_EQ(r["ppid"], 0);
  EXPECT_LE(r["pids"].get<int>(), 2) << "only the probe (and a child of its own) may be visible";
  for (const std::string ns : {"pid", "mnt", "uts", "ipc", "net", "cgroup"}) {
    char host[256] = {};
    ASSERT_GT(::readlink(("/proc/self/ns/" + ns).c_str(), host, sizeof(host) - 1), 0);
    EXPECT_NE(r["namespaces"].value(ns, ""), std::string(host)) << ns << " is the host's";
  }
  // docker's default network: the default bridge's veth next to loopback; none: loopback only.
  EXPECT_EQ(r["net_ifaces"], Json::array({"lo", "eth0"}));
  Json none = report({"--network", "none"});
  ASSERT_TRUE(none.is_object());
  EXPECT_EQ(none["net_ifaces"], Json::array({"lo"}));
}

TEST_F(Isolation, TheHostnameIsTheFirstTwelveCharactersOfTheIdUnlessGiven) {
  auto r = run({"--name", "named", "probe:latest", "/probe", "report"});
  ASSERT_TRUE(r.ok()) << r.describe();
  Json rep = parse_json(r.out, "report");
  Json ins = inspect_container("named");
  ASSERT_TRUE(ins.is_object());
  std::string id = ins.value("Id", "");
  ASSERT_EQ(id.size(), 64u);
  EXPECT_EQ(rep["hostname"], id.substr(0, 12));
  EXPECT_EQ(rep["env"].value("HOSTNAME", ""), id.substr(0, 12));
  Json given = report({"--hostname", "myhost"});
  ASSERT_TRUE(given.is_object());
  EXPECT_EQ(given["hostname"], "myhost");
  EXPECT_EQ(given["env"].value("HOSTNAME", ""), "myhost");
}

TEST_F(Isolation, ADefaultContainerHasDockersCapabilitiesSeccompAndNoMount) {
  Json r = report();
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(hex_caps(r, "CapEff"), kDockerDefaultCaps) << r["status"].dump();
  EXPECT_EQ(hex_caps(r, "CapPrm"), kDockerDefaultCaps) << r["status"].dump();
  EXPECT_EQ(hex_caps(r, "CapBnd"), kDockerDefaultCaps) << r["status"].dump();
  EXPECT_EQ(hex_caps(r, "CapInh"), 0u);
  EXPECT_EQ(hex_caps(r, "CapAmb"), 0u);
  EXPECT_EQ(r["status"]["Seccomp"], "2");
  EXPECT_EQ(r["status"]["NoNewPrivs"], "0");
  const Json& a = r["attempts"];
  EXPECT_EQ(a["mount_tmpfs"], "EPERM");
  EXPECT_EQ(a["unshare_mnt"], "EPERM");
  EXPECT_EQ(a["unshare_user"], "EPERM");
  EXPECT_EQ(a["keyctl_join"], "EPERM");
  EXPECT_EQ(a["reboot"], "EPERM");
  EXPECT_EQ(a["sethostname"], "EPERM");
  EXPECT_EQ(a["write_sys"], "EROFS");
  EXPECT_EQ(a["write_proc_hostname"], "EROFS");
  EXPECT_EQ(a["chroot"], "ok") << "CAP_SYS_CHROOT is in docker's default set";
  EXPECT_EQ(a["raw_socket"], "ok") << "CAP_NET_RAW is in docker's default set";
}

TEST_F(Isolation, CapDropAndCapAddChangeTheEffectiveAndBoundingSets) {
  Json dropped = report({"--cap-drop", "NET_RAW", "--cap-drop", "SYS_CHROOT"});
  ASSERT_TRUE(dropped.is_object());
  unsigned long long want = kDockerDefaultCaps & ~((1ULL << 13) | (1ULL << 18));
  EXPECT_EQ(hex_caps(dropped, "CapEff"), want) << dropped["status"].dump();
  EXPECT_EQ(hex_caps(dropped, "CapBnd"), want) << dropped["status"].dump();
  EXPECT_EQ(dropped["attempts"]["raw_socket"], "EPERM");
  EXPECT_EQ(dropped["attempts"]["chroot"], "EPERM");

  Json added = report({"--cap-add", "SYS_ADMIN"});
  ASSERT_TRUE(added.is_object());
  EXPECT_EQ(hex_caps(added, "CapEff"), kDockerDefaultCaps | (1ULL << 21));
  EXPECT_EQ(added["attempts"]["sethostname"], "ok");

  Json none = report({"--cap-drop", "ALL"});
  ASSERT_TRUE(none.is_object());
  EXPECT_EQ(hex_caps(none, "CapEff"), 0u);
  EXPECT_EQ(hex_caps(none, "CapBnd"), 0u);
}

TEST_F(Isolation, PrivilegedGetsEveryCapabilityAndNoSeccompFilter) {
  Json r = report({"--privileged"});
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(hex_caps(r, "CapEff"), host_caps("CapBnd")) << r["status"].dump();
  EXPECT_EQ(hex_caps(r, "CapBnd"), host_caps("CapBnd")) << r["status"].dump();
  EXPECT_EQ(r["status"]["Seccomp"], "0");
  EXPECT_EQ(r["attempts"]["mount_tmpfs"], "ok");
  EXPECT_EQ(r["attempts"]["write_sys"], "ok") << "docker mounts /sys read-write when privileged";
}

TEST_F(Isolation, NoNewPrivilegesSetsTheFlag) {
  Json r = report({"--security-opt", "no-new-privileges"});
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["status"]["NoNewPrivs"], "1");
  Json t = report({"--security-opt", "no-new-privileges:true"});
  ASSERT_TRUE(t.is_object());
  EXPECT_EQ(t["status"]["NoNewPrivs"], "1");
}

TEST_F(Isolation, SeccompUnconfinedAllowsKeyctlAndUnshareThatTheDefaultProfileBlocks) {
  Json r = report({"--security-opt", "seccomp=unconfined"});
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["status"]["Seccomp"], "0");
  EXPECT_EQ(r["attempts"]["keyctl_join"], "ok");
  EXPECT_EQ(r["attempts"]["unshare_user"], "ok");
  EXPECT_EQ(r["attempts"]["unshare_mnt"], "EPERM") << "still no CAP_SYS_ADMIN";
}

TEST_F(Isolation, DevHoldsOnlyTheStandardDevices) {
  Json r = report();
  ASSERT_TRUE(r.is_object());
  std::map<std::string, std::string> devs;
  for (const auto& d : r["devices"]) {
    devs[d.value("name", "")] =
        d.value("type", "") + d.value("dev", "") + " " + d.value("mode", "");
  }
  std::map<std::string, std::string> want = {
      {"full", "c1:7 0666"},   {"null", "c1:3 0666"}, {"pts/ptmx", "c5:2 0666"},
      {"random", "c1:8 0666"}, {"tty", "c5:0 0666"},  {"urandom", "c1:9 0666"},
      {"zero", "c1:5 0666"},
  };
  EXPECT_EQ(devs, want) << r["devices"].dump();
  auto targets = mount_targets(r);
  for (const std::string t : {"/dev", "/dev/pts", "/dev/shm", "/dev/mqueue"}) {
    EXPECT_TRUE(targets.count(t)) << t << " is not mounted";
  }
}

TEST_F(Isolation, ProcAndSysAreMaskedAndReadOnlyAsDockerDoes) {
  Json r = report();
  ASSERT_TRUE(r.is_object());
  auto targets = mount_targets(r);
  EXPECT_NE(mount_options(r, "/sys").find("ro"), std::string::npos) << "/sys must be read-only";
  // docker masks these when they exist on the host.
  for (const std::string p :
       {"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
        "/sys/devices/virtual/powercap"}) {
    if (path_exists(p)) {
      EXPECT_TRUE(targets.count(p)) << p << " is not masked";
    }
  }
  for (const std::string p :
       {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}) {
    if (path_exists(p)) {
      EXPECT_EQ(mount_options(r, p).rfind("ro", 0), 0u) << p << " is not read-only";
    }
  }
  const Json& a = r["attempts"];
  if (path_exists("/proc/kcore")) {
    EXPECT_EQ(a["kcore"], "ok");
    EXPECT_EQ(a["kcore_size"], 0);
  } else {
    EXPECT_EQ(a["kcore"], "ENOENT");
  }
}

}  // namespace
}  // namespace berth::it
