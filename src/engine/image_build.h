// `berth build` on the engine's side: the builder (build/builder.h) gets images and RUN
// containers from here, and the result becomes a named image once every step has succeeded.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "build/builder.h"
#include "engine/engine.h"
#include "oci/digest.h"

namespace berth::engine {

struct BuildOutcome {
  oci::Digest image_id;  // the config digest
  int steps = 0, cached = 0;
};

// Builds, then writes the image and gives it `tags` (normalised first: a bad tag fails before
// anything runs). RUN steps are containers on the host's network for now (issue 6), removed
// after their changes became a layer. Progress lines go to `log`. Blocks.
Result<BuildOutcome> build_image(Engine& engine, const build::BuildRequest& request,
                                 const std::vector<std::string>& tags,
                                 const std::function<void(std::string_view)>& log);

// `builder prune`: drops every build cache record, then collects the layers nothing else uses.
// Returns the bytes freed.
Result<int64_t> prune_build_cache(Engine& engine);

}  // namespace berth::engine
