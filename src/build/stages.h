// A parsed Dockerfile as build stages: the ARGs before the first FROM, then each FROM with the
// instructions up to the next. Internal to the builder; pure computation.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "build/dockerfile/parse.h"

namespace berth::build {

struct Stage {
  int index = 0;
  std::string name;  // AS name, lowercased; "" when unnamed
  std::string base;  // FROM's image expression, expanded with the meta ARGs
  Instruction from;  // the FROM line itself
  std::vector<Instruction> steps;
};

struct StagePlan {
  std::vector<Instruction> meta_args;              // ARGs before the first FROM
  std::map<std::string, std::string> meta_values;  // their values after --build-arg
  std::vector<Stage> stages;
};

// Splits the file into stages and expands each FROM's image with the meta ARGs (overridden by
// build_args). Errors name the line: no FROM, an instruction before FROM other than ARG, a
// FROM with a bad form, a repeated stage name.
Result<StagePlan> plan_stages(const Dockerfile& df, std::string_view source,
                              const std::map<std::string, std::string>& build_args);

// The stage a reference names: a stage name (case-insensitive) or an index, defined before
// `before` (-1: anywhere); nullopt when none.
std::optional<int> find_stage(const StagePlan& plan, std::string_view ref, int before = -1);

// The stages the target needs (FROM <stage> and COPY --from=<stage>), in file order, target
// last. target "" is the last stage. Errors: an unknown --target.
Result<std::vector<int>> needed_stages(const StagePlan& plan, std::string_view target);

// "Dockerfile:LINE: " for errors about an instruction.
std::string where(std::string_view source, const Instruction& ins);

}  // namespace berth::build
