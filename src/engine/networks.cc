#include "engine/networks.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/sha256.h"
#include "base/strings.h"
#include "network/network_record.h"
#include "network/network_store.h"

namespace berth::engine {
namespace {

// host and none have no record; their ids only have to be stable per store.
NetworkInfo builtin_network(const std::string& root, const std::string& name) {
  NetworkInfo n;
  n.id = Sha256::hex_of("berth builtin network " + name + " " + root);
  n.name = name;
  n.driver = name == "none" ? "null" : name;
  n.builtin = true;
  n.inspect = network::builtin_inspect_json(name, n.id);
  n.inspect["Driver"] = n.driver;
  return n;
}

NetworkInfo info_from_record(const network::NetworkRecord& r) {
  NetworkInfo n;
  n.id = r.id;
  n.name = r.name;
  n.driver = r.driver;
  n.created_nanos = r.created_nanos;
  n.in_use = !r.endpoints.empty();
  n.labels = r.labels;
  n.inspect = network::inspect_json(r);
  return n;
}

bool network_label_matches(const std::map<std::string, std::string>& labels, const std::string& f) {
  bool eq = false;
  auto [k, v] = cut(f, '=', &eq);
  auto it = labels.find(std::string(k));
  return it != labels.end() && (!eq || it->second == v);
}

template <typename P>
bool network_any_or_empty(const std::vector<std::string>& vs, P pred) {
  return vs.empty() || std::any_of(vs.begin(), vs.end(), pred);
}

}  // namespace

Result<NetworkFilters> parse_network_filters(const std::vector<std::string>& filters, bool prune) {
  NetworkFilters f;
  for (const auto& s : filters) {
    bool found = false;
    auto [k, v] = cut(s, '=', &found);
    std::string key = to_lower(trim(k));
    std::string value(v);
    if (!found) {
      return fail(Code::kInvalidArgument, fmt::format("invalid filter '{}'", s));
    }
    if (key == "label") {
      f.labels.push_back(value);
    } else if (prune && key == "label!") {
      f.not_labels.push_back(value);
    } else if (prune && key == "until") {
      auto t = parse_rfc3339(value);
      if (!t) {
        return fail(Code::kInvalidArgument, fmt::format("invalid until filter '{}'", value));
      }
      f.until_nanos = *t;
    } else if (!prune && key == "name") {
      f.names.push_back(value);
    } else if (!prune && key == "id") {
      f.ids.push_back(value);
    } else if (!prune && key == "driver") {
      f.drivers.push_back(value);
    } else {
      return fail(Code::kInvalidArgument, fmt::format("invalid filter '{}'", key));
    }
  }
  return f;
}

bool network_matches(const NetworkInfo& n, const NetworkFilters& f) {
  return network_any_or_empty(
             f.names, [&](const std::string& s) { return n.name.find(s) != std::string::npos; }) &&
         network_any_or_empty(f.ids, [&](const std::string& s) { return n.id.starts_with(s); }) &&
         network_any_or_empty(f.drivers, [&](const std::string& s) { return n.driver == s; }) &&
         std::all_of(f.labels.begin(), f.labels.end(),
                     [&](const std::string& s) { return network_label_matches(n.labels, s); }) &&
         std::none_of(f.not_labels.begin(), f.not_labels.end(),
                      [&](const std::string& s) { return network_label_matches(n.labels, s); }) &&
         (!f.until_nanos || n.created_nanos < *f.until_nanos);
}

Result<Networks> Networks::open(const std::string& root) {
  BERTH_TRY(network::NetworkStore::open(root));
  return Networks(root);
}

Result<std::vector<NetworkInfo>> Networks::list() {
  auto store = BERTH_TRY(network::NetworkStore::open(root_));
  std::vector<NetworkInfo> out;
  for (const auto& r : BERTH_TRY(store.list())) {
    out.push_back(info_from_record(r));
  }
  out.push_back(builtin_network(root_, "host"));
  out.push_back(builtin_network(root_, "none"));
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return out;
}

Result<NetworkInfo> Networks::find(const std::string& ref) {
  auto all = BERTH_TRY(list());
  for (const auto& n : all) {
    if (n.id == ref || n.name == ref) {
      return n;
    }
  }
  std::vector<const NetworkInfo*> hits;
  for (const auto& n : all) {
    if (!ref.empty() && n.id.starts_with(ref)) {
      hits.push_back(&n);
    }
  }
  if (hits.size() == 1) {
    return *hits[0];
  }
  if (hits.size() > 1) {
    return fail(Code::kConflict,
                fmt::format("network {} is ambiguous ({} matches found)", ref, hits.size()));
  }
  return fail(Code::kNotFound, fmt::format("network {} not found", ref));
}

Result<std::string> Networks::create(const NetworkCreateOptions& o) {
  auto store = BERTH_TRY(network::NetworkStore::open(root_));
  network::CreateRequest req{o.name,     o.driver,   o.subnet, o.gateway,
                             o.ip_range, o.internal, o.labels, o.options};
  return BERTH_TRY(store.create(req)).id;
}

Result<void> Networks::remove(const std::string& ref) {
  auto n = BERTH_TRY(find(ref));
  if (n.builtin) {
    return fail(Code::kPermissionDenied,
                fmt::format("{} is a pre-defined network and cannot be removed", n.name));
  }
  auto store = BERTH_TRY(network::NetworkStore::open(root_));
  return store.remove(n.id);
}

Result<std::vector<std::string>> Networks::prune(const NetworkFilters& f) {
  std::vector<std::string> removed;
  for (const auto& n : BERTH_TRY(list())) {
    if (n.builtin || n.name == network::kDefaultBridgeName || !network_matches(n, f)) {
      continue;
    }
    auto store = BERTH_TRY(network::NetworkStore::open(root_));
    // A network with containers (also one that gained one since the listing) is refused under
    // the lock, and skipped; one whose endpoints are all stale goes.
    if (store.remove(n.id)) {
      removed.push_back(n.name);
    }
  }
  return removed;
}

}  // namespace berth::engine
