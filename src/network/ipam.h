// IPv4 address management for bridge networks: CIDR parsing and printing, overlap, gateway
// and --ip-range checks, allocation of free addresses, and docker's pool of default subnets.
// Pure computation: no kernel state, no files. Callers persist Allocations themselves (under
// their own lock).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::network {

// An IPv4 address in host byte order.
using Ip4 = uint32_t;

// Parses dotted-quad "10.1.2.3"; InvalidArgument naming the text otherwise.
Result<Ip4> parse_ip4(std::string_view text);
std::string format_ip4(Ip4 ip);

// An IPv4 prefix: base address (host bits zero) and prefix length 0..32.
struct Cidr {
  Ip4 base = 0;
  int prefix = 0;

  Ip4 mask() const { return prefix == 0 ? 0 : ~Ip4{0} << (32 - prefix); }
  Ip4 first() const { return base; }
  Ip4 last() const { return base | ~mask(); }
  bool contains(Ip4 ip) const { return (ip & mask()) == base; }
  bool contains(const Cidr& inner) const { return inner.prefix >= prefix && contains(inner.base); }
  bool overlaps(const Cidr& other) const { return contains(other.base) || other.contains(base); }
  std::string str() const;  // "172.18.0.0/16"
  bool operator==(const Cidr&) const = default;
};

// Parses "a.b.c.d/n". Like docker, host bits set in the address are an error when
// `strict` ("172.18.0.5/16": InvalidArgument), else they are cleared.
Result<Cidr> parse_cidr(std::string_view text, bool strict = true);

// The address configuration of one network, as given to `network create` and stored.
struct Subnet {
  Cidr subnet;
  Ip4 gateway = 0;
  std::optional<Cidr> ip_range;  // addresses handed out automatically come from here
};

// Builds a Subnet from the flags: gateway defaults to the first host address; an explicit
// gateway must be a host address inside the subnet; ip_range must lie inside the subnet.
// Errors are InvalidArgument, one line naming the flag and value.
Result<Subnet> make_subnet(const Cidr& subnet, std::optional<Ip4> gateway,
                           std::optional<Cidr> ip_range);

// The addresses in use on one network (the gateway is always reserved, never stored here).
class Allocations {
 public:
  explicit Allocations(Subnet subnet) : subnet_(std::move(subnet)) {}

  const Subnet& subnet() const { return subnet_; }
  const std::set<Ip4>& used() const { return used_; }

  // The lowest free host address of the ip range (or the subnet), skipping network and
  // broadcast addresses and the gateway; marks it used. Unavailable when the range is full.
  Result<Ip4> allocate();
  // Reserves a requested address (--ip): InvalidArgument when outside the subnet (or the
  // range), the network/broadcast address or the gateway; Conflict when already taken.
  Result<void> reserve(Ip4 ip);
  // Frees an address; freeing one not in use is a no-op.
  void release(Ip4 ip) { used_.erase(ip); }
  // For loading a stored state; no checks.
  void mark_used(Ip4 ip) { used_.insert(ip); }

 private:
  bool is_host(Ip4 ip) const;
  Subnet subnet_;
  std::set<Ip4> used_;
};

// docker's default address pools in order: 172.17.0.0/16 (the default bridge) first, then
// 172.18.0.0/16 … 172.31.0.0/16, then 192.168.0.0/20 … 192.168.240.0/20.
std::vector<Cidr> default_pool();

// The first subnet of the pool that overlaps none of `taken` (subnets of existing networks
// and routes of the host; /0 entries such as the default route are ignored). Unavailable ("all
// predefined address pools have been fully subnetted", docker's words) when none is left.
// skip_first skips 172.17.0.0/16, which only the default bridge takes.
Result<Cidr> pick_subnet(const std::vector<Cidr>& taken, bool skip_first);

}  // namespace berth::network
