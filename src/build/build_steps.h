// What each Dockerfile instruction does to a stage: its cache description and its effect on the
// image config (and, for RUN and COPY, a new layer). Internal to the builder (builder.cc).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "build/builder.h"
#include "build/copy_step.h"
#include "build/dockerfile/dockerignore.h"
#include "build/stages.h"
#include "oci/image_config.h"
#include "store/store.h"

namespace berth::build {

struct StageState;

struct StepContext {
  const BuildRequest* req = nullptr;
  const store::Store* store = nullptr;
  BuildBackend* backend = nullptr;
  const StagePlan* plan = nullptr;
  const std::vector<std::optional<StageState>>* results = nullptr;  // finished stages
  const DockerIgnore* ignore = nullptr;
  char escape = '\\';
  int stage = 0;
};

struct StageState {
  StepContext ctx;
  oci::ImageConfig config;
  std::string key;                          // the last step's cache key
  std::map<std::string, std::string> args;  // ARGs declared in this stage, with values
  bool cmd_set = false;                     // a CMD in this stage (ENTRYPOINT keeps it)
  // Set by describe_step for COPY/ADD, used by apply_step.
  std::optional<CopySpec> copy;
  std::vector<CopyEntry> copy_entries;
  std::function<void()> copy_release;  // unmounts a --from stage's root
};

// FROM: the base image's config, a finished stage's, or scratch's.
Result<void> apply_from(StageState& st, const Stage& stage,
                        const std::map<std::string, std::string>& meta_values);

// The text the step's cache key is made from: the instruction after expansion, the build args
// in scope for RUN, and for COPY/ADD the digest of the files it copies.
Result<std::string> describe_step(StageState& st, const Instruction& ins);

// Executes the step on st.config. RUN output goes to `log`.
Result<void> apply_step(StageState& st, const Instruction& ins,
                        const std::function<void(std::string_view)>& log);

// For a step taken from the cache: the effects that are not in the config (ARG values, CMD seen).
void note_cached_effects(StageState& st, const Instruction& ins);

}  // namespace berth::build
