// A container on user-defined bridge networks (issue 6): its address is reserved at create and
// freed at removal; at every start of its init the monitor connects the init's network
// namespace to the bridge and publishes its ports, and unpublishes them when the init exits
// (the veth pair goes with the namespace).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "base/undo.h"
#include "engine/container.h"

namespace berth::engine {

// Fills c.networks for c.host_config.network_mode (nothing for none and host) and, for -P,
// c.host_config.port_bindings. The address is released again by undo if a later step of
// create fails. NotFound "network x not found"; --ip outside the network's subnet and --ip or
// --network-alias without a user-defined network are InvalidArgument, as docker says them.
Result<void> join_networks(const std::string& root, Container& c, const CreateRequest& req,
                           UndoStack& undo);
// Frees the container's addresses (at rm; best effort, errors are returned for logging).
Result<void> leave_networks(const std::string& root, const Container& c);

// `network connect`: the container (created or running) joins another user-defined network;
// a running one gets its veth at once (eth1, eth2, …). Conflict when already connected.
Result<void> connect_container(const std::string& root, const std::string& runroot,
                               const std::string& network, const std::string& container,
                               const std::string& ip, const std::vector<std::string>& aliases);
// `network disconnect`: the reverse; a running container loses the link at once.
Result<void> disconnect_container(const std::string& root, const std::string& runroot,
                                  const std::string& network, const std::string& container);

// Name resolution on user-defined networks, docker's way of answering by container name,
// network alias and short ID, done with files: rewrites /etc/hosts (in place: it is bound into
// the running containers) of every container on these networks so that each names the others.
// Called after a container joins (create) or leaves (rm) them; best effort.
void refresh_network_hosts(const std::string& root, const std::string& runroot,
                           const std::vector<NetworkAttachment>& networks);

// Between clone and exec of the init `pid`: veths into its namespace (eth0, eth1, … with the
// first network's gateway as default route), then the port bindings, each with its host port
// chosen (a free one when none or a range was given). Returns what was published, for
// unpublish_ports. On failure nothing stays published. A taken host port is Conflict with
// docker's "Bind for 0.0.0.0:8080 failed: port is already allocated".
Result<std::vector<PortBinding>> connect_init(const Container& c, pid_t pid);
// Unpublishes what connect_init published; errors are ignored (already gone is fine).
void unpublish_ports(const Container& c, const std::vector<PortBinding>& published);

}  // namespace berth::engine
