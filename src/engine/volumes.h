// Named volumes with docker's `local` driver semantics, and filling a new volume from an image.
//
// On disk (under the store root):
//   <root>/volumes/<name>/           0701, the volume's own directory
//   <root>/volumes/<name>/_data      0755, what containers mount (the Mountpoint)
//   <root>/volumes/<name>/volume.json {Name, Driver, Labels, Options, CreatedAt}, 0600
//   <root>/volumes/.lock             flock: shared while a container that uses volumes is made,
//                                    exclusive while volumes are removed
// A volume appears whole or not at all: it is built under <root>/volumes/.tmp-* and renamed into
// place, and removal renames it to .rm-* before deleting. Names starting with '.' can never be
// volume names, so these never show up as volumes.
//
// No call blocks beyond file system calls, except lock(), which waits for the lock.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "sys/file_lock.h"

namespace berth::engine {

// The label docker 23+ puts on volumes created without a name; `volume prune` without --all
// removes only volumes that carry it.
inline constexpr std::string_view kAnonymousVolumeLabel = "com.docker.volume.anonymous";

struct Volume {
  std::string name;
  std::string driver = "local";
  std::map<std::string, std::string> labels;
  // The local driver's options as given: "type", "device", "o", "size". A volume with "type" or
  // "device" is a mount the runtime makes on mountpoint before use (tmpfs, nfs, a bind via
  // o=bind); berth stores them and mounts nothing itself.
  std::map<std::string, std::string> options;
  int64_t created_nanos = 0;
  std::string mountpoint;  // absolute <root>/volumes/<name>/_data

  bool anonymous() const { return labels.count(std::string(kAnonymousVolumeLabel)) > 0; }
  bool needs_mount() const { return options.count("type") > 0 || options.count("device") > 0; }
};

// `volume ls` filters, already parsed (see parse_volume_list_filters).
struct VolumeFilters {
  std::optional<bool> dangling;      // true: used by no container; false: used by one
  std::vector<std::string> names;    // any: equal to the name, or a regexp found in it
  std::vector<std::string> drivers;  // any: equal to the driver
  std::vector<std::string> labels;   // all: "key" (present) or "key=value"
};

// `volume prune` selection, already parsed (see parse_volume_prune_filters).
struct VolumePruneOptions {
  bool all = false;                     // false: only anonymous volumes (docker 23+)
  std::vector<std::string> labels;      // all must match ("key" or "key=value")
  std::vector<std::string> not_labels;  // label!=: a volume matching all of them is kept
};

struct VolumePruneResult {
  std::vector<std::string> removed;  // names, in the order they were removed
  int64_t reclaimed = 0;             // bytes (tree_size of each removed volume)
};

// Which containers use which volume: volume name → container IDs (sorted).
using VolumeUsers = std::map<std::string, std::vector<std::string>>;

class Volumes {
 public:
  // Opens (creating <root>/volumes, 0701, if needed) the volumes of the store at root. A relative
  // root is made absolute, so that mountpoints are.
  static Result<Volumes> open(const std::string& root);

  const std::string& root() const { return root_; }
  // <root>/volumes/<name> and its _data; name must be valid (validate_volume_name).
  std::string dir(const std::string& name) const { return dir_ + "/" + name; }
  std::string data_dir(const std::string& name) const { return dir(name) + "/_data"; }

  // Creates a volume, or returns the existing one of that name unchanged (docker: same name
  // means same volume, whatever the labels and options). name "" makes an anonymous volume: 64
  // random hex digits and the kAnonymousVolumeLabel label. driver "" means "local"; any other
  // driver is NotFound `create x: error looking up volume plugin d: plugin "d" not found`.
  // InvalidArgument for a bad name or option, worded as docker's. Safe against a racing create
  // of the same name in another process (one makes it, both return it).
  Result<Volume> create(const std::string& name, const std::string& driver,
                        const std::map<std::string, std::string>& options,
                        const std::map<std::string, std::string>& labels);

  // Every volume, sorted by name. Unreadable records are skipped.
  Result<std::vector<Volume>> list() const;
  // The volumes that pass the filters (dangling reads the container records).
  Result<std::vector<Volume>> list(const VolumeFilters& filters) const;

  // One volume. NotFound "get x: no such volume" (also for names that cannot be volumes);
  // Corrupt when its volume.json is unreadable.
  Result<Volume> inspect(const std::string& name) const;

  // Removes a volume and its data. The caller decides what uses it: in_use lists the container
  // IDs that reference the volume (users()); non-empty is Conflict
  // "remove x: volume is in use - [id1, id2]", with or without force. A volume that does not
  // exist is NotFound "get x: no such volume", or success with force (docker's -f). A mount left
  // on _data is detached first. Callers that compute in_use hold lock(kExclusive) around both.
  Result<void> remove(const std::string& name, bool force, const std::vector<std::string>& in_use);
  // lock(kExclusive), users(), remove(): what `volume rm` does.
  Result<void> remove_unused(const std::string& name, bool force);

  // Removes the unused local volumes prune selects (never one a container uses, never one with
  // driver options: that data is not local), under lock(kExclusive). A volume that fails to go
  // is skipped, as docker does. Also sweeps leftovers of interrupted creates and removals.
  Result<VolumePruneResult> prune(const VolumePruneOptions& options);

  // Reads <root>/containers/*/config.json: each "Mounts" entry {"Type":"volume","Name":n} counts
  // its container ("Id", else the directory name) as a user of n. Records that cannot be read or
  // parsed are skipped (a container being made or removed).
  Result<VolumeUsers> users() const;

  // The bytes in a volume's data (tree_size of its _data). NotFound as inspect.
  Result<int64_t> size(const std::string& name) const;

  // The volumes lock (<root>/volumes/.lock). Hold kShared from making sure a container's volumes
  // exist until its config.json (with its Mounts) is written; remove_unused and prune take
  // kExclusive, so no volume is removed under a container being made. Blocks until held. Not
  // reentrant: never take it twice in one thread.
  Result<sys::FileLock> lock(sys::FileLock::Mode mode) const;

 private:
  Volumes(std::string root, std::string dir) : root_(std::move(root)), dir_(std::move(dir)) {}
  Result<Volume> read(const std::string& name) const;
  Result<void> destroy(const std::string& name);
  void sweep_leftovers();

  std::string root_;  // the store root
  std::string dir_;   // <root>/volumes
};

// docker's rule for local volume names: "[a-zA-Z0-9][a-zA-Z0-9_.-]+". InvalidArgument with
// docker's wording ("volume name is too short, ..." or "\"x\" includes invalid characters ...").
Result<void> validate_volume_name(std::string_view name);

// Parses docker's `volume ls -f` arguments ("key=value"; keys dangling, name, driver, label).
// InvalidArgument "invalid filter 'k'" for another key, "invalid filter 'dangling=[x]'" for a
// dangling value that is not true/false/1/0, "bad format of filter (expected name=value)".
Result<VolumeFilters> parse_volume_list_filters(const std::vector<std::string>& filters);
// Parses `volume prune --filter` (label, label!, all) together with --all. InvalidArgument for
// other keys, a bad all= value, or --all with an all= filter (docker's "conflicting options").
Result<VolumePruneOptions> parse_volume_prune_filters(const std::vector<std::string>& filters,
                                                      bool all);

// docker's `volume inspect` object: CreatedAt (RFC 3339, seconds, local time zone as the
// daemon prints it), Driver, Labels, Mountpoint, Name, Options, Scope "local".
Json volume_inspect_json(const Volume& v);
// Time in RFC 3339 with seconds in the local time zone, as Go's time.Format(time.RFC3339) of a
// local time: "2024-01-02T03:04:05+01:00", or "...Z" at offset zero.
std::string rfc3339_local(int64_t unix_nanos);

// ---- file helpers (engine/volumes_fs.cc) ----

// True when the directory has no entries. NotFound when it does not exist.
Result<bool> is_empty(const std::string& dir);

// docker's directory size: the sum of st_size of every non-directory under dir (symlinks count
// their own size), each inode once. Symlinks are not followed. NotFound when dir does not exist.
Result<int64_t> tree_size(const std::string& dir);

// docker's "populate a new volume from the image": when volume_data_dir is empty, copies the
// tree at src_dirfd (a directory in a container's root, opened by the caller; not taken over)
// into it, keeping modes (with setuid/setgid/sticky), owners, access and modification times
// (nanoseconds), symlinks (as links), hardlinks (as links), extended attributes (ENOTSUP
// ignored), device nodes, fifos and sockets. The source directory's own owner, mode, xattrs and
// times go onto volume_data_dir, as docker does. Not empty: nothing happens. Every source access
// is fd-relative with O_NOFOLLOW on a single name, so no symlink in the tree is ever followed.
// Two copy_up calls on one volume are serialised (flock on volume_data_dir); the second finds
// it filled. On failure everything the call created is removed again, so a later start copies
// afresh. Errors name the entry relative to the source directory. Blocks on the copy's I/O.
Result<void> copy_up(int src_dirfd, const std::string& volume_data_dir);

// Removes name under dirfd and everything below it without following symlinks and without
// descending into another file system (EXDEV error naming the mount point). An entry that is
// already gone (a concurrent remover) is fine.
Result<void> remove_tree_beneath(int dirfd, const std::string& name);

}  // namespace berth::engine
