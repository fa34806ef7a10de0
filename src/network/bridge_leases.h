// The default bridge's addresses, leased host-wide. Its device (berth0) is one for every store
// root on the host while each root keeps its own network records, so the addresses handed out
// there are also written to one file for the whole host, <dir>/leases.json (dir:
// $BERTH_BRIDGE_LEASES_DIR, else /run/berth-bridge), changed under <dir>/.lock. A lease whose
// container directory (<root>/containers/<id>) is gone is stale and reclaimed.
#pragma once

#include <memory>
#include <string>

#include "base/error.h"
#include "network/ipam.h"

namespace berth::network {

// The host-wide directory ($BERTH_BRIDGE_LEASES_DIR, else /run/berth-bridge): on tmpfs, so it
// goes with a reboot, as the kernel's nftables state does.
std::string bridge_state_dir();

// Takes the host-wide lock and loads the leases; every call below works on that snapshot and
// save() writes it back. Not copyable; the lock goes with it.
class BridgeLeases {
 public:
  static Result<BridgeLeases> open();
  BridgeLeases(BridgeLeases&&) noexcept;
  BridgeLeases& operator=(BridgeLeases&&) noexcept;
  ~BridgeLeases();

  // Marks in alloc every address leased to another root's (or container's) live container.
  void mark_taken(Allocations& alloc, const std::string& root, const std::string& container);
  void lease(Ip4 ip, const std::string& root, const std::string& container);
  void drop(const std::string& root, const std::string& container);
  Result<void> save();

 private:
  struct State;
  explicit BridgeLeases(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

}  // namespace berth::network
