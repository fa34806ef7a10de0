// The network parts of a container's JSON (container_json.cc): docker's PortBindings and
// NetworkSettings, and berth's record of its network endpoints. Internal to the engine.
#pragma once

#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "engine/container.h"

namespace berth::engine {

// {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}, docker's map form.
Json port_bindings_json(const std::vector<PortBinding>& bindings);
// Corrupt naming the member for a malformed map.
Result<std::vector<PortBinding>> read_port_bindings(const Json& j);

Json attachments_json(const std::vector<NetworkAttachment>& networks);
Result<std::vector<NetworkAttachment>> read_attachments(const Json& j);

// docker's NetworkSettings: the mode's network (none, host) or the container's bridge
// networks with their addresses, and Ports (the bound ones while it runs).
Json network_settings_json(const Container& c);

}  // namespace berth::engine
