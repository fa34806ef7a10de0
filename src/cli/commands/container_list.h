// `berth ps` / `container ls` and `container inspect`, and the pure parts they are made of
// (docker's Status text, Command column, truncation, filters and selection), which tests call
// without an engine. Filters are in container_filters.cc.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/error.h"
#include "base/json.h"
#include "engine/container.h"
#include "engine/engine.h"

namespace berth::cli {

class Context;

// Registers `ps` on app and `ls` (aliases list, ps) and `inspect` on container.
void add_container_listing(CLI::App& app, CLI::App* container, Context& ctx);

// ---- inspect ----

// docker's inspect document of one container (name, full ID or unique ID prefix), with the
// overlay's merged, upper and work dirs in GraphDriver.Data. With `size`, SizeRw and SizeRootFs
// follow GraphDriver, as `docker inspect -s` shows them. Errors are find_container's: NotFound
// "No such container: x".
Result<Json> inspect_container(const engine::Engine& eng, std::string_view name_or_id, bool size);

// `container inspect`: prints every container found (render_inspect's formats), then fails with
// the first lookup error, as docker prints what it found and then the error.
Result<void> print_container_inspect(Context& ctx, const std::vector<std::string>& names,
                                     const std::string& format, bool size);

// ---- pure parts ----

// docker's Running: running, paused and restarting containers are "up".
bool container_is_up(const engine::ContainerState& s);
// Whether it has a start time (docker's "Created" until then).
bool container_has_started(const engine::ContainerState& s);
// docker's health filter value: "none" without a healthcheck, else "starting", "healthy" or
// "unhealthy" (an unset status reads as unhealthy, as docker's Health.Status()).
std::string container_health(const engine::ContainerState& s);
// docker's Networks column: the network mode's name; none for "container:<id>".
std::string container_networks(const engine::Container& c);

// docker's Status column at time now: "Created", "Up 3 seconds", "Up 2 minutes (healthy)",
// "Up 5 seconds (health: starting)", "Up 5 seconds (Paused)", "Exited (0) 3 seconds ago",
// "Restarting (1) 2 seconds ago", "Dead", "Removal In Progress"; "" for a stopped container
// without a finish time.
std::string container_status_text(const engine::ContainerState& s, int64_t now_nanos);

// docker's Command of a container (before the CLI quotes it): the path, then each argument,
// single-quoted when it contains a space ("sh -c 'exit 1'").
std::string container_command(const engine::Container& c);

// docker's Ellipsis: s cut to max_width terminal columns, the last one an "…", when it is wider.
std::string ellipsis(std::string_view s, size_t max_width);

// docker's TruncateID: without an "algo:" prefix, at most 12 characters.
std::string truncate_id(std::string_view id);

// docker's IMAGE column: `image` is what the container was created from as docker lists it
// (config.image, or the image ID when that name now names another image); truncated, an ID
// shows short and a reference in its familiar form without a digest.
std::string display_image(std::string_view image, std::string_view image_id, bool trunc);

struct ContainerSize {
  int64_t rw = 0;       // bytes in the container's writable layer
  int64_t root_fs = 0;  // rw plus the image's size; 0: not computed
};

struct RowOptions {
  bool trunc = true;          // not --no-trunc
  int64_t now_nanos = 0;      // for CREATED and the Status text
  std::string image;          // the IMAGE value before display_image (see there)
  ContainerSize size;         // for .Size
  bool label_lookup = false;  // add "Label": the labels, for rewritten {{.Label "k"}}
};

// One `ps` row with docker's fields (formatter.ContainerContext): Command, CreatedAt, ID, Image,
// Labels, LocalVolumes, Mounts, Names, Networks, Platform, Ports, RunningFor, Size, State, Status.
Json container_row(const engine::Container& c, const RowOptions& o);

// Column headers for the row fields.
std::map<std::string, std::string> container_headers();

// The format `ps` uses, as docker's NewContainerFormat picks it from --format, -q and -s.
std::string ps_format(std::string_view format, bool quiet, bool size);

// Rewrites docker's method call {{.Label "k"}} (which the template engine has no methods for)
// into an index of a "Label" member, inside actions only; sets *used when it did.
std::string rewrite_label_calls(std::string_view format, bool* used);

// --filter values, parsed and checked as dockerd does.
struct ContainerFilters {
  std::map<std::string, std::set<std::string>> values;  // key → values
  std::vector<int> exited;
  std::optional<std::string> before, since;  // the last value given
  // Image IDs an "ancestor" filter allows; the caller resolves them (the named images and the
  // images built on them). nullopt: no ancestor filter.
  std::optional<std::set<std::string>> ancestor_ids;

  bool has(const std::string& key) const { return values.count(key) > 0; }
  // The values of key; empty when it was not given.
  const std::set<std::string>& get(const std::string& key) const {
    static const std::set<std::string> kNone;
    auto it = values.find(key);
    return it == values.end() ? kNone : it->second;
  }
};

// Parses "key=value" strings. InvalidArgument: "bad format of filter (expected name=value): x",
// "invalid filter 'x'" for a key docker does not know, "invalid filter 'status=foo': …",
// "invalid filter 'health=foo': …", "invalid filter 'exited=x': …".
Result<ContainerFilters> parse_container_filters(const std::vector<std::string>& args);

// The containers `ps` shows, from a newest-first list, in dockerd's order of checks: before and
// since, then running-only unless `all` (status filters and limit > 0 imply all), the filters,
// and at most `limit` (≤ 0: no limit). NotFound "No such container: x" for a before/since value
// that names no container.
Result<std::vector<const engine::Container*>> select_containers(
    const std::vector<engine::Container>& newest_first, const ContainerFilters& f, bool all,
    int limit);

}  // namespace berth::cli
