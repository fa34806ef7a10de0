#include "engine/container_mounts.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>

#include <fmt/format.h>

#include "base/fs.h"
#include "engine/run_options.h"
#include "sys/openat2.h"

namespace berth::engine {

namespace {

bool covered(const std::vector<MountPoint>& mounts, const std::string& dest) {
  return std::any_of(mounts.begin(), mounts.end(),
                     [&](const MountPoint& m) { return m.destination == dest; });
}

Result<MountPoint> volume_mount(Volumes& volumes, const std::string& name, const std::string& dest,
                                bool rw, const std::string& mode, UndoStack& undo,
                                const std::map<std::string, std::string>& labels = {}) {
  bool existed = !name.empty() && volumes.inspect(name).has_value();
  auto v = BERTH_TRY(volumes.create(name, "local", {}, labels));
  if (!existed) {
    undo.add([&volumes, n = v.name] { (void)volumes.remove_unused(n, true); });
  }
  MountPoint m;
  m.type = "volume";
  m.name = v.name;
  m.source = v.mountpoint;
  m.destination = dest;
  m.driver = "local";
  m.mode = mode.empty() ? "z" : mode;
  m.rw = rw;
  return m;
}

}  // namespace

Result<void> resolve_mounts(Container& c, Volumes& volumes, UndoStack& undo) {
  std::vector<MountPoint> out;
  for (const auto& b : c.host_config.binds) {
    auto v = BERTH_TRY(parse_volume_flag(b));
    if (covered(out, v.target)) {
      return fail(Code::kInvalidArgument, fmt::format("Duplicate mount point: {}", v.target));
    }
    if (v.type == "bind") {
      // docker's -v makes a missing host directory; --mount does not.
      BERTH_CHECK(mkdir_p(v.source, 0755));
      MountPoint m;
      m.type = "bind";
      m.source = v.source;
      m.destination = v.target;
      m.mode = v.mode;
      m.rw = !v.read_only;
      m.propagation = v.propagation.empty() ? "rprivate" : v.propagation;
      out.push_back(std::move(m));
    } else {
      out.push_back(
          BERTH_TRY(volume_mount(volumes, v.source, v.target, !v.read_only, v.mode, undo)));
    }
  }
  for (const auto& ms : c.host_config.mounts) {
    if (covered(out, ms.target)) {
      return fail(Code::kInvalidArgument, fmt::format("Duplicate mount point: {}", ms.target));
    }
    if (ms.type == "bind") {
      struct stat st;
      if (::stat(ms.source.c_str(), &st) < 0) {
        return fail(Code::kInvalidArgument,
                    fmt::format("invalid mount config for type \"bind\": bind source path does "
                                "not exist: {}",
                                ms.source));
      }
      MountPoint m;
      m.type = "bind";
      m.source = ms.source;
      m.destination = ms.target;
      m.rw = !ms.read_only;
      m.propagation = ms.bind_propagation.empty() ? "rprivate" : ms.bind_propagation;
      out.push_back(std::move(m));
    } else if (ms.type == "volume") {
      out.push_back(
          BERTH_TRY(volume_mount(volumes, ms.source, ms.target, !ms.read_only,
                                 ms.volume_nocopy ? "nocopy" : "", undo, ms.volume_labels)));
    } else if (ms.type == "tmpfs") {
      MountPoint m;
      m.type = "tmpfs";
      m.destination = ms.target;
      m.rw = !ms.read_only;
      out.push_back(std::move(m));
    }
  }
  for (const auto& path : c.config.volumes) {
    if (!covered(out, path) && c.host_config.tmpfs.count(path) == 0) {
      out.push_back(BERTH_TRY(volume_mount(volumes, "", path, true, "", undo)));
    }
  }
  std::sort(out.begin(), out.end(),
            [](const MountPoint& a, const MountPoint& b) { return a.destination < b.destination; });
  c.mounts = std::move(out);
  return {};
}

Result<void> populate_volumes(const Container& c, int rootfd) {
  for (const auto& m : c.mounts) {
    if (m.type != "volume" || m.mode.find("nocopy") != std::string::npos) {
      continue;
    }
    auto src = sys::open_in_root(rootfd, m.destination, O_RDONLY | O_DIRECTORY, 0);
    if (!src) {
      continue;  // nothing in the image there
    }
    BERTH_CHECK_CTX(copy_up(src->get(), m.source),
                    fmt::format("filling volume {} from {}", m.name, m.destination));
  }
  return {};
}

std::vector<std::string> anonymous_volumes(const Container& c, const Volumes& volumes) {
  std::vector<std::string> out;
  for (const auto& m : c.mounts) {
    if (m.type == "volume") {
      auto v = volumes.inspect(m.name);
      if (v && v->anonymous()) {
        out.push_back(m.name);
      }
    }
  }
  return out;
}

}  // namespace berth::engine
