#include "network/bridge.h"

#include <fmt/format.h>

#include "base/strings.h"
#include "network/netlink.h"

namespace berth::network {
namespace {

// Sets up the address and state of a bridge that exists; `index` is its ifindex.
Result<void> configure_bridge(Netlink& nl, int index, Ip4 gateway, int prefix) {
  auto addrs = BERTH_TRY(nl.list_addresses(index));
  bool has = false;
  for (const auto& a : addrs) {
    has = has || (a.base == gateway && a.prefix == prefix);
  }
  if (!has) {
    BERTH_CHECK(nl.add_address(index, gateway, prefix));
  }
  return nl.set_up(index, true);
}

Result<void> make_bridge(const std::string& name, Ip4 gateway, int prefix, bool keep_existing) {
  auto nl = BERTH_TRY(Netlink::open());
  auto existing = nl.get_link(name);
  if (existing && keep_existing && existing->kind == "bridge") {
    return with_context(configure_bridge(nl, existing->index, gateway, prefix),
                        fmt::format("bridge {}", name));
  }
  if (existing) {
    return fail(Code::kConflict, fmt::format("bridge {}: a link of that name exists", name));
  }
  BERTH_CHECK(nl.create_bridge(name));
  auto index = nl.link_index(name);
  auto done = index ? configure_bridge(nl, *index, gateway, prefix)
                    : Result<void>(tl::unexpected(index.error()));
  if (!done) {
    if (index) {
      (void)nl.delete_link(*index);
    }
    return tl::unexpected(std::move(done).error().context(fmt::format("bridge {}", name)));
  }
  return {};
}

// Runs the container side: rename, address, up, route. Everything here is inside the netns.
Result<void> configure_peer(const AttachRequest& req) {
  auto nl = BERTH_TRY(Netlink::open_in(req.netns_fd));
  int index = BERTH_TRY(nl.link_index(req.ifname));
  BERTH_CHECK(nl.add_address(index, req.address, req.prefix));
  BERTH_CHECK(nl.set_up(index, true));
  if (req.default_route) {
    BERTH_CHECK(nl.add_default_route(req.gateway));
  }
  return {};
}

}  // namespace

Result<void> create_bridge_network(const std::string& name, Ip4 gateway, int prefix) {
  return make_bridge(name, gateway, prefix, false);
}

Result<void> ensure_bridge_network(const std::string& name, Ip4 gateway, int prefix) {
  return make_bridge(name, gateway, prefix, true);
}

Result<void> delete_bridge_network(const std::string& name) {
  auto nl = BERTH_TRY(Netlink::open());
  auto index = nl.link_index(name);
  if (!index) {
    return index.error().code() == Code::kNotFound ? Result<void>() : tl::unexpected(index.error());
  }
  return with_context(nl.delete_link(*index), fmt::format("bridge {}", name));
}

Result<Endpoint> attach(const AttachRequest& req) {
  auto nl = BERTH_TRY(Netlink::open());
  int bridge = BERTH_TRY_CTX(nl.link_index(req.bridge), fmt::format("bridge {}", req.bridge));
  std::string suffix = random_hex(7);
  Endpoint ep{"veth" + suffix, req.ifname, req.address, req.prefix};
  // The peer is born in the container's namespace under its final name (no move, no rename).
  BERTH_CHECK(nl.create_veth(ep.host_link, req.ifname, req.mtu, req.netns_fd));
  auto result = [&]() -> Result<void> {
    int host = BERTH_TRY(nl.link_index(ep.host_link));
    BERTH_CHECK(nl.set_master(host, bridge));
    BERTH_CHECK(nl.set_up(host, true));
    return configure_peer(req);
  }();
  if (!result) {
    // Deleting the host end takes the peer with it, wherever it is now.
    if (auto host = nl.link_index(ep.host_link)) {
      (void)nl.delete_link(*host);
    }
    return tl::unexpected(std::move(result).error().context(
        fmt::format("connecting {} to bridge {}", req.ifname, req.bridge)));
  }
  return ep;
}

Result<void> detach(const Endpoint& endpoint) {
  auto nl = BERTH_TRY(Netlink::open());
  auto index = nl.link_index(endpoint.host_link);
  if (!index) {
    return index.error().code() == Code::kNotFound ? Result<void>() : tl::unexpected(index.error());
  }
  return with_context(nl.delete_link(*index), fmt::format("link {}", endpoint.host_link));
}

}  // namespace berth::network
