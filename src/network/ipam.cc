#include "network/ipam.h"

#include <fmt/format.h>

#include "base/strings.h"

namespace berth::network {

Result<Ip4> parse_ip4(std::string_view text) {
  auto parts = split(text, '.');
  auto bad = [&] {
    return fail(Code::kInvalidArgument, fmt::format("invalid IPv4 address \"{}\"", text));
  };
  if (parts.size() != 4) {
    return bad();
  }
  Ip4 ip = 0;
  for (const auto& p : parts) {
    // Leading zeros are refused as Go's netip does: "010" would be octal elsewhere.
    if (p.empty() || p.size() > 3 || (p.size() > 1 && p[0] == '0')) {
      return bad();
    }
    auto v = parse_uint(p);
    if (!v || *v > 255) {
      return bad();
    }
    ip = (ip << 8) | static_cast<Ip4>(*v);
  }
  return ip;
}

std::string format_ip4(Ip4 ip) {
  return fmt::format("{}.{}.{}.{}", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}

std::string Cidr::str() const { return fmt::format("{}/{}", format_ip4(base), prefix); }

Result<Cidr> parse_cidr(std::string_view text, bool strict) {
  bool found = false;
  auto [addr, len] = cut(text, '/', &found);
  auto bad = [&] {
    return fail(Code::kInvalidArgument, fmt::format("invalid CIDR address: {}", text));
  };
  if (!found || len.empty() || len.size() > 2) {
    return bad();
  }
  auto n = parse_uint(len);
  auto ip = parse_ip4(addr);
  if (!n || *n > 32 || !ip) {
    return bad();
  }
  Cidr c{*ip, static_cast<int>(*n)};
  c.base = *ip & c.mask();
  if (strict && c.base != *ip) {
    return fail(Code::kInvalidArgument,
                fmt::format("invalid subnet {}: it should be {}", text, c.str()));
  }
  return c;
}

Result<Subnet> make_subnet(const Cidr& subnet, std::optional<Ip4> gateway,
                           std::optional<Cidr> ip_range) {
  if (subnet.prefix > 30) {
    return fail(Code::kInvalidArgument,
                fmt::format("subnet {} is too small: it has no room for hosts", subnet.str()));
  }
  Subnet s{subnet, subnet.first() + 1, ip_range};
  if (gateway) {
    if (!subnet.contains(*gateway) || *gateway == subnet.first() || *gateway == subnet.last()) {
      return fail(Code::kInvalidArgument,
                  fmt::format("invalid gateway {}: not a host address of subnet {}",
                              format_ip4(*gateway), subnet.str()));
    }
    s.gateway = *gateway;
  }
  if (ip_range && !subnet.contains(*ip_range)) {
    return fail(Code::kInvalidArgument, fmt::format("invalid --ip-range {}: not inside subnet {}",
                                                    ip_range->str(), subnet.str()));
  }
  return s;
}

bool Allocations::is_host(Ip4 ip) const {
  const Cidr& n = subnet_.subnet;
  return n.contains(ip) && ip != n.first() && ip != n.last() && ip != subnet_.gateway;
}

Result<Ip4> Allocations::allocate() {
  const Cidr& pool = subnet_.ip_range ? *subnet_.ip_range : subnet_.subnet;
  // Ip4 arithmetic may wrap at 255.255.255.255, so count instead of comparing to last().
  uint64_t count = uint64_t{pool.last()} - pool.first() + 1;
  for (uint64_t i = 0; i < count; ++i) {
    Ip4 ip = pool.first() + static_cast<Ip4>(i);
    if (is_host(ip) && !used_.contains(ip)) {
      used_.insert(ip);
      return ip;
    }
  }
  return fail(
      Code::kUnavailable,
      fmt::format("no available IPv4 addresses on network with subnet {}", subnet_.subnet.str()));
}

Result<void> Allocations::reserve(Ip4 ip) {
  const Cidr& pool = subnet_.ip_range ? *subnet_.ip_range : subnet_.subnet;
  if (!pool.contains(ip) || !is_host(ip)) {
    return fail(Code::kInvalidArgument,
                fmt::format("invalid address {}: it does not belong to any of this network's "
                            "subnets or is reserved",
                            format_ip4(ip)));
  }
  if (used_.contains(ip)) {
    return fail(Code::kConflict, fmt::format("address {} is already in use", format_ip4(ip)));
  }
  used_.insert(ip);
  return {};
}

std::vector<Cidr> default_pool() {
  std::vector<Cidr> pool;
  for (Ip4 b = 17; b <= 31; ++b) {
    pool.push_back(Cidr{(Ip4{172} << 24) | (b << 16), 16});
  }
  for (Ip4 c = 0; c < 256; c += 16) {
    pool.push_back(Cidr{(Ip4{192} << 24) | (Ip4{168} << 16) | (c << 8), 20});
  }
  return pool;
}

Result<Cidr> pick_subnet(const std::vector<Cidr>& taken, bool skip_first) {
  auto pool = default_pool();
  for (size_t i = skip_first ? 1 : 0; i < pool.size(); ++i) {
    bool free = true;
    for (const auto& t : taken) {
      // A default route (0.0.0.0/0) covers everything and says nothing about local subnets.
      if (t.prefix > 0 && t.overlaps(pool[i])) {
        free = false;
        break;
      }
    }
    if (free) {
      return pool[i];
    }
  }
  return fail(Code::kUnavailable, "all predefined address pools have been fully subnetted");
}

}  // namespace berth::network
