// The files docker writes for each container and binds into it: /etc/hostname, /etc/hosts and
// /etc/resolv.conf.
#pragma once

#include <string>

#include "base/error.h"
#include "engine/container.h"

namespace berth::engine {

// Writes hostname, hosts and resolv.conf into dir and records their paths in c. hosts: the
// host's /etc/hosts for --network host, else localhost entries, the container's own hostname
// (on loopback: --network none has no other address) and --add-host lines. resolv.conf: the
// host's, minus loopback nameservers (unreachable from another network namespace), with --dns,
// --dns-search and --dns-option replacing their kind of line.
Result<void> write_container_files(Container& c, const std::string& dir);

// One other container on a network of c, as its /etc/hosts names it.
struct HostsPeer {
  std::string ip;
  std::vector<std::string> names;  // container name, network aliases, short ID
};
// The whole /etc/hosts of c: what write_container_files writes, then a line per peer.
std::string container_hosts(const Container& c, const std::vector<HostsPeer>& peers);

}  // namespace berth::engine
