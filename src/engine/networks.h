// Networks for front ends: `network create|ls|inspect|rm|prune` over network::NetworkStore,
// plus docker's two built-in networks `host` and `none`, which have no record. Every call
// blocks on the networks lock, the file system and netlink (see network/network_store.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace berth::engine {

struct NetworkCreateOptions {
  std::string name;
  std::string driver = "bridge";
  std::optional<std::string> subnet, gateway, ip_range;
  bool internal = false;
  std::map<std::string, std::string> labels, options;
};

// One network as listed: what `network ls` shows and filters on, and the inspect object.
struct NetworkInfo {
  std::string id;
  std::string name;
  std::string driver;  // bridge, host, null
  int64_t created_nanos = 0;
  bool builtin = false;  // host and none
  bool in_use = false;   // has endpoints
  std::map<std::string, std::string> labels;
  Json inspect;  // docker's `network inspect` object
};

// `network ls --filter` / `network prune --filter`, already parsed.
struct NetworkFilters {
  std::vector<std::string> names;       // any: substring of the name
  std::vector<std::string> ids;         // any: prefix of the id
  std::vector<std::string> drivers;     // any: equal
  std::vector<std::string> labels;      // all: "key" or "key=value"
  std::vector<std::string> not_labels;  // prune's label!=: none may match
  std::optional<int64_t> until_nanos;   // prune: created before
};
// InvalidArgument ("invalid filter 'x'") for unknown keys or a filter without '='.
Result<NetworkFilters> parse_network_filters(const std::vector<std::string>& filters, bool prune);
bool network_matches(const NetworkInfo& n, const NetworkFilters& f);

class Networks {
 public:
  // The networks of the store at root (<root>/networks, made if missing).
  static Result<Networks> open(const std::string& root);

  // Every network, the built-in ones included, sorted by name.
  Result<std::vector<NetworkInfo>> list();
  // By id, name or unique id prefix; NotFound "network x not found".
  Result<NetworkInfo> find(const std::string& ref);
  // Makes the bridge and the record; returns the id.
  Result<std::string> create(const NetworkCreateOptions& opts);
  // Refuses pre-defined networks and networks with containers.
  Result<void> remove(const std::string& ref);
  // Removes every user network without containers that matches; returns their names.
  Result<std::vector<std::string>> prune(const NetworkFilters& f);

 private:
  explicit Networks(std::string root) : root_(std::move(root)) {}
  std::string root_;
};

}  // namespace berth::engine
