// A container's mounts from its flags: -v and --mount binds and volumes (named volumes made on
// first use, anonymous ones for bare paths and the image's VOLUMEs), filled from the image at
// start as docker does.
#pragma once

#include <vector>

#include "base/error.h"
#include "base/undo.h"
#include "engine/container.h"
#include "engine/volumes.h"

namespace berth::engine {

// Fills c.mounts (docker's Mounts, sorted by destination) from c.host_config and the image's
// volumes in c.config.volumes. Volumes it creates are removed again by undo when a later step
// of create fails. Errors as docker's (a --mount bind source that does not exist:
// `invalid mount config for type "bind": bind source path does not exist: /x`).
Result<void> resolve_mounts(Container& c, Volumes& volumes, UndoStack& undo);

// Copies the image's content at each volume's destination into the volume when the volume is
// still empty (not for nocopy), reading the container's root at rootfd.
Result<void> populate_volumes(const Container& c, int rootfd);

// The anonymous volumes of c (for rm -v and --rm).
std::vector<std::string> anonymous_volumes(const Container& c, const Volumes& volumes);

}  // namespace berth::engine
