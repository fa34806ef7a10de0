// `create`: a container record from an image and the flags, with docker's merge rules. Nothing
// runs here; every made step (name, directories) is undone when a later one fails.
#include <sys/stat.h>

#include <algorithm>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/log.h"
#include "base/strings.h"
#include "base/undo.h"
#include "engine/container_files.h"
#include "engine/container_mounts.h"
#include "engine/container_network.h"
#include "engine/container_store.h"
#include "engine/engine.h"
#include "runtime/init_spec.h"
#include "sys/mounts.h"

namespace berth::engine {

namespace {

// docker's style of generated names: adjective_surname. berth's own short lists.
const char* const kAdjectives[] = {
    "agile",  "bold",   "brave", "bright", "calm",   "clever", "cool",  "crisp",
    "eager",  "fair",   "fast",  "gentle", "happy",  "keen",   "kind",  "lucid",
    "merry",  "nimble", "proud", "quiet",  "quick",  "ready",  "sharp", "sleek",
    "steady", "sunny",  "swift", "tidy",   "upbeat", "vivid",  "warm",  "witty",
};
const char* const kSurnames[] = {
    "babbage", "bardeen", "bohr",     "boole",   "curie",    "darwin",  "dijkstra", "einstein",
    "euler",   "fermat",  "feynman",  "gauss",   "hamilton", "hopper",  "hypatia",  "kepler",
    "knuth",   "lamarr",  "lovelace", "maxwell", "meitner",  "newton",  "noether",  "pascal",
    "ritchie", "shannon", "thompson", "turing",  "volta",    "wozniak", "yalow",    "zuse",
};

std::string generated_name() {
  std::string r = random_hex(4);
  unsigned v = static_cast<unsigned>(std::stoul(r, nullptr, 16));
  return fmt::format("{}_{}", kAdjectives[v % std::size(kAdjectives)],
                     kSurnames[(v / std::size(kAdjectives)) % std::size(kSurnames)]);
}

std::string env_key(const std::string& kv) { return kv.substr(0, kv.find('=')); }

// Later entries replace earlier ones with the same key, keeping the first position.
void merge_env(std::vector<std::string>& env, const std::vector<std::string>& more) {
  for (const auto& kv : more) {
    auto key = env_key(kv);
    auto it = std::find_if(env.begin(), env.end(),
                           [&](const std::string& e) { return env_key(e) == key; });
    if (it != env.end()) {
      *it = kv;
    } else {
      env.push_back(kv);
    }
  }
}

// docker's healthcheck merge: the flags' fields win, the image's fill the rest.
std::optional<oci::HealthConfig> merge_health(const CreateRequest& req,
                                              const std::optional<oci::HealthConfig>& image) {
  if (req.no_healthcheck) {
    oci::HealthConfig none;
    none.test = {"NONE"};
    return none;
  }
  if (!req.config.healthcheck) {
    return image;
  }
  oci::HealthConfig h = *req.config.healthcheck;
  if (image) {
    if (h.test.empty()) {
      h.test = image->test;
    }
    h.interval = h.interval != 0 ? h.interval : image->interval;
    h.timeout = h.timeout != 0 ? h.timeout : image->timeout;
    h.start_period = h.start_period != 0 ? h.start_period : image->start_period;
    h.start_interval = h.start_interval != 0 ? h.start_interval : image->start_interval;
    h.retries = h.retries != 0 ? h.retries : image->retries;
  }
  return h;
}

Result<ContainerConfig> merge_config(const CreateRequest& req, const Image& image,
                                     const std::string& id) {
  const auto& ic = image.config.config;
  ContainerConfig c = req.config;
  c.hostname = c.hostname.empty() ? id.substr(0, 12) : c.hostname;
  c.entrypoint = req.entrypoint_set ? req.config.entrypoint : ic.entrypoint;
  if (c.entrypoint && c.entrypoint->empty()) {
    c.entrypoint.reset();
  }
  if (!req.cmd_set) {
    c.cmd = req.entrypoint_set ? std::vector<std::string>{}
                               : ic.cmd.value_or(std::vector<std::string>{});
  }
  std::vector<std::string> env = {"PATH=" + std::string(runtime::kDefaultPath)};
  merge_env(env, ic.env);
  merge_env(env, req.config.env);
  c.env = std::move(env);
  c.user = c.user.empty() ? ic.user : c.user;
  c.working_dir = c.working_dir.empty() ? ic.working_dir : c.working_dir;
  c.labels = ic.labels;
  for (const auto& [k, v] : req.config.labels) {
    c.labels[k] = v;
  }
  c.healthcheck = merge_health(req, ic.healthcheck);
  c.stop_signal = c.stop_signal.empty() ? ic.stop_signal : c.stop_signal;
  c.volumes = ic.volumes;
  for (const auto& p : ic.exposed_ports) {
    if (std::find(c.exposed_ports.begin(), c.exposed_ports.end(), p) == c.exposed_ports.end()) {
      c.exposed_ports.push_back(p);
    }
  }
  if (!c.working_dir.empty() && c.working_dir[0] != '/') {
    return fail(Code::kInvalidArgument,
                fmt::format("the working directory '{}' is invalid, it needs to be an absolute "
                            "path",
                            c.working_dir));
  }
  return c;
}

}  // namespace

Result<Container> Engine::create_container(const CreateRequest& req,
                                           std::vector<std::string>* warnings) {
  (void)warnings;
  // Held until the record names the image's layers: the garbage collector (exclusive) then
  // either ran before the lookup or sees this container (image_in_use.h).
  auto store_lock = BERTH_TRY(store_->lock_shared());
  Image image;
  if (req.image_config) {
    image.config = *req.image_config;
    image.id = oci::Digest::sha256_of(image.config.serialize());
  } else {
    image = BERTH_TRY(find_image(req.config.image));
  }
  log::phase("image found");
  ContainerStore cs(options_.root, options_.runroot);
  Container c;
  c.id = random_hex(64);
  c.created = rfc3339_nano(now_nanos());
  c.image_id = image.id.str();
  c.config = BERTH_TRY(merge_config(req, image, c.id));
  c.host_config = req.host_config;
  if (!c.host_config.privileged) {
    c.host_config.masked_paths = sys::default_masked_paths();
    c.host_config.readonly_paths = sys::default_readonly_paths();
  }
  std::vector<std::string> argv;
  if (c.config.entrypoint) {
    argv = *c.config.entrypoint;
  }
  argv.insert(argv.end(), c.config.cmd.begin(), c.config.cmd.end());
  if (argv.empty()) {
    return fail(Code::kInvalidArgument, "no command specified");
  }
  c.path = argv[0];
  c.args.assign(argv.begin() + 1, argv.end());
  const auto& diffs = image.config.diff_ids;
  for (auto it = diffs.rbegin(); it != diffs.rend(); ++it) {
    c.layer_dirs.push_back(store_->layers().diff_path(*it));
  }

  auto volumes = BERTH_TRY(Volumes::open(options_.root));
  UndoStack undo;
  c.name = req.name.empty() ? generated_name() : req.name;
  for (int attempt = 2;; ++attempt) {
    auto claimed = cs.claim_name(c.name, c.id);
    if (claimed) {
      break;
    }
    if (!req.name.empty() || attempt > 20) {
      return tl::unexpected(std::move(claimed.error()));
    }
    c.name = generated_name() + std::to_string(attempt);  // as docker does after a collision
  }
  undo.add([&] { cs.release_name(c.name, c.id); });
  std::string dir = cs.dir(c.id);
  BERTH_CHECK(mkdir_p(options_.root + "/containers", 0700));
  if (::mkdir(dir.c_str(), 0710) < 0) {
    return fail_errno("creating " + dir);
  }
  undo.add([dir] { (void)remove_tree(dir); });
  BERTH_CHECK(mkdir_p(dir + "/upper", 0755));
  BERTH_CHECK(mkdir_p(dir + "/work", 0700));
  c.log_path = dir + "/" + c.id + "-json.log";
  BERTH_CHECK(resolve_mounts(c, volumes, undo));
  BERTH_CHECK(join_networks(options_.root, c, req, undo));
  BERTH_CHECK(write_container_files(c, dir));
  BERTH_CHECK(cs.write_state(c.id, c.state));
  BERTH_CHECK(cs.write_config(c));
  undo.disarm();
  refresh_network_hosts(options_.root, options_.runroot, c.networks);
  log::phase("created");
  return c;
}

}  // namespace berth::engine
