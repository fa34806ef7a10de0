// Volumes: docker's list and prune filters, the containers that use each volume, and prune.
#include <dirent.h>

#include <algorithm>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"
#include "engine/volumes.h"

namespace berth::engine {

namespace {

using FilterArgs = std::map<std::string, std::set<std::string>>;

// docker's FilterOpt.Set: "name=value", the name lower-cased, both trimmed; "" is ignored.
Result<FilterArgs> parse_args(const std::vector<std::string>& filters) {
  FilterArgs args;
  for (const auto& f : filters) {
    if (f.empty()) {
      continue;
    }
    bool found = false;
    auto [key, value] = cut(f, '=', &found);
    if (!found) {
      return fail(Code::kInvalidArgument, "bad format of filter (expected name=value)");
    }
    args[to_lower(trim(key))].insert(std::string(trim(value)));
  }
  return args;
}

Result<void> validate_keys(const FilterArgs& args, const std::set<std::string>& accepted) {
  for (const auto& [key, values] : args) {
    if (accepted.count(key) == 0) {
      return fail(Code::kInvalidArgument, fmt::format("invalid filter '{}'", key));
    }
  }
  return {};
}

// Go's fmt of a []string: "[a b]".
std::string go_list(const std::set<std::string>& values) {
  return "[" + join(std::vector<std::string>(values.begin(), values.end()), " ") + "]";
}

// strconv.ParseBool.
std::optional<bool> parse_go_bool(const std::string& s) {
  static const std::set<std::string> kTrue = {"1", "t", "T", "TRUE", "true", "True"};
  static const std::set<std::string> kFalse = {"0", "f", "F", "FALSE", "false", "False"};
  if (kTrue.count(s) > 0) {
    return true;
  }
  if (kFalse.count(s) > 0) {
    return false;
  }
  return std::nullopt;
}

// docker's MatchKVList: every "key" or "key=value" is among the labels (none: no filter).
bool labels_match(const std::vector<std::string>& filters,
                  const std::map<std::string, std::string>& labels) {
  if (filters.empty()) {
    return true;
  }
  if (labels.empty()) {
    return false;
  }
  for (const auto& f : filters) {
    bool has_value = false;
    auto [key, value] = cut(f, '=', &has_value);
    auto it = labels.find(std::string(key));
    if (it == labels.end() || (has_value && it->second != value)) {
      return false;
    }
  }
  return true;
}

// docker's filters.Match: an exact name, or a regular expression found anywhere in it. A
// pattern that does not compile matches nothing, as in docker.
bool name_matches(const std::vector<std::string>& patterns, const std::string& name) {
  if (patterns.empty()) {
    return true;
  }
  for (const auto& p : patterns) {
    if (p == name) {
      return true;
    }
    try {
      if (std::regex_search(name, std::regex(p, std::regex::ECMAScript))) {
        return true;
      }
    } catch (const std::regex_error&) {
      continue;
    }
  }
  return false;
}

bool prune_selects(const VolumePruneOptions& o, const Volume& v) {
  if (!o.all && !v.anonymous()) {
    return false;
  }
  if (!labels_match(o.labels, v.labels)) {
    return false;
  }
  return o.not_labels.empty() || !labels_match(o.not_labels, v.labels);
}

// The volume names one container record uses (its "Mounts" of type volume).
std::vector<std::string> mounted_volumes(const Json& record) {
  std::vector<std::string> names;
  auto mounts = record.find("Mounts");
  if (mounts == record.end() || !mounts->is_array()) {
    return names;
  }
  for (const auto& m : *mounts) {
    if (!m.is_object()) {
      continue;
    }
    auto type = m.find("Type");
    auto name = m.find("Name");
    if (type != m.end() && *type == "volume" && name != m.end() && name->is_string() &&
        !name->get<std::string>().empty()) {
      names.push_back(name->get<std::string>());
    }
  }
  return names;
}

}  // namespace

Result<VolumeFilters> parse_volume_list_filters(const std::vector<std::string>& filters) {
  auto args = BERTH_TRY(parse_args(filters));
  BERTH_CHECK(validate_keys(args, {"dangling", "name", "driver", "label"}));
  VolumeFilters out;
  if (auto it = args.find("dangling"); it != args.end()) {
    const auto& vals = it->second;
    bool is_false = vals.count("0") > 0 || vals.count("false") > 0;
    bool is_true = vals.count("1") > 0 || vals.count("true") > 0;
    if (is_false == is_true) {
      return fail(Code::kInvalidArgument,
                  fmt::format("invalid filter 'dangling={}'", go_list(vals)));
    }
    out.dangling = is_true;
  }
  auto take = [&args](const char* key) {
    auto it = args.find(key);
    return it == args.end() ? std::vector<std::string>{}
                            : std::vector<std::string>(it->second.begin(), it->second.end());
  };
  out.names = take("name");
  out.drivers = take("driver");
  out.labels = take("label");
  return out;
}

Result<VolumePruneOptions> parse_volume_prune_filters(const std::vector<std::string>& filters,
                                                      bool all) {
  auto args = BERTH_TRY(parse_args(filters));
  VolumePruneOptions out;
  out.all = all;
  if (auto it = args.find("all"); it != args.end()) {
    if (all) {
      return fail(Code::kInvalidArgument,
                  "conflicting options: cannot specify both --all and --filter all=1");
    }
    if (it->second.size() > 1) {
      return fail(
          Code::kInvalidArgument,
          fmt::format("invalid filter 'all={}': only one value is expected", go_list(it->second)));
    }
    const std::string& value = *it->second.begin();
    auto b = parse_go_bool(value);
    if (!b) {
      return fail(Code::kInvalidArgument,
                  fmt::format("invalid filter 'all': strconv.ParseBool: parsing \"{}\": invalid "
                              "syntax",
                              value));
    }
    out.all = *b;
  }
  BERTH_CHECK(validate_keys(args, {"label", "label!", "all"}));
  if (auto it = args.find("label"); it != args.end()) {
    out.labels.assign(it->second.begin(), it->second.end());
  }
  if (auto it = args.find("label!"); it != args.end()) {
    out.not_labels.assign(it->second.begin(), it->second.end());
  }
  return out;
}

Result<std::vector<Volume>> Volumes::list(const VolumeFilters& f) const {
  auto all = BERTH_TRY(list());
  VolumeUsers used;
  if (f.dangling) {
    used = BERTH_TRY(users());
  }
  std::vector<Volume> out;
  for (auto& v : all) {
    if (f.dangling && (used.count(v.name) == 0) != *f.dangling) {
      continue;
    }
    if (!f.drivers.empty() &&
        std::find(f.drivers.begin(), f.drivers.end(), v.driver) == f.drivers.end()) {
      continue;
    }
    if (!name_matches(f.names, v.name) || !labels_match(f.labels, v.labels)) {
      continue;
    }
    out.push_back(std::move(v));
  }
  return out;
}

Result<VolumeUsers> Volumes::users() const {
  VolumeUsers out;
  std::string containers = root_ + "/containers";
  DIR* d = ::opendir(containers.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) {
      return out;
    }
    return fail_errno(fmt::format("reading {}", containers));
  }
  std::vector<std::string> ids;
  while (auto* ent = ::readdir(d)) {
    std::string n = ent->d_name;
    if (n != "." && n != "..") {
      ids.push_back(std::move(n));
    }
  }
  ::closedir(d);
  std::sort(ids.begin(), ids.end());
  for (const auto& dir_id : ids) {
    auto text = read_file(containers + "/" + dir_id + "/config.json");
    if (!text) {
      continue;
    }
    auto record = parse_json(*text, dir_id);
    if (!record || !record->is_object()) {
      continue;
    }
    std::string id = dir_id;
    if (auto it = record->find("Id"); it != record->end() && it->is_string()) {
      id = it->get<std::string>();
    }
    for (const auto& name : mounted_volumes(*record)) {
      auto& list = out[name];
      if (std::find(list.begin(), list.end(), id) == list.end()) {
        list.push_back(id);
      }
    }
  }
  return out;
}

Result<VolumePruneResult> Volumes::prune(const VolumePruneOptions& options) {
  auto held = BERTH_TRY(lock(sys::FileLock::Mode::kExclusive));
  auto used = BERTH_TRY(users());
  auto volumes = BERTH_TRY(list());
  VolumePruneResult out;
  for (const auto& v : volumes) {
    // Volumes with driver options hold no local data worth reclaiming (docker skips them).
    if (used.count(v.name) > 0 || v.driver != "local" || !v.options.empty() ||
        !prune_selects(options, v)) {
      continue;
    }
    int64_t size = tree_size(v.mountpoint).value_or(0);
    if (!destroy(v.name)) {
      continue;
    }
    out.removed.push_back(v.name);
    out.reclaimed += size;
  }
  sweep_leftovers();
  return out;
}

}  // namespace berth::engine
