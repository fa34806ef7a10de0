// berth's nftables table against the real kernel, in a private network namespace per test:
// the fixed rules exist once however often they are set up, networks and published ports are
// set elements that come and go, a taken port is refused, and a published port carries a real
// TCP connection from 127.0.0.1.
#include "network/nat.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <thread>

#include <gtest/gtest.h>

#include "network/netlink.h"
#include "system/network/netns_child.h"

namespace berth::network {
namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

#define SKIP_UNLESS_ROOT_FOR_NAT()                                          \
  if (geteuid() != 0) {                                                     \
    GTEST_SKIP() << "needs root to create network namespaces and nftables"; \
  }

TEST(Nat, TheTableIsMadeOnceAndNetworksAreElementsThatComeAndGo) {
  SKIP_UNLESS_ROOT_FOR_NAT();
  auto err = in_private_netns([]() -> std::string {
    CHILD_EXPECT(CHILD_TRY(list_nat_table()).empty());
    CHILD_CHECK(ensure_nat_table());
    CHILD_CHECK(ensure_nat_table());
    std::string t = CHILD_TRY(list_nat_table());
    if (count(t, "masquerade") != 3 || count(t, "jump publish") != 2) {
      return "each fixed rule once, but the table is:\n" + t;
    }

    auto nl = CHILD_TRY(Netlink::open());
    CHILD_CHECK(nl.create_bridge("bt-nat0"));
    CHILD_CHECK(nl.create_bridge("bt-nat1"));
    NetworkNat open{"bt-nat0", *parse_cidr("10.91.0.0/24"), false};
    NetworkNat internal{"bt-nat1", *parse_cidr("10.92.0.0/24"), true};
    CHILD_CHECK(add_network_nat(open));
    CHILD_CHECK(add_network_nat(internal));
    CHILD_CHECK(add_network_nat(open));  // idempotent
    t = CHILD_TRY(list_nat_table());
    CHILD_EXPECT(count(t, "\"bt-nat0\"") == 1);  // in bridges
    CHILD_EXPECT(count(t, "\"bt-nat1\"") == 2);  // in bridges and internal
    CHILD_EXPECT(t.find("10.91.0.0/24") != std::string::npos);
    CHILD_EXPECT(t.find("10.92.0.0/24") == std::string::npos);  // internal: no masquerade
    CHILD_EXPECT(CHILD_TRY(read_file("/proc/sys/net/ipv4/ip_forward")) == "1\n");
    CHILD_EXPECT(CHILD_TRY(read_file("/proc/sys/net/ipv4/conf/bt-nat0/route_localnet")) == "1\n");

    CHILD_CHECK(remove_network_nat(open));
    CHILD_CHECK(remove_network_nat(internal));
    CHILD_CHECK(remove_network_nat(internal));  // gone already: fine
    t = CHILD_TRY(list_nat_table());
    CHILD_EXPECT(t.find("bt-nat") == std::string::npos);
    CHILD_EXPECT(t.find("10.91.0.0") == std::string::npos);
    return "";
  });
  EXPECT_EQ(err, "");
}

// Connects to 127.0.0.1:port and reads what the other side says; "" when that fails.
std::string read_from_port(uint16_t port) {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    char buf[64];
    ssize_t n = ::read(s, buf, sizeof buf);
    out.assign(buf, n > 0 ? static_cast<size_t>(n) : 0);
  }
  ::close(s);
  return out;
}

TEST(Nat, APublishedPortCarriesConnectionsFromLocalhostAndATakenPortIsRefused) {
  SKIP_UNLESS_ROOT_FOR_NAT();
  auto err = in_private_netns([]() -> std::string {
    auto nl = CHILD_TRY(Netlink::open());
    CHILD_CHECK(nl.set_up(CHILD_TRY(nl.link_index("lo")), true));
    CHILD_CHECK(nl.create_bridge("bt-nat2"));
    int br = CHILD_TRY(nl.link_index("bt-nat2"));
    Ip4 target = *parse_ip4("10.93.0.2");  // stands in for a container: an address on the bridge
    CHILD_CHECK(nl.add_address(br, target, 24));
    CHILD_CHECK(nl.set_up(br, true));
    CHILD_CHECK(add_network_nat({"bt-nat2", *parse_cidr("10.93.0.0/24"), false}));

    int l = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(80);
    a.sin_addr.s_addr = htonl(target);
    CHILD_EXPECT(::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    CHILD_EXPECT(::listen(l, 4) == 0);
    std::thread server([l] {
      int c = ::accept(l, nullptr, nullptr);
      (void)!::write(c, "published\n", 10);
      ::close(c);
    });
    PortNat p{"tcp", 0, 18080, target, 80};
    CHILD_CHECK(add_port_nat(p));
    std::string got = read_from_port(18080);
    server.join();
    ::close(l);
    CHILD_EXPECT(got == "published\n");

    PortNat other{"tcp", 0, 18080, *parse_ip4("10.93.0.3"), 80};
    auto taken = add_port_nat(other);
    CHILD_EXPECT(!taken && taken.error().code() == Code::kConflict);
    CHILD_CHECK(add_port_nat({"udp", 0, 18080, target, 53}));  // udp is another port
    CHILD_CHECK(add_port_nat({"tcp", *parse_ip4("127.0.0.1"), 18081, target, 80}));

    CHILD_CHECK(remove_port_nat(p));
    CHILD_CHECK(remove_port_nat(p));
    CHILD_CHECK(remove_port_nat({"udp", 0, 18080, target, 53}));
    CHILD_CHECK(remove_port_nat({"tcp", *parse_ip4("127.0.0.1"), 18081, target, 80}));
    std::string t = CHILD_TRY(list_nat_table());
    CHILD_EXPECT(t.find("18080") == std::string::npos && t.find("18081") == std::string::npos);
    auto bad = add_port_nat({"sctp", 0, 1, target, 1});
    CHILD_EXPECT(!bad && bad.error().code() == Code::kInvalidArgument);
    return "";
  });
  EXPECT_EQ(err, "");
}

}  // namespace
}  // namespace berth::network
