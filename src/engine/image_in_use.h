// Which images and layers containers use, so that rmi, image prune and the garbage collector
// leave them alone as docker's daemon does. Internal to engine/.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/engine.h"
#include "oci/digest.h"
#include "store/gc.h"

namespace berth::engine {

struct ImageUser {
  std::string container_id;
  bool running = false;  // running, paused or restarting: docker's "running" for rmi
};

// Every container by the ID ("sha256:…") of the image it was created from.
Result<std::map<std::string, std::vector<ImageUser>>> image_users(const Engine& engine);

// GC options that keep every layer a container's overlay uses (its record's lowerdirs) and every
// layer a build cache record names (<root>/buildcache, build/builder.h), asked again under the
// store's exclusive lock.
store::GcOptions gc_keeping_used_layers(const Engine& engine);

}  // namespace berth::engine
