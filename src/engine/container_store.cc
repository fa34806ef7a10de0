#include "engine/container_store.h"

#include <dirent.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"

namespace berth::engine {

Result<sys::FileLock> ContainerStore::lock(const std::string& id) const {
  return sys::FileLock::acquire(dir(id) + "/lock", sys::FileLock::Mode::kExclusive);
}

Result<void> ContainerStore::write_config(const Container& c) const {
  // A --rm container's record lives as long as its one run, which a crash ends anyway: its
  // fsync (20 ms on a busy disk here) would be most of `run --rm`'s set-up.
  auto durability = c.host_config.auto_remove ? Durability::kAtomicOnly : Durability::kDurable;
  return write_file_atomic(dir(c.id) + "/config.json", container_to_json(c).dump() + "\n", 0600,
                           durability);
}

Result<void> ContainerStore::write_state(const std::string& id, const ContainerState& s) const {
  // The state is checked against the live processes on every read (truthful_state), so a
  // crash that loses the last write costs nothing; an fsync on each of a run's state changes
  // would cost milliseconds.
  return write_file_atomic(dir(id) + "/state.json", state_to_json(s).dump() + "\n", 0600,
                           Durability::kAtomicOnly);
}

Result<ContainerState> ContainerStore::read_state(const std::string& id) const {
  std::string path = dir(id) + "/state.json";
  auto text = read_file(path);
  if (!text) {
    if (text.error().code() == Code::kNotFound) {
      return ContainerState{};
    }
    return tl::unexpected(std::move(text.error()));
  }
  auto j = BERTH_TRY(parse_json(*text, path));
  return state_from_json(j, path);
}

Result<Container> ContainerStore::read(const std::string& id) const {
  std::string path = dir(id) + "/config.json";
  auto text = read_file(path);
  if (!text) {
    if (text.error().code() == Code::kNotFound) {
      return fail(Code::kNotFound, "No such container: " + id);
    }
    return tl::unexpected(std::move(text.error()));
  }
  auto j = BERTH_TRY(parse_json(*text, path));
  auto c = BERTH_TRY(container_from_json(j, path));
  c.state = BERTH_TRY(read_state(id));
  return c;
}

Result<std::vector<std::string>> ContainerStore::ids() const {
  std::vector<std::string> out;
  std::string base = root_ + "/containers";
  DIR* d = ::opendir(base.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) {
      return out;
    }
    return fail_errno("listing " + base);
  }
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() == 64 && is_hex(name) && path_exists(base + "/" + name + "/config.json")) {
      out.push_back(name);
    }
  }
  ::closedir(d);
  return out;
}

std::optional<std::string> ContainerStore::id_for_name(const std::string& name) const {
  char buf[128];
  std::string link = root_ + "/names/" + name;
  ssize_t n = ::readlink(link.c_str(), buf, sizeof buf);
  if (n <= 0 || static_cast<size_t>(n) >= sizeof buf) {
    return std::nullopt;
  }
  return std::string(buf, static_cast<size_t>(n));
}

Result<void> ContainerStore::claim_name(const std::string& name, const std::string& id) const {
  BERTH_CHECK(mkdir_p(root_ + "/names", 0700));
  std::string link = root_ + "/names/" + name;
  if (::symlink(id.c_str(), link.c_str()) == 0) {
    return {};
  }
  if (errno != EEXIST) {
    return fail_errno("claiming the name " + name);
  }
  auto owner = id_for_name(name);
  // A link left by a container whose record is gone (a crash between steps) is free again.
  if (owner && !path_exists(dir(*owner) + "/config.json")) {
    ::unlink(link.c_str());
    if (::symlink(id.c_str(), link.c_str()) == 0) {
      return {};
    }
  }
  return fail(Code::kConflict,
              fmt::format("Conflict. The container name \"/{}\" is already in use by container "
                          "\"{}\". You have to remove (or rename) that container to be able to "
                          "reuse that name.",
                          name, owner.value_or("?")));
}

void ContainerStore::release_name(const std::string& name, const std::string& id) const {
  if (id_for_name(name) == id) {
    std::string link = root_ + "/names/" + name;
    ::unlink(link.c_str());
  }
}

Result<std::string> ContainerStore::resolve(std::string_view name_or_id) const {
  std::string key(name_or_id);
  if (!key.empty() && key[0] == '/') {
    key.erase(0, 1);
  }
  if (key.size() == 64 && is_hex(key) && path_exists(dir(key) + "/config.json")) {
    return key;
  }
  if (!key.empty()) {
    if (auto id = id_for_name(key); id && path_exists(dir(*id) + "/config.json")) {
      return *id;
    }
  }
  if (!key.empty() && is_hex(key)) {
    std::vector<std::string> matches;
    for (const auto& id : BERTH_TRY(ids())) {
      if (id.rfind(key, 0) == 0) {
        matches.push_back(id);
      }
    }
    if (matches.size() == 1) {
      return matches[0];
    }
    if (matches.size() > 1) {
      return fail(Code::kInvalidArgument,
                  fmt::format("multiple IDs found with provided prefix: {}", key));
    }
  }
  return fail(Code::kNotFound, fmt::format("No such container: {}", name_or_id));
}

std::optional<uint64_t> process_start_time(pid_t pid) {
  if (pid <= 0) {
    return std::nullopt;
  }
  auto text = read_file(fmt::format("/proc/{}/stat", pid));
  if (!text) {
    return std::nullopt;
  }
  // The command name may hold spaces and parentheses: fields count from the last ')'.
  size_t close = text->rfind(')');
  if (close == std::string::npos) {
    return std::nullopt;
  }
  auto fields = split(std::string_view(*text).substr(close + 2), ' ');
  // fields[0] is field 3 (state); field 22 is fields[19].
  if (fields.size() < 20 || fields[0] == "Z" || fields[0] == "X") {
    return std::nullopt;
  }
  return parse_uint(fields[19]);
}

bool same_process(pid_t pid, uint64_t start_time) {
  auto st = process_start_time(pid);
  return st && (start_time == 0 || *st == start_time);
}

ContainerState truthful_state(ContainerState s) {
  bool active = s.status == "running" || s.status == "paused" || s.status == "restarting";
  if (!active) {
    return s;
  }
  bool monitor = s.monitor_pid > 0 && same_process(s.monitor_pid, s.monitor_start_time);
  bool init = s.pid > 0 && same_process(s.pid, s.pid_start_time);
  if (monitor || init) {
    return s;
  }
  s.status = "exited";
  s.exit_code = 255;
  s.pid = 0;
  s.monitor_pid = 0;
  if (s.finished_at.rfind("0001-", 0) == 0) {
    s.finished_at = rfc3339_nano(now_nanos());
  }
  return s;
}

}  // namespace berth::engine
