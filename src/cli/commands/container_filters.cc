// `ps` filters: parsing and checking them as dockerd does, and selecting containers with them.
#include <algorithm>
#include <charconv>
#include <regex>

#include <fmt/format.h>

#include "base/strings.h"
#include "cli/commands/container_list.h"
#include "cli/format/go_fmt.h"

namespace berth::cli {

namespace {

const std::set<std::string>& accepted_filters() {
  static const std::set<std::string> keys = {
      "ancestor", "before", "exited", "id",      "isolation", "label",   "name",  "status",
      "health",   "since",  "volume", "network", "is-task",   "publish", "expose"};
  return keys;
}

tl::unexpected<Error> invalid_filter(std::string_view key, std::string_view value,
                                     std::string_view why) {
  return fail(Code::kInvalidArgument, fmt::format("invalid filter '{}={}': {}", key, value, why));
}

// Go's strconv.Atoi: an optional sign and decimal digits that fit an int.
std::optional<int> parse_go_int(std::string_view s) {
  if (!s.empty() && s[0] == '+') {
    s.remove_prefix(1);
    if (!s.empty() && s[0] == '-') {
      return std::nullopt;
    }
  }
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

Result<void> check_filter_values(ContainerFilters& f) {
  static const std::set<std::string> states = {"created",  "running", "paused", "restarting",
                                               "removing", "exited",  "dead"};
  static const std::set<std::string> healths = {"none", "starting", "healthy", "unhealthy"};
  for (const auto& v : f.get("status")) {
    if (!states.count(v)) {
      return invalid_filter("status", v,
                            fmt::format("invalid value for state ({}): must be one of created, "
                                        "running, paused, restarting, removing, exited, dead",
                                        v));
    }
  }
  for (const auto& v : f.get("health")) {
    if (!healths.count(v)) {
      return invalid_filter(
          "health", v,
          fmt::format("invalid value for health ({}): must be one of none, starting, healthy, "
                      "unhealthy",
                      v));
    }
  }
  for (const auto& v : f.get("exited")) {
    auto code = parse_go_int(v);
    if (!code) {
      return invalid_filter("exited", v,
                            fmt::format("strconv.Atoi: parsing {}: invalid syntax", go_quote(v)));
    }
    f.exited.push_back(*code);
  }
  for (const char* key : {"publish", "expose"}) {
    for (const auto& v : f.get(key)) {
      if (v.find(':') != std::string::npos) {
        return fail(Code::kInvalidArgument,
                    fmt::format("filter for '{}' should not contain ':': {}", key, v));
      }
    }
  }
  if (f.has("is-task")) {
    const auto& v = f.get("is-task");
    bool is_true = v.count("1") || v.count("true");
    bool is_false = v.count("0") || v.count("false");
    if (is_true == is_false) {
      return fail(Code::kInvalidArgument,
                  fmt::format("invalid filter 'is-task=[{}]'",
                              join(std::vector<std::string>(v.begin(), v.end()), " ")));
    }
  }
  return {};
}

// docker's name filter: each value as an (unanchored) regular expression. A value that is not a
// valid expression matches only itself, as docker skips it after the exact comparison.
struct NamePatterns {
  explicit NamePatterns(const std::set<std::string>& values) : exact(values) {
    for (const auto& v : values) {
      try {
        regexes.emplace_back(v);
      } catch (const std::regex_error&) {
      }
    }
  }
  bool match(const std::string& source) const {
    return exact.count(source) > 0 ||
           std::any_of(regexes.begin(), regexes.end(),
                       [&](const std::regex& r) { return std::regex_search(source, r); });
  }
  const std::set<std::string>& exact;
  std::vector<std::regex> regexes;
};

// docker's MatchKVList: every "key" or "key=value" must be among the labels.
bool match_labels(const std::set<std::string>& values,
                  const std::map<std::string, std::string>& labels) {
  for (const auto& v : values) {
    bool has_value = false;
    auto [k, val] = cut(v, '=', &has_value);
    auto it = labels.find(std::string(k));
    if (it == labels.end() || (has_value && it->second != val)) {
      return false;
    }
  }
  return true;
}

// An "id" value names the container when it is a prefix of its ID and of no other's.
bool match_id(const std::set<std::string>& values, const engine::Container& c,
              const std::vector<engine::Container>& all) {
  for (const auto& v : values) {
    if (v.empty() || !c.id.starts_with(v)) {
      continue;
    }
    auto n = std::count_if(all.begin(), all.end(),
                           [&](const engine::Container& o) { return o.id.starts_with(v); });
    if (n == 1) {
      return true;
    }
  }
  return false;
}

bool match_volume(const std::set<std::string>& values, const engine::Container& c) {
  for (const auto& m : c.mounts) {
    const std::string& name = m.name.empty() ? m.source : m.name;
    if (values.count(name) || (!m.destination.empty() && values.count(m.destination))) {
      return true;
    }
  }
  return false;
}

// The filters checked after the running/limit step (dockerd's includeContainerInList).
bool passes_late_filters(const engine::Container& c, const ContainerFilters& f) {
  if (!f.exited.empty()) {
    bool stopped = !container_is_up(c.state) && container_has_started(c.state);
    if (!stopped ||
        std::find(f.exited.begin(), f.exited.end(), c.state.exit_code) == f.exited.end()) {
      return false;
    }
  }
  if (f.has("status") && !f.get("status").count(c.state.status)) {
    return false;
  }
  if (f.has("health") && !f.get("health").count(container_health(c.state))) {
    return false;
  }
  if (f.has("volume") && !match_volume(f.get("volume"), c)) {
    return false;
  }
  if (f.ancestor_ids && !f.ancestor_ids->count(c.image_id)) {
    return false;
  }
  if (f.has("network") && !f.get("network").count(container_networks(c))) {
    return false;
  }
  // berth publishes no ports yet: a publish or expose filter matches nothing; berth containers
  // are never swarm tasks.
  if (f.has("publish") || f.has("expose")) {
    return false;
  }
  if (f.has("is-task") && (f.get("is-task").count("1") || f.get("is-task").count("true"))) {
    return false;
  }
  return true;
}

bool passes_early_filters(const engine::Container& c, const ContainerFilters& f,
                          const NamePatterns& names, const std::vector<engine::Container>& all) {
  if (f.has("name") && !names.match(c.name) && !names.match("/" + c.name)) {
    return false;
  }
  if (f.has("id") && !match_id(f.get("id"), c, all)) {
    return false;
  }
  if (f.has("label") && !match_labels(f.get("label"), c.config.labels)) {
    return false;
  }
  return true;
}

// A before/since value: a full ID, a name, or a unique ID prefix.
Result<std::string> resolve_in(const std::vector<engine::Container>& all, std::string_view v) {
  std::string_view name = v.starts_with('/') ? v.substr(1) : v;
  for (const auto& c : all) {
    if (c.id == v || c.name == name) {
      return c.id;
    }
  }
  const engine::Container* found = nullptr;
  for (const auto& c : all) {
    if (!v.empty() && c.id.starts_with(v)) {
      if (found != nullptr) {
        found = nullptr;
        break;
      }
      found = &c;
    }
  }
  if (found == nullptr) {
    return fail(Code::kNotFound, fmt::format("No such container: {}", v));
  }
  return found->id;
}

}  // namespace

Result<ContainerFilters> parse_container_filters(const std::vector<std::string>& args) {
  ContainerFilters f;
  for (const auto& a : args) {
    if (a.empty()) {
      continue;
    }
    bool found = false;
    auto [key, value] = cut(a, '=', &found);
    if (!found) {
      return fail(Code::kInvalidArgument,
                  fmt::format("bad format of filter (expected name=value): {}", a));
    }
    std::string k = to_lower(trim(key));
    if (!accepted_filters().count(k)) {
      return fail(Code::kInvalidArgument, fmt::format("invalid filter '{}'", k));
    }
    std::string v(trim(value));
    f.values[k].insert(v);
    if (k == "before") {
      f.before = v;
    } else if (k == "since") {
      f.since = v;
    }
  }
  BERTH_CHECK(check_filter_values(f));
  return f;
}

Result<std::vector<const engine::Container*>> select_containers(
    const std::vector<engine::Container>& newest_first, const ContainerFilters& f, bool all,
    int limit) {
  std::optional<std::string> before, since;
  if (f.before) {
    before = BERTH_TRY(resolve_in(newest_first, *f.before));
  }
  if (f.since) {
    since = BERTH_TRY(resolve_in(newest_first, *f.since));
  }
  all = all || f.has("status");
  NamePatterns names(f.get("name"));
  std::vector<const engine::Container*> out;
  for (const auto& c : newest_first) {
    if (before) {
      if (c.id == *before) {
        before.reset();
      }
      continue;
    }
    if (since && c.id == *since) {
      break;
    }
    if (!container_is_up(c.state) && !all && limit <= 0) {
      continue;
    }
    if (!passes_early_filters(c, f, names, newest_first)) {
      continue;
    }
    if (limit > 0 && out.size() == static_cast<size_t>(limit)) {
      break;
    }
    if (passes_late_filters(c, f)) {
      out.push_back(&c);
    }
  }
  return out;
}

}  // namespace berth::cli
