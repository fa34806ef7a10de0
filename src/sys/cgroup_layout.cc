// Finding the cgroup hierarchies from mountinfo, telling the layout apart, and the plain file
// access every cgroup file goes through.

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <memory>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"
#include "sys/cgroup.h"
#include "sys/cgroup_internal.h"
#include "sys/mountinfo.h"

namespace berth::sys {
namespace {

// Super options of a v1 mount mix controllers with mount options (xattr, noprefix,
// clone_children, release_agent=…, cpuset_v2_mode, …); only known controller names are taken
// so a future mount option never passes for a controller.
constexpr std::array<std::string_view, 16> kV1Controllers = {
    "cpuset",  "cpu",        "cpuacct",  "io",      "blkio", "memory", "devices", "freezer",
    "net_cls", "perf_event", "net_prio", "hugetlb", "pids",  "rdma",   "misc",    "debug"};

// The hierarchy a cgroup mount shows; nullopt for a mount that is not a cgroup.
std::optional<CgroupHierarchy> hierarchy_of(const MountInfo& m) {
  if (m.fstype != "cgroup" && m.fstype != "cgroup2") {
    return std::nullopt;
  }
  CgroupHierarchy h;
  h.root = m.root;
  h.mount_point = m.mount_point;
  h.v2 = m.fstype == "cgroup2";
  if (!h.v2) {
    for (const auto& opt : split(m.super_options, ',')) {
      if (opt.rfind("name=", 0) == 0) {
        h.name = opt.substr(5);
      } else if (std::find(kV1Controllers.begin(), kV1Controllers.end(), opt) !=
                 kV1Controllers.end()) {
        h.controllers.push_back(opt);
      }
    }
  }
  return h;
}

}  // namespace

Result<std::vector<CgroupHierarchy>> parse_cgroup_hierarchies(std::string_view mountinfo) {
  struct Found {
    std::pair<unsigned, unsigned> device;  // one hierarchy, however often it is mounted
    CgroupHierarchy hierarchy;
  };
  auto mounts = BERTH_TRY(parse_mountinfo(mountinfo));
  std::vector<Found> found;
  for (const auto& m : mounts) {
    auto h = hierarchy_of(m);
    if (!h) {
      continue;
    }
    std::pair<unsigned, unsigned> device{m.major, m.minor};
    auto same = std::find_if(found.begin(), found.end(),
                             [&](const Found& f) { return f.device == device; });
    if (same == found.end()) {
      found.push_back({device, std::move(*h)});
    } else if (same->hierarchy.root != "/" && h->root == "/") {
      same->hierarchy = std::move(*h);
    }
  }
  std::vector<CgroupHierarchy> out;
  out.reserve(found.size());
  for (auto& f : found) {
    out.push_back(std::move(f.hierarchy));
  }
  return out;
}

Result<std::vector<CgroupHierarchy>> cgroup_hierarchies() {
  auto text = BERTH_TRY(read_file("/proc/self/mountinfo"));
  auto hierarchies = BERTH_TRY(parse_cgroup_hierarchies(text));
  if (hierarchies.empty()) {
    return fail(Code::kUnsupported, "no cgroup hierarchy is mounted (see /proc/self/mountinfo)");
  }
  for (auto& h : hierarchies) {
    if (h.v2) {
      h.controllers = BERTH_TRY(cgroup_detail::v2_controllers(h.mount_point));
    }
  }
  return hierarchies;
}

CgroupLayout cgroup_layout(const std::vector<CgroupHierarchy>& hierarchies) {
  bool v2 = false;
  bool v1_controllers = false;
  for (const auto& h : hierarchies) {
    if (h.v2) {
      v2 = true;
    } else if (!h.controllers.empty()) {
      v1_controllers = true;
    }
  }
  if (v2 && !v1_controllers) {
    return CgroupLayout::kUnified;
  }
  return v2 ? CgroupLayout::kHybrid : CgroupLayout::kLegacy;
}

std::string_view cgroup_layout_name(CgroupLayout layout) {
  switch (layout) {
    case CgroupLayout::kUnified:
      return "unified";
    case CgroupLayout::kLegacy:
      return "legacy";
    case CgroupLayout::kHybrid:
      return "hybrid";
  }
  return "unknown";
}

}  // namespace berth::sys

namespace berth::sys::cgroup_detail {

Result<std::vector<std::string>> split_cgroup_path(const std::string& path) {
  if (path.empty() || path[0] != '/') {
    return fail(Code::kInvalidArgument, fmt::format("cgroup path \"{}\" is not absolute", path));
  }
  std::vector<std::string> parts;
  for (auto& p : split(std::string_view(path).substr(1), '/')) {
    if (p.empty() || p == "." || p == "..") {
      return fail(Code::kInvalidArgument, fmt::format("cgroup path \"{}\" is not clean", path));
    }
    parts.push_back(std::move(p));
  }
  if (parts.empty() || path == "/") {
    return fail(Code::kInvalidArgument, "cgroup path \"/\" names the root");
  }
  return parts;
}

std::optional<std::string> keyed_value(std::string_view text, std::string_view key) {
  for (const auto& line : split(text, '\n')) {
    auto [k, v] = cut(trim(line), ' ');
    if (k == key) {
      return std::string(trim(v));
    }
  }
  return std::nullopt;
}

Result<void> write_file(const std::string& dir, const std::string& file, std::string_view value) {
  std::string path = dir + "/" + file;
  auto what = [&] { return fmt::format("writing \"{}\" to {}", value, path); };
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) {
    return fail_errno(what());
  }
  // A cgroup file takes its value in one write.
  ssize_t n;
  do {
    n = ::write(fd.get(), value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    return fail_errno(what());
  }
  if (static_cast<size_t>(n) != value.size()) {
    return fail(Code::kIo, what() + ": short write");
  }
  return {};
}

Result<std::string> read_trimmed(const std::string& dir, const std::string& file) {
  return std::string(trim(BERTH_TRY(read_file(dir + "/" + file))));
}

Result<int64_t> read_int(const std::string& dir, const std::string& file) {
  auto text = BERTH_TRY(read_trimmed(dir, file));
  if (text == "max") {
    return -1;
  }
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return fail(Code::kCorrupt, fmt::format("{}/{}: not a number: \"{}\"", dir, file, text));
  }
  return v;
}

Result<uint64_t> read_keyed_uint(const std::string& dir, const std::string& file,
                                 std::string_view key) {
  auto text = BERTH_TRY(read_trimmed(dir, file));
  auto v = keyed_value(text, key);
  auto n = v ? parse_uint(*v) : std::nullopt;
  if (!n) {
    return fail(Code::kCorrupt, fmt::format("{}/{} has no {}", dir, file, key));
  }
  return *n;
}

bool file_exists(const std::string& dir, const std::string& file) {
  return ::access((dir + "/" + file).c_str(), F_OK) == 0;
}

Result<std::vector<std::string>> subdirs(const std::string& dir) {
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) {
    return fail_errno(fmt::format("listing {}", dir));
  }
  std::vector<std::string> out;
  while (dirent* e = ::readdir(d.get())) {
    std::string_view name = e->d_name;
    if (e->d_type == DT_DIR && name != "." && name != "..") {
      out.push_back(dir + "/" + std::string(name));
    }
  }
  return out;
}

Result<std::vector<pid_t>> procs_recursive(const std::string& dir) {
  auto text = read_trimmed(dir, "cgroup.procs");
  if (!text) {
    // A cgroup may go away while we walk (its monitor removes it as we kill): ENOENT before
    // the open, ENODEV when v1 removed the directory between the open and the read.
    int e = text.error().sys_errno();
    return e == ENOENT || e == ENODEV ? Result<std::vector<pid_t>>() : tl::unexpected(text.error());
  }
  std::vector<pid_t> out;
  for (const auto& line : split(*text, '\n')) {
    if (auto v = parse_uint(trim(line))) {
      out.push_back(static_cast<pid_t>(*v));
    }
  }
  auto children = subdirs(dir);
  if (!children) {
    return out;
  }
  for (const auto& child : *children) {
    auto more = BERTH_TRY(procs_recursive(child));
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

}  // namespace berth::sys::cgroup_detail
