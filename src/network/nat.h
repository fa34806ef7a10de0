// berth's NAT and filtering for bridge networks, in one nftables table, `ip berth`, that berth
// alone owns. Its rules are fixed; what changes as networks and containers come and go are the
// elements of its sets and maps, added and deleted by key, so nothing ever needs a rule handle:
//
//   set bridges       every berth bridge device
//   set masq          the subnets of networks with egress: masqueraded when leaving through a
//                     device that is not a berth bridge (docker's POSTROUTING MASQUERADE)
//   set internal      bridges of --internal networks: nothing forwarded in or out of them
//   map tcp_any/udp_any        host port → container address . port (-p 8080:80)
//   map tcp_addr/udp_addr      host address . host port → container address . port (-p IP:…)
//
// Published ports are DNAT in prerouting (from outside and from containers) and output (the
// host's own connections, 127.0.0.1 included: the bridge then needs route_localnet, and such
// connections and hairpins are masqueraded). Every call is one atomic nft transaction and is
// idempotent; all block on netlink.
#pragma once

#include <cstdint>
#include <string>

#include "base/error.h"
#include "network/ipam.h"

namespace berth::network {

// Creates the table, its sets, maps and rules if missing (the rules are rewritten each time,
// atomically, so two berth processes racing here leave one copy).
Result<void> ensure_nat_table();

// A bridge network's part: the bridge into `bridges`, and its subnet into `masq` or the bridge
// into `internal`. Also sets the host's net.ipv4.ip_forward and the bridge's route_localnet.
struct NetworkNat {
  std::string bridge;
  Cidr subnet;
  bool internal = false;
};
Result<void> add_network_nat(const NetworkNat& n);
// Deletes what add_network_nat added; elements already gone are not an error.
Result<void> remove_network_nat(const NetworkNat& n);

// One published port: host_ip 0 means every host address.
struct PortNat {
  std::string protocol = "tcp";  // "tcp" or "udp"
  Ip4 host_ip = 0;
  uint16_t host_port = 0;
  Ip4 container_ip = 0;
  uint16_t container_port = 0;
};
// Conflict when the host port (for that address) is published already.
Result<void> add_port_nat(const PortNat& p);
// Deletes the mapping; one already gone is not an error.
Result<void> remove_port_nat(const PortNat& p);

// The table as `nft list table ip berth` prints it ("" when there is none): for tests and
// diagnostics.
Result<std::string> list_nat_table();

}  // namespace berth::network
