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

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"
#include "sys/cgroup.h"
#include "sys/cgroup_internal.h"

namespace berth::sys {
namespace {

// Super options of a v1 mount mix controllers with mount options (xattr, noprefix,
// clone_children, release_agent=…, cpuset_v2_mode, …); only known controller names are taken
// so a future mount option never passes for a controller.
constexpr std::array<std::string_view, 16> kV1Controllers = {
    "cpuset",  "cpu",        "cpuacct",  "io",      "blkio", "memory", "devices", "freezer",
    "net_cls", "perf_event", "net_prio", "hugetlb", "pids",  "rdma",   "misc",    "debug"};

// mountinfo escapes space, tab, newline and backslash in paths as \ooo.
std::string unescape_octal(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    auto digit = [](char c) { return c >= '0' && c <= '7'; };
    if (s[i] == '\\' && i + 3 < s.size() && digit(s[i + 1]) && digit(s[i + 2]) && digit(s[i + 3])) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
      continue;
    }
    out += s[i];
  }
  return out;
}

struct MountEntry {
  std::string device;  // "0:31": one hierarchy, however often it is mounted
  CgroupHierarchy hierarchy;
};

// Parses one mountinfo line; nullopt for a mount that is not a cgroup.
Result<std::optional<MountEntry>> parse_line(std::string_view line) {
  std::vector<std::string_view> f;
  size_t pos = 0;
  while (pos < line.size()) {
    size_t end = line.find(' ', pos);
    if (end == std::string_view::npos) {
      end = line.size();
    }
    if (end > pos) {
      f.push_back(line.substr(pos, end - pos));
    }
    pos = end + 1;
  }
  auto sep = std::find(f.begin(), f.end(), std::string_view("-"));
  if (f.size() < 6 || sep == f.end() || sep - f.begin() < 6 || f.end() - sep < 4) {
    return fail(Code::kCorrupt, fmt::format("mountinfo: malformed line \"{}\"", line));
  }
  std::string_view fstype = sep[1];
  if (fstype != "cgroup" && fstype != "cgroup2") {
    return std::optional<MountEntry>();
  }
  MountEntry e;
  e.device = std::string(f[2]);
  e.hierarchy.root = unescape_octal(f[3]);
  e.hierarchy.mount_point = unescape_octal(f[4]);
  e.hierarchy.v2 = fstype == "cgroup2";
  if (!e.hierarchy.v2) {
    for (const auto& opt : split(sep[3], ',')) {
      if (opt.rfind("name=", 0) == 0) {
        e.hierarchy.name = opt.substr(5);
      } else if (std::find(kV1Controllers.begin(), kV1Controllers.end(), opt) !=
                 kV1Controllers.end()) {
        e.hierarchy.controllers.push_back(opt);
      }
    }
  }
  return std::optional<MountEntry>(std::move(e));
}

}  // namespace

Result<std::vector<CgroupHierarchy>> parse_cgroup_hierarchies(std::string_view mountinfo) {
  std::vector<MountEntry> found;
  for (const auto& raw : split(mountinfo, '\n')) {
    std::string_view line = trim(raw);
    if (line.empty()) {
      continue;
    }
    auto entry = BERTH_TRY(parse_line(line));
    if (!entry) {
      continue;
    }
    auto same = std::find_if(found.begin(), found.end(),
                             [&](const MountEntry& m) { return m.device == entry->device; });
    if (same == found.end()) {
      found.push_back(std::move(*entry));
    } else if (same->hierarchy.root != "/" && entry->hierarchy.root == "/") {
      same->hierarchy = std::move(entry->hierarchy);
    }
  }
  std::vector<CgroupHierarchy> out;
  out.reserve(found.size());
  for (auto& m : found) {
    out.push_back(std::move(m.hierarchy));
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
    // A descendant may go away while we walk.
    return text.error().sys_errno() == ENOENT ? Result<std::vector<pid_t>>()
                                              : tl::unexpected(text.error());
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
