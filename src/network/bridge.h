// Bridge networks on the host and container endpoints on them: the building blocks the
// engine uses for `network create/rm` and for connecting a container at start.
// All calls block on netlink; errors name the bridge or link. Nothing half-made is left on
// failure: a bridge or veth pair created by a failing call is deleted again.
#pragma once

#include <string>

#include "base/error.h"
#include "network/ipam.h"

namespace berth::network {

// Creates bridge `name` in the caller's namespace with gateway/prefix as its address, and sets
// it up. Conflict when a link of that name exists already.
Result<void> create_bridge_network(const std::string& name, Ip4 gateway, int prefix);
// Like create_bridge_network, but an existing bridge of that name is kept (its address added
// if missing): for the default bridge, which survives berth processes.
Result<void> ensure_bridge_network(const std::string& name, Ip4 gateway, int prefix);
// Deletes the bridge; a missing one is not an error (removal is idempotent).
Result<void> delete_bridge_network(const std::string& name);

// What attach() made: the host end of the veth pair and the name inside the container.
struct Endpoint {
  std::string host_link;       // "veth1a2b3c4", enslaved to the bridge
  std::string container_link;  // "eth0", "eth1", …
  Ip4 address = 0;
  int prefix = 0;
};

struct AttachRequest {
  int netns_fd = -1;           // the container's network namespace; not consumed
  std::string bridge;          // bridge device on the host
  std::string ifname;          // name inside the container: "eth0" for the first network
  Ip4 address = 0;             // already allocated by the caller
  int prefix = 0;              // the subnet's prefix length
  Ip4 gateway = 0;             // default route target when default_route
  bool default_route = false;  // only for the first network of a container
  unsigned mtu = 0;            // 0: kernel default
};

// Makes a veth pair, puts the host end on the bridge and up, moves the other end into the
// namespace, renames it to ifname, gives it its address, sets it up and (if asked) adds the
// default route. The caller's thread never changes namespace.
Result<Endpoint> attach(const AttachRequest& req);
// Deletes the host end (the kernel deletes the peer with it). A missing link is not an error.
// The caller releases the address in its Allocations.
Result<void> detach(const Endpoint& endpoint);

}  // namespace berth::network
