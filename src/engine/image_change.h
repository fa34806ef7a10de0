// Applying Dockerfile instructions to an image config, as `import --change` does.
#pragma once

#include <string_view>

#include "base/error.h"
#include "oci/image_config.h"

namespace berth::engine {

// Applies one instruction: ENV, CMD, ENTRYPOINT, WORKDIR, USER, EXPOSE, LABEL, VOLUME,
// STOPSIGNAL, ONBUILD. CMD/ENTRYPOINT take the JSON (exec) form or the shell form
// (→ ["/bin/sh", "-c", text]). InvalidArgument naming the instruction otherwise.
Result<void> apply_change(oci::ContainerConfig& config, std::string_view instruction);

// Splits `k=v k2="v 2"` pairs (and the legacy `k v` form when allow_legacy) as the Dockerfile
// parser does for ENV and LABEL.
Result<std::vector<std::pair<std::string, std::string>>> parse_key_values(std::string_view text,
                                                                          bool allow_legacy);

}  // namespace berth::engine
