#include "build/copy_step.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/sha256.h"
#include "base/unique_fd.h"

namespace berth::build {

namespace {

bool has_wildcard(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

std::string join_rel(const std::string& a, const std::string& b) {
  if (a.empty() || a == ".") {
    return b;
  }
  if (b.empty() || b == ".") {
    return a;
  }
  return a + "/" + b;
}

std::vector<std::string> sorted_names(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (struct dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") {
        names.push_back(n);
      }
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

class Resolver {
 public:
  explicit Resolver(const CopySpec& spec) : spec_(spec) {}

  Result<std::vector<CopyEntry>> run() {
    std::string dest_rel =
        clean_path(spec_.dest.substr(spec_.dest.find_first_not_of('/') == std::string::npos
                                         ? spec_.dest.size()
                                         : spec_.dest.find_first_not_of('/')));
    if (dest_rel == ".") {
      dest_rel.clear();
    }
    for (const auto& src : spec_.sources) {
      std::string rel = clean_path(src[0] == '/' ? src.substr(1) : src);
      if (rel == ".." || rel.starts_with("../")) {
        return fail(Code::kInvalidArgument,
                    fmt::format("\"{}\": path escapes the build context", src));
      }
      std::vector<std::string> matches;
      auto slash = rel.rfind('/');
      std::string parent = slash == std::string::npos ? "." : rel.substr(0, slash);
      std::string last = slash == std::string::npos ? rel : rel.substr(slash + 1);
      if (has_wildcard(last)) {
        for (const auto& n : sorted_names(host(parent))) {
          if (::fnmatch(last.c_str(), n.c_str(), FNM_PERIOD) == 0 &&
              !excluded(join_rel(parent == "." ? "" : parent, n))) {
            matches.push_back(join_rel(parent == "." ? "" : parent, n));
          }
        }
      } else if (path_exists(host(rel)) && !excluded(rel)) {
        matches.push_back(rel);
      }
      if (matches.empty()) {
        return fail(Code::kNotFound, fmt::format("\"/{}\": not found", rel == "." ? "" : rel));
      }
      for (const auto& m : matches) {
        BERTH_CHECK(add_source(m, dest_rel));
      }
    }
    return std::move(out_);
  }

 private:
  std::string host(const std::string& rel) const {
    return rel.empty() || rel == "." ? spec_.source_root : spec_.source_root + "/" + rel;
  }

  bool excluded(const std::string& rel) const {
    if (spec_.ignore == nullptr || rel.empty() || rel == ".") {
      return false;
    }
    auto r = spec_.ignore->excluded(rel);
    return r && *r;
  }

  // A top-level source may be a symlink inside the root; it is followed, but must stay inside.
  Result<std::string> checked_host(const std::string& rel) const {
    char real[PATH_MAX];
    char root[PATH_MAX];
    if (::realpath(host(rel).c_str(), real) == nullptr ||
        ::realpath(spec_.source_root.c_str(), root) == nullptr) {
      return fail_errno(fmt::format("\"/{}\"", rel));
    }
    std::string r(real), base(root);
    if (r != base && !r.starts_with(base + "/")) {
      return fail(Code::kInvalidArgument,
                  fmt::format("\"/{}\": path escapes the build context", rel));
    }
    return r;
  }

  Result<void> add_source(const std::string& rel, const std::string& dest_rel) {
    std::string from = BERTH_TRY(checked_host(rel));
    struct stat st {};
    if (::stat(from.c_str(), &st) != 0) {
      return fail_errno(fmt::format("\"/{}\"", rel));
    }
    if (S_ISDIR(st.st_mode)) {
      // A directory's contents go into dest, not the directory itself.
      if (!dest_rel.empty()) {
        out_.push_back({from, dest_rel});
      }
      return walk(from, rel, dest_rel);
    }
    std::string base = rel.substr(rel.rfind('/') == std::string::npos ? 0 : rel.rfind('/') + 1);
    out_.push_back({from, spec_.dest_is_dir ? join_rel(dest_rel, base) : dest_rel});
    return {};
  }

  Result<void> walk(const std::string& dir, const std::string& rel, const std::string& to) {
    for (const auto& n : sorted_names(dir)) {
      std::string child_rel = join_rel(rel == "." ? "" : rel, n);
      std::string path = dir + "/" + n;
      struct stat st {};
      if (::lstat(path.c_str(), &st) != 0) {
        return fail_errno(fmt::format("\"/{}\"", child_rel));
      }
      bool is_dir = S_ISDIR(st.st_mode);
      if (excluded(child_rel)) {
        if (is_dir && spec_.ignore->must_walk_excluded_dir(child_rel)) {
          BERTH_CHECK(walk(path, child_rel, join_rel(to, n)));
        }
        continue;
      }
      out_.push_back({path, join_rel(to, n)});
      if (is_dir) {
        BERTH_CHECK(walk(path, child_rel, join_rel(to, n)));
      }
    }
    return {};
  }

  const CopySpec& spec_;
  std::vector<CopyEntry> out_;
};

Result<void> copy_file_data(const std::string& from, int out_fd) {
  UniqueFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!in) {
    return fail_errno("opening " + from);
  }
  for (;;) {
    ssize_t n = ::copy_file_range(in.get(), nullptr, out_fd, nullptr, 1 << 30, 0);
    if (n < 0) {
      if (errno == EXDEV || errno == ENOSYS || errno == EINVAL) {
        break;  // fall back to read/write
      }
      return fail_errno("copying " + from);
    }
    if (n == 0) {
      return {};
    }
  }
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(in.get(), buf, sizeof buf);
    if (n < 0) {
      return fail_errno("reading " + from);
    }
    if (n == 0) {
      return {};
    }
    BERTH_CHECK(write_all(out_fd, buf, static_cast<size_t>(n)));
  }
}

Result<std::string> file_sha256(const std::string& path) {
  UniqueFd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!in) {
    return fail_errno("opening " + path);
  }
  Sha256 h;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(in.get(), buf, sizeof buf);
    if (n < 0) {
      return fail_errno("reading " + path);
    }
    if (n == 0) {
      return h.hex();
    }
    h.update(buf, static_cast<size_t>(n));
  }
}

Result<std::string> link_target(const std::string& path) {
  char buf[PATH_MAX];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  if (n < 0) {
    return fail_errno("reading the link " + path);
  }
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace

Result<std::vector<CopyEntry>> resolve_copy(const CopySpec& spec) { return Resolver(spec).run(); }

Result<std::string> copy_digest(const CopySpec& spec, const std::vector<CopyEntry>& entries) {
  Sha256 h;
  h.update(fmt::format("owner {}:{} chmod {}\n", spec.uid.value_or(0), spec.gid.value_or(0),
                       spec.mode ? fmt::format("{:o}", *spec.mode) : "-"));
  for (const auto& e : entries) {
    struct stat st {};
    if (::lstat(e.from.c_str(), &st) != 0) {
      return fail_errno("reading " + e.from);
    }
    std::string content;
    if (S_ISREG(st.st_mode)) {
      content = BERTH_TRY(file_sha256(e.from));
    } else if (S_ISLNK(st.st_mode)) {
      content = BERTH_TRY(link_target(e.from));
    }
    // Lengths first: names may hold any byte but NUL and '/'.
    h.update(fmt::format("{} {}\n{:o} {} {} {}\n", e.to.size(), e.to, st.st_mode, st.st_size,
                         content.size(), content));
  }
  return h.hex();
}

Result<void> write_copy(const CopySpec& spec, const std::vector<CopyEntry>& entries,
                        const std::string& layer_dir) {
  uid_t uid = spec.uid.value_or(0);
  gid_t gid = spec.gid.value_or(spec.uid.value_or(0));
  for (const auto& e : entries) {
    std::string to = layer_dir + "/" + e.to;
    BERTH_CHECK(mkdir_p(dir_name(to), 0755));
    struct stat st {};
    if (::lstat(e.from.c_str(), &st) != 0) {
      return fail_errno("reading " + e.from);
    }
    mode_t mode = spec.mode ? static_cast<mode_t>(*spec.mode) : (st.st_mode & 07777);
    if (S_ISDIR(st.st_mode)) {
      if (::mkdir(to.c_str(), mode) != 0 && errno != EEXIST) {
        return fail_errno("creating " + to);
      }
      ::chmod(to.c_str(), mode);
    } else if (S_ISLNK(st.st_mode)) {
      std::string target = BERTH_TRY(link_target(e.from));
      ::unlink(to.c_str());
      if (::symlink(target.c_str(), to.c_str()) != 0) {
        return fail_errno("creating " + to);
      }
    } else if (S_ISREG(st.st_mode)) {
      ::unlink(to.c_str());
      UniqueFd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
      if (!out) {
        return fail_errno("creating " + to);
      }
      BERTH_CHECK(copy_file_data(e.from, out.get()));
      ::fchmod(out.get(), mode);
    } else {
      continue;  // devices, fifos and sockets are not copied
    }
    if (::lchown(to.c_str(), uid, gid) != 0) {
      return fail_errno("chown " + to);
    }
    struct timespec times[2] = {st.st_mtim, st.st_mtim};
    ::utimensat(AT_FDCWD, to.c_str(), times, AT_SYMLINK_NOFOLLOW);
  }
  return {};
}

}  // namespace berth::build
