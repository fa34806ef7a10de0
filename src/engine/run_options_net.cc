// Network flags: --network, --dns, --dns-search, --add-host, --expose and -p, with docker's
// checks and texts (its CLI's opts package and go-connections' port specs).
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "base/strings.h"
#include "engine/run_options.h"
#include "engine/run_options_go.h"

namespace berth::engine {

namespace {

using go::invalid;

// Go's net.ParseIP followed by String(): the canonical text, or nullopt.
std::optional<std::string> canonical_ip(std::string_view s) {
  std::string in(s);
  unsigned char buf[16];
  char out[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, in.c_str(), buf) == 1) {
    return std::string(inet_ntop(AF_INET, buf, out, sizeof(out)));
  }
  if (inet_pton(AF_INET6, in.c_str(), buf) == 1) {
    static constexpr unsigned char kV4Prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(buf, buf + 12, kV4Prefix)) {
      return std::string(inet_ntop(AF_INET, buf + 12, out, sizeof(out)));  // as Go prints it
    }
    return std::string(inet_ntop(AF_INET6, buf, out, sizeof(out)));
  }
  return std::nullopt;
}

// Go's strconv.ParseUint(s, 10, 16) error text, or the value.
Result<uint64_t> parse_port_number(std::string_view s) {
  auto n =
      s.find_first_not_of("0123456789") == std::string_view::npos ? parse_uint(s) : std::nullopt;
  if (!n) {
    bool digits = !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
    return invalid(fmt::format("strconv.ParseUint: parsing \"{}\": {}", s,
                               digits ? "value out of range" : "invalid syntax"));
  }
  if (*n > 65535) {
    return invalid(fmt::format("strconv.ParseUint: parsing \"{}\": value out of range", s));
  }
  return *n;
}

// go-connections' ParsePortRange: "80" or "8000-8010".
Result<std::pair<uint64_t, uint64_t>> parse_port_range(std::string_view s) {
  if (s.empty()) {
    return invalid("empty string specified for ports");
  }
  if (s.find('-') == std::string_view::npos) {
    uint64_t p = BERTH_TRY(parse_port_number(s));
    return std::make_pair(p, p);
  }
  auto parts = split(s, '-');
  uint64_t start = BERTH_TRY(parse_port_number(parts[0]));
  uint64_t end = BERTH_TRY(parse_port_number(parts[1]));
  if (end < start) {
    return invalid(fmt::format("invalid range specified for the portspec: {}", s));
  }
  return std::make_pair(start, end);
}

// go-connections' SplitProtoPort: "80/udp" → {udp, 80}; no protocol is tcp.
std::pair<std::string, std::string> split_proto_port(std::string_view raw) {
  auto parts = split(raw, '/');
  if (raw.empty() || parts[0].empty()) {
    return {"", ""};
  }
  if (parts.size() == 1 || parts[1].empty()) {
    return {"tcp", parts[0]};
  }
  return {parts[1], parts[0]};
}

std::vector<std::string> port_list(uint64_t start, uint64_t end, const std::string& proto) {
  std::vector<std::string> out;
  for (uint64_t p = start; p <= end; ++p) {
    out.push_back(fmt::format("{}/{}", p, proto));
  }
  return out;
}

// docker's long --publish syntax ("published=8080,target=80") in the short one.
Result<std::string> standard_publish(std::string_view value) {
  if (value.find('=') == std::string_view::npos) {
    return std::string(value);
  }
  std::string published, target, protocol = "tcp";
  for (const auto& param : split(value, ',')) {
    bool found = false;
    auto [k, v] = cut(param, '=', &found);
    if (!found || k.empty()) {
      return invalid(
          fmt::format("invalid publish opts format (should be name=value but got '{}')", param));
    }
    if (k == "published") {
      published = std::string(v);
    } else if (k == "target") {
      target = std::string(v);
    } else if (k == "protocol") {
      protocol = std::string(v);
    }
  }
  return fmt::format("{}:{}/{}", published, target, protocol);
}

}  // namespace

Result<std::string> parse_network_mode(std::string_view value) {
  if (value == "none") {
    return std::string("none");
  }
  if (value.empty()) {
    return std::string("bridge");  // docker's default network
  }
  if (value == "host") {
    return std::string("host");
  }
  if (value == "bridge" || value == "default") {
    return std::string("bridge");
  }
  if (value.starts_with("container:") && value.size() == 10) {
    return invalid("invalid container format container:<name|id>");
  }
  return std::string(value);  // a user-defined network: looked up when the container is made
}

Result<std::string> parse_dns(std::string_view value) {
  auto ip = canonical_ip(trim(value));
  if (!ip) {
    return tl::unexpected(flag_error(
        "--dns", value, fmt::format("IP address is not correctly formatted: {}", value)));
  }
  return *ip;
}

Result<std::string> parse_dns_search(std::string_view value) {
  std::string_view v = value;
  while (!v.empty() && v.front() == ' ') {
    v.remove_prefix(1);
  }
  while (!v.empty() && v.back() == ' ') {
    v.remove_suffix(1);
  }
  if (v == ".") {
    return std::string(v);
  }
  auto bad = [&] {
    return tl::unexpected(
        flag_error("--dns-search", value, fmt::format("{} is not a valid domain", v)));
  };
  // docker's domain rule: labels of letters, digits and inner hyphens, one letter at least, an
  // optional final dot, under 255 characters.
  std::string_view domain = v;
  while (!domain.empty() && std::isspace(static_cast<unsigned char>(domain.back()))) {
    domain.remove_suffix(1);
  }
  if (!domain.empty() && domain.back() == '.') {
    domain.remove_suffix(1);
  }
  if (domain.empty() || domain.size() >= 255 ||
      std::none_of(domain.begin(), domain.end(),
                   [](char c) { return std::isalpha(static_cast<unsigned char>(c)); })) {
    return bad();
  }
  for (const auto& label : split(domain, '.')) {
    bool ok = !label.empty() && std::isalnum(static_cast<unsigned char>(label.front())) &&
              std::isalnum(static_cast<unsigned char>(label.back())) &&
              std::all_of(label.begin(), label.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
              });
    if (!ok) {
      return bad();
    }
  }
  return std::string(domain);
}

Result<std::string> parse_add_host(std::string_view value) {
  bool found = false;
  auto [host, ip] = cut(value, '=', &found);
  if (!found) {
    std::tie(host, ip) = cut(value, ':', &found);
  }
  if (!found || host.empty() || host.find(':') != std::string_view::npos) {
    return tl::unexpected(
        flag_error("--add-host", value, fmt::format("bad format for add-host: \"{}\"", value)));
  }
  if (ip != "host-gateway") {
    if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') {
      ip = ip.substr(1, ip.size() - 2);
    }
    if (!canonical_ip(trim(ip))) {
      return tl::unexpected(flag_error("--add-host", value,
                                       fmt::format("invalid IP address in add-host: \"{}\"", ip)));
    }
  }
  return fmt::format("{}:{}", host, ip);
}

Result<std::vector<std::string>> parse_expose(std::string_view value) {
  if (value.find(':') != std::string_view::npos) {
    return invalid(fmt::format("invalid port format for --expose: {}", value));
  }
  auto [proto, port] = split_proto_port(value);
  auto range = parse_port_range(port);
  if (!range) {
    return invalid(fmt::format("invalid range format for --expose: {}, error: {}", value,
                               range.error().message()));
  }
  return port_list(range->first, range->second, proto);
}

namespace {

// A -p value taken apart and checked: [ip:][hostPort[-end]:]containerPort[-end][/proto].
struct PublishSpec {
  std::string ip;
  std::string host_port;  // as given ("" none)
  std::pair<uint64_t, uint64_t> host_range{0, 0};
  std::pair<uint64_t, uint64_t> range;  // container ports
  std::string proto;                    // lower case
};

Result<PublishSpec> parse_publish_spec(std::string_view value) {
  std::string raw = BERTH_TRY(standard_publish(value));
  auto parts = split(raw, ':');
  PublishSpec out;
  std::string container = parts.back();
  out.host_port = parts.size() >= 2 ? parts[parts.size() - 2] : "";
  if (parts.size() >= 3) {
    out.ip = join(std::vector<std::string>(parts.begin(), parts.end() - 2), ":");
  }
  auto [proto, container_port] = split_proto_port(container);
  if (out.ip.size() >= 2 && out.ip.front() == '[' && out.ip.back() == ']') {
    out.ip = out.ip.substr(1, out.ip.size() - 2);
  }
  if (!out.ip.empty() && !canonical_ip(out.ip)) {
    return invalid(fmt::format("invalid IP address: {}", out.ip));
  }
  if (container_port.empty()) {
    return invalid(fmt::format("no port specified: {}<empty>", raw));
  }
  auto range = parse_port_range(container_port);
  if (!range) {
    return invalid(fmt::format("invalid containerPort: {}", container_port));
  }
  out.range = *range;
  if (!out.host_port.empty()) {
    auto host_range = parse_port_range(out.host_port);
    if (!host_range) {
      return invalid(fmt::format("invalid hostPort: {}", out.host_port));
    }
    if (range->second - range->first != host_range->second - host_range->first &&
        range->second != range->first) {
      return invalid(fmt::format("invalid ranges specified for container and host Ports: {} and {}",
                                 container_port, out.host_port));
    }
    out.host_range = *host_range;
  }
  out.proto = to_lower(proto);
  if (out.proto != "tcp" && out.proto != "udp" && out.proto != "sctp") {
    return invalid(fmt::format("invalid proto: {}", proto));
  }
  return out;
}

}  // namespace

Result<std::vector<std::string>> parse_publish(std::string_view value) {
  auto spec = BERTH_TRY(parse_publish_spec(value));
  return port_list(spec.range.first, spec.range.second, spec.proto);
}

Result<std::vector<PortBinding>> parse_port_bindings(std::string_view value) {
  auto spec = BERTH_TRY(parse_publish_spec(value));
  std::vector<PortBinding> out;
  bool pairwise = spec.range.second > spec.range.first;
  for (uint64_t p = spec.range.first; p <= spec.range.second; ++p) {
    PortBinding b{fmt::format("{}/{}", p, spec.proto), spec.ip, spec.host_port};
    if (pairwise && !spec.host_port.empty()) {
      b.host_port = std::to_string(spec.host_range.first + (p - spec.range.first));
    }
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace berth::engine
