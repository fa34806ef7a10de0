// Netlink: berth's own rtnetlink client (AF_NETLINK / NETLINK_ROUTE), enough to build bridge
// networks: bridges, veth pairs, masters, up/down, names, MTU, moving links between network
// namespaces, IPv4 addresses and default routes. No libnl and no `ip` command.
//
// A Netlink object owns one socket, which stays bound to the network namespace it was created
// in: open() uses the caller's namespace, open_in(fd) the namespace of a netns fd (the caller's
// namespace is untouched). Every call sends one request and blocks until the kernel's answer;
// kernel errors come back as Error with the errno (EEXIST → Conflict, ENODEV → NotFound, …) and
// a message naming the operation and the link. Not thread-safe: one object per thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "network/ipam.h"

namespace berth::network {

struct Link {
  int index = 0;
  std::string name;
  std::string kind;  // "bridge", "veth", … ("" for devices without IFLA_INFO_KIND, like lo)
  int master = 0;    // ifindex of the bridge it is enslaved to, 0 if none
  unsigned mtu = 0;
  bool up = false;  // IFF_UP is set
};

class Netlink {
 public:
  // A socket in the calling thread's network namespace.
  static Result<Netlink> open();
  // A socket in the namespace of `netns_fd` (an fd of /proc/<pid>/ns/net or a bind mount of
  // it). setns runs in a short-lived thread, so no thread of the caller changes namespace.
  static Result<Netlink> open_in(int netns_fd);

  Netlink(Netlink&&) noexcept = default;
  Netlink& operator=(Netlink&&) noexcept = default;

  // Links. Names are at most 15 characters (IFNAMSIZ-1): InvalidArgument otherwise.
  Result<void> create_bridge(const std::string& name, unsigned mtu = 0);
  // The first end is created in this socket's namespace, the peer there too or, with
  // peer_netns_fd, directly in that namespace: moving a link between namespaces afterwards
  // waits for an RCU grace period (tens of milliseconds).
  Result<void> create_veth(const std::string& name, const std::string& peer, unsigned mtu = 0,
                           int peer_netns_fd = -1);
  Result<void> delete_link(int index);
  // NotFound when no link has that name.
  Result<int> link_index(const std::string& name);
  Result<Link> get_link(const std::string& name);
  Result<std::vector<Link>> list_links();

  Result<void> set_master(int index, int master_index);  // master 0 frees the link
  Result<void> set_up(int index, bool up);
  Result<void> rename(int index, const std::string& name);  // the link must be down
  Result<void> set_mtu(int index, unsigned mtu);
  // Moves the link into the namespace of netns_fd (IFLA_NET_NS_FD); the fd is not consumed.
  Result<void> move_to_netns(int index, int netns_fd);

  // IPv4 addresses (IFA_LOCAL/IFA_ADDRESS, broadcast derived from the prefix).
  Result<void> add_address(int index, Ip4 ip, int prefix);
  Result<void> delete_address(int index, Ip4 ip, int prefix);
  Result<std::vector<Cidr>> list_addresses(int index);

  // The default IPv4 route via `gateway` in the main table.
  Result<void> add_default_route(Ip4 gateway);
  // Destinations of the IPv4 routes of the main table (for picking free subnets).
  Result<std::vector<Cidr>> list_routes();

 private:
  explicit Netlink(UniqueFd fd) : fd_(std::move(fd)) {}
  Result<void> request(std::vector<uint8_t> msg, const std::string& what);
  Result<std::vector<std::vector<uint8_t>>> dump(std::vector<uint8_t> msg, const std::string& what);
  Result<void> set_link(int index, unsigned flags, unsigned change, const std::string& what,
                        const std::vector<uint8_t>& attrs);
  UniqueFd fd_;
  uint32_t seq_ = 0;
};

}  // namespace berth::network
