// `berth network create|ls|inspect|rm|prune` on the real host: bridges appear and go, docker's
// output shapes, refusals exit 1 leaving nothing half-made. Every link a test makes (br-*,
// berth0, the names it chose) is deleted after it, and the test checks that it was berth that
// deleted the ones it should have.
#include <unistd.h>

#include <set>

#include "network/host_links.h"
#include "sandbox.h"

namespace berth::it {
namespace {

class NetworkTest : public SandboxTest {
 protected:
  void SetUp() override {
    if (geteuid() != 0) {
      GTEST_SKIP() << "needs root to create bridges";
    }
    if (!find_program("ip")) {
      GTEST_SKIP() << missing_tool_message("ip");
    }
    SandboxTest::SetUp();
    before_ = host_links();
  }
  void TearDown() override {
    if (!IsSkipped()) {
      // The default bridge outlives commands by design; anything else new is a leak.
      for (const auto& l : host_links()) {
        if (!before_.contains(l)) {
          if (l != "berth0") {
            ADD_FAILURE() << "link " << l << " was left behind";
          }
          run_process({"ip", "link", "del", l});
        }
      }
    }
    SandboxTest::TearDown();
  }
  std::string create(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"network", "create"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = berth_ok(argv);
    EXPECT_EQ(r.out.size(), 65u) << r.describe();
    return r.out.substr(0, 64);
  }
  Json inspect_network(const std::string& name) {
    auto r = berth_ok({"network", "inspect", name});
    Json j = parse_json(r.out, "network inspect");
    return j.is_array() && j.size() == 1 ? j[0] : Json();
  }
  void expect_daemon_error(const std::vector<std::string>& args, const std::string& message) {
    auto links = host_links();
    auto r = berth(args);
    EXPECT_EQ(r.exit_code, 1) << r.describe();
    EXPECT_TRUE(is_one_line(r.err)) << r.describe();
    EXPECT_NE(r.err.find(message), std::string::npos) << r.describe();
    EXPECT_EQ(host_links(), links) << "a refused command changed the host's links";
  }
  std::set<std::string> before_;
};

TEST_F(NetworkTest, CreateMakesABridgeThatInspectAndLsShowAndRmDeletes) {
  std::string id = create({"--subnet", "10.213.0.0/24", "--label", "team=blue", "bt-one"});
  std::string dev = "br-" + id.substr(0, 12);
  EXPECT_TRUE(host_links().contains(dev));
  Json j = inspect_network("bt-one");
  EXPECT_EQ(j["Id"], id);
  EXPECT_EQ(j["Driver"], "bridge");
  EXPECT_EQ(j["Scope"], "local");
  EXPECT_EQ(j["IPAM"]["Config"][0]["Subnet"], "10.213.0.0/24");
  EXPECT_EQ(j["IPAM"]["Config"][0]["Gateway"], "10.213.0.1");
  EXPECT_EQ(j["Labels"]["team"], "blue");
  auto addr = run_process({"ip", "-o", "-4", "addr", "show", "dev", dev});
  EXPECT_NE(addr.out.find("10.213.0.1/24"), std::string::npos) << addr.describe();

  auto ls = berth_ok({"network", "ls"});
  auto rows = parse_table(ls.out, {"NETWORK ID", "NAME", "DRIVER", "SCOPE"});
  std::set<std::string> names;
  for (const auto& row : rows) {
    names.insert(row.at("NAME"));
  }
  EXPECT_EQ(names, (std::set<std::string>{"bridge", "bt-one", "host", "none"})) << ls.out;
  EXPECT_EQ(berth_ok({"network", "ls", "-q", "--filter", "name=bt-"}).out, id.substr(0, 12) + "\n");
  EXPECT_EQ(berth_ok({"network", "ls", "-q", "--no-trunc", "-f", "label=team=blue"}).out,
            id + "\n");
  EXPECT_EQ(berth_ok({"network", "inspect", "-f", "{{.Name}}", id.substr(0, 8)}).out, "bt-one\n");

  EXPECT_EQ(berth_ok({"network", "rm", "bt-one"}).out, "bt-one\n");
  EXPECT_FALSE(host_links().contains(dev));
  expect_daemon_error({"network", "inspect", "bt-one"}, "network bt-one not found");
}

TEST_F(NetworkTest, RefusalsExitOneAndLeaveNoBridge) {
  create({"--subnet", "10.214.0.0/16", "bt-a"});
  expect_daemon_error({"network", "create", "--subnet", "10.215.0.0/16", "bt-a"},
                      "network with name bt-a already exists");
  expect_daemon_error({"network", "create", "--subnet", "10.214.3.0/24", "bt-b"}, "overlaps");
  expect_daemon_error(
      {"network", "create", "--subnet", "10.216.0.0/24", "--gateway", "10.217.0.1", "bt-c"},
      "10.217.0.1");
  expect_daemon_error({"network", "rm", "bt-nope"}, "network bt-nope not found");
  expect_daemon_error({"network", "rm", "host"}, "pre-defined");
  EXPECT_EQ(berth_ok({"network", "ls", "-q", "-f", "name=bt-"}).out.size(), 13u);
  berth_ok({"network", "rm", "bt-a"});
}

TEST_F(NetworkTest, PruneRemovesUnusedUserNetworksOnly) {
  create({"--subnet", "10.218.0.0/24", "bt-p1"});
  create({"--subnet", "10.218.1.0/24", "--label", "keep", "bt-p2"});
  auto r = berth_ok({"network", "prune", "-f", "--filter", "label!=keep"});
  EXPECT_EQ(r.out, "Deleted Networks:\nbt-p1\n\n");
  EXPECT_EQ(berth_ok({"network", "prune", "-f"}).out, "Deleted Networks:\nbt-p2\n\n");
  EXPECT_EQ(berth_ok({"network", "prune", "-f"}).out, "");
  EXPECT_NE(berth_ok({"network", "inspect", "bridge"}).out.find("berth0"), std::string::npos);
}

}  // namespace
}  // namespace berth::it
