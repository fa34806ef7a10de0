// Volumes: create, read, remove (docker's local driver). Filters and prune are in
// volumes_filter.cc, the file walks (copy up, size, removal) in volumes_fs.cc.
#include "engine/volumes.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"
#include "sys/mountinfo.h"

namespace berth::engine {

namespace {

constexpr std::string_view kNameChars = "[a-zA-Z0-9][a-zA-Z0-9_.-]";

Error no_such_volume(const std::string& name) {
  return Error(Code::kNotFound, fmt::format("get {}: no such volume", name));
}

// docker's local driver accepts these options, and needs the others of a group with each.
Result<void> validate_options(const std::map<std::string, std::string>& opts) {
  for (const auto& [key, value] : opts) {
    if (key != "type" && key != "o" && key != "device" && key != "size") {
      return fail(Code::kInvalidArgument, fmt::format("invalid option: \"{}\"", key));
    }
  }
  auto type = opts.find("type");
  auto device = opts.find("device");
  if (type != opts.end() && type->second == "cifs" && device != opts.end()) {
    // url.Parse's Port(): the host part of "//host:port/share" may not name a port.
    std::string_view dev = device->second;
    size_t start = dev.find("//");
    if (start != std::string_view::npos) {
      std::string_view host = dev.substr(start + 2);
      host = host.substr(0, host.find('/'));
      size_t colon = host.rfind(':');
      if (colon != std::string_view::npos && host.find(']', colon) == std::string_view::npos &&
          colon + 1 < host.size()) {
        return fail(Code::kInvalidArgument,
                    "port not allowed in CIFS device URL, include 'port' in 'o='");
      }
    }
  }
  if (auto size = opts.find("size"); size != opts.end()) {
    auto bytes = parse_size(size->second);
    if (!bytes) {
      return tl::unexpected(bytes.error());
    }
    if (*bytes > 0) {
      // docker needs project quotas on the volumes file system for this; berth has none.
      return fail(Code::kInvalidArgument, "quota size requested but no quota support");
    }
  }
  static const std::pair<const char*, std::vector<const char*>> kRequired[] = {
      {"device", {"type"}}, {"type", {"device"}}, {"o", {"device", "type"}}};
  for (const auto& [opt, needs] : kRequired) {
    if (opts.count(opt) == 0) {
      continue;
    }
    for (const char* need : needs) {
      if (opts.count(need) == 0) {
        return fail(Code::kInvalidArgument, fmt::format("missing required option: \"{}\"", need));
      }
    }
  }
  return {};
}

Json string_map_json(const std::map<std::string, std::string>& m) {
  Json j = Json::object();
  for (const auto& [k, v] : m) {
    j[k] = v;
  }
  return j;
}

Result<std::map<std::string, std::string>> string_map(const Json& j, const char* key,
                                                      std::string_view what) {
  std::map<std::string, std::string> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    return out;
  }
  if (!it->is_object()) {
    return fail(Code::kCorrupt, fmt::format("{}: {} is not an object", what, key));
  }
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string()) {
      return fail(Code::kCorrupt, fmt::format("{}: {}[\"{}\"] is not a string", what, key, k));
    }
    out[k] = v.get<std::string>();
  }
  return out;
}

std::string volume_json(const Volume& v) {
  Json j = Json::object();
  j["Name"] = v.name;
  j["Driver"] = v.driver;
  j["Labels"] = string_map_json(v.labels);
  j["Options"] = string_map_json(v.options);
  j["CreatedAt"] = rfc3339_nano(v.created_nanos);
  return j.dump(2) + "\n";
}

// Moves src to dst unless dst exists (RENAME_NOREPLACE): a plain rename would replace an empty
// directory left at dst. Falls back to rename(2) where the file system lacks the flag.
int rename_noreplace(int dirfd, const std::string& src, const std::string& dst) {
  int r = ::renameat2(dirfd, src.c_str(), dirfd, dst.c_str(), RENAME_NOREPLACE);
  if (r != 0 && errno == EINVAL) {
    r = ::renameat(dirfd, src.c_str(), dirfd, dst.c_str());
  }
  return r;
}

// Builds a volume's directory under dir_fd as tmp: _data (0755) and volume.json, synced.
Result<void> build_volume_dir(const std::string& parent, const std::string& tmp, const Volume& v) {
  std::string path = parent + "/" + tmp;
  if (::mkdir(path.c_str(), 0700) != 0) {
    return fail_errno(fmt::format("creating {}", path));
  }
  std::string data = path + "/_data";
  if (::mkdir(data.c_str(), 0700) != 0) {
    return fail_errno(fmt::format("creating {}", data));
  }
  // Explicit modes: mkdir's are cut by the umask.
  if (::chmod(data.c_str(), 0755) != 0 || ::chmod(path.c_str(), 0701) != 0) {
    return fail_errno(fmt::format("setting the mode of {}", path));
  }
  BERTH_CHECK(write_file_atomic(path + "/volume.json", volume_json(v), 0600));
  return fsync_dir(path);
}

}  // namespace

Result<void> validate_volume_name(std::string_view name) {
  if (name.size() == 1) {
    return fail(Code::kInvalidArgument,
                "volume name is too short, names should be at least two alphanumeric characters");
  }
  bool ok = !name.empty();
  for (size_t i = 0; ok && i < name.size(); ++i) {
    ok = is_docker_name_char(name[i], i == 0);
  }
  if (!ok) {
    return fail(Code::kInvalidArgument,
                fmt::format("\"{}\" includes invalid characters for a local volume name, only "
                            "\"{}\" are allowed. If you intended to pass a host directory, use "
                            "absolute path",
                            name, kNameChars));
  }
  return {};
}

std::string rfc3339_local(int64_t unix_nanos) {
  time_t secs = static_cast<time_t>(unix_nanos / 1000000000);
  if (unix_nanos < 0 && unix_nanos % 1000000000 != 0) {
    --secs;
  }
  struct tm tm {};
  localtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  long off = tm.tm_gmtoff;
  if (off == 0) {
    return std::string(buf) + "Z";
  }
  char sign = off < 0 ? '-' : '+';
  off = off < 0 ? -off : off;
  return fmt::format("{}{}{:02}:{:02}", buf, sign, off / 3600, (off / 60) % 60);
}

Json volume_inspect_json(const Volume& v) {
  Json j = Json::object();
  j["CreatedAt"] = rfc3339_local(v.created_nanos);
  j["Driver"] = v.driver;
  j["Labels"] = string_map_json(v.labels);
  j["Mountpoint"] = v.mountpoint;
  j["Name"] = v.name;
  j["Options"] = string_map_json(v.options);
  j["Scope"] = "local";
  return j;
}

Result<Volumes> Volumes::open(const std::string& root) {
  std::string abs = root;
  if (abs.empty() || abs[0] != '/') {
    char cwd[4096];
    if (::getcwd(cwd, sizeof cwd) == nullptr) {
      return fail_errno("reading the working directory");
    }
    abs = std::string(cwd) + (abs.empty() ? "" : "/" + abs);
  }
  while (abs.size() > 1 && abs.back() == '/') {
    abs.pop_back();
  }
  std::string dir = abs + "/volumes";
  if (!path_exists(dir)) {
    BERTH_CHECK(mkdir_p(abs));
    if (::mkdir(dir.c_str(), 0701) != 0 && errno != EEXIST) {
      return fail_errno(fmt::format("creating {}", dir));
    }
    (void)::chmod(dir.c_str(), 0701);
  }
  return Volumes(abs, dir);
}

Result<sys::FileLock> Volumes::lock(sys::FileLock::Mode mode) const {
  return sys::FileLock::acquire(dir_ + "/.lock", mode);
}

Result<Volume> Volumes::read(const std::string& name) const {
  std::string path = dir(name);
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return tl::unexpected(no_such_volume(name));
  }
  Volume v;
  v.name = name;
  v.mountpoint = data_dir(name);
  auto text = read_file(path + "/volume.json");
  if (!text) {
    if (text.error().code() != Code::kNotFound) {
      return tl::unexpected(std::move(text).error().context(fmt::format("volume {}", name)));
    }
    if (!path_exists(v.mountpoint)) {
      return tl::unexpected(no_such_volume(name));
    }
    // A volume directory made by hand (or by an older tool) with only _data: docker counts it
    // as a volume too; its creation time is the directory's change time, as docker shows.
    v.created_nanos = int64_t{st.st_ctim.tv_sec} * 1000000000 + st.st_ctim.tv_nsec;
    return v;
  }
  std::string what = fmt::format("volume {}", name);
  auto j = BERTH_TRY(parse_json(*text, what));
  if (!j.is_object()) {
    return fail(Code::kCorrupt, what + ": volume.json is not an object");
  }
  if (auto d = j.find("Driver"); d != j.end() && d->is_string()) {
    v.driver = d->get<std::string>();
  }
  v.labels = BERTH_TRY(string_map(j, "Labels", what));
  v.options = BERTH_TRY(string_map(j, "Options", what));
  if (auto c = j.find("CreatedAt"); c != j.end() && c->is_string()) {
    v.created_nanos = parse_rfc3339(c->get<std::string>()).value_or(0);
  }
  return v;
}

Result<Volume> Volumes::inspect(const std::string& name) const {
  if (!validate_volume_name(name)) {
    return tl::unexpected(no_such_volume(name));
  }
  return read(name);
}

Result<std::vector<Volume>> Volumes::list() const {
  auto fd = BERTH_TRY(open_dir(dir_));
  DIR* d = ::fdopendir(fd.release());
  if (d == nullptr) {
    return fail_errno(fmt::format("reading {}", dir_));
  }
  std::vector<std::string> names;
  while (auto* ent = ::readdir(d)) {
    std::string n = ent->d_name;
    if (validate_volume_name(n)) {
      names.push_back(std::move(n));
    }
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  std::vector<Volume> out;
  for (const auto& n : names) {
    if (auto v = read(n)) {
      out.push_back(std::move(*v));
    }
  }
  return out;
}

Result<Volume> Volumes::create(const std::string& name, const std::string& driver,
                               const std::map<std::string, std::string>& options,
                               const std::map<std::string, std::string>& labels) {
  Volume v;
  v.name = name.empty() ? random_hex(64) : name;
  std::string ctx = fmt::format("create {}", v.name);
  if (!driver.empty() && driver != "local") {
    return fail(Code::kNotFound,
                fmt::format("{}: error looking up volume plugin {}: plugin \"{}\" not found", ctx,
                            driver, driver));
  }
  BERTH_CHECK_CTX(validate_volume_name(v.name), ctx);
  BERTH_CHECK_CTX(validate_options(options), ctx);
  v.labels = labels;
  if (name.empty()) {
    v.labels[std::string(kAnonymousVolumeLabel)] = "";
  }
  v.options = options;
  v.created_nanos = now_nanos();
  v.mountpoint = data_dir(v.name);
  // Several attempts: a racing remove can take away the volume that made our rename fail.
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (auto existing = read(v.name)) {
      return existing;
    } else if (existing.error().code() != Code::kNotFound) {
      return tl::unexpected(std::move(existing).error().context(ctx));
    }
    std::string tmp = ".tmp-" + random_hex(16);
    auto built = build_volume_dir(dir_, tmp, v);
    auto parent = open_dir(dir_);
    if (!parent) {
      (void)remove_tree(dir_ + "/" + tmp);
      return tl::unexpected(std::move(parent).error().context(ctx));
    }
    if (!built) {
      (void)remove_tree_beneath(parent->get(), tmp);
      return tl::unexpected(std::move(built).error().context(ctx));
    }
    if (rename_noreplace(parent->get(), tmp, v.name) == 0) {
      (void)::fsync(parent->get());
      return v;
    }
    int err = errno;
    (void)remove_tree_beneath(parent->get(), tmp);
    if (err != EEXIST && err != ENOTEMPTY) {
      return fail_errno(fmt::format("{}: renaming {} into place", ctx, tmp), err);
    }
    if (auto again = read(v.name); !again && again.error().code() == Code::kNotFound) {
      // Not a volume, yet the name is taken: an empty directory (made by hand, or left by a
      // crash) goes; anything else stays and fails below.
      (void)::unlinkat(parent->get(), v.name.c_str(), AT_REMOVEDIR);
    }
  }
  return fail(Code::kConflict, fmt::format("{}: {} exists and is not a volume", ctx, dir(v.name)));
}

Result<void> Volumes::remove(const std::string& name, bool force,
                             const std::vector<std::string>& in_use) {
  // A volume with an unreadable volume.json (Corrupt) can still be removed.
  if (auto v = inspect(name); !v && v.error().code() == Code::kNotFound) {
    if (force) {
      return {};
    }
    return tl::unexpected(no_such_volume(name));
  }
  if (!in_use.empty()) {
    return fail(Code::kConflict,
                fmt::format("remove {}: volume is in use - [{}]", name, join(in_use, ", ")));
  }
  BERTH_CHECK_CTX(destroy(name), fmt::format("remove {}", name));
  return {};
}

Result<void> Volumes::remove_unused(const std::string& name, bool force) {
  auto held = BERTH_TRY(lock(sys::FileLock::Mode::kExclusive));
  auto users_map = BERTH_TRY(users());
  auto it = users_map.find(name);
  return remove(name, force, it == users_map.end() ? std::vector<std::string>{} : it->second);
}

Result<void> Volumes::destroy(const std::string& name) {
  std::string path = dir(name);
  std::string data = data_dir(name);
  struct stat vst {
  }, dst{};
  if (::lstat(path.c_str(), &vst) == 0 && ::lstat(data.c_str(), &dst) == 0 &&
      vst.st_dev != dst.st_dev) {
    // A tmpfs or nfs mount the runtime left on _data: deleting through it would delete the
    // mounted data (docker unmounts first too).
    BERTH_CHECK(sys::unmount_tree(data));
  }
  auto parent = BERTH_TRY(open_dir(dir_));
  std::string aside = ".rm-" + random_hex(16);
  if (::renameat(parent.get(), name.c_str(), parent.get(), aside.c_str()) != 0) {
    if (errno == ENOENT) {
      return {};  // removed by another process meanwhile
    }
    return fail_errno(fmt::format("moving {} aside", path));
  }
  (void)::fsync(parent.get());
  return remove_tree_beneath(parent.get(), aside);
}

void Volumes::sweep_leftovers() {
  auto fd = open_dir(dir_);
  if (!fd) {
    return;
  }
  DIR* d = ::fdopendir(::fcntl(fd->get(), F_DUPFD_CLOEXEC, 0));
  if (d == nullptr) {
    return;
  }
  std::vector<std::string> names;
  while (auto* ent = ::readdir(d)) {
    std::string n = ent->d_name;
    if (n.starts_with(".rm-") || n.starts_with(".tmp-")) {
      names.push_back(std::move(n));
    }
  }
  ::closedir(d);
  int64_t now = now_nanos();
  for (const auto& n : names) {
    struct stat st {};
    if (::fstatat(fd->get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      continue;
    }
    // A .tmp- dir may be a create in progress right now; one an hour old is not.
    int64_t age = now - int64_t{st.st_mtim.tv_sec} * 1000000000;
    if (n.starts_with(".rm-") || age > int64_t{3600} * 1000000000) {
      (void)remove_tree_beneath(fd->get(), n);
    }
  }
}

Result<int64_t> Volumes::size(const std::string& name) const {
  BERTH_TRY(inspect(name));
  return tree_size(data_dir(name));
}

}  // namespace berth::engine
