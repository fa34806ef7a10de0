#include "network/network_store.h"

#include <dirent.h>

#include <algorithm>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"
#include "network/bridge.h"
#include "network/bridge_leases.h"
#include "network/nat.h"
#include "network/netlink.h"
#include "sys/file_lock.h"

namespace berth::network {
namespace {

using sys::FileLock;

Result<std::vector<Cidr>> host_routes() {
  auto nl = BERTH_TRY(Netlink::open());
  return nl.list_routes();
}

Result<std::optional<Cidr>> parse_opt_cidr(const std::optional<std::string>& s, const char* flag) {
  if (!s) {
    return std::optional<Cidr>();
  }
  return BERTH_TRY_CTX(parse_cidr(*s), flag);
}

}  // namespace

Result<NetworkStore> NetworkStore::open(const std::string& root) {
  std::string dir = root + "/networks";
  BERTH_CHECK(mkdir_p(dir, 0700));
  return NetworkStore(dir);
}

Result<std::vector<NetworkRecord>> NetworkStore::read_all() {
  auto d = BERTH_TRY(open_dir(dir_));
  DIR* dp = fdopendir(d.release());
  if (dp == nullptr) {
    return fail_errno("reading " + dir_);
  }
  std::vector<std::string> ids;
  while (dirent* e = readdir(dp)) {
    std::string n = e->d_name;
    if (n.size() == 64 && is_hex(n)) {
      ids.push_back(n);
    }
  }
  closedir(dp);
  std::vector<NetworkRecord> out;
  for (const auto& id : ids) {
    std::string path = dir_ + "/" + id + "/network.json";
    auto text = read_file(path);
    if (!text && text.error().code() == Code::kNotFound) {
      continue;  // a directory being removed
    }
    auto j = BERTH_TRY(parse_json(BERTH_TRY(std::move(text)), path));
    out.push_back(BERTH_TRY(record_from_json(j, path)));
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return out;
}

Result<NetworkRecord> NetworkStore::find_in(const std::vector<NetworkRecord>& all,
                                            const std::string& ref) {
  for (const auto& r : all) {
    if (r.id == ref) {
      return r;
    }
  }
  for (const auto& r : all) {
    if (r.name == ref) {
      return r;
    }
  }
  const NetworkRecord* hit = nullptr;
  for (const auto& r : all) {
    if (!ref.empty() && r.id.starts_with(ref)) {
      if (hit != nullptr) {
        return fail(Code::kConflict,
                    fmt::format("network {} is ambiguous ({} matches found)", ref, 2));
      }
      hit = &r;
    }
  }
  if (hit == nullptr) {
    return fail(Code::kNotFound, fmt::format("network {} not found", ref));
  }
  return *hit;
}

Result<void> NetworkStore::write(const NetworkRecord& r) {
  std::string d = dir_ + "/" + r.id;
  BERTH_CHECK(mkdir_p(d, 0700));
  return write_file_atomic(d + "/network.json", record_to_json(r).dump(2), 0600);
}

// Creates the bridge of a record and writes it; the bridge goes again if the write fails.
Result<NetworkRecord> NetworkStore::materialise(NetworkRecord r, bool keep_existing_bridge) {
  auto made = keep_existing_bridge
                  ? ensure_bridge_network(r.bridge, r.subnet.gateway, r.subnet.subnet.prefix)
                  : create_bridge_network(r.bridge, r.subnet.gateway, r.subnet.subnet.prefix);
  BERTH_CHECK_CTX(std::move(made), fmt::format("network {}", r.name));
  // A user-defined network gets its egress (or, internal, its isolation) at once; the default
  // bridge, made on first use by any command, gets it when a container first joins it.
  NetworkNat nat{r.bridge, r.subnet.subnet, r.internal};
  Result<void> w = keep_existing_bridge ? Result<void>() : add_network_nat(nat);
  if (w) {
    w = write(r);
  }
  if (!w) {
    if (!keep_existing_bridge) {
      (void)remove_network_nat(nat);
      (void)delete_bridge_network(r.bridge);
    }
    (void)remove_tree(dir_ + "/" + r.id);
    return tl::unexpected(std::move(w).error());
  }
  return r;
}

namespace {

// berth0's first IPv4 address (base = the address itself, with its prefix), when it exists.
std::optional<Cidr> default_bridge_address() {
  auto nl = Netlink::open();
  if (!nl) {
    return std::nullopt;
  }
  auto index = nl->link_index(kDefaultBridgeDevice);
  if (!index) {
    return std::nullopt;
  }
  auto addrs = nl->list_addresses(*index);
  if (!addrs || addrs->empty()) {
    return std::nullopt;
  }
  return addrs->front();
}

}  // namespace

Result<void> NetworkStore::ensure_default_locked(std::vector<NetworkRecord>& all) {
  for (const auto& r : all) {
    if (r.name == kDefaultBridgeName) {
      return {};
    }
  }
  NetworkRecord r;
  r.id = random_hex(64);
  r.name = kDefaultBridgeName;
  r.created_nanos = now_nanos();
  // The device outlives store roots (every root's default network is berth0): a root that
  // finds it takes the subnet it has, instead of giving it one more address (and using up the
  // address pools, one root after another).
  if (auto existing = default_bridge_address()) {
    r.subnet = BERTH_TRY(
        make_subnet(Cidr{existing->base & Cidr{0, existing->prefix}.mask(), existing->prefix},
                    existing->base, {}));
  } else {
    std::vector<Cidr> taken = BERTH_TRY(host_routes());
    for (const auto& o : all) {
      taken.push_back(o.subnet.subnet);
    }
    // docker's default bridge takes 172.17.0.0/16 unless something local is there already.
    auto cidr = BERTH_TRY(pick_subnet(taken, false));
    r.subnet = BERTH_TRY(make_subnet(cidr, {}, {}));
  }
  r.bridge = kDefaultBridgeDevice;
  r.options = {{"com.docker.network.bridge.default_bridge", "true"},
               {"com.docker.network.bridge.enable_icc", "true"},
               {"com.docker.network.bridge.enable_ip_masquerade", "true"},
               {"com.docker.network.bridge.host_binding_ipv4", "0.0.0.0"},
               {kBridgeNameOption, kDefaultBridgeDevice},
               {"com.docker.network.driver.mtu", "1500"}};
  all.push_back(BERTH_TRY(materialise(std::move(r), true)));
  std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return {};
}

Result<std::vector<NetworkRecord>> NetworkStore::list() {
  auto lock = BERTH_TRY(FileLock::acquire(dir_ + "/.lock", FileLock::Mode::kExclusive));
  auto all = BERTH_TRY(read_all());
  BERTH_CHECK(ensure_default_locked(all));
  return all;
}

Result<NetworkRecord> NetworkStore::find(const std::string& ref) {
  auto all = BERTH_TRY(list());
  return find_in(all, ref);
}

Result<NetworkRecord> NetworkStore::make_record(const CreateRequest& req,
                                                const std::vector<NetworkRecord>& all) {
  if (req.driver != "bridge") {
    return fail(
        Code::kInvalidArgument,
        fmt::format("plugin \"{}\" not found: only the bridge driver is supported", req.driver));
  }
  if (req.name.empty() || req.name == "host" || req.name == "none") {
    return fail(Code::kConflict, fmt::format("network with name {} already exists", req.name));
  }
  for (const auto& o : all) {
    if (o.name == req.name) {
      return fail(Code::kConflict, fmt::format("network with name {} already exists", req.name));
    }
  }
  auto subnet = BERTH_TRY(parse_opt_cidr(req.subnet, "--subnet"));
  auto range = BERTH_TRY(parse_opt_cidr(req.ip_range, "--ip-range"));
  std::optional<Ip4> gateway;
  if (req.gateway) {
    gateway = BERTH_TRY_CTX(parse_ip4(*req.gateway), "--gateway");
  }
  if (!subnet && (gateway || range)) {
    return fail(Code::kInvalidArgument, "--gateway and --ip-range need --subnet");
  }
  std::vector<Cidr> taken;
  for (const auto& o : all) {
    if (subnet && o.subnet.subnet.overlaps(*subnet)) {
      return fail(Code::kConflict,
                  fmt::format("invalid pool request: Pool overlaps with other one on this "
                              "address space ({} overlaps {} of network {})",
                              subnet->str(), o.subnet.subnet.str(), o.name));
    }
    taken.push_back(o.subnet.subnet);
  }
  if (!subnet) {
    auto routes = BERTH_TRY(host_routes());
    taken.insert(taken.end(), routes.begin(), routes.end());
    subnet = BERTH_TRY(pick_subnet(taken, true));
  }
  NetworkRecord r;
  r.id = random_hex(64);
  r.name = req.name;
  r.created_nanos = now_nanos();
  r.subnet = BERTH_TRY(make_subnet(*subnet, gateway, range));
  r.internal = req.internal;
  r.labels = req.labels;
  r.options = req.options;
  auto dev = req.options.find(kBridgeNameOption);
  r.bridge = dev != req.options.end() ? dev->second : "br-" + r.id.substr(0, 12);
  return r;
}

Result<NetworkRecord> NetworkStore::create(const CreateRequest& req) {
  auto lock = BERTH_TRY(FileLock::acquire(dir_ + "/.lock", FileLock::Mode::kExclusive));
  auto all = BERTH_TRY(read_all());
  BERTH_CHECK(ensure_default_locked(all));
  auto r = BERTH_TRY(make_record(req, all));
  return materialise(std::move(r), false);
}

Result<void> NetworkStore::remove(const std::string& ref) {
  auto lock = BERTH_TRY(FileLock::acquire(dir_ + "/.lock", FileLock::Mode::kExclusive));
  auto all = BERTH_TRY(read_all());
  if (ref == "host" || ref == "none") {
    return fail(Code::kPermissionDenied,
                fmt::format("{} is a pre-defined network and cannot be removed", ref));
  }
  auto r = BERTH_TRY(find_in(all, ref));
  if (r.name == kDefaultBridgeName) {
    return fail(Code::kPermissionDenied, "bridge is a pre-defined network and cannot be removed");
  }
  // Endpoints of containers whose directory is gone are stale: a berth process died between
  // removing a container and releasing its address. They do not keep the network.
  std::erase_if(r.endpoints, [&](const auto& e) {
    return !path_exists(fmt::format("{}/containers/{}", root(), e.first));
  });
  if (!r.endpoints.empty()) {
    return fail(Code::kConflict,
                fmt::format("error while removing network: network {} id {} has active "
                            "endpoints",
                            r.name, r.id));
  }
  BERTH_CHECK_CTX(remove_network_nat({r.bridge, r.subnet.subnet, r.internal}),
                  fmt::format("network {}", r.name));
  BERTH_CHECK_CTX(delete_bridge_network(r.bridge), fmt::format("network {}", r.name));
  return remove_tree(dir_ + "/" + r.id);
}

Result<EndpointRecord> NetworkStore::allocate(const std::string& ref,
                                              const std::string& container_id,
                                              const std::string& container_name,
                                              std::optional<std::string> ip) {
  auto lock = BERTH_TRY(FileLock::acquire(dir_ + "/.lock", FileLock::Mode::kExclusive));
  auto all = BERTH_TRY(read_all());
  BERTH_CHECK(ensure_default_locked(all));
  auto r = BERTH_TRY(find_in(all, ref));
  if (r.endpoints.contains(container_id)) {
    return fail(Code::kConflict, fmt::format("container {} is already connected to network {}",
                                             container_name, r.name));
  }
  auto alloc = r.allocations();
  // The default bridge's device is shared by every store root: its addresses are leased
  // host-wide too (the lock order is always this root's, then the host's).
  std::optional<BridgeLeases> leases;
  if (r.name == kDefaultBridgeName) {
    leases = BERTH_TRY(BridgeLeases::open());
    leases->mark_taken(alloc, root(), container_id);
  }
  EndpointRecord ep;
  ep.container_name = container_name;
  if (ip) {
    ep.address = BERTH_TRY_CTX(parse_ip4(*ip), "--ip");
    BERTH_CHECK_CTX(alloc.reserve(ep.address), fmt::format("network {}", r.name));
  } else {
    ep.address = BERTH_TRY_CTX(alloc.allocate(), fmt::format("network {}", r.name));
  }
  if (leases) {
    leases->lease(ep.address, root(), container_id);
    BERTH_CHECK(leases->save());
  }
  r.endpoints[container_id] = ep;
  BERTH_CHECK(write(r));
  return ep;
}

Result<void> NetworkStore::set_endpoint(const std::string& ref, const std::string& container_id,
                                        const EndpointRecord& ep) {
  auto lock = BERTH_TRY(FileLock::acquire(dir_ + "/.lock", FileLock::Mode::kExclusive));
  auto all = BERTH_TRY(read_all());
  auto r = BERTH_TRY(find_in(all, ref));
  auto it = r.endpoints.find(container_id);
  if (it == r.endpoints.end()) {
    return fail(Code::kNotFound,
                fmt::format("container {} is not connected to network {}", container_id, r.name));
  }
  it->second = ep;
  return write(r);
}

Result<void> NetworkStore::release(const std::string& ref, const std::string& container_id) {
  auto lock = BERTH_TRY(FileLock::acquire(dir_ + "/.lock", FileLock::Mode::kExclusive));
  auto all = BERTH_TRY(read_all());
  auto r = BERTH_TRY(find_in(all, ref));
  if (r.name == kDefaultBridgeName) {
    auto leases = BERTH_TRY(BridgeLeases::open());
    leases.drop(root(), container_id);
    BERTH_CHECK(leases.save());
  }
  if (r.endpoints.erase(container_id) == 0) {
    return {};
  }
  return write(r);
}

}  // namespace berth::network
