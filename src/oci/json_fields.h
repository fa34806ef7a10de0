// Typed member access for the oci codecs (internal to oci/). Each reader takes an object, a
// member name and the value to fill: a member that is absent or null leaves the value as it is,
// and one of the wrong type is a Corrupt error naming the member. Callers add the document's name
// as context.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace berth::oci {

// Corrupt with `message`, under the context `what` (so str() reads "what: message").
tl::unexpected<Error> corrupt(std::string_view what, std::string message);

// Adds `what` (the document's name) as context to an error, unless it is empty.
template <typename T>
Result<T> within(Result<T>&& r, std::string_view what) {
  if (!r && !what.empty()) {
    r.error().context(std::string(what));
  }
  return std::move(r);
}

// Checks a manifest's or index's schemaVersion: missing or not an integer is Corrupt, 1 is
// Unsupported "schema 1 manifests are not supported", any other value but 2 Unsupported.
Result<void> check_schema_version(const Json& doc);

// Corrupt unless j is an object; `kind` names what it should be ("manifest").
Result<void> expect_object(const Json& j, std::string_view kind);

Result<void> read_string(const Json& obj, std::string_view key, std::string& out);
Result<void> read_bool(const Json& obj, std::string_view key, bool& out);
// An integer (not a float) that fits int64.
Result<void> read_int(const Json& obj, std::string_view key, int64_t& out);
Result<void> read_strings(const Json& obj, std::string_view key, std::vector<std::string>& out);
// An object whose values are strings.
Result<void> read_string_map(const Json& obj, std::string_view key,
                             std::map<std::string, std::string>& out);
// Go's map[string]struct{} ({"80/tcp":{}}): the keys, in document order.
Result<void> read_key_set(const Json& obj, std::string_view key, std::vector<std::string>& out);

// Like read_string but the member must be present and a string.
Result<std::string> require_string(const Json& obj, std::string_view key);

// The reverse of read_key_set: keys sorted as Go's encoder sorts map keys.
Json key_set_json(const std::vector<std::string>& keys);

// True for the values Go's omitempty leaves out (and writers use for "nothing"): null, "", false,
// 0, [] and {}.
bool is_empty_value(const Json& v);

// Reorders `fresh` (our encoding of a parsed struct) to the member order of `original` (the
// object it was parsed from), so that a document read and written unchanged keeps its bytes.
// For members listed in `known` that are empty in fresh (or absent from it), the empty value the
// original writer used is kept ("Volumes":null stays null). Members of fresh that the original
// lacks follow, in fresh's order. An `original` that is not an object leaves fresh as it is.
Json follow_original(Json fresh, const Json& original, std::span<const std::string_view> known);

}  // namespace berth::oci
