// `berth build`: a Dockerfile and a context become an image config whose layers are in the
// store (docs/dev/build.md). The engine provides what needs containers and images through
// BuildBackend, so this module keeps to its dependencies; it names nothing and commits
// nothing: the caller writes the image and tags it once the whole build has succeeded.
//
// Each step's result is cached under <root>/buildcache/<key>: the image config after the step.
// A step's key covers its parent's key, the instruction after expansion, the build args it can
// see and, for COPY, the content and metadata of every file it copies. A record is used only
// when every layer it names is in the store.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "oci/digest.h"
#include "oci/image_config.h"
#include "store/store.h"

namespace berth::build {

struct BuildRequest {
  std::string context_dir;                        // the build context, a directory
  std::string dockerfile;                         // the Dockerfile's text
  std::string dockerfile_name = "Dockerfile";     // names it in errors ("Dockerfile:3: ...")
  std::map<std::string, std::string> build_args;  // --build-arg
  std::string target;                             // --target; "" → the last stage
  std::map<std::string, std::string> labels;      // --label, added to the final config
  bool no_cache = false;                          // --no-cache: execute every step
  std::string network = "host";                   // --network for RUN steps
};

struct BaseImage {
  oci::Digest id;  // the config digest
  oci::ImageConfig config;
};

// One RUN step, to run on a container whose root is `state`'s layers.
struct RunStep {
  std::vector<std::string> argv;
  std::vector<std::string> env;  // the stage's ENV plus the build args in scope
  std::string user, workdir;
  std::string network;
};

struct RunOutcome {
  int exit_code = 0;
  std::optional<oci::Digest> layer;     // the container's changes, when exit_code is 0
  std::vector<std::string> last_lines;  // the end of its output, for the error
};

class BuildBackend {
 public:
  virtual ~BuildBackend() = default;
  // The image a FROM names (pulled when the store lacks it). Errors: the lookup's or pull's.
  virtual Result<BaseImage> image(std::string_view ref) = 0;
  // Runs the step in a container on state's layers, its output passed to `output` line by line.
  virtual Result<RunOutcome> run(const oci::ImageConfig& state, const RunStep& step,
                                 const std::function<void(std::string_view)>& output) = 0;
};

struct BuildResult {
  oci::ImageConfig config;  // every layer in config.diff_ids is in the store
  int steps = 0, cached = 0;
};

// Builds the target stage (and only the stages it needs). Progress lines ("#3 [2/4] RUN make",
// "#3 CACHED", "#3 DONE 0.4s" and RUN's output) go to `log`. Errors are one line naming the
// Dockerfile line ("Dockerfile:4: RUN false: exit code 1"), with a failed RUN's last output
// lines in its context. Nothing is tagged; cache records of the steps that succeeded stay.
Result<BuildResult> build_image(const BuildRequest& request, BuildBackend& backend,
                                const store::Store& store,
                                const std::function<void(std::string_view)>& log);

}  // namespace berth::build
