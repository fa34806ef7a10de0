#include "network/network_record.h"

#include <fmt/format.h>

#include "base/strings.h"

namespace berth::network {
namespace {

Json string_map(const std::map<std::string, std::string>& m) {
  Json j = Json::object();
  for (const auto& [k, v] : m) {
    j[k] = v;
  }
  return j;
}

Result<std::map<std::string, std::string>> read_map(const Json& j, const char* key,
                                                    std::string_view what) {
  std::map<std::string, std::string> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    return out;
  }
  if (!it->is_object()) {
    return fail(Code::kCorrupt, fmt::format("{}: {} is not an object", what, key));
  }
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string()) {
      return fail(Code::kCorrupt, fmt::format("{}: {}.{} is not a string", what, key, k));
    }
    out[k] = v.get<std::string>();
  }
  return out;
}

Result<Ip4> read_ip(const Json& j, std::string_view key, std::string_view what) {
  auto s = BERTH_TRY(json_string(j, key, what));
  return with_context(parse_ip4(s), std::string(what));
}

// Go prints time.Time in local time with its zone offset; UTC is what a container host uses.
std::string created_text(int64_t nanos) { return rfc3339_nano(nanos); }

}  // namespace

Allocations NetworkRecord::allocations() const {
  Allocations a(subnet);
  for (const auto& [id, ep] : endpoints) {
    a.mark_used(ep.address);
  }
  return a;
}

Json record_to_json(const NetworkRecord& r) {
  Json j;
  j["Id"] = r.id;
  j["Name"] = r.name;
  j["Driver"] = r.driver;
  j["Created"] = rfc3339_nano(r.created_nanos);
  j["Subnet"] = r.subnet.subnet.str();
  j["Gateway"] = format_ip4(r.subnet.gateway);
  if (r.subnet.ip_range) {
    j["IPRange"] = r.subnet.ip_range->str();
  }
  j["Internal"] = r.internal;
  j["Labels"] = string_map(r.labels);
  j["Options"] = string_map(r.options);
  j["Bridge"] = r.bridge;
  Json eps = Json::object();
  for (const auto& [id, ep] : r.endpoints) {
    eps[id] = Json{{"Name", ep.container_name},
                   {"HostLink", ep.host_link},
                   {"IfName", ep.ifname},
                   {"IPv4Address", format_ip4(ep.address)}};
  }
  j["Endpoints"] = eps;
  return j;
}

Result<NetworkRecord> record_from_json(const Json& j, std::string_view what) {
  if (!j.is_object()) {
    return fail(Code::kCorrupt, fmt::format("{}: not a JSON object", what));
  }
  NetworkRecord r;
  r.id = BERTH_TRY(json_string(j, "Id", what));
  r.name = BERTH_TRY(json_string(j, "Name", what));
  r.driver = BERTH_TRY(json_string(j, "Driver", what));
  r.created_nanos = parse_rfc3339(BERTH_TRY(json_string(j, "Created", what))).value_or(0);
  auto subnet =
      BERTH_TRY_CTX(parse_cidr(BERTH_TRY(json_string(j, "Subnet", what))), std::string(what));
  std::optional<Cidr> range;
  if (j.contains("IPRange")) {
    range =
        BERTH_TRY_CTX(parse_cidr(BERTH_TRY(json_string(j, "IPRange", what))), std::string(what));
  }
  r.subnet = BERTH_TRY_CTX(make_subnet(subnet, BERTH_TRY(read_ip(j, "Gateway", what)), range),
                           std::string(what));
  r.internal = j.value("Internal", false);
  r.labels = BERTH_TRY(read_map(j, "Labels", what));
  r.options = BERTH_TRY(read_map(j, "Options", what));
  r.bridge = BERTH_TRY(json_string(j, "Bridge", what));
  if (auto eps = j.find("Endpoints"); eps != j.end() && eps->is_object()) {
    for (const auto& [id, e] : eps->items()) {
      EndpointRecord ep;
      ep.container_name = e.value("Name", "");
      ep.host_link = e.value("HostLink", "");
      ep.ifname = e.value("IfName", "");
      ep.address = BERTH_TRY(read_ip(e, "IPv4Address", what));
      r.endpoints[id] = std::move(ep);
    }
  }
  return r;
}

Json inspect_json(const NetworkRecord& r) {
  Json config = Json::object();
  config["Subnet"] = r.subnet.subnet.str();
  if (r.subnet.ip_range) {
    config["IPRange"] = r.subnet.ip_range->str();
  }
  config["Gateway"] = format_ip4(r.subnet.gateway);
  Json containers = Json::object();
  for (const auto& [id, ep] : r.endpoints) {
    containers[id] =
        Json{{"Name", ep.container_name},
             {"EndpointID", ""},
             {"MacAddress", ""},
             {"IPv4Address", fmt::format("{}/{}", format_ip4(ep.address), r.subnet.subnet.prefix)},
             {"IPv6Address", ""}};
  }
  Json j;
  j["Name"] = r.name;
  j["Id"] = r.id;
  j["Created"] = created_text(r.created_nanos);
  j["Scope"] = "local";
  j["Driver"] = r.driver;
  j["EnableIPv6"] = false;
  j["IPAM"] = Json{{"Driver", "default"}, {"Options", Json::object()}, {"Config", {config}}};
  j["Internal"] = r.internal;
  j["Attachable"] = false;
  j["Ingress"] = false;
  j["ConfigFrom"] = Json{{"Network", ""}};
  j["ConfigOnly"] = false;
  j["Containers"] = containers;
  j["Options"] = string_map(r.options);
  j["Labels"] = string_map(r.labels);
  return j;
}

Json builtin_inspect_json(std::string_view name, std::string_view id) {
  Json j;
  j["Name"] = name;
  j["Id"] = id;
  j["Created"] = rfc3339_nano(0);
  j["Scope"] = "local";
  j["Driver"] = name;
  j["EnableIPv6"] = false;
  j["IPAM"] = Json{{"Driver", "default"}, {"Options", nullptr}, {"Config", Json::array()}};
  j["Internal"] = false;
  j["Attachable"] = false;
  j["Ingress"] = false;
  j["ConfigFrom"] = Json{{"Network", ""}};
  j["ConfigOnly"] = false;
  j["Containers"] = Json::object();
  j["Options"] = Json::object();
  j["Labels"] = Json::object();
  return j;
}

}  // namespace berth::network
