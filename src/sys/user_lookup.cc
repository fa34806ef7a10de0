#include "sys/user_lookup.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"
#include "sys/openat2.h"

namespace berth::sys {

namespace {

constexpr uint64_t kMaxId = 2147483647;     // runc's maxID (int32), what docker accepts
constexpr size_t kMaxFileSize = 16u << 20;  // an image's passwd is never near this

struct PasswdEntry {
  std::string name;
  uint64_t uid = 0;
  uint64_t gid = 0;
  std::string home;
};

struct GroupEntry {
  std::string name;
  uint64_t gid = 0;
  std::vector<std::string> members;
};

// nullopt when the file (or a directory on its way) does not exist: runc treats an image
// without /etc/passwd like an empty one, which numeric users rely on.
Result<std::optional<std::string>> read_etc_file(int rootfd, const std::string& path) {
  // O_NONBLOCK: an image may put a FIFO there, and opening it must not hang the engine.
  auto fd = open_in_root(rootfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
  if (!fd) {
    int err = fd.error().sys_errno();
    if (err == ENOENT || err == ENOTDIR) {
      return std::optional<std::string>();
    }
    return tl::unexpected(std::move(fd.error()).context(fmt::format("reading {}", path)));
  }
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) {
    return fail_errno(fmt::format("reading {}", path));
  }
  if (!S_ISREG(st.st_mode)) {
    return fail(Code::kInvalidArgument, fmt::format("reading {}: not a regular file", path));
  }
  std::string out;
  char buf[8192];
  while (true) {
    auto n = read_some(fd->get(), buf, sizeof buf);
    if (!n) {
      return tl::unexpected(std::move(n.error()).context(fmt::format("reading {}", path)));
    }
    if (*n == 0) {
      break;
    }
    out.append(buf, *n);
    if (out.size() > kMaxFileSize) {
      return fail(Code::kInvalidArgument, fmt::format("reading {}: larger than 16 MiB", path));
    }
  }
  return std::optional<std::string>(std::move(out));
}

// Lines as runc reads them: trimmed, blank ones skipped. Comments and lines whose id is not a
// number are skipped too (runc would read them as id 0, which could only ever mislead).
std::vector<std::vector<std::string>> records(std::string_view text) {
  std::vector<std::vector<std::string>> out;
  for (const auto& raw : split(text, '\n')) {
    std::string_view line = trim(raw);
    if (line.empty() || line[0] == '#') {
      continue;
    }
    out.push_back(split(line, ':'));
  }
  return out;
}

std::vector<PasswdEntry> parse_passwd(std::string_view text) {
  std::vector<PasswdEntry> out;
  for (auto& f : records(text)) {
    if (f.size() < 3) {
      continue;
    }
    auto uid = parse_uint(f[2]);
    auto gid = f.size() > 3 ? parse_uint(f[3]) : std::optional<uint64_t>(0);
    if (!uid || !gid) {
      continue;
    }
    out.push_back({f[0], *uid, *gid, f.size() > 5 ? f[5] : std::string()});
  }
  return out;
}

std::vector<GroupEntry> parse_group(std::string_view text) {
  std::vector<GroupEntry> out;
  for (auto& f : records(text)) {
    if (f.size() < 3) {
      continue;
    }
    auto gid = parse_uint(f[2]);
    if (!gid) {
      continue;
    }
    GroupEntry g{f[0], *gid, {}};
    if (f.size() > 3) {
      for (auto& m : split(f[3], ',')) {
        if (!m.empty()) {
          g.members.push_back(std::move(m));
        }
      }
    }
    out.push_back(std::move(g));
  }
  return out;
}

// A numeric id as runc's strconv.Atoi sees it: nullopt when not a number; Error when out of
// range.
Result<std::optional<uint64_t>> numeric_id(std::string_view s) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::optional<uint64_t>();
  }
  auto v = parse_uint(s);
  if (!v || *v > kMaxId) {
    return fail(Code::kInvalidArgument, "uids and gids must be in range 0-2147483647");
  }
  return v;
}

Result<gid_t> resolve_group_add(const std::vector<GroupEntry>& groups, const std::string& ag) {
  for (const auto& g : groups) {
    if (g.name == ag || std::to_string(g.gid) == ag) {
      if (g.gid > kMaxId) {
        break;
      }
      return static_cast<gid_t>(g.gid);
    }
  }
  auto num = BERTH_TRY(numeric_id(ag));
  if (!num) {
    return fail(Code::kInvalidArgument,
                fmt::format("Unable to find group {}: no matching entries in group file", ag));
  }
  return static_cast<gid_t>(*num);
}

void add_unique(std::vector<gid_t>& v, gid_t g) {
  if (std::find(v.begin(), v.end(), g) == v.end()) {
    v.push_back(g);
  }
}

// The user half of the spec: fills uid, gid, home and returns the matched passwd name ("" when
// the user came from a bare number).
Result<std::string> resolve_user_part(const std::vector<PasswdEntry>& passwd,
                                      std::string_view user_arg, ExecUser& u) {
  auto uid_arg = BERTH_TRY(numeric_id(user_arg));
  for (const auto& p : passwd) {
    bool match = user_arg.empty() ? p.uid == 0 : uid_arg ? p.uid == *uid_arg : p.name == user_arg;
    if (!match) {
      continue;
    }
    if (p.uid > kMaxId || p.gid > kMaxId) {
      return fail(Code::kInvalidArgument, "uids and gids must be in range 0-2147483647");
    }
    u.uid = static_cast<uid_t>(p.uid);
    u.gid = static_cast<gid_t>(p.gid);
    u.home = p.home.empty() ? "/" : p.home;
    return p.name;  // first match wins, as in runc
  }
  if (!user_arg.empty()) {
    if (!uid_arg) {
      return fail(
          Code::kInvalidArgument,
          fmt::format("unable to find user {}: no matching entries in passwd file", user_arg));
    }
    u.uid = static_cast<uid_t>(*uid_arg);
  }
  return std::string();
}

}  // namespace

Result<ExecUser> resolve_user(int rootfd, std::string_view spec,
                              const std::vector<std::string>& group_add) {
  auto [user_arg, group_arg] = cut(spec, ':');
  auto passwd_text = BERTH_TRY(read_etc_file(rootfd, "/etc/passwd"));
  auto group_text = BERTH_TRY(read_etc_file(rootfd, "/etc/group"));
  std::vector<PasswdEntry> passwd = parse_passwd(passwd_text.value_or(""));
  std::vector<GroupEntry> groups = parse_group(group_text.value_or(""));

  ExecUser u;
  std::string matched = BERTH_TRY(resolve_user_part(passwd, user_arg, u));
  std::vector<gid_t> supplementary;
  if (!group_arg.empty()) {
    auto gid_arg = BERTH_TRY(numeric_id(group_arg));
    const GroupEntry* found = nullptr;
    for (const auto& g : groups) {
      if (gid_arg ? g.gid == *gid_arg : g.name == group_arg) {
        found = &g;
        break;
      }
    }
    if (found != nullptr) {
      if (found->gid > kMaxId) {
        return fail(Code::kInvalidArgument, "uids and gids must be in range 0-2147483647");
      }
      u.gid = static_cast<gid_t>(found->gid);
    } else if (gid_arg) {
      u.gid = static_cast<gid_t>(*gid_arg);
    } else {
      return fail(
          Code::kInvalidArgument,
          fmt::format("unable to find group {}: no matching entries in group file", group_arg));
    }
  } else if (!matched.empty()) {
    // Supplementary groups only in the implicit form, as runc's GetExecUser.
    for (const auto& g : groups) {
      if (g.gid <= kMaxId &&
          std::find(g.members.begin(), g.members.end(), matched) != g.members.end()) {
        supplementary.push_back(static_cast<gid_t>(g.gid));
      }
    }
  }
  // docker's getUser: AdditionalGids = [gid] + sgids + group-add.
  add_unique(u.groups, u.gid);
  for (gid_t g : supplementary) {
    add_unique(u.groups, g);
  }
  for (const auto& ag : group_add) {
    add_unique(u.groups, BERTH_TRY(resolve_group_add(groups, ag)));
  }
  return u;
}

std::string home_env(const ExecUser& user) {
  return "HOME=" + (user.home.empty() ? std::string("/") : user.home);
}

}  // namespace berth::sys
