#include "network/nat.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/fs.h"
#include "network/nft.h"

namespace berth::network {

namespace {

// The fixed part. Chains are flushed and filled in the same transaction, so the rules exist
// exactly once whoever ran this last.
constexpr const char* kTable = R"(
add table ip berth
add set ip berth bridges { type ifname; }
add set ip berth internal { type ifname; }
add set ip berth masq { type ipv4_addr; flags interval; }
add map ip berth tcp_any { type inet_service : ipv4_addr . inet_service; }
add map ip berth udp_any { type inet_service : ipv4_addr . inet_service; }
add map ip berth tcp_addr { type ipv4_addr . inet_service : ipv4_addr . inet_service; }
add map ip berth udp_addr { type ipv4_addr . inet_service : ipv4_addr . inet_service; }
add chain ip berth prerouting { type nat hook prerouting priority -100; policy accept; }
add chain ip berth output { type nat hook output priority -100; policy accept; }
add chain ip berth postrouting { type nat hook postrouting priority 100; policy accept; }
add chain ip berth forward { type filter hook forward priority 0; policy accept; }
add chain ip berth publish
flush chain ip berth prerouting
flush chain ip berth output
flush chain ip berth postrouting
flush chain ip berth forward
flush chain ip berth publish
add rule ip berth publish dnat ip to ip daddr . tcp dport map @tcp_addr
add rule ip berth publish dnat ip to ip daddr . udp dport map @udp_addr
add rule ip berth publish dnat ip to tcp dport map @tcp_any
add rule ip berth publish dnat ip to udp dport map @udp_any
add rule ip berth prerouting fib daddr type local jump publish
add rule ip berth output fib daddr type local jump publish
add rule ip berth postrouting ip saddr @masq oifname != @bridges masquerade
add rule ip berth postrouting oifname @bridges ip saddr 127.0.0.0/8 masquerade
add rule ip berth postrouting oifname @bridges ct status dnat ip saddr @masq masquerade
add rule ip berth forward iifname @internal oifname != @internal drop
add rule ip berth forward oifname @internal iifname != @internal drop
)";

// A sysctl file is not a regular file: written in place, not replaced.
Result<void> set_sysctl(const std::string& path, std::string_view value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail_errno("setting " + path);
  }
  auto r = write_all(fd, value.data(), value.size());
  ::close(fd);
  if (!r) {
    return tl::unexpected(std::move(r.error()).context("setting " + path));
  }
  return {};
}

std::string quoted(const std::string& ifname) { return "\"" + ifname + "\""; }

std::string port_key(const PortNat& p) {
  return p.host_ip == 0 ? std::to_string(p.host_port)
                        : fmt::format("{} . {}", format_ip4(p.host_ip), p.host_port);
}

std::string port_map(const PortNat& p) {
  return fmt::format("{}_{}", p.protocol, p.host_ip == 0 ? "any" : "addr");
}

Result<void> check_protocol(const PortNat& p) {
  if (p.protocol != "tcp" && p.protocol != "udp") {
    return fail(Code::kInvalidArgument,
                fmt::format("publishing {}/{}: only tcp and udp", p.host_port, p.protocol));
  }
  return {};
}

// nft refuses to delete an element that is not there: deleting what may be gone goes one
// element per transaction, and "element does not exist" is fine.
Result<void> delete_element(const std::string& set, const std::string& element,
                            std::string_view what) {
  auto r = run_nft(fmt::format("delete element ip berth {} {{ {} }}\n", set, element), what);
  const std::string& m = r ? std::string() : r.error().message();
  if (!r && m.find("does not exist") == std::string::npos &&
      m.find("No such file or directory") == std::string::npos) {
    return tl::unexpected(std::move(r.error()));
  }
  return {};
}

}  // namespace

Result<void> ensure_nat_table() {
  BERTH_CHECK(run_nft(kTable, "setting up nftables table ip berth"));
  return {};
}

Result<void> add_network_nat(const NetworkNat& n) {
  BERTH_CHECK(ensure_nat_table());
  std::string what = "nftables rules of bridge " + n.bridge;
  std::string script = fmt::format("add element ip berth bridges {{ {} }}\n", quoted(n.bridge));
  if (n.internal) {
    script += fmt::format("add element ip berth internal {{ {} }}\n", quoted(n.bridge));
  } else {
    script += fmt::format("add element ip berth masq {{ {} }}\n", n.subnet.str());
  }
  BERTH_CHECK(run_nft(script, what));
  // Forwarding must be on for any container traffic to leave its bridge (docker sets it too);
  // route_localnet lets the host's connections to 127.0.0.1 be DNATed onto the bridge.
  BERTH_CHECK(set_sysctl("/proc/sys/net/ipv4/ip_forward", "1"));
  return set_sysctl(fmt::format("/proc/sys/net/ipv4/conf/{}/route_localnet", n.bridge), "1");
}

Result<void> remove_network_nat(const NetworkNat& n) {
  std::string what = "removing nftables rules of bridge " + n.bridge;
  if (!BERTH_TRY(list_nat_table()).empty()) {
    BERTH_CHECK(delete_element("bridges", quoted(n.bridge), what));
    BERTH_CHECK(delete_element("internal", quoted(n.bridge), what));
    BERTH_CHECK(delete_element("masq", n.subnet.str(), what));
  }
  return {};
}

Result<void> add_port_nat(const PortNat& p) {
  BERTH_CHECK(check_protocol(p));
  BERTH_CHECK(ensure_nat_table());
  std::string what = fmt::format("publishing port {}/{}", p.host_port, p.protocol);
  std::string target = fmt::format("{} . {}", format_ip4(p.container_ip), p.container_port);
  // "add element" of a key that exists with another value fails: the port is taken.
  auto r = run_nft(
      fmt::format("create element ip berth {} {{ {} : {} }}\n", port_map(p), port_key(p), target),
      what);
  if (!r) {
    if (r.error().message().find("File exists") != std::string::npos) {
      return fail(Code::kConflict,
                  fmt::format("{}: the host port is published by another container", what));
    }
    return tl::unexpected(std::move(r.error()));
  }
  return {};
}

Result<void> remove_port_nat(const PortNat& p) {
  BERTH_CHECK(check_protocol(p));
  if (BERTH_TRY(list_nat_table()).empty()) {
    return {};
  }
  return delete_element(port_map(p), port_key(p),
                        fmt::format("unpublishing port {}/{}", p.host_port, p.protocol));
}

Result<std::string> list_nat_table() {
  auto r = run_nft("list table ip berth\n", "listing nftables table ip berth");
  if (!r) {
    if (r.error().message().find("No such file or directory") != std::string::npos) {
      return std::string();
    }
    return r;
  }
  return r;
}

}  // namespace berth::network
