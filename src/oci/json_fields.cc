#include "oci/json_fields.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

namespace berth::oci {

namespace {

// The member, or nullptr when it is absent or null.
const Json* member(const Json& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return nullptr;
  }
  return &*it;
}

tl::unexpected<Error> wrong_type(std::string_view key, std::string_view want) {
  return fail(Code::kCorrupt, fmt::format("field '{}' must be {}", key, want));
}

}  // namespace

tl::unexpected<Error> corrupt(std::string_view what, std::string message) {
  Error e(Code::kCorrupt, std::move(message));
  if (!what.empty()) {
    e.context(std::string(what));
  }
  return tl::unexpected<Error>(std::move(e));
}

Result<void> check_schema_version(const Json& doc) {
  auto it = doc.find("schemaVersion");
  if (it == doc.end()) {
    return fail(Code::kCorrupt, "missing field 'schemaVersion'");
  }
  if (!it->is_number_integer()) {
    return fail(Code::kCorrupt, "field 'schemaVersion' must be an integer");
  }
  if (*it == 1) {
    return fail(Code::kUnsupported, "schema 1 manifests are not supported");
  }
  if (*it != 2) {
    return fail(Code::kUnsupported, fmt::format("unsupported schemaVersion {}", it->dump()));
  }
  return {};
}

Result<void> expect_object(const Json& j, std::string_view kind) {
  if (!j.is_object()) {
    return fail(Code::kCorrupt, fmt::format("{} is not a JSON object", kind));
  }
  return {};
}

Result<void> read_string(const Json& obj, std::string_view key, std::string& out) {
  const Json* v = member(obj, key);
  if (v == nullptr) {
    return {};
  }
  if (!v->is_string()) {
    return wrong_type(key, "a string");
  }
  out = v->get<std::string>();
  return {};
}

Result<void> read_bool(const Json& obj, std::string_view key, bool& out) {
  const Json* v = member(obj, key);
  if (v == nullptr) {
    return {};
  }
  if (!v->is_boolean()) {
    return wrong_type(key, "a boolean");
  }
  out = v->get<bool>();
  return {};
}

Result<void> read_int(const Json& obj, std::string_view key, int64_t& out) {
  const Json* v = member(obj, key);
  if (v == nullptr) {
    return {};
  }
  if (v->is_number_unsigned()) {
    auto u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return wrong_type(key, "a 64-bit integer");
    }
    out = static_cast<int64_t>(u);
    return {};
  }
  if (!v->is_number_integer()) {
    return wrong_type(key, "an integer");
  }
  out = v->get<int64_t>();
  return {};
}

Result<void> read_strings(const Json& obj, std::string_view key, std::vector<std::string>& out) {
  const Json* v = member(obj, key);
  if (v == nullptr) {
    return {};
  }
  if (!v->is_array()) {
    return wrong_type(key, "an array of strings");
  }
  std::vector<std::string> got;
  for (const auto& e : *v) {
    if (!e.is_string()) {
      return wrong_type(key, "an array of strings");
    }
    got.push_back(e.get<std::string>());
  }
  out = std::move(got);
  return {};
}

Result<void> read_string_map(const Json& obj, std::string_view key,
                             std::map<std::string, std::string>& out) {
  const Json* v = member(obj, key);
  if (v == nullptr) {
    return {};
  }
  if (!v->is_object()) {
    return wrong_type(key, "an object of strings");
  }
  std::map<std::string, std::string> got;
  for (const auto& [k, e] : v->items()) {
    if (!e.is_string()) {
      return wrong_type(key, "an object of strings");
    }
    got[k] = e.get<std::string>();
  }
  out = std::move(got);
  return {};
}

Result<void> read_key_set(const Json& obj, std::string_view key, std::vector<std::string>& out) {
  const Json* v = member(obj, key);
  if (v == nullptr) {
    return {};
  }
  if (!v->is_object()) {
    return wrong_type(key, "an object");
  }
  std::vector<std::string> got;
  for (const auto& [k, e] : v->items()) {
    got.push_back(k);
  }
  out = std::move(got);
  return {};
}

Result<std::string> require_string(const Json& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    return fail(Code::kCorrupt, fmt::format("missing field '{}'", key));
  }
  if (!it->is_string()) {
    return wrong_type(key, "a string");
  }
  return it->get<std::string>();
}

Json key_set_json(const std::vector<std::string>& keys) {
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  Json j = Json::object();
  for (const auto& k : sorted) {
    j[k] = Json::object();
  }
  return j;
}

bool is_empty_value(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return true;
    case Json::value_t::string:
      return v.get_ref<const std::string&>().empty();
    case Json::value_t::boolean:
      return !v.get<bool>();
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return v == 0;
    case Json::value_t::array:
    case Json::value_t::object:
      return v.empty();
    default:
      return false;
  }
}

Json follow_original(Json fresh, const Json& original, std::span<const std::string_view> known) {
  if (!original.is_object() || !fresh.is_object()) {
    return fresh;
  }
  auto is_known = [&](std::string_view k) {
    return std::find(known.begin(), known.end(), k) != known.end();
  };
  Json out = Json::object();
  for (const auto& [k, v] : original.items()) {
    auto it = fresh.find(k);
    bool in_fresh = it != fresh.end();
    if (is_known(k) && is_empty_value(v) && (!in_fresh || is_empty_value(*it))) {
      out[k] = v;
    } else if (in_fresh) {
      out[k] = std::move(*it);
    }
  }
  for (auto& [k, v] : fresh.items()) {
    if (!out.contains(k)) {
      out[k] = std::move(v);
    }
  }
  return out;
}

}  // namespace berth::oci
