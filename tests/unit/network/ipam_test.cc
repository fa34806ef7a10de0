#include "network/ipam.h"

#include <gtest/gtest.h>

namespace berth::network {
namespace {

Cidr cidr(const char* s) { return *parse_cidr(s); }
Ip4 ip(const char* s) { return *parse_ip4(s); }

TEST(Ipam, ParsesAndPrintsAddressesAndPrefixes) {
  EXPECT_EQ(format_ip4(ip("172.18.0.1")), "172.18.0.1");
  EXPECT_EQ(cidr("10.0.0.0/8").str(), "10.0.0.0/8");
  EXPECT_EQ(cidr("0.0.0.0/0").last(), ip("255.255.255.255"));
  EXPECT_EQ(cidr("192.168.16.0/20").last(), ip("192.168.31.255"));
}

TEST(Ipam, RefusesMalformedAddressesWithOneLineNamingThem) {
  for (const char* bad : {"1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.x", "01.2.3.4", ""}) {
    auto r = parse_ip4(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().str().find(bad), std::string::npos) << r.error().str();
  }
  for (const char* bad : {"10.0.0.0", "10.0.0.0/33", "10.0.0.0/", "10.0.0/8", "10.0.0.0/x"}) {
    EXPECT_FALSE(parse_cidr(bad)) << bad;
  }
}

TEST(Ipam, HostBitsInASubnetAreAnErrorUnlessNotStrict) {
  auto r = parse_cidr("172.18.0.5/16");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("172.18.0.0/16"), std::string::npos);
  EXPECT_EQ(parse_cidr("172.18.0.5/16", false)->str(), "172.18.0.0/16");
}

TEST(Ipam, OverlapIsSymmetricAndCoversContainment) {
  EXPECT_TRUE(cidr("10.0.0.0/8").overlaps(cidr("10.1.0.0/16")));
  EXPECT_TRUE(cidr("10.1.0.0/16").overlaps(cidr("10.0.0.0/8")));
  EXPECT_FALSE(cidr("10.1.0.0/16").overlaps(cidr("10.2.0.0/16")));
  EXPECT_TRUE(cidr("192.168.0.0/20").contains(cidr("192.168.15.0/24")));
  EXPECT_FALSE(cidr("192.168.0.0/20").contains(cidr("192.168.16.0/24")));
}

TEST(Ipam, GatewayDefaultsToTheFirstHostAndMustBeAHostOfTheSubnet) {
  EXPECT_EQ(make_subnet(cidr("10.5.0.0/24"), {}, {})->gateway, ip("10.5.0.1"));
  EXPECT_EQ(make_subnet(cidr("10.5.0.0/24"), ip("10.5.0.254"), {})->gateway, ip("10.5.0.254"));
  for (const char* g : {"10.6.0.1", "10.5.0.0", "10.5.0.255"}) {
    auto r = make_subnet(cidr("10.5.0.0/24"), ip(g), {});
    ASSERT_FALSE(r) << g;
    EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
  }
  EXPECT_FALSE(make_subnet(cidr("10.5.0.0/24"), {}, cidr("10.6.0.0/28")));
  EXPECT_FALSE(make_subnet(cidr("10.5.0.0/31"), {}, {}));
}

TEST(Ipam, AllocationHandsOutTheLowestFreeHostSkippingTheGateway) {
  Allocations a(*make_subnet(cidr("10.5.0.0/29"), {}, {}));
  EXPECT_EQ(*a.allocate(), ip("10.5.0.2"));
  EXPECT_EQ(*a.allocate(), ip("10.5.0.3"));
  a.release(ip("10.5.0.2"));
  EXPECT_EQ(*a.allocate(), ip("10.5.0.2"));
  EXPECT_EQ(*a.allocate(), ip("10.5.0.4"));
  EXPECT_EQ(*a.allocate(), ip("10.5.0.5"));
  EXPECT_EQ(*a.allocate(), ip("10.5.0.6"));
  auto full = a.allocate();  // .7 is the broadcast address
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code(), Code::kUnavailable);
}

TEST(Ipam, AllocationStaysInsideTheIpRange) {
  Allocations a(*make_subnet(cidr("10.5.0.0/24"), {}, cidr("10.5.0.128/30")));
  EXPECT_EQ(*a.allocate(), ip("10.5.0.128"));
  EXPECT_EQ(*a.allocate(), ip("10.5.0.129"));
  EXPECT_EQ(*a.allocate(), ip("10.5.0.130"));
  EXPECT_EQ(*a.allocate(), ip("10.5.0.131"));
  EXPECT_FALSE(a.allocate());
}

TEST(Ipam, RequestedAddressesAreCheckedAgainstSubnetGatewayAndUse) {
  Allocations a(*make_subnet(cidr("10.5.0.0/24"), {}, {}));
  EXPECT_TRUE(a.reserve(ip("10.5.0.50")));
  EXPECT_EQ(a.reserve(ip("10.5.0.50")).error().code(), Code::kConflict);
  EXPECT_EQ(a.reserve(ip("10.5.0.1")).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(a.reserve(ip("10.5.1.2")).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(a.reserve(ip("10.5.0.255")).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(*a.allocate(), ip("10.5.0.2"));
  EXPECT_EQ(a.used().size(), 2u);
}

TEST(Ipam, DefaultPoolFollowsDockersOrder) {
  auto pool = default_pool();
  ASSERT_EQ(pool.size(), 15u + 16u);
  EXPECT_EQ(pool.front().str(), "172.17.0.0/16");
  EXPECT_EQ(pool[1].str(), "172.18.0.0/16");
  EXPECT_EQ(pool[14].str(), "172.31.0.0/16");
  EXPECT_EQ(pool[15].str(), "192.168.0.0/20");
  EXPECT_EQ(pool.back().str(), "192.168.240.0/20");
}

TEST(Ipam, PickingASubnetSkipsTakenOnesAndHostRoutesButNotTheDefaultRoute) {
  EXPECT_EQ(pick_subnet({}, false)->str(), "172.17.0.0/16");
  EXPECT_EQ(pick_subnet({}, true)->str(), "172.18.0.0/16");
  std::vector<Cidr> taken{cidr("0.0.0.0/0"), cidr("172.18.0.0/16"), cidr("172.19.5.0/24")};
  EXPECT_EQ(pick_subnet(taken, true)->str(), "172.20.0.0/16");
  std::vector<Cidr> all{cidr("172.16.0.0/12"), cidr("192.168.0.0/17")};
  EXPECT_EQ(pick_subnet(all, true)->str(), "192.168.128.0/20");
  all.push_back(cidr("192.168.0.0/16"));
  auto none = pick_subnet(all, true);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), Code::kUnavailable);
}

}  // namespace
}  // namespace berth::network
