// Containers on user-defined bridge networks, on the real host: addresses from the network's
// subnet, TCP between containers, published ports on 127.0.0.1 and from other containers,
// egress through NAT to an "outside" network namespace the test makes (and none from an
// --internal network), refusals, and cleanup (no veth, no nftables element left).
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <set>
#include <thread>

#include "network/host_links.h"
#include "sandbox.h"

namespace berth::it {
namespace {

using std::chrono::milliseconds;

std::string nat_table() { return run_process({"nft", "list", "table", "ip", "berth"}).out; }

bool wait_for(const std::function<bool()>& pred, milliseconds timeout = milliseconds(8000)) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) {
      return true;
    }
    std::this_thread::sleep_for(milliseconds(100));
  }
  return pred();
}

class BridgeRun : public BusyboxTest {
 protected:
  void SetUp() override {
    if (geteuid() != 0) {
      GTEST_SKIP() << "needs root to create bridges and nftables rules";
    }
    for (const char* tool : {"ip", "nft", "curl"}) {
      if (!find_program(tool)) {
        GTEST_SKIP() << missing_tool_message(tool);
      }
    }
    BusyboxTest::SetUp();
    links_before_ = host_links();
  }
  void TearDown() override {
    if (!IsSkipped()) {
      for (const auto& name : containers_) {
        berth({"rm", "-f", name});
      }
      // With the containers gone, nothing may be left on the test's bridges (the host's veth
      // list as a whole also holds the other tests' containers).
      for (const auto& net : networks_) {
        std::string id = trim_copy(berth({"network", "inspect", "-f", "{{.Id}}", net}).out);
        if (id.size() == 64) {
          auto on = run_process({"ip", "-o", "link", "show", "master", "br-" + id.substr(0, 12)});
          EXPECT_EQ(on.out, "") << "links left on network " << net;
        }
        berth({"network", "rm", net});
      }
      for (const auto& l : host_links()) {
        if (!links_before_.contains(l) && l != "berth0") {
          ADD_FAILURE() << "link " << l << " was left behind";
          run_process({"ip", "link", "del", l});
        }
      }
      std::string t = nat_table();
      for (const auto& port : ports_) {
        EXPECT_EQ(t.find(" " + port + " :"), std::string::npos) << "port " << port << ":\n" << t;
      }
    }
    BusyboxTest::TearDown();
  }

  std::string network(const std::string& name, const std::vector<std::string>& flags = {}) {
    std::vector<std::string> argv = {"network", "create"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.push_back(name);
    berth_ok(argv);
    networks_.push_back(name);
    return name;
  }
  // `run -d --name NAME FLAGS... busybox CMD...`; the container is removed after the test.
  void detached(const std::string& name, const std::vector<std::string>& flags,
                const std::vector<std::string>& cmd) {
    std::vector<std::string> argv = {"run", "-d", "--pull", "never", "--name", name};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.push_back("busybox");
    argv.insert(argv.end(), cmd.begin(), cmd.end());
    containers_.push_back(name);
    berth_ok(argv);
  }
  ProcResult once(const std::vector<std::string>& flags, const std::string& script) {
    std::vector<std::string> argv = {"run", "--rm", "--pull", "never"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.insert(argv.end(), {"busybox", "sh", "-c", script});
    return berth(argv);
  }
  std::string ip_of(const std::string& name) {
    return trim_copy(berth_ok({"inspect", "-f", "{{.NetworkSettings.IPAddress}}", name}).out);
  }
  static std::string trim_copy(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
      s.pop_back();
    }
    return s;
  }

  std::set<std::string> links_before_;
  std::vector<std::string> containers_, networks_, ports_;
};

TEST_F(BridgeRun, ContainersGetAddressesOfTheSubnetAndTalkOverTcp) {
  network("bt-talk", {"--subnet", "10.123.0.0/24"});
  detached("srv", {"--network", "bt-talk", "--ip", "10.123.0.50"},
           {"sh", "-c", "while true; do echo tcp-ok | nc -l -p 7000; done"});
  EXPECT_EQ(ip_of("srv"), "10.123.0.50");
  Json ins = parse_json(berth_ok({"inspect", "srv"}).out, "inspect")[0];
  Json ep = ins["NetworkSettings"]["Networks"]["bt-talk"];
  EXPECT_EQ(ep["IPAddress"], "10.123.0.50") << ep.dump();
  EXPECT_EQ(ep["Gateway"], "10.123.0.1");
  EXPECT_EQ(ep["IPPrefixLen"], 24);
  EXPECT_EQ(ins["HostConfig"]["NetworkMode"], "bt-talk");
  auto r = once({"--network", "bt-talk"},
                "ip -4 addr show eth0 | grep -q 'inet 10.123.0.' && ip route | grep -q "
                "'default via 10.123.0.1' && grep -q \"^10.123.0.[0-9]*\t$(hostname)$\" "
                "/etc/hosts && nc 10.123.0.50 7000");
  EXPECT_EQ(r.out, "tcp-ok\n") << r.describe();
  Json net = parse_json(berth_ok({"network", "inspect", "bt-talk"}).out, "network inspect")[0];
  EXPECT_TRUE(net["Containers"].contains(ins["Id"].get<std::string>())) << net.dump();
  EXPECT_NE(berth_ok({"ps", "--format", "{{.Networks}}"}).out.find("bt-talk"), std::string::npos);
}

TEST_F(BridgeRun, ContainersResolveEachOtherByNameAliasAndShortIdAsTheyComeAndGo) {
  network("bt-names");
  network("bt-elsewhere");
  detached("db", {"--network", "bt-names", "--network-alias", "postgres"},
           {"nc", "-ll", "-p", "5432", "-e", "echo", "db-here"});
  std::string id = trim_copy(berth_ok({"inspect", "-f", "{{.Id}}", "db"}).out);
  detached("app", {"--network", "bt-names"}, {"sleep", "30"});
  auto r = once({"--network", "bt-names"},
                "nc db 5432 && nc postgres 5432 && nc " + id.substr(0, 12) + " 5432");
  EXPECT_EQ(r.out, "db-here\ndb-here\ndb-here\n") << r.describe();
  // A running container's /etc/hosts follows: app, started before the probe, names db too.
  EXPECT_EQ(berth_ok({"exec", "app", "sh", "-c", "nc db 5432"}).out, "db-here\n");
  auto other = once({"--network", "bt-elsewhere"}, "ping -c1 -W1 db");
  EXPECT_NE(other.exit_code, 0) << "db is not on that network: " << other.describe();

  berth_ok({"rm", "-f", "db"});
  auto gone = berth({"exec", "app", "ping", "-c1", "-W1", "db"});
  EXPECT_NE(gone.exit_code, 0) << "a removed container's name stops resolving: " << gone.describe();
}

TEST_F(BridgeRun, ConnectAndDisconnectARunningContainer) {
  network("bt-front");
  network("bt-back", {"--subnet", "10.125.0.0/24"});
  detached("api", {"--network", "bt-front"}, {"sleep", "30"});
  detached("store", {"--network", "bt-back"}, {"nc", "-ll", "-p", "6379", "-e", "echo", "PONG"});
  auto before = berth({"exec", "api", "sh", "-c", "nc -w 1 store 6379"});
  EXPECT_NE(before.out, "PONG\n") << "not on the same network yet: " << before.describe();

  berth_ok({"network", "connect", "--alias", "cache", "--ip", "10.125.0.77", "bt-back", "api"});
  EXPECT_EQ(
      berth_ok({"exec", "api", "sh", "-c", "ip -4 addr show eth1 | grep -o '10.125.0.77'"}).out,
      "10.125.0.77\n");
  EXPECT_EQ(berth_ok({"exec", "api", "nc", "store", "6379"}).out, "PONG\n");
  EXPECT_EQ(berth_ok({"exec", "store", "sh", "-c", "ping -c1 -W1 cache >/dev/null && echo ok"}).out,
            "ok\n")
      << "its alias on the new network resolves for the others there";
  Json nets = parse_json(
      berth_ok({"inspect", "-f", "{{json .NetworkSettings.Networks}}", "api"}).out, "networks");
  EXPECT_TRUE(nets.contains("bt-front") && nets.contains("bt-back")) << nets.dump();
  auto again = berth({"network", "connect", "bt-back", "api"});
  EXPECT_EQ(again.exit_code, 1) << again.describe();

  berth_ok({"network", "disconnect", "bt-back", "api"});
  auto after = berth({"exec", "api", "sh", "-c", "ip link show eth1"});
  EXPECT_NE(after.exit_code, 0) << "eth1 is gone: " << after.describe();
  Json net = parse_json(berth_ok({"network", "inspect", "bt-back"}).out, "network inspect")[0];
  EXPECT_EQ(net["Containers"].size(), 1u) << "only store is left: " << net.dump();
  auto not_on = berth({"network", "disconnect", "bt-back", "api"});
  EXPECT_EQ(not_on.exit_code, 1) << not_on.describe();
}

TEST_F(BridgeRun, APublishedPortAnswersOnLocalhostAndFromAnotherContainer) {
  network("bt-pub");
  ports_ = {"18391"};
  detached("web", {"--network", "bt-pub", "-p", "18391:80", "-p", "127.0.0.1::81"},
           {"sh", "-c",
            "mkdir /w && echo published > /w/i && httpd -p 81 -h /w && httpd -f -p 80 -h /w"});
  ASSERT_TRUE(wait_for([] {
    return run_process({"curl", "-s", "--max-time", "2", "http://127.0.0.1:18391/i"}).out ==
           "published\n";
  })) << "the published port does not answer on 127.0.0.1";
  EXPECT_EQ(berth_ok({"port", "web", "80"}).out, "0.0.0.0:18391\n");
  std::string any = trim_copy(berth_ok({"port", "web", "81/tcp"}).out);
  ASSERT_EQ(any.rfind("127.0.0.1:", 0), 0u) << any;
  ports_.push_back(any.substr(10));
  EXPECT_EQ(run_process({"curl", "-s", "--max-time", "2", "http://" + any + "/i"}).out,
            "published\n");
  EXPECT_NE(berth_ok({"ps", "--format", "{{.Ports}}"}).out.find("0.0.0.0:18391->80/tcp"),
            std::string::npos);
  // Another container reaches it through the host's address on its own bridge.
  network("bt-other");
  auto r = once({"--network", "bt-other"},
                "wget -q -O - http://$(ip route | awk '/default/{print $3}'):18391/i");
  EXPECT_EQ(r.out, "published\n") << r.describe();

  // The port is taken: one line, docker's words, exit 125.
  auto taken = berth({"run", "--pull", "never", "--name", "web2", "--network", "bt-pub", "-p",
                      "18391:80", "busybox", "true"});
  containers_.push_back("web2");
  EXPECT_EQ(taken.exit_code, 125) << taken.describe();
  EXPECT_NE(taken.err.find("Bind for 0.0.0.0:18391 failed: port is already allocated"),
            std::string::npos)
      << taken.describe();
  EXPECT_TRUE(is_one_line(taken.err)) << taken.describe();

  // -P: every exposed port to a free host port.
  detached("all", {"--network", "bt-pub", "-P", "--expose", "80"},
           {"sh", "-c", "mkdir /w && echo all > /w/i && httpd -f -p 80 -h /w"});
  std::string chosen = trim_copy(berth_ok({"port", "all", "80"}).out);
  ASSERT_EQ(chosen.rfind("0.0.0.0:", 0), 0u) << chosen;
  ports_.push_back(chosen.substr(8));
  EXPECT_TRUE(wait_for([&] {
    return run_process(
               {"curl", "-s", "--max-time", "2", "http://127.0.0.1:" + chosen.substr(8) + "/i"})
               .out == "all\n";
  }));

  berth_ok({"stop", "-t", "1", "web"});
  EXPECT_EQ(nat_table().find("18391"), std::string::npos)
      << "a stopped container publishes nothing";
}

TEST_F(BridgeRun, EgressGoesThroughNatButNotFromAnInternalNetwork) {
  // "Outside": a namespace of the test's own behind a veth, with a listener.
  std::string ns = "bt-out-" + std::to_string(getpid());
  ASSERT_TRUE(run_process({"ip", "netns", "add", ns}).ok());
  struct Cleanup {
    std::string ns;
    ~Cleanup() {
      run_process({"ip", "link", "del", "bt-outh"});
      run_process({"ip", "netns", "del", ns});
    }
  } cleanup{ns};
  ASSERT_TRUE(run_process({"ip", "link", "add", "bt-outh", "type", "veth", "peer", "name",
                           "bt-outn", "netns", ns})
                  .ok());
  run_process({"ip", "addr", "add", "10.251.0.1/30", "dev", "bt-outh"});
  run_process({"ip", "link", "set", "bt-outh", "up"});
  run_process({"ip", "-n", ns, "addr", "add", "10.251.0.2/30", "dev", "bt-outn"});
  run_process({"ip", "-n", ns, "link", "set", "bt-outn", "up"});
  run_process({"ip", "-n", ns, "link", "set", "lo", "up"});
  // busybox nc -ll serves every connection (its -e child says "outside"); ip netns exec execs
  // it, so the PID forked here is the listener's own, and the test ends it by that PID.
  pid_t listener = ::fork();
  ASSERT_GE(listener, 0);
  if (listener == 0) {
    ::execlp("ip", "ip", "netns", "exec", ns.c_str(), "busybox", "nc", "-ll", "-p", "7100", "-e",
             "echo", "outside", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  struct EndListener {
    pid_t pid;
    ~EndListener() {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  } end_listener{listener};
  std::this_thread::sleep_for(milliseconds(300));

  network("bt-egress");
  auto out = once({"--network", "bt-egress"}, "nc -w 3 10.251.0.2 7100");
  EXPECT_EQ(out.out, "outside\n") << out.describe();
  // The outside saw the host's address, not the container's (masquerade).
  network("bt-internal", {"--internal"});
  auto in = once({"--network", "bt-internal"}, "nc -w 2 10.251.0.2 7100; echo rc=$?");
  EXPECT_EQ(in.out.find("outside"), std::string::npos) << in.describe();
}

// docker's default: no --network is the default bridge (berth0), shared by every store root on
// the host, so its addresses are leased host-wide.
TEST_F(BridgeRun, WithoutNetworkFlagsContainersAreOnTheDefaultBridgeAcrossStoreRoots) {
  ports_ = {"18392"};
  detached("plain", {"-p", "18392:80"},
           {"sh", "-c", "mkdir /w && echo default-bridge > /w/i && httpd -f -p 80 -h /w"});
  EXPECT_TRUE(wait_for([] {
    return run_process({"curl", "-s", "--max-time", "2", "http://127.0.0.1:18392/i"}).out ==
           "default-bridge\n";
  }));
  Json ins = parse_json(berth_ok({"inspect", "plain"}).out, "inspect")[0];
  EXPECT_EQ(ins["HostConfig"]["NetworkMode"], "bridge");
  std::string mine = ins["NetworkSettings"]["Networks"]["bridge"]["IPAddress"];
  EXPECT_EQ(mine.rfind("172.17.", 0), 0u) << ins["NetworkSettings"].dump();

  // Another store root on the same host gets another address on the same device.
  std::string other_root = sb().new_root("second");
  ASSERT_FALSE(sb().make_busybox("busybox:latest", other_root).empty());
  auto theirs = sb().berth_at(other_root, {"run", "--rm", "--pull", "never", "busybox", "sh", "-c",
                                           "ip -4 addr show eth0 | grep -o '172[.0-9]*/'"});
  ASSERT_TRUE(theirs.ok()) << theirs.describe();
  EXPECT_NE(theirs.out, mine + "/\n") << "two roots, one address";
  auto egress = once({}, "ip route | grep -q 'default via 172.17.0.1' && echo routed");
  EXPECT_EQ(egress.out, "routed\n") << egress.describe();
  auto by_name = once({}, "ping -c1 -W1 plain");
  EXPECT_NE(by_name.exit_code, 0) << "docker's default bridge resolves no names: "
                                  << by_name.describe();
}

TEST_F(BridgeRun, ContainerModeJoinsTheOtherContainersNetworkNamespace) {
  network("bt-shared");
  detached("owner", {"--network", "bt-shared"},
           {"nc", "-ll", "-p", "9000", "-e", "echo", "shared"});
  std::string ip = ip_of("owner");
  auto r = once({"--network", "container:owner"},
                "nc 127.0.0.1 9000 && ip -4 addr show eth0 | grep -o 'inet [0-9.]*'");
  EXPECT_EQ(r.out, "shared\ninet " + ip + "\n") << r.describe();
  auto stopped =
      berth({"run", "--pull", "never", "--network", "container:bt-nosuch", "busybox", "true"});
  EXPECT_EQ(stopped.exit_code, 125) << stopped.describe();
  EXPECT_TRUE(is_one_line(stopped.err)) << stopped.describe();
}

TEST_F(BridgeRun, BadNetworkRequestsAreOneLineAndLeaveNoContainer) {
  auto unknown = berth({"run", "--pull", "never", "--network", "bt-nosuch", "busybox", "true"});
  EXPECT_EQ(unknown.exit_code, 125) << unknown.describe();
  EXPECT_NE(unknown.err.find("network bt-nosuch not found"), std::string::npos)
      << unknown.describe();
  network("bt-bad", {"--subnet", "10.124.0.0/24"});
  auto outside = berth(
      {"run", "--pull", "never", "--network", "bt-bad", "--ip", "10.99.0.5", "busybox", "true"});
  EXPECT_EQ(outside.exit_code, 125) << outside.describe();
  EXPECT_TRUE(is_one_line(outside.err)) << outside.describe();
  auto ip_on_none = berth(
      {"run", "--pull", "never", "--ip", "10.124.0.5", "--network", "none", "busybox", "true"});
  EXPECT_NE(ip_on_none.err.find("user specified IP address is supported on user defined "
                                "networks only"),
            std::string::npos)
      << ip_on_none.describe();
  EXPECT_EQ(berth_ok({"ps", "-aq"}).out, "") << "nothing half-made";

  detached("holder", {"--network", "bt-bad"}, {"sleep", "30"});
  auto busy = berth({"network", "rm", "bt-bad"});
  EXPECT_EQ(busy.exit_code, 1) << busy.describe();
  EXPECT_NE(busy.err.find("has active endpoints"), std::string::npos) << busy.describe();
  berth_ok({"rm", "-f", "holder"});
  berth_ok({"network", "rm", "bt-bad"});
  networks_.clear();
  EXPECT_EQ(nat_table().find("10.124.0.0"), std::string::npos) << nat_table();
}

}  // namespace
}  // namespace berth::it
