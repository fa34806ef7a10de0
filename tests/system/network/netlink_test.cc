// Netlink and bridge endpoints against the real kernel. Every test runs in a forked child that
// unshared its own network namespace, so the host never sees the links the tests make; the
// namespace (and everything in it) vanishes with the child.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "network/bridge.h"
#include "network/netlink.h"
#include "system/network/netns_child.h"

namespace berth::network {
namespace {

void skip_unless_root() {
  if (geteuid() != 0) {
    GTEST_SKIP() << "needs root to create network namespaces";
  }
}

ino_t netns_inode(const char* path) {
  struct stat st {};
  return ::stat(path, &st) == 0 ? st.st_ino : 0;
}

TEST(Netlink, CreatesABridgeAndVethPairAndEnslavesRenamesAndDeletesThem) {
  skip_unless_root();
  if (IsSkipped()) {
    return;
  }
  auto err = in_private_netns([]() -> std::string {
    auto nl = CHILD_TRY(Netlink::open());
    CHILD_CHECK(nl.create_bridge("bt-br0"));
    CHILD_CHECK(nl.create_veth("bt-va", "bt-vb", 1400));
    int br = CHILD_TRY(nl.link_index("bt-br0"));
    int va = CHILD_TRY(nl.link_index("bt-va"));
    CHILD_CHECK(nl.set_master(va, br));
    CHILD_CHECK(nl.set_up(br, true));
    CHILD_CHECK(nl.set_mtu(va, 1300));
    CHILD_CHECK(nl.rename(va, "bt-renamed"));
    auto l = CHILD_TRY(nl.get_link("bt-renamed"));
    CHILD_EXPECT(l.index == va && l.kind == "veth" && l.master == br && l.mtu == 1300);
    CHILD_EXPECT(CHILD_TRY(nl.get_link("bt-br0")).up);
    CHILD_EXPECT(CHILD_TRY(nl.get_link("bt-br0")).kind == "bridge");
    CHILD_EXPECT(CHILD_TRY(nl.get_link("bt-vb")).mtu == 1400);
    auto again = nl.create_bridge("bt-br0");
    CHILD_EXPECT(!again && again.error().code() == Code::kConflict);
    CHILD_EXPECT(again.error().str().find("bt-br0") != std::string::npos);
    CHILD_CHECK(nl.delete_link(va));  // takes its peer along
    auto gone = nl.link_index("bt-vb");
    CHILD_EXPECT(!gone && gone.error().code() == Code::kNotFound);
    CHILD_CHECK(nl.delete_link(br));
    auto links = CHILD_TRY(nl.list_links());
    CHILD_EXPECT(links.size() == 1 && links[0].name == "lo");
    return "";
  });
  EXPECT_EQ(err, "");
}

TEST(Netlink, AddsAndListsAddressesAndRoutes) {
  skip_unless_root();
  if (IsSkipped()) {
    return;
  }
  auto err = in_private_netns([]() -> std::string {
    auto nl = CHILD_TRY(Netlink::open());
    CHILD_CHECK(nl.create_bridge("bt-br1"));
    int br = CHILD_TRY(nl.link_index("bt-br1"));
    Ip4 gw = *parse_ip4("10.77.0.1");
    CHILD_CHECK(nl.add_address(br, gw, 24));
    CHILD_CHECK(nl.set_up(br, true));
    auto addrs = CHILD_TRY(nl.list_addresses(br));
    CHILD_EXPECT(addrs.size() == 1 && addrs[0].base == gw && addrs[0].prefix == 24);
    CHILD_EXPECT(nl.add_address(br, gw, 24).error().code() == Code::kConflict);
    CHILD_CHECK(nl.add_default_route(*parse_ip4("10.77.0.254")));
    auto routes = CHILD_TRY(nl.list_routes());
    bool subnet = false, def = false;
    for (const auto& r : routes) {
      subnet = subnet || r.str() == "10.77.0.0/24";
      def = def || r.str() == "0.0.0.0/0";
    }
    CHILD_EXPECT(subnet && def);
    CHILD_CHECK(nl.delete_address(br, gw, 24));
    CHILD_EXPECT(CHILD_TRY(nl.list_addresses(br)).empty());
    return "";
  });
  EXPECT_EQ(err, "");
}

TEST(Netlink, RefusesOverlongLinkNamesBeforeAskingTheKernel) {
  auto nl = Netlink::open();
  ASSERT_TRUE(nl) << nl.error().str();
  auto r = nl->create_bridge("a-name-longer-than-15");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
}

// In the child: the current namespace plays the host; a second one, left through setns, plays
// the container, reachable only through its fd.
std::string make_container_netns(UniqueFd* host, UniqueFd* container) {
  host->reset(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (unshare(CLONE_NEWNET) != 0) {
    return "second unshare failed";
  }
  container->reset(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!host->valid() || !container->valid() || setns(host->get(), CLONE_NEWNET) != 0) {
    return "could not switch back to the first namespace";
  }
  return "";
}

// Connects from inside netns_fd to ip:port with a thread that enters the namespace; the
// result is 0 on success or the errno.
int connect_from(int netns_fd, Ip4 ip, uint16_t port) {
  int result = -1;
  std::thread t([&] {
    if (setns(netns_fd, CLONE_NEWNET) != 0) {
      result = errno;
      return;
    }
    UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(ip);
    result = ::connect(s.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) == 0 ? 0 : errno;
  });
  t.join();
  return result;
}

TEST(Bridge, AttachedContainerReachesAListenerOnTheGateway) {
  skip_unless_root();
  if (IsSkipped()) {
    return;
  }
  auto err = in_private_netns([]() -> std::string {
    UniqueFd host, ctr;
    if (auto e = make_container_netns(&host, &ctr); !e.empty()) {
      return e;
    }
    ino_t before = netns_inode("/proc/thread-self/ns/net");
    Ip4 gw = *parse_ip4("10.78.0.1");
    CHILD_CHECK(create_bridge_network("bt-br2", gw, 16));
    UniqueFd lst(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_addr.s_addr = htonl(gw);
    socklen_t len = sizeof at;
    CHILD_EXPECT(::bind(lst.get(), reinterpret_cast<sockaddr*>(&at), sizeof at) == 0);
    CHILD_EXPECT(::listen(lst.get(), 4) == 0);
    CHILD_EXPECT(::getsockname(lst.get(), reinterpret_cast<sockaddr*>(&at), &len) == 0);
    AttachRequest req{ctr.get(), "bt-br2", "eth0", *parse_ip4("10.78.0.2"), 16, gw, true, 0};
    auto ep = CHILD_TRY(attach(req));
    CHILD_EXPECT(netns_inode("/proc/thread-self/ns/net") == before);
    int rc = connect_from(ctr.get(), gw, ntohs(at.sin_port));
    CHILD_EXPECT(rc == 0);
    // Inside: eth0 with the address and a default route via the gateway.
    auto inside = CHILD_TRY(Netlink::open_in(ctr.get()));
    auto eth0 = CHILD_TRY(inside.get_link("eth0"));
    CHILD_EXPECT(eth0.up && eth0.kind == "veth");
    auto addrs = CHILD_TRY(inside.list_addresses(eth0.index));
    CHILD_EXPECT(addrs.size() == 1 && format_ip4(addrs[0].base) == "10.78.0.2");
    auto nl = CHILD_TRY(Netlink::open());
    auto host_end = CHILD_TRY(nl.get_link(ep.host_link));
    CHILD_EXPECT(host_end.master == CHILD_TRY(nl.link_index("bt-br2")) && host_end.up);
    CHILD_CHECK(detach(ep));
    CHILD_EXPECT(!nl.link_index(ep.host_link));
    CHILD_EXPECT(!inside.link_index("eth0"));
    CHILD_CHECK(detach(ep));  // idempotent
    CHILD_CHECK(delete_bridge_network("bt-br2"));
    CHILD_EXPECT(!nl.link_index("bt-br2"));
    CHILD_CHECK(delete_bridge_network("bt-br2"));
    return "";
  });
  EXPECT_EQ(err, "");
}

TEST(Bridge, AFailedAttachLeavesNoVethBehind) {
  skip_unless_root();
  if (IsSkipped()) {
    return;
  }
  auto err = in_private_netns([]() -> std::string {
    UniqueFd host, ctr;
    if (auto e = make_container_netns(&host, &ctr); !e.empty()) {
      return e;
    }
    Ip4 gw = *parse_ip4("10.79.0.1");
    CHILD_CHECK(create_bridge_network("bt-br3", gw, 24));
    // The default route's gateway is unreachable from a /32 address: the last step fails.
    AttachRequest req{
        ctr.get(), "bt-br3", "eth0", *parse_ip4("10.79.0.2"), 32, *parse_ip4("10.99.0.1"), true, 0};
    auto ep = attach(req);
    CHILD_EXPECT(!ep);
    CHILD_EXPECT(ep.error().str().find("bt-br3") != std::string::npos);
    auto nl = CHILD_TRY(Netlink::open());
    CHILD_EXPECT(CHILD_TRY(nl.list_links()).size() == 2);  // lo and the bridge
    auto inside = CHILD_TRY(Netlink::open_in(ctr.get()));
    CHILD_EXPECT(CHILD_TRY(inside.list_links()).size() == 1);  // lo
    auto taken = create_bridge_network("bt-br3", gw, 24);
    CHILD_EXPECT(!taken && taken.error().code() == Code::kConflict);
    CHILD_CHECK(ensure_bridge_network("bt-br3", gw, 24));
    return "";
  });
  EXPECT_EQ(err, "");
}

}  // namespace
}  // namespace berth::network
