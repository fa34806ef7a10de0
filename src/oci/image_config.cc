#include "oci/image_config.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "oci/json_fields.h"

namespace berth::oci {

namespace {

constexpr std::array<std::string_view, 10> kTopKeys = {
    "created",    "author",      "architecture", "variant", "os",
    "os.version", "os.features", "config",       "rootfs",  "history"};
constexpr std::array<std::string_view, 2> kRootfsKeys = {"type", "diff_ids"};
constexpr std::array<std::string_view, 5> kHistoryKeys = {"created", "created_by", "author",
                                                          "comment", "empty_layer"};

const Json& null_json() {
  static const Json kNull;
  return kNull;
}

// A member of an object, or null when j is not an object or lacks it.
const Json& member_or_null(const Json& j, std::string_view key) {
  if (!j.is_object()) {
    return null_json();
  }
  auto it = j.find(key);
  return it == j.end() ? null_json() : *it;
}

Result<std::vector<Digest>> read_rootfs(const Json& doc) {
  const Json& rootfs = member_or_null(doc, "rootfs");
  if (rootfs.is_null()) {
    return fail(Code::kCorrupt, "missing field 'rootfs'");
  }
  BERTH_CHECK_CTX(expect_object(rootfs, "rootfs"), "rootfs");
  std::string type = BERTH_TRY_CTX(require_string(rootfs, "type"), "rootfs");
  if (type != "layers") {
    return fail(Code::kUnsupported, fmt::format("unsupported rootfs type '{}'", type));
  }
  std::vector<std::string> ids;
  BERTH_CHECK_CTX(read_strings(rootfs, "diff_ids", ids), "rootfs");
  std::vector<Digest> out;
  for (size_t i = 0; i < ids.size(); ++i) {
    auto d = Digest::parse(ids[i]);
    if (!d) {
      return corrupt(fmt::format("rootfs: diff_ids[{}]", i), d.error().message());
    }
    out.push_back(std::move(*d));
  }
  return out;
}

Result<std::vector<HistoryEntry>> read_history(const Json& doc) {
  const Json& history = member_or_null(doc, "history");
  std::vector<HistoryEntry> out;
  if (history.is_null()) {
    return out;
  }
  if (!history.is_array()) {
    return fail(Code::kCorrupt, "field 'history' must be an array");
  }
  for (size_t i = 0; i < history.size(); ++i) {
    out.push_back(
        BERTH_TRY_CTX(HistoryEntry::from_json(history[i]), fmt::format("history[{}]", i)));
  }
  return out;
}

Result<ImageConfig> read_config(const Json& j) {
  BERTH_CHECK(expect_object(j, "image config"));
  ImageConfig c;
  BERTH_CHECK(read_string(j, "created", c.created));
  BERTH_CHECK(read_string(j, "author", c.author));
  BERTH_CHECK(read_string(j, "architecture", c.architecture));
  BERTH_CHECK(read_string(j, "os", c.os));
  BERTH_CHECK(read_string(j, "variant", c.variant));
  BERTH_CHECK(read_string(j, "os.version", c.os_version));
  BERTH_CHECK(read_strings(j, "os.features", c.os_features));
  c.config = BERTH_TRY_CTX(ContainerConfig::from_json(member_or_null(j, "config")), "config");
  c.diff_ids = BERTH_TRY(read_rootfs(j));
  c.history = BERTH_TRY(read_history(j));
  for (const auto& [k, v] : j.items()) {
    if (std::find(kTopKeys.begin(), kTopKeys.end(), k) == kTopKeys.end()) {
      c.extra[k] = v;
    }
  }
  c.original = j;
  return c;
}

}  // namespace

Json HistoryEntry::to_json() const {
  Json j = Json::object();
  const std::pair<const char*, const std::string*> texts[] = {{"created", &created},
                                                              {"created_by", &created_by},
                                                              {"author", &author},
                                                              {"comment", &comment}};
  for (const auto& [key, value] : texts) {
    if (!value->empty()) {
      j[key] = *value;
    }
  }
  if (empty_layer) {
    j["empty_layer"] = true;
  }
  return j;
}

Result<HistoryEntry> HistoryEntry::from_json(const Json& j) {
  BERTH_CHECK(expect_object(j, "history entry"));
  HistoryEntry h;
  BERTH_CHECK(read_string(j, "created", h.created));
  BERTH_CHECK(read_string(j, "created_by", h.created_by));
  BERTH_CHECK(read_string(j, "author", h.author));
  BERTH_CHECK(read_string(j, "comment", h.comment));
  BERTH_CHECK(read_bool(j, "empty_layer", h.empty_layer));
  return h;
}

Result<ImageConfig> ImageConfig::parse(std::string_view bytes, std::string_view what) {
  auto j = BERTH_TRY(parse_json(bytes, what));
  return within(read_config(j), what);
}

std::string ImageConfig::serialize() const {
  Json j = Json::object();
  if (!created.empty()) {
    j["created"] = created;
  }
  if (!author.empty()) {
    j["author"] = author;
  }
  j["architecture"] = architecture;
  if (!variant.empty()) {
    j["variant"] = variant;
  }
  j["os"] = os;
  if (!os_version.empty()) {
    j["os.version"] = os_version;
  }
  if (!os_features.empty()) {
    j["os.features"] = os_features;
  }
  j["config"] = follow_original(config.to_json(), member_or_null(original, "config"),
                                ContainerConfig::known_keys());
  Json rootfs = Json::object();
  rootfs["type"] = "layers";
  rootfs["diff_ids"] = Json::array();
  for (const auto& d : diff_ids) {
    rootfs["diff_ids"].push_back(d.str());
  }
  j["rootfs"] = follow_original(std::move(rootfs), member_or_null(original, "rootfs"), kRootfsKeys);
  if (!history.empty()) {
    const Json& old = member_or_null(original, "history");
    Json hs = Json::array();
    for (size_t i = 0; i < history.size(); ++i) {
      const Json& o = old.is_array() && i < old.size() ? old[i] : null_json();
      hs.push_back(follow_original(history[i].to_json(), o, kHistoryKeys));
    }
    j["history"] = std::move(hs);
  }
  if (extra.is_object()) {
    for (const auto& [k, v] : extra.items()) {
      if (!j.contains(k) && std::find(kTopKeys.begin(), kTopKeys.end(), k) == kTopKeys.end()) {
        j[k] = v;
      }
    }
  }
  return to_go_json(follow_original(std::move(j), original, kTopKeys));
}

Platform ImageConfig::platform() const {
  return Platform{os, architecture, variant, os_version, os_features};
}

}  // namespace berth::oci
