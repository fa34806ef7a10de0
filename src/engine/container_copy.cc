// `cp` and `export` (container_manage.h). Inside the container every path is resolved with
// openat2 RESOLVE_IN_ROOT and every entry below it is reached one component at a time with
// O_NOFOLLOW, so no symlink in the container can send a read or a write outside its root.
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"
#include "engine/container_manage.h"
#include "engine/container_prepare.h"
#include "engine/container_store.h"
#include "runtime/rootfs.h"
#include "store/layer_apply.h"
#include "store/layer_diff.h"
#include "sys/mounts.h"
#include "sys/openat2.h"

namespace berth::engine {

namespace {

bool is_active(const ContainerState& s) {
  return s.status == "running" || s.status == "paused" || s.status == "restarting";
}

// A container's root filesystem opened for reading or writing: the running container's mount,
// or, for a stopped one, its overlay mounted privately while its lock is held (so it cannot
// start meanwhile with the same upper and work directories).
class RootfsView {
 public:
  // with_mounts: a running container as its processes see it (cp); otherwise its root
  // filesystem alone (export), as docker exports it.
  static Result<std::unique_ptr<RootfsView>> open(const ContainerStore& cs, const Container& c,
                                                  const std::string& runroot, bool with_mounts);
  RootfsView() = default;
  RootfsView(const RootfsView&) = delete;
  RootfsView& operator=(const RootfsView&) = delete;
  ~RootfsView() {
    root_.reset();
    if (!mount_.empty()) {
      (void)runtime::unmount_rootfs(mount_);
      ::rmdir(mount_.c_str());
    }
  }
  int fd() const { return root_.get(); }

 private:
  Result<void> mount_stopped(const ContainerStore& cs, const Container& c,
                             const std::string& runroot, bool with_mounts);

  std::optional<sys::FileLock> lock_;
  std::string mount_;
  UniqueFd root_;
};

Result<std::unique_ptr<RootfsView>> RootfsView::open(const ContainerStore& cs, const Container& c,
                                                     const std::string& runroot, bool with_mounts) {
  auto v = std::make_unique<RootfsView>();
  if (!is_active(c.state) || !path_exists(cs.merged(c.id))) {
    v->lock_ = BERTH_TRY(cs.lock(c.id));
    auto s = truthful_state(BERTH_TRY(cs.read_state(c.id)));
    if (!is_active(s)) {
      BERTH_CHECK(v->mount_stopped(cs, c, runroot, with_mounts));
      return v;
    }
    v->lock_.reset();  // it started meanwhile: its monitor needs the lock
  }
  // A running container's root as its own processes see it, with /etc/hostname, /etc/hosts,
  // /etc/resolv.conf, volumes, binds and tmpfs mounts in place (docker's cp sees those too).
  // The start time is checked again after the open, so a reused PID is never taken for it.
  auto s = truthful_state(BERTH_TRY(cs.read_state(c.id)));
  if (with_mounts && s.pid > 0 && same_process(s.pid, s.pid_start_time)) {
    auto root = open_dir(fmt::format("/proc/{}/root", s.pid));
    if (root && same_process(s.pid, s.pid_start_time)) {
      v->root_ = std::move(*root);
      return v;
    }
  }
  v->root_ = BERTH_TRY(open_dir(cs.merged(c.id)));
  return v;
}

// The container's volumes and binds on its root at point, as docker's cp mounts them for a
// stopped container (tmpfs mounts have no content to copy to). Mount points that do not exist
// yet are made, as its start would make them.
Result<void> mount_volumes(const Container& c, const std::string& point) {
  sys::MountPlan plan(point);
  for (const auto& m : c.mounts) {  // sorted by destination: parents first
    if (m.type == "bind" || m.type == "volume") {
      BERTH_CHECK(plan.bind(m.source, m.destination, /*recursive=*/true, !m.rw));
    }
  }
  sys::MountFailure failure;
  if (sys::apply_mount_plan(plan, &failure) != 0) {
    return fail(Code::kUnavailable, sys::describe_failure(plan, failure));
  }
  return {};
}

Result<void> RootfsView::mount_stopped(const ContainerStore& cs, const Container& c,
                                       const std::string& runroot, bool with_mounts) {
  std::string base = runroot + "/mounts";
  BERTH_CHECK(mkdir_p(base, 0700));
  std::string point = base + "/" + c.id.substr(0, 12) + "-" + random_hex(8);
  BERTH_CHECK(mkdir_p(point, 0700));
  if (auto r = mount_container_rootfs(cs, c, point); !r) {
    ::rmdir(point.c_str());
    return r;
  }
  mount_ = point;  // from here the destructor unmounts the whole tree
  if (with_mounts) {
    BERTH_CHECK(mount_volumes(c, point));
  }
  root_ = BERTH_TRY(open_dir(point));
  return {};
}

struct OpenedContainer {
  Container c;
  std::unique_ptr<RootfsView> view;
};

Result<OpenedContainer> open_container(const Engine& eng, std::string_view name_or_id,
                                       bool with_mounts = true) {
  ContainerStore cs(eng.options().root, eng.options().runroot);
  auto c = BERTH_TRY(eng.find_container(name_or_id));
  auto view = BERTH_TRY(RootfsView::open(cs, c, eng.options().runroot, with_mounts));
  return OpenedContainer{std::move(c), std::move(view)};
}

// Where paths are resolved: on the host (root < 0) or inside a container's root.
struct Side {
  int root = -1;
};

Result<UniqueFd> open_at(Side side, const std::string& path, int flags) {
  if (side.root >= 0) {
    return sys::open_in_root(side.root, path.empty() ? "/" : path, flags, 0);
  }
  UniqueFd fd(::open(path.empty() ? "." : path.c_str(), flags | O_CLOEXEC));
  if (!fd) {
    return fail_errno(path);
  }
  return fd;
}

// "a/b/" → {"a", "b"}; "b" → {".", "b"}; "/b" → {"/", "b"}.
std::pair<std::string, std::string> split_path(std::string p) {
  while (p.size() > 1 && p.back() == '/') {
    p.pop_back();
  }
  size_t pos = p.rfind('/');
  if (pos == std::string::npos) {
    return {".", p};
  }
  return {pos == 0 ? "/" : p.substr(0, pos), p.substr(pos + 1)};
}

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

// A copy source: an entry `name` of the directory `parent` ("." for a directory's contents).
struct Source {
  UniqueFd parent;
  std::string name;
  bool contents = false;
  struct stat st {};
};

Result<Source> open_source(Side side, const std::string& path, const std::string& not_found) {
  Source s;
  bool slash = ends_with(path, "/") || ends_with(path, "/.") || path == ".";
  s.contents = ends_with(path, "/.") || path == ".";
  std::string clean = s.contents ? path.substr(0, path.size() - 1) : path;
  if (clean.empty() || clean == "/" || split_path(clean).second.empty()) {
    s.contents = true;
    clean = clean.empty() ? "." : clean;
  }
  auto missing = [&](const Error& e) -> Result<Source> {
    if (e.sys_errno() == ENOENT) {
      return fail(Code::kNotFound, not_found);
    }
    return tl::unexpected(e);
  };
  if (s.contents) {
    auto dir = open_at(side, clean, O_RDONLY | O_DIRECTORY);
    if (!dir) {
      return dir.error().sys_errno() == ENOTDIR ? fail(Code::kInvalidArgument, "not a directory")
                                                : missing(dir.error());
    }
    s.parent = std::move(*dir);
    s.name = ".";
  } else {
    auto [dir, base] = split_path(clean);
    auto parent = open_at(side, dir, O_PATH | O_DIRECTORY);
    if (!parent) {
      return missing(parent.error());
    }
    s.parent = std::move(*parent);
    s.name = base;
  }
  if (::fstatat(s.parent.get(), s.name.c_str(), &s.st, AT_SYMLINK_NOFOLLOW) != 0) {
    return errno == ENOENT ? fail(Code::kNotFound, not_found) : fail_errno(path);
  }
  if (slash && !S_ISDIR(s.st.st_mode)) {
    return fail(Code::kInvalidArgument, "not a directory");
  }
  return s;
}

// ---- copying entries between two trees ----

struct CopyState {
  bool keep_owner = false;
  int64_t bytes = 0;
};

Result<void> copy_entry(CopyState& cp, int sp, const std::string& sname, int dp,
                        const std::string& dname);

Result<std::vector<std::string>> list_dir(int dirfd) {
  int dup = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* d = dup < 0 ? nullptr : ::fdopendir(dup);
  if (d == nullptr) {
    if (dup >= 0) {
      ::close(dup);
    }
    return fail_errno("listing a directory");
  }
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") {
      names.push_back(std::move(n));
    }
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

Result<void> copy_children(CopyState& cp, int sdir, int ddir) {
  for (const auto& n : BERTH_TRY(list_dir(sdir))) {
    BERTH_CHECK(copy_entry(cp, sdir, n, ddir, n));
  }
  return {};
}

Result<void> finish_meta(const CopyState& cp, int fd, const struct stat& st,
                         const std::string& name) {
  if (cp.keep_owner && ::fchown(fd, st.st_uid, st.st_gid) != 0) {
    return fail_errno("changing the owner of " + name);
  }
  if (::fchmod(fd, st.st_mode & 07777) != 0) {
    return fail_errno("changing the mode of " + name);
  }
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  (void)::futimens(fd, times);
  return {};
}

Result<void> copy_data(CopyState& cp, int from, int to, const std::string& name) {
  char buf[65536];
  for (;;) {
    auto n = BERTH_TRY_CTX(read_some(from, buf, sizeof buf), "reading " + name);
    if (n == 0) {
      return {};
    }
    BERTH_CHECK(write_all(to, buf, n));
    cp.bytes += static_cast<int64_t>(n);
  }
}

Result<void> copy_entry(CopyState& cp, int sp, const std::string& sname, int dp,
                        const std::string& dname) {
  struct stat st {};
  if (::fstatat(sp, sname.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return fail_errno("reading " + sname);
  }
  struct stat old {};
  bool exists = ::fstatat(dp, dname.c_str(), &old, AT_SYMLINK_NOFOLLOW) == 0;
  bool dir = S_ISDIR(st.st_mode);
  if (exists && dir != S_ISDIR(old.st_mode)) {
    return fail(Code::kInvalidArgument,
                dir ? fmt::format("cannot overwrite non-directory \"{}\" with directory", dname)
                    : fmt::format("cannot overwrite directory \"{}\" with non-directory", dname));
  }
  if (exists && !dir && ::unlinkat(dp, dname.c_str(), 0) != 0) {
    return fail_errno("replacing " + dname);
  }
  if (dir) {
    if (!exists && ::mkdirat(dp, dname.c_str(), 0700) != 0) {
      return fail_errno("creating " + dname);
    }
    constexpr int kFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    UniqueFd from(::openat(sp, sname.c_str(), kFlags));
    UniqueFd to(::openat(dp, dname.c_str(), kFlags));
    if (!from || !to) {
      return fail_errno("opening " + dname);
    }
    BERTH_CHECK(copy_children(cp, from.get(), to.get()));
    return finish_meta(cp, to.get(), st, dname);
  }
  if (S_ISREG(st.st_mode)) {
    UniqueFd from(::openat(sp, sname.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    UniqueFd to(
        ::openat(dp, dname.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!from || !to) {
      return fail_errno("copying " + sname);
    }
    BERTH_CHECK(copy_data(cp, from.get(), to.get(), sname));
    return finish_meta(cp, to.get(), st, dname);
  }
  if (S_ISLNK(st.st_mode)) {
    std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
    ssize_t n = ::readlinkat(sp, sname.c_str(), target.data(), target.size());
    if (n < 0 ||
        ::symlinkat(target.substr(0, static_cast<size_t>(n)).c_str(), dp, dname.c_str()) != 0) {
      return fail_errno("copying the symlink " + sname);
    }
    if (cp.keep_owner) {
      (void)::fchownat(dp, dname.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
    }
    return {};
  }
  if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    if (::mknodat(dp, dname.c_str(), st.st_mode, st.st_rdev) != 0) {
      return fail_errno("creating " + dname);
    }
    if (cp.keep_owner) {
      (void)::fchownat(dp, dname.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
    }
  }
  return {};  // sockets are not copied
}

// Copies src to dest on dside by docker's rules (container_manage.h).
Result<void> place(CopyState& cp, const Source& src, Side dside, const std::string& dest) {
  bool dest_slash = ends_with(dest, "/") || ends_with(dest, "/.");
  bool src_dir = S_ISDIR(src.st.st_mode);
  std::string clean = ends_with(dest, "/.") ? dest.substr(0, dest.size() - 1) : dest;
  auto target = open_at(dside, clean, O_RDONLY | O_DIRECTORY);
  if (target) {
    if (src.contents) {
      return copy_children(cp, src.parent.get(), target->get());
    }
    return copy_entry(cp, src.parent.get(), src.name, target->get(), src.name);
  }
  int err = target.error().sys_errno();
  if (err != ENOENT && err != ENOTDIR) {
    return tl::unexpected(std::move(target.error()));
  }
  if (err == ENOTDIR) {  // an existing file (or a file on the way)
    if (dest_slash) {
      return fail(Code::kInvalidArgument, "not a directory");
    }
    if (src_dir) {
      return fail(Code::kInvalidArgument, "cannot copy directory");
    }
  } else if (dest_slash && !src_dir) {
    return fail(Code::kInvalidArgument, "no such directory");
  }
  auto [dir, base] = split_path(clean);
  auto parent = open_at(dside, dir, O_RDONLY | O_DIRECTORY);
  if (!parent) {
    return fail(Code::kNotFound, fmt::format("no such directory: {}", dir));
  }
  return copy_entry(cp, src.parent.get(), src.name, parent->get(), base);
}

std::string not_found_in(const std::string& path, const Container& c) {
  return fmt::format("Could not find the file {} in container {}", path, c.name);
}

}  // namespace

Result<int64_t> copy_from_container(const Engine& eng, std::string_view name_or_id,
                                    const std::string& src, const std::string& host_dest,
                                    const CopyOptions& options) {
  auto oc = BERTH_TRY(open_container(eng, name_or_id));
  auto s = BERTH_TRY(open_source(Side{oc.view->fd()}, src, not_found_in(src, oc.c)));
  CopyState cp{options.archive, 0};
  BERTH_CHECK(place(cp, s, Side{}, host_dest));
  return cp.bytes;
}

Result<int64_t> copy_to_container(const Engine& eng, std::string_view name_or_id,
                                  const std::string& host_src, const std::string& dest,
                                  const CopyOptions& options) {
  auto s = BERTH_TRY(
      open_source(Side{}, host_src, fmt::format("lstat {}: no such file or directory", host_src)));
  auto oc = BERTH_TRY(open_container(eng, name_or_id));
  CopyState cp{options.archive, 0};
  BERTH_CHECK(place(cp, s, Side{oc.view->fd()}, dest));
  return cp.bytes;
}

Result<void> copy_tar_to_container(const Engine& eng, std::string_view name_or_id, Reader& in,
                                   const std::string& dest) {
  auto oc = BERTH_TRY(open_container(eng, name_or_id));
  auto target = open_at(Side{oc.view->fd()}, dest, O_RDONLY | O_DIRECTORY);
  if (!target) {
    if (target.error().sys_errno() == ENOTDIR) {
      return fail(Code::kInvalidArgument, "extraction point is not a directory");
    }
    return fail(Code::kNotFound, not_found_in(dest, oc.c));
  }
  // The tar is hostile input: apply_layer unpacks it safely into a private directory, whose
  // tree is then copied in with the container-side rules.
  std::string tmp = eng.options().runroot + "/mounts/tar-" + random_hex(8);
  BERTH_CHECK(mkdir_p(tmp, 0700));
  struct Cleanup {
    std::string path;
    ~Cleanup() { (void)remove_tree(path); }
  } cleanup{tmp};
  auto tmpfd = BERTH_TRY(open_dir(tmp));
  (void)BERTH_TRY(store::apply_layer(in, tmpfd.get(), "copying into the container"));
  CopyState cp{true, 0};
  return copy_children(cp, tmpfd.get(), target->get());
}

// ---- tar output ----

namespace {

class TarOut {
 public:
  explicit TarOut(Writer& out) : out_(out) {}
  TarOut(const TarOut&) = delete;
  TarOut& operator=(const TarOut&) = delete;
  ~TarOut() {
    if (a_ != nullptr) {
      archive_write_free(a_);
    }
  }

  Result<void> open() {
    a_ = archive_write_new();
    if (a_ == nullptr || archive_write_set_format_pax_restricted(a_) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(a_, 1) != ARCHIVE_OK ||
        archive_write_open(a_, this, nullptr, &TarOut::write_cb, nullptr) != ARCHIVE_OK) {
      return failure("opening the tar stream");
    }
    return {};
  }

  // Adds the entry `name` of directory parent as `path`, and its contents for a directory.
  Result<void> add(int parent, const std::string& name, const std::string& path) {
    struct stat st {};
    if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return fail_errno("reading " + path);
    }
    if (S_ISSOCK(st.st_mode)) {
      return {};
    }
    std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(archive_entry_new(),
                                                               archive_entry_free);
    archive_entry_copy_stat(e.get(), &st);
    archive_entry_set_pathname(e.get(), (S_ISDIR(st.st_mode) ? path + "/" : path).c_str());
    UniqueFd fd;
    if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t n = ::readlinkat(parent, name.c_str(), target.data(), target.size());
      if (n < 0) {
        return fail_errno("reading the symlink " + path);
      }
      archive_entry_set_symlink(e.get(), target.substr(0, static_cast<size_t>(n)).c_str());
      archive_entry_set_size(e.get(), 0);
    } else if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
      int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0);
      fd.reset(::openat(parent, name.c_str(), flags));
      if (!fd) {
        return fail_errno("opening " + path);
      }
    }
    if (!S_ISREG(st.st_mode)) {
      archive_entry_set_size(e.get(), 0);
    }
    if (archive_write_header(a_, e.get()) != ARCHIVE_OK) {
      return failure(path);
    }
    if (S_ISREG(st.st_mode)) {
      BERTH_CHECK(data(fd.get(), path));
    } else if (S_ISDIR(st.st_mode)) {
      return add_children(fd.get(), path + "/");
    }
    return {};
  }

  Result<void> add_children(int dirfd, const std::string& prefix) {
    for (const auto& n : BERTH_TRY(list_dir(dirfd))) {
      BERTH_CHECK(add(dirfd, n, prefix + n));
    }
    return {};
  }

  Result<void> finish() {
    if (archive_write_close(a_) != ARCHIVE_OK) {
      return failure("finishing the tar stream");
    }
    return {};
  }

 private:
  Result<void> data(int fd, const std::string& path) {
    char buf[65536];
    for (;;) {
      auto n = BERTH_TRY_CTX(read_some(fd, buf, sizeof buf), "reading " + path);
      if (n == 0) {
        return {};
      }
      if (archive_write_data(a_, buf, n) < 0) {
        return failure(path);
      }
    }
  }

  tl::unexpected<Error> failure(const std::string& what) {
    if (out_error_) {
      return tl::unexpected(*out_error_);
    }
    const char* msg = a_ != nullptr ? archive_error_string(a_) : nullptr;
    return tl::unexpected(Error(Code::kIo, msg != nullptr ? msg : "tar error").context(what));
  }

  static la_ssize_t write_cb(struct archive*, void* self, const void* buf, size_t len) {
    auto* t = static_cast<TarOut*>(self);
    if (auto r = t->out_.write(buf, len); !r) {
      t->out_error_ = r.error();
      return -1;
    }
    return static_cast<la_ssize_t>(len);
  }

  Writer& out_;
  struct archive* a_ = nullptr;
  std::optional<Error> out_error_;
};

}  // namespace

Result<void> copy_from_container_tar(const Engine& eng, std::string_view name_or_id,
                                     const std::string& src, Writer& out) {
  auto oc = BERTH_TRY(open_container(eng, name_or_id));
  auto s = BERTH_TRY(open_source(Side{oc.view->fd()}, src, not_found_in(src, oc.c)));
  TarOut tar(out);
  BERTH_CHECK(tar.open());
  if (s.contents) {
    BERTH_CHECK(tar.add_children(s.parent.get(), ""));
  } else {
    BERTH_CHECK(tar.add(s.parent.get(), s.name, s.name));
  }
  return tar.finish();
}

Result<void> export_container(const Engine& eng, std::string_view name_or_id, Writer& out) {
  auto oc = BERTH_TRY(open_container(eng, name_or_id, /*with_mounts=*/false));
  return store::write_layer(oc.view->fd(), out);
}

}  // namespace berth::engine
