// Building a MountPlan: everything that may allocate or fail on bad input happens here, in the
// parent, so that the child only walks finished steps.
#include <linux/limits.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "base/strings.h"
#include "sys/mounts.h"

namespace berth::sys {

namespace {

// Drops "//", "." components and a trailing "/"; keeps ".." (the kernel resolves it inside the
// root, where it cannot climb out).
Result<std::string> tidy_path(const std::string& p, std::string_view what) {
  if (p.empty() || p[0] != '/') {
    return fail(Code::kInvalidArgument, fmt::format("{} \"{}\": not an absolute path", what, p));
  }
  if (p.find('\0') != std::string::npos || p.size() >= PATH_MAX) {
    return fail(Code::kInvalidArgument, fmt::format("{} \"{}\": invalid path", what, p));
  }
  std::string out;
  for (const auto& part : split(p, '/')) {
    if (part.empty() || part == ".") {
      continue;
    }
    out += '/';
    out += part;
  }
  return out.empty() ? std::string("/") : out;
}

struct ParsedOptions {
  uint64_t attrs = 0;
  std::vector<FsParam> params;
};

// mount(8) words that are per-mount attributes in the new API, with the bit each sets.
struct AttrWord {
  const char* word;
  uint64_t bit;
  bool set;
};
constexpr AttrWord kAttrWords[] = {
    {"ro", MOUNT_ATTR_RDONLY, true},
    {"rw", MOUNT_ATTR_RDONLY, false},
    {"nosuid", MOUNT_ATTR_NOSUID, true},
    {"suid", MOUNT_ATTR_NOSUID, false},
    {"nodev", MOUNT_ATTR_NODEV, true},
    {"dev", MOUNT_ATTR_NODEV, false},
    {"noexec", MOUNT_ATTR_NOEXEC, true},
    {"exec", MOUNT_ATTR_NOEXEC, false},
    {"nodiratime", MOUNT_ATTR_NODIRATIME, true},
    {"diratime", MOUNT_ATTR_NODIRATIME, false},
    {"nosymfollow", MOUNT_ATTR_NOSYMFOLLOW, true},
};

// Words that only make sense to mount(2)'s flags or to bind mounts; docker puts "rprivate" into
// tmpfs options, and a new mount under a slave or private "/" is private already.
constexpr const char* kIgnoredWords[] = {"private", "rprivate", "slave",      "rslave",
                                         "shared",  "rshared",  "unbindable", "runbindable",
                                         "bind",    "rbind",    "defaults"};

Result<ParsedOptions> parse_options(const std::string& options, std::string_view fstype) {
  ParsedOptions out;
  uint64_t atime = MOUNT_ATTR_RELATIME;
  for (const auto& word : split(options, ',')) {
    if (word.empty()) {
      continue;
    }
    bool handled = false;
    for (const auto& a : kAttrWords) {
      if (word == a.word) {
        out.attrs = a.set ? (out.attrs | a.bit) : (out.attrs & ~a.bit);
        handled = true;
      }
    }
    for (const char* w : kIgnoredWords) {
      handled = handled || word == w;
    }
    if (word == "noatime" || word == "relatime" || word == "strictatime" || word == "norelatime" ||
        word == "atime") {
      atime = word == "noatime"       ? MOUNT_ATTR_NOATIME
              : word == "strictatime" ? MOUNT_ATTR_STRICTATIME
                                      : MOUNT_ATTR_RELATIME;
      handled = true;
    }
    if (handled) {
      continue;
    }
    auto [key, value] = cut(word, '=');
    if (key.empty()) {
      return fail(Code::kInvalidArgument,
                  fmt::format("{} options \"{}\": empty key in \"{}\"", fstype, options, word));
    }
    bool has_value = word.find('=') != std::string::npos;
    // A later key=value replaces an earlier one (docker's MergeTmpfsOptions keeps the last).
    std::erase_if(out.params, [&](const FsParam& p) { return p.key == key; });
    out.params.push_back({std::string(key), std::string(value), !has_value});
  }
  out.attrs = (out.attrs & ~static_cast<uint64_t>(MOUNT_ATTR__ATIME)) | atime;
  return out;
}

// overlay's legacy option syntax needs ',' ':' and '\' escaped inside paths.
std::string overlay_escape(std::string_view path) {
  std::string out;
  for (char c : path) {
    if (c == ',' || c == ':' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out;
}

// mount(2) copies at most a page of data; a longer string would be cut, not refused.
constexpr size_t kMaxLegacyData = 4095;

}  // namespace

MountPlan::MountPlan(std::string rootfs) : rootfs_(std::move(rootfs)) {}

MountStep& MountPlan::add(StepKind kind) {
  steps_.emplace_back();
  steps_.back().kind = kind;
  return steps_.back();
}

void MountPlan::propagation(bool slave) {
  MountStep& s = add(StepKind::kPropagation);
  s.target = "/";
  s.in_root = false;
  s.propagation = slave ? MS_SLAVE : MS_PRIVATE;
}

Result<void> MountPlan::overlay(const std::string& target,
                                const std::vector<std::string>& lowerdirs,
                                const std::string& upperdir, const std::string& workdir,
                                const std::vector<std::string>& options) {
  if (lowerdirs.empty()) {
    return fail(Code::kInvalidArgument, fmt::format("overlay on {}: no lower dirs", target));
  }
  if (upperdir.empty() != workdir.empty()) {
    return fail(Code::kInvalidArgument,
                fmt::format("overlay on {}: upperdir and workdir go together", target));
  }
  MountStep s;
  s.kind = StepKind::kOverlay;
  s.target = BERTH_TRY(tidy_path(target, "overlay target"));
  s.in_root = false;
  s.fstype = "overlay";
  s.params.push_back({"source", "overlay", false});
  std::string legacy = "lowerdir=";
  for (size_t i = 0; i < lowerdirs.size(); ++i) {
    s.lowerdirs.push_back(BERTH_TRY(tidy_path(lowerdirs[i], "overlay lower dir")));
    legacy += (i == 0 ? "" : ":") + overlay_escape(s.lowerdirs.back());
  }
  if (!upperdir.empty()) {
    s.params.push_back({"upperdir", BERTH_TRY(tidy_path(upperdir, "overlay upper dir")), false});
    s.params.push_back({"workdir", BERTH_TRY(tidy_path(workdir, "overlay work dir")), false});
    legacy += ",upperdir=" + overlay_escape(s.params[1].value);
    legacy += ",workdir=" + overlay_escape(s.params[2].value);
  }
  for (const auto& o : options) {
    auto [key, value] = cut(o, '=');
    bool has_value = o.find('=') != std::string::npos;
    s.params.push_back({std::string(key), std::string(value), !has_value});
    legacy += "," + o;
  }
  if (legacy.size() <= kMaxLegacyData) {
    s.legacy_data = std::move(legacy);
  }
  steps_.push_back(std::move(s));
  return {};
}

Result<void> MountPlan::bind(const std::string& source, const std::string& target, bool recursive,
                             bool readonly, bool in_root) {
  MountStep s;
  s.kind = StepKind::kBind;
  s.source = BERTH_TRY(tidy_path(source, "bind source"));
  s.target = BERTH_TRY(tidy_path(target, "bind target"));
  s.in_root = in_root;
  s.recursive = recursive;
  s.attr_set = readonly ? MOUNT_ATTR_RDONLY : 0;
  steps_.push_back(std::move(s));
  return {};
}

Result<void> MountPlan::filesystem(const std::string& fstype, const std::string& source,
                                   const std::string& target, const std::string& options) {
  MountStep s;
  s.kind = StepKind::kFilesystem;
  s.fstype = fstype;
  s.target = BERTH_TRY(tidy_path(target, fstype + " target"));
  auto parsed = BERTH_TRY(parse_options(options, fstype));
  s.attr_set = parsed.attrs;
  s.params.push_back({"source", source.empty() ? fstype : source, false});
  for (auto& p : parsed.params) {
    s.params.push_back(std::move(p));
  }
  steps_.push_back(std::move(s));
  return {};
}

Result<void> MountPlan::device(const std::string& target, char type, unsigned major, unsigned minor,
                               mode_t perm, const std::string& host_source) {
  if (type != 'c' && type != 'b') {
    return fail(Code::kInvalidArgument,
                fmt::format("device {}: type '{}' is neither 'c' nor 'b'", target, type));
  }
  MountStep s;
  s.kind = StepKind::kDevice;
  s.target = BERTH_TRY(tidy_path(target, "device"));
  if (s.target == "/") {
    return fail(Code::kInvalidArgument, "device \"/\": not a file path");
  }
  s.source = host_source.empty() ? std::string() : BERTH_TRY(tidy_path(host_source, "device"));
  s.mode = static_cast<mode_t>((type == 'c' ? S_IFCHR : S_IFBLK) | (perm & 07777));
  s.dev = makedev(major, minor);
  steps_.push_back(std::move(s));
  return {};
}

Result<void> MountPlan::symlink(const std::string& target, const std::string& link_text,
                                bool replace) {
  MountStep s;
  s.kind = StepKind::kSymlink;
  s.target = BERTH_TRY(tidy_path(target, "symlink"));
  if (s.target == "/" || link_text.empty()) {
    return fail(Code::kInvalidArgument,
                fmt::format("symlink {} -> \"{}\": invalid", target, link_text));
  }
  s.link_text = link_text;
  s.replace = replace;
  steps_.push_back(std::move(s));
  return {};
}

Result<void> MountPlan::mask(const std::string& target) {
  MountStep s;
  s.kind = StepKind::kMask;
  s.target = BERTH_TRY(tidy_path(target, "masked path"));
  s.source = "/dev/null";
  steps_.push_back(std::move(s));
  return {};
}

Result<void> MountPlan::readonly_path(const std::string& target) {
  MountStep s;
  s.kind = StepKind::kReadonlyPath;
  s.target = BERTH_TRY(tidy_path(target, "read-only path"));
  s.recursive = true;
  steps_.push_back(std::move(s));
  return {};
}

void MountPlan::pivot_root() {
  MountStep& s = add(StepKind::kPivotRoot);
  s.target = "/";
}

Result<void> MountPlan::remount_readonly(const std::string& target) {
  MountStep s;
  s.kind = StepKind::kRemountReadonly;
  s.target = BERTH_TRY(tidy_path(target, "read-only remount"));
  steps_.push_back(std::move(s));
  return {};
}

std::string describe_failure(const MountPlan& plan, const MountFailure& f) {
  std::string why = f.err != 0 ? std::strerror(f.err) : "unknown error";
  if (f.step < 0 || static_cast<size_t>(f.step) >= plan.steps().size()) {
    return fmt::format("mount step {}: {}", f.step, why);
  }
  const MountStep& s = plan.steps()[static_cast<size_t>(f.step)];
  std::string what;
  switch (s.kind) {
    case StepKind::kPropagation:
      what = fmt::format("making / {}", s.propagation == MS_SLAVE ? "rslave" : "rprivate");
      break;
    case StepKind::kOverlay:
      what = fmt::format("mounting overlay on {}", s.target);
      break;
    case StepKind::kBind:
      what = fmt::format("bind-mounting {} on {}", s.source, s.target);
      break;
    case StepKind::kFilesystem:
      what = fmt::format("mounting {} on {}", s.fstype, s.target);
      break;
    case StepKind::kDevice:
      what = fmt::format("creating device {}", s.target);
      break;
    case StepKind::kSymlink:
      what = fmt::format("creating symlink {} -> {}", s.target, s.link_text);
      break;
    case StepKind::kMask:
      what = fmt::format("masking {}", s.target);
      break;
    case StepKind::kReadonlyPath:
      what = fmt::format("making {} read-only", s.target);
      break;
    case StepKind::kPivotRoot:
      what = fmt::format("pivot_root into {}", plan.rootfs());
      break;
    case StepKind::kRemountReadonly:
      what = fmt::format("remounting {} read-only", s.target);
      break;
  }
  return what + ": " + why;
}

}  // namespace berth::sys
