#include "network/network_record.h"

#include <gtest/gtest.h>

namespace berth::network {
namespace {

NetworkRecord sample() {
  NetworkRecord r;
  r.id = std::string(64, 'a');
  r.name = "web";
  r.created_nanos = 1700000000123456789;
  r.subnet = *make_subnet(*parse_cidr("172.18.0.0/16"), {}, *parse_cidr("172.18.5.0/24"));
  r.internal = true;
  r.labels = {{"team", "blue"}};
  r.options = {{"com.docker.network.bridge.name", "webbr"}};
  r.bridge = "webbr";
  r.endpoints["c1"] = EndpointRecord{"one", "veth1234567", "eth0", *parse_ip4("172.18.5.0")};
  return r;
}

TEST(NetworkRecord, StoredJsonRoundTrips) {
  auto r = sample();
  auto back = record_from_json(record_to_json(r), "network.json");
  ASSERT_TRUE(back) << back.error().str();
  EXPECT_EQ(back->id, r.id);
  EXPECT_EQ(back->name, "web");
  EXPECT_EQ(back->created_nanos, r.created_nanos);
  EXPECT_EQ(back->subnet.subnet, r.subnet.subnet);
  EXPECT_EQ(back->subnet.gateway, *parse_ip4("172.18.0.1"));
  EXPECT_EQ(back->subnet.ip_range, r.subnet.ip_range);
  EXPECT_TRUE(back->internal);
  EXPECT_EQ(back->labels, r.labels);
  EXPECT_EQ(back->options, r.options);
  EXPECT_EQ(back->bridge, "webbr");
  EXPECT_EQ(back->endpoints, r.endpoints);
}

TEST(NetworkRecord, AMalformedRecordIsCorruptAndNamesTheFile) {
  auto j = record_to_json(sample());
  j["Subnet"] = "172.18.0.0/40";
  auto r = record_from_json(j, "/x/network.json");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().str().find("/x/network.json"), std::string::npos);
  j.erase("Subnet");
  EXPECT_EQ(record_from_json(j, "n").error().code(), Code::kCorrupt);
}

TEST(NetworkRecord, EndpointAddressesAreUsedInAllocations) {
  auto a = sample().allocations();
  EXPECT_EQ(a.used().size(), 1u);
  EXPECT_EQ(*a.allocate(), *parse_ip4("172.18.5.1"));
}

TEST(NetworkRecord, InspectHasDockersShape) {
  auto j = inspect_json(sample());
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) {
    keys.push_back(k);
  }
  EXPECT_EQ(keys,
            (std::vector<std::string>{"Name", "Id", "Created", "Scope", "Driver", "EnableIPv6",
                                      "IPAM", "Internal", "Attachable", "Ingress", "ConfigFrom",
                                      "ConfigOnly", "Containers", "Options", "Labels"}));
  EXPECT_EQ(j["IPAM"]["Driver"], "default");
  EXPECT_EQ(j["IPAM"]["Config"][0]["Subnet"], "172.18.0.0/16");
  EXPECT_EQ(j["IPAM"]["Config"][0]["Gateway"], "172.18.0.1");
  EXPECT_EQ(j["IPAM"]["Config"][0]["IPRange"], "172.18.5.0/24");
  EXPECT_EQ(j["Containers"]["c1"]["IPv4Address"], "172.18.5.0/16");
  EXPECT_EQ(j["Containers"]["c1"]["Name"], "one");
  EXPECT_EQ(j["Scope"], "local");
  EXPECT_EQ(j["Labels"]["team"], "blue");
  EXPECT_EQ(builtin_inspect_json("host", "h")["Driver"], "host");
}

}  // namespace
}  // namespace berth::network
