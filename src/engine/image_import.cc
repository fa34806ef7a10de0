// `berth import`: a root filesystem (tarball, directory or stdin) becomes a one-layer image.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"
#include "engine/engine.h"
#include "engine/image_change.h"
#include "oci/platform.h"
#include "store/layer_ingest.h"

namespace berth::engine {

namespace {

Result<store::IngestedLayer> ingest_source(const store::Store& store, const ImportRequest& req) {
  if (req.source == "-") {
    if (req.input == nullptr) {
      return fail(Code::kInvalidArgument, "no input for '-'");
    }
    return store::ingest_layer(store, *req.input, "stdin");
  }
  struct stat st {};
  if (::stat(req.source.c_str(), &st) != 0) {
    return fail_errno(fmt::format("import source {}", req.source));
  }
  if (S_ISDIR(st.st_mode)) {
    auto dirfd = BERTH_TRY(open_dir(req.source));
    return store::ingest_tree(store, dirfd.get(), {}, req.source);
  }
  UniqueFd fd(::open(req.source.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return fail_errno(fmt::format("opening {}", req.source));
  }
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  FdReader in(fd.get());
  return store::ingest_layer(store, in, req.source);
}

}  // namespace

Result<oci::Digest> Engine::import_image(const ImportRequest& req) {
  // Everything the user gave is checked before anything is written.
  std::vector<std::string> refs;
  if (!req.reference.empty()) {
    refs.push_back(BERTH_TRY(normalize_ref(req.reference)));
  }
  oci::ImageConfig config;
  for (const auto& change : req.changes) {
    BERTH_CHECK(apply_change(config.config, change));
  }
  oci::Platform platform = oci::Platform::host();
  if (!req.platform.empty()) {
    platform = BERTH_TRY(oci::Platform::parse(req.platform));
  }
  auto lock = BERTH_TRY(store_->lock_shared());
  auto layer = BERTH_TRY(ingest_source(*store_, req));
  std::string created = rfc3339_nano(now_nanos());
  config.created = created;
  config.architecture = platform.architecture;
  config.os = platform.os;
  config.variant = platform.variant;
  config.diff_ids = {layer.diff_id};
  oci::HistoryEntry h;
  h.created = created;
  h.comment = req.message.empty() ? "Imported from " + req.source : req.message;
  config.history = {h};
  BERTH_CHECK(commit_image(config, refs));
  return oci::Digest::sha256_of(config.serialize());
}

}  // namespace berth::engine
