#include "engine/container_net_json.h"

#include <fmt/format.h>

#include "oci/json_fields.h"

namespace berth::engine {

namespace {

constexpr std::string_view kNetworkSettingsShape = R"({
  "Bridge": "", "SandboxID": "", "HairpinMode": false, "LinkLocalIPv6Address": "",
  "LinkLocalIPv6PrefixLen": 0, "Ports": {}, "SandboxKey": "", "SecondaryIPAddresses": null,
  "SecondaryIPv6Addresses": null, "EndpointID": "", "Gateway": "", "GlobalIPv6Address": "",
  "GlobalIPv6PrefixLen": 0, "IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "",
  "MacAddress": "", "Networks": {}})";
constexpr std::string_view kEndpointShape = R"({
  "IPAMConfig": null, "Links": null, "Aliases": null, "NetworkID": "", "EndpointID": "",
  "Gateway": "", "IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "", "GlobalIPv6Address": "",
  "GlobalIPv6PrefixLen": 0, "MacAddress": "", "DriverOpts": null})";

Result<void> corrupt(std::string_view what) { return fail(Code::kCorrupt, std::string(what)); }

}  // namespace

Json port_bindings_json(const std::vector<PortBinding>& bindings) {
  Json j = Json::object();
  for (const auto& b : bindings) {
    if (!j.contains(b.container_port)) {
      j[b.container_port] = Json::array();
    }
    j[b.container_port].push_back(Json{{"HostIp", b.host_ip}, {"HostPort", b.host_port}});
  }
  return j;
}

Result<std::vector<PortBinding>> read_port_bindings(const Json& j) {
  std::vector<PortBinding> out;
  if (j.is_null()) {
    return out;
  }
  if (!j.is_object()) {
    BERTH_CHECK(corrupt("PortBindings: not an object"));
  }
  for (const auto& [port, list] : j.items()) {
    if (list.is_null()) {
      continue;
    }
    if (!list.is_array()) {
      BERTH_CHECK(corrupt(fmt::format("PortBindings: {}: not an array", port)));
    }
    for (const auto& b : list) {
      PortBinding pb;
      pb.container_port = port;
      BERTH_CHECK(oci::read_string(b, "HostIp", pb.host_ip));
      BERTH_CHECK(oci::read_string(b, "HostPort", pb.host_port));
      out.push_back(std::move(pb));
    }
  }
  return out;
}

Json attachments_json(const std::vector<NetworkAttachment>& networks) {
  Json j = Json::array();
  for (const auto& n : networks) {
    j.push_back(Json{{"NetworkID", n.network_id},
                     {"NetworkName", n.network_name},
                     {"Bridge", n.bridge},
                     {"IPAddress", n.ip},
                     {"Gateway", n.gateway},
                     {"IPPrefixLen", n.prefix},
                     {"Aliases", Json(n.aliases)}});
  }
  return j;
}

Result<std::vector<NetworkAttachment>> read_attachments(const Json& j) {
  std::vector<NetworkAttachment> out;
  if (!j.is_array()) {
    BERTH_CHECK(corrupt("Networks: not an array"));
  }
  for (const auto& e : j) {
    NetworkAttachment n;
    BERTH_CHECK(oci::expect_object(e, "network endpoint"));
    BERTH_CHECK(oci::read_string(e, "NetworkID", n.network_id));
    BERTH_CHECK(oci::read_string(e, "NetworkName", n.network_name));
    BERTH_CHECK(oci::read_string(e, "Bridge", n.bridge));
    BERTH_CHECK(oci::read_string(e, "IPAddress", n.ip));
    BERTH_CHECK(oci::read_string(e, "Gateway", n.gateway));
    int64_t prefix = 0;
    BERTH_CHECK(oci::read_int(e, "IPPrefixLen", prefix));
    n.prefix = static_cast<int>(prefix);
    BERTH_CHECK(oci::read_strings(e, "Aliases", n.aliases));
    out.push_back(std::move(n));
  }
  return out;
}

Json network_settings_json(const Container& c) {
  static const Json shape = Json::parse(kNetworkSettingsShape);
  static const Json endpoint = Json::parse(kEndpointShape);
  Json j = shape;
  const auto& mode = c.host_config.network_mode;
  if (c.networks.empty()) {
    if (!mode.starts_with("container:")) {
      j["Networks"][mode] = endpoint;
    }
    return j;
  }
  bool running = c.state.status == "running" || c.state.status == "paused";
  for (const auto& n : c.networks) {
    Json e = endpoint;
    e["NetworkID"] = n.network_id;
    e["Gateway"] = n.gateway;
    e["IPAddress"] = n.ip;
    e["IPPrefixLen"] = n.prefix;
    e["Aliases"] = n.aliases.empty() ? Json(nullptr) : Json(n.aliases);
    e["DNSNames"] = Json::array({c.name, c.id.substr(0, 12)});
    j["Networks"][n.network_name] = e;
  }
  // docker fills the top-level address from the first network only while it runs; berth
  // shows the reserved one always (it does not change between starts).
  j["Gateway"] = c.networks.front().gateway;
  j["IPAddress"] = c.networks.front().ip;
  j["IPPrefixLen"] = c.networks.front().prefix;
  if (running) {
    for (const auto& p : c.state.ports) {
      if (!j["Ports"].contains(p.container_port) || j["Ports"][p.container_port].is_null()) {
        j["Ports"][p.container_port] = Json::array();
      }
      j["Ports"][p.container_port].push_back(
          Json{{"HostIp", p.host_ip.empty() ? "0.0.0.0" : p.host_ip}, {"HostPort", p.host_port}});
    }
  }
  return j;
}

}  // namespace berth::engine
