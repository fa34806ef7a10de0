// NetworkRecord: what berth stores for one network (<root>/networks/<id>/network.json) and the
// docker-shaped JSON of `network inspect`. Pure data and conversions; no files, no kernel.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "base/error.h"
#include "base/json.h"
#include "network/ipam.h"

namespace berth::network {

// One container connected to the network.
struct EndpointRecord {
  std::string container_name;
  std::string host_link;  // host end of the veth pair; "" until attached
  std::string ifname;     // "eth0", …
  Ip4 address = 0;
  bool operator==(const EndpointRecord&) const = default;
};

struct NetworkRecord {
  std::string id;    // 64 hex
  std::string name;  // unique
  std::string driver = "bridge";
  int64_t created_nanos = 0;
  Subnet subnet;
  bool internal = false;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> options;       // --opt, as given
  std::string bridge;                               // Linux bridge device
  std::map<std::string, EndpointRecord> endpoints;  // by container id

  // The addresses in use: every endpoint's (the gateway is reserved by Allocations itself).
  Allocations allocations() const;
};

// The stored form (berth's own field names; stable across versions).
Json record_to_json(const NetworkRecord& r);
// Corrupt naming `what` for a missing or malformed field.
Result<NetworkRecord> record_from_json(const Json& j, std::string_view what);

// docker's `network inspect` object: Name, Id, Created, Scope, Driver, EnableIPv6, IPAM,
// Internal, Attachable, Ingress, ConfigFrom, ConfigOnly, Containers, Options, Labels.
Json inspect_json(const NetworkRecord& r);

// The two networks docker lists besides bridges, which have no record and no device.
Json builtin_inspect_json(std::string_view name, std::string_view id);

}  // namespace berth::network
