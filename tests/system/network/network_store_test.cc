// NetworkStore against the real kernel, each test in a forked child with its own network
// namespace and a temporary store root, both gone when the child is.
#include "network/network_store.h"

#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <set>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "base/fs.h"
#include "network/netlink.h"
#include "system/network/netns_child.h"

namespace berth::network {
namespace {

bool has_link(const std::string& name) {
  auto nl = Netlink::open();
  return nl && nl->link_index(name).has_value();
}

#define SKIP_UNLESS_ROOT()                                     \
  if (geteuid() != 0) {                                        \
    GTEST_SKIP() << "needs root to create network namespaces"; \
  }

TEST(NetworkStore, DefaultBridgeIsMadeOnFirstUseWithDockersSubnet) {
  SKIP_UNLESS_ROOT();
  auto err = in_private_netns_with_root([](const std::string& root) -> std::string {
    auto store = CHILD_TRY(NetworkStore::open(root));
    auto all = CHILD_TRY(store.list());
    CHILD_EXPECT(all.size() == 1 && all[0].name == "bridge" && all[0].bridge == "berth0");
    CHILD_EXPECT(all[0].subnet.subnet.str() == "172.17.0.0/16");
    CHILD_EXPECT(has_link("berth0"));
    CHILD_EXPECT(CHILD_TRY(store.list()).size() == 1);
    CHILD_EXPECT(!store.remove("bridge"));
    // Another store root shares the device: it takes its subnet and adds no address.
    for (int i = 0; i < 3; ++i) {
      auto other = CHILD_TRY(NetworkStore::open(root + "/other" + std::to_string(i)));
      auto theirs = CHILD_TRY(other.list());
      CHILD_EXPECT(theirs.size() == 1 && theirs[0].subnet.subnet.str() == "172.17.0.0/16");
    }
    auto nl = CHILD_TRY(Netlink::open());
    CHILD_EXPECT(CHILD_TRY(nl.list_addresses(CHILD_TRY(nl.link_index("berth0")))).size() == 1);
    return "";
  });
  EXPECT_EQ(err, "");
}

TEST(NetworkStore, CreatesFindsAndRemovesNetworksWithTheirBridges) {
  SKIP_UNLESS_ROOT();
  auto err = in_private_netns_with_root([](const std::string& root) -> std::string {
    auto store = CHILD_TRY(NetworkStore::open(root));
    auto a = CHILD_TRY(store.create(CreateRequest{.name = "alpha"}));
    CHILD_EXPECT(a.id.size() == 64 && a.bridge == "br-" + a.id.substr(0, 12));
    CHILD_EXPECT(a.subnet.subnet.str() == "172.18.0.0/16");
    CHILD_EXPECT(has_link(a.bridge));
    CreateRequest b{.name = "beta", .subnet = "10.50.0.0/24", .gateway = "10.50.0.254"};
    b.options[kBridgeNameOption] = "bt-beta";
    auto made = CHILD_TRY(store.create(b));
    CHILD_EXPECT(made.bridge == "bt-beta" && has_link("bt-beta"));
    CHILD_EXPECT(CHILD_TRY(store.find("beta")).id == made.id);
    CHILD_EXPECT(CHILD_TRY(store.find(made.id.substr(0, 6))).name == "beta");
    CHILD_EXPECT(store.find("gamma").error().code() == Code::kNotFound);
    CHILD_EXPECT(store.remove("beta").has_value());
    CHILD_EXPECT(!has_link("bt-beta"));
    CHILD_EXPECT(CHILD_TRY(store.list()).size() == 2);
    return "";
  });
  EXPECT_EQ(err, "");
}

TEST(NetworkStore, BadRequestsLeaveNoBridgeAndNoRecord) {
  SKIP_UNLESS_ROOT();
  auto err = in_private_netns_with_root([](const std::string& root) -> std::string {
    auto store = CHILD_TRY(NetworkStore::open(root));
    CHILD_TRY(store.create(CreateRequest{.name = "one", .subnet = "10.60.0.0/16"}));
    auto taken = store.create(CreateRequest{.name = "one", .subnet = "10.61.0.0/16"});
    CHILD_EXPECT(!taken && taken.error().code() == Code::kConflict);
    auto overlap = store.create(CreateRequest{.name = "two", .subnet = "10.60.5.0/24"});
    CHILD_EXPECT(!overlap && overlap.error().str().find("overlaps") != std::string::npos);
    auto gw = store.create(
        CreateRequest{.name = "three", .subnet = "10.62.0.0/24", .gateway = "10.63.0.1"});
    CHILD_EXPECT(!gw && gw.error().code() == Code::kInvalidArgument);
    auto driver = store.create(CreateRequest{.name = "four", .driver = "overlay"});
    CHILD_EXPECT(!driver);
    // A bridge name already used by a link: the create fails and removes nothing else.
    CreateRequest clash{.name = "five", .subnet = "10.64.0.0/24"};
    clash.options[kBridgeNameOption] = "berth0";
    CHILD_EXPECT(!store.create(clash));
    CHILD_EXPECT(has_link("berth0"));
    CHILD_EXPECT(CHILD_TRY(store.list()).size() == 2);
    auto nl = CHILD_TRY(Netlink::open());
    CHILD_EXPECT(CHILD_TRY(nl.list_links()).size() == 3);  // lo, berth0, br-<one>
    return "";
  });
  EXPECT_EQ(err, "");
}

TEST(NetworkStore, ANetworkWithEndpointsCannotBeRemovedUntilReleased) {
  SKIP_UNLESS_ROOT();
  auto err = in_private_netns_with_root([](const std::string& root) -> std::string {
    auto store = CHILD_TRY(NetworkStore::open(root));
    CHILD_TRY(store.create(CreateRequest{.name = "n", .subnet = "10.70.0.0/24"}));
    for (const char* c : {"c1", "c2"}) {  // live containers have a directory
      CHILD_CHECK(mkdir_p(root + "/containers/" + c));
    }
    auto ep = CHILD_TRY(store.allocate("n", "c1", "one", std::nullopt));
    CHILD_EXPECT(format_ip4(ep.address) == "10.70.0.2");
    auto fixed = CHILD_TRY(store.allocate("n", "c2", "two", "10.70.0.9"));
    CHILD_EXPECT(format_ip4(fixed.address) == "10.70.0.9");
    CHILD_EXPECT(store.allocate("n", "c3", "three", "10.70.0.9").error().code() == Code::kConflict);
    CHILD_EXPECT(store.allocate("n", "c1", "one", std::nullopt).error().code() == Code::kConflict);
    auto busy = store.remove("n");
    CHILD_EXPECT(!busy && busy.error().str().find("active endpoints") != std::string::npos);
    CHILD_EXPECT(store.release("n", "c1").has_value());
    CHILD_EXPECT(store.release("n", "c2").has_value());
    CHILD_EXPECT(store.release("n", "c2").has_value());
    // A container removed by a berth that died before releasing its address: stale.
    CHILD_TRY(store.allocate("n", "gone", "gone", std::nullopt));
    CHILD_EXPECT(store.remove("n").has_value());
    return "";
  });
  EXPECT_EQ(err, "");
}

TEST(NetworkStore, ConcurrentProcessesNeverGetTheSameAddress) {
  SKIP_UNLESS_ROOT();
  auto err = in_private_netns_with_root([](const std::string& root) -> std::string {
    auto store = CHILD_TRY(NetworkStore::open(root));
    CHILD_TRY(store.create(CreateRequest{.name = "n", .subnet = "10.71.0.0/24"}));
    constexpr int kProcs = 4, kEach = 10;
    std::vector<pid_t> pids;
    for (int p = 0; p < kProcs; ++p) {
      pid_t pid = fork();
      if (pid == 0) {
        auto s = NetworkStore::open(root);
        for (int i = 0; s && i < kEach; ++i) {
          if (!s->allocate("n", fmt::format("p{}-{}", p, i), "x", std::nullopt)) {
            _exit(1);
          }
        }
        _exit(s ? 0 : 1);
      }
      pids.push_back(pid);
    }
    for (pid_t pid : pids) {
      int status = 0;
      waitpid(pid, &status, 0);
      CHILD_EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    auto n = CHILD_TRY(store.find("n"));
    std::set<Ip4> seen;
    for (const auto& [id, ep] : n.endpoints) {
      seen.insert(ep.address);
    }
    CHILD_EXPECT(n.endpoints.size() == kProcs * kEach && seen.size() == n.endpoints.size());
    return "";
  });
  EXPECT_EQ(err, "");
}

}  // namespace
}  // namespace berth::network
