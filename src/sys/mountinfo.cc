#include "sys/mountinfo.h"

#include <sys/mount.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <memory>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"

namespace berth::sys {

namespace {

bool is_octal(char c) { return c >= '0' && c <= '7'; }

Result<int> parse_int_field(std::string_view s, size_t line, const char* what) {
  auto v = parse_uint(s);
  if (!v || *v > static_cast<uint64_t>(INT_MAX)) {
    return fail(Code::kCorrupt, fmt::format("mountinfo line {}: bad {} \"{}\"", line, what, s));
  }
  return static_cast<int>(*v);
}

Result<MountInfo> parse_line(std::string_view text, size_t line) {
  // Fields are separated by single spaces; values never hold a raw space (the kernel escapes
  // it), but a value may be empty (a source set to ""), so empty tokens are kept.
  std::vector<std::string> f = split(text, ' ');
  auto bad = [&](std::string_view why) {
    return fail(Code::kCorrupt, fmt::format("mountinfo line {}: {}", line, why));
  };
  if (f.size() < 9) {
    return bad("too few fields");
  }
  MountInfo m;
  m.id = BERTH_TRY(parse_int_field(f[0], line, "mount id"));
  m.parent = BERTH_TRY(parse_int_field(f[1], line, "parent id"));
  bool found = false;
  auto [maj, min] = cut(f[2], ':', &found);
  auto ma = parse_uint(maj);
  auto mi = parse_uint(min);
  if (!found || !ma || !mi || *ma > UINT_MAX || *mi > UINT_MAX) {
    return bad(fmt::format("bad device \"{}\"", f[2]));
  }
  m.major = static_cast<unsigned>(*ma);
  m.minor = static_cast<unsigned>(*mi);
  m.root = unescape_mount_field(f[3]);
  m.mount_point = unescape_mount_field(f[4]);
  m.options = f[5];
  size_t i = 6;
  while (i < f.size() && f[i] != "-") {
    m.optional.push_back(f[i]);
    ++i;
  }
  if (i == f.size() || f.size() - i < 3) {
    return bad("no \"-\" separator followed by fstype and source");
  }
  m.fstype = unescape_mount_field(f[i + 1]);
  m.source = unescape_mount_field(f[i + 2]);
  if (f.size() - i >= 4) {
    m.super_options = unescape_mount_field(f[i + 3]);
  }
  return m;
}

size_t depth(const std::string& path) {
  return static_cast<size_t>(std::count(path.begin(), path.end(), '/'));
}

bool at_or_under(const std::string& mount_point, const std::string& path) {
  if (path == "/") {
    return true;
  }
  return mount_point == path ||
         (mount_point.size() > path.size() && mount_point.compare(0, path.size(), path) == 0 &&
          mount_point[path.size()] == '/');
}

Result<std::vector<std::string>> mounts_under(const std::string& path) {
  auto table = BERTH_TRY(read_mountinfo());
  std::vector<const MountInfo*> hits;
  for (const auto& m : table) {
    if (at_or_under(m.mount_point, path)) {
      hits.push_back(&m);
    }
  }
  // Deepest first; among mounts on one point the later (higher id) one is usually on top.
  std::stable_sort(hits.begin(), hits.end(), [](const MountInfo* a, const MountInfo* b) {
    size_t da = depth(a->mount_point);
    size_t db = depth(b->mount_point);
    return da != db ? da > db : a->id > b->id;
  });
  std::vector<std::string> out;
  out.reserve(hits.size());
  for (const auto* m : hits) {
    out.push_back(m->mount_point);
  }
  return out;
}

}  // namespace

std::string unescape_mount_field(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() && is_octal(field[i + 1]) &&
        is_octal(field[i + 2]) && is_octal(field[i + 3])) {
      int v = (field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0');
      if (v < 256) {
        out.push_back(static_cast<char>(v));
        i += 3;
        continue;
      }
    }
    out.push_back(field[i]);
  }
  return out;
}

Result<std::vector<MountInfo>> parse_mountinfo(std::string_view text) {
  std::vector<MountInfo> out;
  size_t line = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) {
      nl = text.size();
    }
    std::string_view l = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line;
    if (trim(l).empty()) {
      continue;
    }
    out.push_back(BERTH_TRY(parse_line(l, line)));
  }
  return out;
}

Result<std::vector<MountInfo>> read_mountinfo() {
  auto text = BERTH_TRY(read_file("/proc/self/mountinfo"));
  return with_context(parse_mountinfo(text), "reading /proc/self/mountinfo");
}

Result<void> unmount_tree(const std::string& path) {
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
  if (!real) {
    if (errno == ENOENT) {
      return {};
    }
    return fail_errno(fmt::format("unmounting {}: resolving the path", path));
  }
  const std::string canon(real.get());
  // Each pass detaches what it sees; a mount stacked under another shows up in the next pass.
  // 64 passes are far more than any real stack and keep a pathological table from looping.
  for (int pass = 0; pass < 64; ++pass) {
    auto points = BERTH_TRY_CTX(mounts_under(canon), fmt::format("unmounting {}", canon));
    if (points.empty()) {
      return {};
    }
    for (const auto& mp : points) {
      if (::umount2(mp.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0) {
        // EINVAL/ENOENT: already gone with a parent detached earlier in this pass.
        if (errno != EINVAL && errno != ENOENT) {
          return fail_errno(fmt::format("unmounting {}", mp));
        }
      }
    }
  }
  return fail(Code::kInternal, fmt::format("unmounting {}: mounts remain after 64 passes", canon));
}

}  // namespace berth::sys
