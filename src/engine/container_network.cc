#include "engine/container_network.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"
#include "base/unique_fd.h"
#include "engine/container_files.h"
#include "engine/container_store.h"
#include "network/bridge.h"
#include "network/bridge_leases.h"
#include "network/nat.h"
#include "network/netlink.h"
#include "network/network_store.h"

namespace berth::engine {

namespace {

bool is_builtin_mode(const std::string& mode) {
  return mode == "none" || mode == "host" || mode.starts_with("container:");
}

// "80/tcp" → {80, "tcp"}.
std::pair<uint16_t, std::string> port_and_proto(const std::string& spec) {
  auto slash = spec.find('/');
  auto port = parse_uint(spec.substr(0, slash)).value_or(0);
  return {static_cast<uint16_t>(port), slash == std::string::npos ? "tcp" : spec.substr(slash + 1)};
}

// Whether a socket can bind host_ip:port now (nothing else on the host listens there).
bool port_free(network::Ip4 host_ip, uint16_t port, const std::string& proto) {
  UniqueFd s(::socket(AF_INET, (proto == "udp" ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0));
  int one = 1;
  ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(host_ip);
  return s && ::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
}

// A port the kernel hands out as free (bind to port 0), for -p with no host port.
Result<uint16_t> ephemeral_port(network::Ip4 host_ip, const std::string& proto) {
  UniqueFd s(::socket(AF_INET, (proto == "udp" ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(host_ip);
  socklen_t len = sizeof a;
  if (!s || ::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    return fail_errno("finding a free host port");
  }
  return ntohs(a.sin_port);
}

Error port_taken(const std::string& host_ip, uint16_t port) {
  return Error(Code::kConflict,
               fmt::format("driver failed programming external connectivity: Bind for {}:{} "
                           "failed: port is already allocated",
                           host_ip.empty() ? "0.0.0.0" : host_ip, port));
}

// Publishes one binding: the host port as given, the first free one of a range, or any free
// one; returns the binding with its host port.
Result<PortBinding> publish(const PortBinding& b, network::Ip4 container_ip) {
  auto [container_port, proto] = port_and_proto(b.container_port);
  if (proto != "tcp" && proto != "udp") {
    return fail(Code::kUnsupported,
                fmt::format("publishing {}: only tcp and udp", b.container_port));
  }
  network::Ip4 host_ip = b.host_ip.empty() ? 0 : BERTH_TRY(network::parse_ip4(b.host_ip));
  std::vector<uint16_t> candidates;
  if (b.host_port.empty()) {
    candidates.push_back(BERTH_TRY(ephemeral_port(host_ip, proto)));
  } else {
    auto dash = b.host_port.find('-');
    uint64_t first = parse_uint(b.host_port.substr(0, dash)).value_or(0);
    uint64_t last =
        dash == std::string::npos ? first : parse_uint(b.host_port.substr(dash + 1)).value_or(0);
    for (uint64_t p = first; p <= last && p <= 65535; ++p) {
      candidates.push_back(static_cast<uint16_t>(p));
    }
  }
  for (uint16_t port : candidates) {
    if (!port_free(host_ip, port, proto)) {
      continue;
    }
    network::PortNat nat{proto, host_ip, port, container_ip, container_port};
    auto added = network::add_port_nat(nat);
    if (!added && added.error().code() == Code::kConflict) {
      continue;  // another container publishes it
    }
    BERTH_CHECK(std::move(added));
    return PortBinding{b.container_port, b.host_ip, std::to_string(port)};
  }
  return tl::unexpected(port_taken(b.host_ip, candidates.empty() ? 0 : candidates.front()));
}

}  // namespace

Result<void> join_networks(const std::string& root, Container& c, const CreateRequest& req,
                           UndoStack& undo) {
  const std::string& mode = c.host_config.network_mode;
  if (is_builtin_mode(mode)) {
    if (!req.ip.empty()) {
      return fail(Code::kInvalidArgument,
                  "user specified IP address is supported on user defined networks only");
    }
    if (!req.network_aliases.empty()) {
      return fail(Code::kInvalidArgument,
                  "network-scoped alias is supported only for containers in user defined "
                  "networks");
    }
    return {};
  }
  auto store = BERTH_TRY(network::NetworkStore::open(root));
  auto net = BERTH_TRY(store.find(mode));
  if (net.name == network::kDefaultBridgeName) {
    // Made on first use by any command; its egress is set up when a container first joins it
    // after a boot. Loading libnftables and running its transaction cost every start about
    // 8 ms of CPU: a marker beside the leases (on tmpfs, gone with a reboot as the rules are)
    // says it is done.
    std::string marker = fmt::format("{}/nat-{}-{}", network::bridge_state_dir(), net.bridge,
                                     network::format_ip4(net.subnet.subnet.base));
    if (!path_exists(marker)) {
      BERTH_CHECK(network::add_network_nat({net.bridge, net.subnet.subnet, false}));
      (void)mkdir_p(network::bridge_state_dir(), 0700);
      (void)write_file_atomic(marker, "", 0600, Durability::kAtomicOnly);
    }
    if (!req.network_aliases.empty()) {
      return fail(Code::kInvalidArgument,
                  "network-scoped alias is supported only for containers in user defined "
                  "networks");
    }
    if (!req.ip.empty()) {
      return fail(Code::kInvalidArgument,
                  "user specified IP address is supported on user defined networks only");
    }
  }
  std::optional<std::string> ip;
  if (!req.ip.empty()) {
    ip = req.ip;
  }
  auto ep = BERTH_TRY(store.allocate(net.id, c.id, c.name, ip));
  undo.add([root, id = net.id, cid = c.id] {
    if (auto s = network::NetworkStore::open(root)) {
      (void)s->release(id, cid);
    }
  });
  NetworkAttachment a;
  a.network_id = net.id;
  a.network_name = net.name;
  a.bridge = net.bridge;
  a.ip = network::format_ip4(ep.address);
  a.gateway = network::format_ip4(net.subnet.gateway);
  a.prefix = net.subnet.subnet.prefix;
  a.aliases = req.network_aliases;
  c.networks.push_back(std::move(a));
  if (req.publish_all) {
    for (const auto& p : c.config.exposed_ports) {
      c.host_config.port_bindings.push_back(PortBinding{p, "", ""});
    }
  }
  return {};
}

Result<void> leave_networks(const std::string& root, const Container& c) {
  if (c.networks.empty()) {
    return {};
  }
  auto store = BERTH_TRY(network::NetworkStore::open(root));
  Result<void> out;
  for (const auto& n : c.networks) {
    if (auto r = store.release(n.network_id, c.id); !r && out) {
      out = std::move(r);
    }
  }
  return out;
}

Result<std::vector<PortBinding>> connect_init(const Container& c, pid_t pid) {
  std::vector<PortBinding> published;
  if (c.networks.empty()) {
    return published;
  }
  UniqueFd netns(::open(fmt::format("/proc/{}/ns/net", pid).c_str(), O_RDONLY | O_CLOEXEC));
  if (!netns) {
    return fail_errno("opening the network namespace of the container's process");
  }
  for (size_t i = 0; i < c.networks.size(); ++i) {
    const auto& n = c.networks[i];
    network::AttachRequest req;
    req.netns_fd = netns.get();
    req.bridge = n.bridge;
    req.ifname = fmt::format("eth{}", i);
    req.address = BERTH_TRY(network::parse_ip4(n.ip));
    req.prefix = n.prefix;
    req.gateway = BERTH_TRY(network::parse_ip4(n.gateway));
    req.default_route = i == 0;
    BERTH_CHECK_CTX(network::attach(req), "connecting to network " + n.network_name);
  }
  network::Ip4 ip = BERTH_TRY(network::parse_ip4(c.networks.front().ip));
  for (const auto& b : c.host_config.port_bindings) {
    auto p = publish(b, ip);
    if (!p) {
      unpublish_ports(c, published);
      return tl::unexpected(std::move(p.error()));
    }
    published.push_back(std::move(*p));
  }
  return published;
}

void refresh_network_hosts(const std::string& root, const std::string& runroot,
                           const std::vector<NetworkAttachment>& networks) {
  auto store = network::NetworkStore::open(root);
  if (!store || networks.empty()) {
    return;
  }
  ContainerStore cs(root, runroot);
  // Every container on these networks, and what the others call it there.
  std::map<std::string, Container> members;
  std::map<std::string, std::vector<std::pair<std::string, HostsPeer>>> by_network;
  for (const auto& n : networks) {
    auto rec = store->find(n.network_id);
    if (!rec || rec->name == network::kDefaultBridgeName) {
      continue;  // docker's default bridge resolves no names
    }
    for (const auto& [id, ep] : rec->endpoints) {
      auto c = cs.read(id);
      if (!c) {
        continue;  // being removed
      }
      HostsPeer peer{network::format_ip4(ep.address), {c->name}};
      for (const auto& a : c->networks) {
        if (a.network_id == n.network_id) {
          peer.names.insert(peer.names.end(), a.aliases.begin(), a.aliases.end());
        }
      }
      peer.names.push_back(id.substr(0, 12));
      by_network[n.network_id].emplace_back(id, std::move(peer));
      members.emplace(id, std::move(*c));
    }
  }
  for (const auto& [id, c] : members) {
    std::vector<HostsPeer> peers;
    for (const auto& a : c.networks) {
      for (const auto& [other, peer] : by_network[a.network_id]) {
        if (other != id) {
          peers.push_back(peer);
        }
      }
    }
    // In place, not renamed: the running container has this very file bound at /etc/hosts.
    std::string text = container_hosts(c, peers);
    UniqueFd fd(::open(c.hosts_path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW));
    if (fd) {
      (void)write_all(fd.get(), text.data(), text.size());
    }
  }
}

namespace {

// The running init's network namespace, or an invalid fd when it does not run.
UniqueFd running_netns(const Container& c) {
  if (c.state.status != "running" && c.state.status != "paused") {
    return UniqueFd();
  }
  if (!same_process(c.state.pid, c.state.pid_start_time)) {
    return UniqueFd();
  }
  return UniqueFd(
      ::open(fmt::format("/proc/{}/ns/net", c.state.pid).c_str(), O_RDONLY | O_CLOEXEC));
}

}  // namespace

Result<void> connect_container(const std::string& root, const std::string& runroot,
                               const std::string& network, const std::string& container,
                               const std::string& ip, const std::vector<std::string>& aliases) {
  ContainerStore cs(root, runroot);
  std::string id = BERTH_TRY(cs.resolve(container));
  auto lock = BERTH_TRY(cs.lock(id));
  auto c = BERTH_TRY(cs.read(id));
  c.state = BERTH_TRY(cs.read_state(id));
  if (is_builtin_mode(c.host_config.network_mode)) {
    return fail(Code::kConflict,
                fmt::format("container {} is on network {}: it cannot join another", c.name,
                            c.host_config.network_mode));
  }
  CreateRequest req;
  req.ip = ip;
  req.network_aliases = aliases;
  Container joined = c;
  joined.networks.clear();
  joined.host_config.network_mode = network;
  UndoStack undo;
  BERTH_CHECK(join_networks(root, joined, req, undo));
  NetworkAttachment a = joined.networks.front();
  for (const auto& n : c.networks) {
    if (n.network_id == a.network_id) {
      return fail(Code::kConflict, fmt::format("endpoint with name {} already exists in network {}",
                                               c.name, a.network_name));
    }
  }
  if (UniqueFd netns = running_netns(c)) {
    network::AttachRequest r;
    r.netns_fd = netns.get();
    r.bridge = a.bridge;
    r.ifname = fmt::format("eth{}", c.networks.size());
    r.address = BERTH_TRY(network::parse_ip4(a.ip));
    r.prefix = a.prefix;
    BERTH_CHECK_CTX(network::attach(r), "connecting to network " + a.network_name);
  }
  c.networks.push_back(a);
  BERTH_CHECK(cs.write_config(c));
  undo.disarm();
  refresh_network_hosts(root, runroot, c.networks);
  return {};
}

Result<void> disconnect_container(const std::string& root, const std::string& runroot,
                                  const std::string& network, const std::string& container) {
  ContainerStore cs(root, runroot);
  std::string id = BERTH_TRY(cs.resolve(container));
  auto lock = BERTH_TRY(cs.lock(id));
  auto c = BERTH_TRY(cs.read(id));
  c.state = BERTH_TRY(cs.read_state(id));
  auto store = BERTH_TRY(network::NetworkStore::open(root));
  auto net = BERTH_TRY(store.find(network));
  auto it = std::find_if(c.networks.begin(), c.networks.end(),
                         [&](const NetworkAttachment& n) { return n.network_id == net.id; });
  if (it == c.networks.end()) {
    return fail(Code::kConflict,
                fmt::format("container {} is not connected to network {}", c.name, net.name));
  }
  size_t index = static_cast<size_t>(it - c.networks.begin());
  if (UniqueFd netns = running_netns(c)) {
    // Deleting the container's end deletes the pair.
    auto nl = BERTH_TRY(network::Netlink::open_in(netns.get()));
    if (auto link = nl.link_index(fmt::format("eth{}", index))) {
      BERTH_CHECK(nl.delete_link(*link));
    }
  }
  std::vector<NetworkAttachment> left = {*it};
  c.networks.erase(it);
  BERTH_CHECK(cs.write_config(c));
  BERTH_CHECK(store.release(net.id, c.id));
  refresh_network_hosts(root, runroot, left);
  return {};
}

void unpublish_ports(const Container& c, const std::vector<PortBinding>& published) {
  if (c.networks.empty()) {
    return;
  }
  auto ip = network::parse_ip4(c.networks.front().ip);
  for (const auto& p : published) {
    auto [container_port, proto] = port_and_proto(p.container_port);
    auto host_ip = p.host_ip.empty() ? network::Ip4{0} : network::parse_ip4(p.host_ip).value_or(0);
    auto host_port = static_cast<uint16_t>(parse_uint(p.host_port).value_or(0));
    (void)network::remove_port_nat({proto, host_ip, host_port, ip.value_or(0), container_port});
  }
}

}  // namespace berth::engine
