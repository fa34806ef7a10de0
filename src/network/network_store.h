// NetworkStore: the networks of one store root and their Linux bridges.
//
// On disk:
//   <root>/networks/<id>/network.json   NetworkRecord (record_to_json), 0600
//   <root>/networks/.lock               flock, exclusive around every read-modify-write
// Every change (create, remove, allocate, release) holds the lock, so concurrent berth
// processes never make two networks of one name or overlapping subnets, nor hand out one
// address twice. Reads (list, find) take it too, since the first of them makes the default
// bridge. Calls block on the lock, the file system and netlink.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "network/ipam.h"
#include "network/network_record.h"

namespace berth::network {

inline constexpr const char* kDefaultBridgeName = "bridge";
inline constexpr const char* kDefaultBridgeDevice = "berth0";
inline constexpr const char* kBridgeNameOption = "com.docker.network.bridge.name";

struct CreateRequest {
  std::string name;
  std::string driver = "bridge";                         // the only one supported
  std::optional<std::string> subnet, gateway, ip_range;  // as typed
  bool internal = false;
  std::map<std::string, std::string> labels, options;
};

class NetworkStore {
 public:
  // Opens (creating <root>/networks, 0700, if needed) the networks of the store at root.
  static Result<NetworkStore> open(const std::string& root);

  // Every network, sorted by name; the default bridge is made on first use.
  Result<std::vector<NetworkRecord>> list();
  // By full id, name, or unique id prefix (docker's order). NotFound ("network x not found").
  Result<NetworkRecord> find(const std::string& ref);

  // Validates the request (driver, name taken, subnet/gateway/range, overlap with other
  // networks and, for --subnet, host routes), picks a subnet from the pool when none given,
  // creates the bridge up with the gateway address and writes the record. On any failure no
  // bridge and no record remain. InvalidArgument/Conflict/Unavailable as one line.
  Result<NetworkRecord> create(const CreateRequest& req);
  // Refuses (Conflict) a network with endpoints and the default bridge; deletes the bridge
  // and the record. Endpoints whose container directory (<root>/containers/<id>) is gone are
  // stale (a crashed removal) and do not count.
  Result<void> remove(const std::string& ref);

  // Reserves an address for a container on the network (requested, or the next free one)
  // and records the endpoint; Conflict when the container is already connected.
  Result<EndpointRecord> allocate(const std::string& ref, const std::string& container_id,
                                  const std::string& container_name, std::optional<std::string> ip);
  // Stores what attach() made (host link, ifname) for an allocated endpoint.
  Result<void> set_endpoint(const std::string& ref, const std::string& container_id,
                            const EndpointRecord& ep);
  // Forgets the endpoint and frees its address; a missing endpoint is not an error.
  Result<void> release(const std::string& ref, const std::string& container_id);

 private:
  explicit NetworkStore(std::string dir) : dir_(std::move(dir)) {}
  // The store root (dir_ is <root>/networks).
  std::string root() const { return dir_.substr(0, dir_.rfind('/')); }
  Result<std::vector<NetworkRecord>> read_all();
  Result<NetworkRecord> find_in(const std::vector<NetworkRecord>& all, const std::string& ref);
  Result<void> write(const NetworkRecord& r);
  Result<void> ensure_default_locked(std::vector<NetworkRecord>& all);
  Result<NetworkRecord> make_record(const CreateRequest& req,
                                    const std::vector<NetworkRecord>& all);
  Result<NetworkRecord> materialise(NetworkRecord r, bool keep_existing_bridge);
  std::string dir_;
};

}  // namespace berth::network
