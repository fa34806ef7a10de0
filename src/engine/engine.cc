#include "engine/engine.h"

#include <fmt/format.h>

#include "oci/reference.h"

namespace berth::engine {

Result<std::unique_ptr<Engine>> Engine::open(const EngineOptions& options) {
  auto store = BERTH_TRY(store::Store::open(options.root));
  return std::unique_ptr<Engine>(new Engine(options, std::move(store)));
}

Result<std::string> normalize_ref(std::string_view name) {
  auto ref = BERTH_TRY_CTX(
      oci::Reference::parse(name),
      fmt::format("Error parsing reference: \"{}\" is not a valid repository/tag", name));
  return ref.with_default_tag().str();
}

std::string familiar_ref(const std::string& full) {
  auto ref = oci::Reference::parse(full);
  if (!ref) {
    return full;
  }
  return ref->familiar();
}

std::pair<std::string, std::string> familiar_repo_tag(const std::string& full) {
  auto ref = oci::Reference::parse(full);
  if (!ref) {
    return {full, "<none>"};
  }
  return {ref->familiar_name(), ref->tag.empty() ? "<none>" : ref->tag};
}

}  // namespace berth::engine
