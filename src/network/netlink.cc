#include "network/netlink.h"

#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>

#include <fmt/format.h>

namespace berth::network {
namespace {

// A netlink message under construction: header, fixed family struct, then attributes, each
// padded to 4 bytes. Nested attributes are opened with begin() and closed with end().
class Msg {
 public:
  Msg(uint16_t type, uint16_t flags) {
    nlmsghdr h{};
    h.nlmsg_type = type;
    h.nlmsg_flags = NLM_F_REQUEST | flags;
    append(&h, sizeof h);
  }
  template <typename T>
  void put_struct(const T& t) {
    append(&t, sizeof t);
  }
  void put(uint16_t type, const void* data, size_t len) {
    rtattr a{};
    a.rta_type = type;
    a.rta_len = static_cast<uint16_t>(RTA_LENGTH(len));
    append(&a, sizeof a);
    append(data, len);
  }
  void put_str(uint16_t type, const std::string& s) { put(type, s.c_str(), s.size() + 1); }
  void put_u32(uint16_t type, uint32_t v) { put(type, &v, sizeof v); }
  void put_ip(uint16_t type, Ip4 ip) {
    uint32_t be = htonl(ip);
    put(type, &be, sizeof be);
  }
  size_t begin(uint16_t type) {
    size_t at = buf_.size();
    put(type, nullptr, 0);
    return at;
  }
  void end(size_t at) {
    auto len = static_cast<uint16_t>(buf_.size() - at);
    std::memcpy(buf_.data() + at + offsetof(rtattr, rta_len), &len, sizeof len);
  }
  std::vector<uint8_t> done() {
    auto len = static_cast<uint32_t>(buf_.size());
    std::memcpy(buf_.data() + offsetof(nlmsghdr, nlmsg_len), &len, sizeof len);
    return std::move(buf_);
  }

 private:
  void append(const void* data, size_t len) {
    auto p = static_cast<const uint8_t*>(data);
    if (len > 0) {
      buf_.insert(buf_.end(), p, p + len);
    }
    buf_.resize(NLMSG_ALIGN(buf_.size()), 0);
  }
  std::vector<uint8_t> buf_;
};

Result<void> check_name(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ || name.find('/') != std::string::npos) {
    return fail(Code::kInvalidArgument, fmt::format("invalid link name \"{}\"", name));
  }
  return {};
}

Msg link_msg(uint16_t type, uint16_t flags, int index = 0, unsigned ifi_flags = 0,
             unsigned change = 0) {
  Msg m(type, flags);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = index;
  ifi.ifi_flags = ifi_flags;
  ifi.ifi_change = change;
  m.put_struct(ifi);
  return m;
}

Msg addr_msg(uint16_t type, uint16_t flags, int index, Ip4 ip, int prefix) {
  Msg m(type, flags);
  ifaddrmsg ifa{};
  ifa.ifa_family = AF_INET;
  ifa.ifa_prefixlen = static_cast<uint8_t>(prefix);
  ifa.ifa_index = static_cast<uint32_t>(index);
  m.put_struct(ifa);
  m.put_ip(IFA_LOCAL, ip);
  m.put_ip(IFA_ADDRESS, ip);
  if (prefix < 31) {
    Cidr c{ip & Cidr{0, prefix}.mask(), prefix};
    m.put_ip(IFA_BROADCAST, c.last());
  }
  return m;
}

// Walks the attributes that follow a fixed struct of `fixed` bytes in one message.
template <typename F>
void for_each_attr(const uint8_t* data, size_t len, F&& f) {
  auto rta = reinterpret_cast<const rtattr*>(data);
  auto left = static_cast<int>(len);
  for (; RTA_OK(rta, left); rta = RTA_NEXT(rta, left)) {
    f(rta->rta_type, static_cast<const uint8_t*>(RTA_DATA(rta)), RTA_PAYLOAD(rta));
  }
}

Link parse_link(const std::vector<uint8_t>& msg) {
  auto h = reinterpret_cast<const nlmsghdr*>(msg.data());
  auto ifi = static_cast<const ifinfomsg*>(NLMSG_DATA(h));
  Link l;
  l.index = ifi->ifi_index;
  l.up = (ifi->ifi_flags & IFF_UP) != 0;
  auto attrs = reinterpret_cast<const uint8_t*>(IFLA_RTA(ifi));
  for_each_attr(attrs, IFLA_PAYLOAD(h), [&](unsigned type, const uint8_t* d, size_t n) {
    if (type == IFLA_IFNAME) {
      l.name.assign(reinterpret_cast<const char*>(d), strnlen(reinterpret_cast<const char*>(d), n));
    } else if (type == IFLA_MASTER && n >= 4) {
      std::memcpy(&l.master, d, 4);
    } else if (type == IFLA_MTU && n >= 4) {
      std::memcpy(&l.mtu, d, 4);
    } else if (type == IFLA_LINKINFO) {
      for_each_attr(d, n, [&](unsigned t2, const uint8_t* d2, size_t n2) {
        if (t2 == IFLA_INFO_KIND) {
          l.kind.assign(reinterpret_cast<const char*>(d2),
                        strnlen(reinterpret_cast<const char*>(d2), n2));
        }
      });
    }
  });
  return l;
}

Cidr attr_cidr(const uint8_t* d, size_t n, int prefix) {
  uint32_t be = 0;
  std::memcpy(&be, d, std::min<size_t>(n, 4));
  Cidr c{ntohl(be), prefix};
  c.base &= c.mask();
  return c;
}

}  // namespace

Result<Netlink> Netlink::open() {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    return fail_errno("opening rtnetlink socket");
  }
  UniqueFd owned(fd);
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) < 0) {
    return fail_errno("binding rtnetlink socket");
  }
  // Extended acks carry the kernel's own explanation; harmless where unsupported.
  int one = 1;
  ::setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  return Netlink(std::move(owned));
}

Result<Netlink> Netlink::open_in(int netns_fd) {
  // Namespaces are per thread: a thread that enters the target namespace creates the socket
  // there and exits, leaving every other thread where it was. The socket keeps its namespace.
  std::optional<Result<Netlink>> out;
  std::thread t([&] {
    if (::setns(netns_fd, CLONE_NEWNET) < 0) {
      out.emplace(fail_errno("entering network namespace"));
      return;
    }
    out.emplace(open());
  });
  t.join();
  return std::move(*out);
}

Result<void> Netlink::request(std::vector<uint8_t> msg, const std::string& what) {
  auto h = reinterpret_cast<nlmsghdr*>(msg.data());
  h->nlmsg_flags |= NLM_F_ACK;
  h->nlmsg_seq = ++seq_;
  auto r = dump(std::move(msg), what);
  if (!r) {
    return tl::unexpected(std::move(r).error());
  }
  return {};
}

// Sends one request and collects every answer of its sequence number until the ack (for
// NLM_F_ACK requests) or NLMSG_DONE (for dumps). Each returned message is a full nlmsghdr.
Result<std::vector<std::vector<uint8_t>>> Netlink::dump(std::vector<uint8_t> msg,
                                                        const std::string& what) {
  auto h = reinterpret_cast<nlmsghdr*>(msg.data());
  if (h->nlmsg_seq == 0) {
    h->nlmsg_seq = ++seq_;
  }
  // A dump ends with NLMSG_DONE; anything else answers with its messages and then, only when
  // asked for, an ack: without it a single GET would leave us waiting for an end that never
  // comes.
  if ((h->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP) {
    h->nlmsg_flags |= NLM_F_ACK;
  }
  uint32_t seq = h->nlmsg_seq;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd_.get(), msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) < 0) {
    return fail_errno(what + ": sending netlink request");
  }
  std::vector<std::vector<uint8_t>> out;
  std::vector<uint8_t> buf(64 * 1024);
  for (;;) {
    ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail_errno(what + ": reading netlink answer");
    }
    auto len = static_cast<int>(n);
    for (auto m = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(m, len);
         m = NLMSG_NEXT(m, len)) {
      if (m->nlmsg_seq != seq) {
        continue;  // a late answer to an earlier request
      }
      if (m->nlmsg_type == NLMSG_DONE) {
        return out;
      }
      if (m->nlmsg_type == NLMSG_ERROR) {
        auto e = static_cast<const nlmsgerr*>(NLMSG_DATA(m));
        if (e->error == 0) {
          return out;
        }
        return fail_errno(what, -e->error);
      }
      auto p = reinterpret_cast<const uint8_t*>(m);
      out.emplace_back(p, p + m->nlmsg_len);
    }
  }
}

Result<void> Netlink::create_bridge(const std::string& name, unsigned mtu) {
  BERTH_CHECK(check_name(name));
  auto m = link_msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  m.put_str(IFLA_IFNAME, name);
  if (mtu > 0) {
    m.put_u32(IFLA_MTU, mtu);
  }
  auto info = m.begin(IFLA_LINKINFO);
  m.put_str(IFLA_INFO_KIND, "bridge");
  m.end(info);
  return request(m.done(), fmt::format("creating bridge {}", name));
}

Result<void> Netlink::create_veth(const std::string& name, const std::string& peer, unsigned mtu,
                                  int peer_netns_fd) {
  BERTH_CHECK(check_name(name));
  BERTH_CHECK(check_name(peer));
  auto m = link_msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  m.put_str(IFLA_IFNAME, name);
  if (mtu > 0) {
    m.put_u32(IFLA_MTU, mtu);
  }
  auto info = m.begin(IFLA_LINKINFO);
  m.put_str(IFLA_INFO_KIND, "veth");
  auto data = m.begin(IFLA_INFO_DATA);
  auto peer_at = m.begin(VETH_INFO_PEER);
  ifinfomsg peer_ifi{};
  peer_ifi.ifi_family = AF_UNSPEC;
  m.put_struct(peer_ifi);
  m.put_str(IFLA_IFNAME, peer);
  if (mtu > 0) {
    m.put_u32(IFLA_MTU, mtu);
  }
  if (peer_netns_fd >= 0) {
    m.put_u32(IFLA_NET_NS_FD, static_cast<uint32_t>(peer_netns_fd));
  }
  m.end(peer_at);
  m.end(data);
  m.end(info);
  return request(m.done(), fmt::format("creating veth pair {}/{}", name, peer));
}

Result<void> Netlink::delete_link(int index) {
  return request(link_msg(RTM_DELLINK, 0, index).done(), fmt::format("deleting link {}", index));
}

Result<Link> Netlink::get_link(const std::string& name) {
  BERTH_CHECK(check_name(name));
  auto m = link_msg(RTM_GETLINK, 0);
  m.put_str(IFLA_IFNAME, name);
  auto what = fmt::format("looking up link {}", name);
  auto msgs = dump(m.done(), what);
  if (!msgs && msgs.error().sys_errno() == ENODEV) {
    return fail(Code::kNotFound, fmt::format("link {} not found", name));
  }
  if (!msgs) {
    return tl::unexpected(std::move(msgs).error());
  }
  if (msgs->empty()) {
    return fail(Code::kNotFound, fmt::format("link {} not found", name));
  }
  return parse_link(msgs->front());
}

Result<int> Netlink::link_index(const std::string& name) { return BERTH_TRY(get_link(name)).index; }

Result<std::vector<Link>> Netlink::list_links() {
  auto msgs = BERTH_TRY(dump(link_msg(RTM_GETLINK, NLM_F_DUMP).done(), "listing links"));
  std::vector<Link> links;
  for (const auto& msg : msgs) {
    if (reinterpret_cast<const nlmsghdr*>(msg.data())->nlmsg_type == RTM_NEWLINK) {
      links.push_back(parse_link(msg));
    }
  }
  return links;
}

Result<void> Netlink::set_link(int index, unsigned flags, unsigned change, const std::string& what,
                               const std::vector<uint8_t>& attrs) {
  auto m = link_msg(RTM_NEWLINK, 0, index, flags, change);
  auto msg = m.done();
  msg.insert(msg.end(), attrs.begin(), attrs.end());
  auto len = static_cast<uint32_t>(msg.size());
  std::memcpy(msg.data() + offsetof(nlmsghdr, nlmsg_len), &len, sizeof len);
  return request(std::move(msg), what);
}

namespace {
// One attribute as raw bytes, to append after a link message's fixed part.
std::vector<uint8_t> attr_bytes(uint16_t type, const void* data, size_t len) {
  std::vector<uint8_t> out(RTA_SPACE(len), 0);
  rtattr a{};
  a.rta_type = type;
  a.rta_len = static_cast<uint16_t>(RTA_LENGTH(len));
  std::memcpy(out.data(), &a, sizeof a);
  std::memcpy(out.data() + RTA_LENGTH(0), data, len);
  return out;
}
}  // namespace

Result<void> Netlink::set_master(int index, int master_index) {
  uint32_t m = static_cast<uint32_t>(master_index);
  return set_link(index, 0, 0, fmt::format("setting master of link {} to {}", index, master_index),
                  attr_bytes(IFLA_MASTER, &m, sizeof m));
}

Result<void> Netlink::set_up(int index, bool up) {
  return set_link(index, up ? IFF_UP : 0, IFF_UP,
                  fmt::format("setting link {} {}", index, up ? "up" : "down"), {});
}

Result<void> Netlink::rename(int index, const std::string& name) {
  BERTH_CHECK(check_name(name));
  return set_link(index, 0, 0, fmt::format("renaming link {} to {}", index, name),
                  attr_bytes(IFLA_IFNAME, name.c_str(), name.size() + 1));
}

Result<void> Netlink::set_mtu(int index, unsigned mtu) {
  uint32_t v = mtu;
  return set_link(index, 0, 0, fmt::format("setting MTU of link {} to {}", index, mtu),
                  attr_bytes(IFLA_MTU, &v, sizeof v));
}

Result<void> Netlink::move_to_netns(int index, int netns_fd) {
  uint32_t fd = static_cast<uint32_t>(netns_fd);
  return set_link(index, 0, 0, fmt::format("moving link {} to another network namespace", index),
                  attr_bytes(IFLA_NET_NS_FD, &fd, sizeof fd));
}

Result<void> Netlink::add_address(int index, Ip4 ip, int prefix) {
  return request(addr_msg(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, index, ip, prefix).done(),
                 fmt::format("adding address {}/{} to link {}", format_ip4(ip), prefix, index));
}

Result<void> Netlink::delete_address(int index, Ip4 ip, int prefix) {
  return request(addr_msg(RTM_DELADDR, 0, index, ip, prefix).done(),
                 fmt::format("deleting address {}/{} of link {}", format_ip4(ip), prefix, index));
}

Result<std::vector<Cidr>> Netlink::list_addresses(int index) {
  Msg m(RTM_GETADDR, NLM_F_DUMP);
  ifaddrmsg ifa{};
  ifa.ifa_family = AF_INET;
  m.put_struct(ifa);
  auto msgs = BERTH_TRY(dump(m.done(), fmt::format("listing addresses of link {}", index)));
  std::vector<Cidr> out;
  for (const auto& msg : msgs) {
    auto h = reinterpret_cast<const nlmsghdr*>(msg.data());
    auto a = static_cast<const ifaddrmsg*>(NLMSG_DATA(h));
    if (h->nlmsg_type != RTM_NEWADDR || static_cast<int>(a->ifa_index) != index) {
      continue;
    }
    for_each_attr(reinterpret_cast<const uint8_t*>(IFA_RTA(a)), IFA_PAYLOAD(h),
                  [&](unsigned type, const uint8_t* d, size_t n) {
                    if (type == IFA_LOCAL) {
                      // Keep the host address: callers compare it to what they assigned.
                      Cidr c = attr_cidr(d, n, 32);
                      c.prefix = a->ifa_prefixlen;
                      out.push_back(c);
                    }
                  });
  }
  return out;
}

Result<void> Netlink::add_default_route(Ip4 gateway) {
  Msg m(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  rtmsg rt{};
  rt.rtm_family = AF_INET;
  rt.rtm_table = RT_TABLE_MAIN;
  rt.rtm_protocol = RTPROT_BOOT;
  rt.rtm_scope = RT_SCOPE_UNIVERSE;
  rt.rtm_type = RTN_UNICAST;
  m.put_struct(rt);
  m.put_ip(RTA_GATEWAY, gateway);
  return request(m.done(), fmt::format("adding default route via {}", format_ip4(gateway)));
}

Result<std::vector<Cidr>> Netlink::list_routes() {
  Msg m(RTM_GETROUTE, NLM_F_DUMP);
  rtmsg rt{};
  rt.rtm_family = AF_INET;
  m.put_struct(rt);
  auto msgs = BERTH_TRY(dump(m.done(), "listing routes"));
  std::vector<Cidr> out;
  for (const auto& msg : msgs) {
    auto h = reinterpret_cast<const nlmsghdr*>(msg.data());
    auto r = static_cast<const rtmsg*>(NLMSG_DATA(h));
    if (h->nlmsg_type != RTM_NEWROUTE || r->rtm_table != RT_TABLE_MAIN ||
        r->rtm_type != RTN_UNICAST) {
      continue;
    }
    Cidr dst{0, r->rtm_dst_len};
    for_each_attr(reinterpret_cast<const uint8_t*>(RTM_RTA(r)), RTM_PAYLOAD(h),
                  [&](unsigned type, const uint8_t* d, size_t n) {
                    if (type == RTA_DST) {
                      dst = attr_cidr(d, n, r->rtm_dst_len);
                    }
                  });
    out.push_back(dst);
  }
  return out;
}

}  // namespace berth::network
