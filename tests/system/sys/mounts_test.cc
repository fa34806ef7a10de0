// Mount plans against the real kernel. Every test forks a child that unshares its own mount
// namespace (and pid/cgroup/uts namespaces where the plan needs them) before touching a mount,
// so nothing reaches the test process's table; each test then checks that no mount under its
// temp dir is visible here. Children report through a pipe and are killed and reaped by PID.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "sys/mountinfo.h"
#include "sys/mounts.h"
#include "system/sys/child_process.h"

namespace berth::sys {
namespace {

// Runs body in a forked child after unshare(CLONE_NEWNS | flags). With CLONE_NEWPID the body
// runs in a grandchild, pid 1 of the new namespace. body returns "" on success or what went
// wrong; the parent gets that text, or how the child died.
std::string in_child(int flags, const std::function<std::string()>& body) {
  berth::testing::ChildResult r = berth::testing::run_child([&](int fd) {
    ::alarm(60);  // a hung child dies instead of hanging the suite
    auto report = [&](const std::string& msg) {
      (void)!::write(fd, msg.data(), msg.size());
      ::_exit(msg.empty() ? 0 : 1);
    };
    if (::unshare(CLONE_NEWNS | flags) != 0) {
      report(std::string("unshare: ") + std::strerror(errno));
    }
    if ((flags & CLONE_NEWPID) == 0) {
      report(body());
    }
    pid_t inner = ::fork();
    if (inner == 0) {
      report(body());
    }
    int st = 0;
    ::waitpid(inner, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 2;
  });
  if (r.output.empty() && !berth::testing::exited_zero(r.status)) {
    r.output = "child failed with status " + std::to_string(r.status);
  }
  return r.output;
}

// Applies plan; "" or the one-line failure.
std::string apply(const MountPlan& plan) {
  MountFailure f;
  return apply_mount_plan(plan, &f) == 0 ? std::string() : describe_failure(plan, f);
}

std::string slurp(const std::string& path) {
  auto r = read_file(path);
  return r ? *r : "<" + r.error().str() + ">";
}

// Collects failed checks into one message.
struct Checks {
  std::string errors;
  void expect(bool ok, const std::string& what) {
    if (!ok) {
      errors += what + "; ";
    }
  }
  // open(path, flags) must fail with err.
  void open_fails(const std::string& path, int flags, int err) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
    int e = errno;
    if (fd >= 0) {
      ::close(fd);
    }
    expect(fd < 0 && e == err, "open " + path + " should fail with " + std::strerror(err) +
                                   ", got " + (fd >= 0 ? "success" : std::strerror(e)));
  }
  void writable(const std::string& path) {
    int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    expect(fd >= 0 && ::write(fd, "x", 1) == 1, "writing " + path + ": " + std::strerror(errno));
    if (fd >= 0) {
      ::close(fd);
    }
  }
  bool readonly_mount(const std::string& path) {
    struct statvfs sv {};
    return ::statvfs(path.c_str(), &sv) == 0 && (sv.f_flag & ST_RDONLY) != 0;
  }
};

class Mounts : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "needs root to create mount namespaces";
    }
    char tmpl[] = "/tmp/berth-mounts-XXXXXX";
    tmp_ = ::mkdtemp(tmpl);
  }
  void TearDown() override {
    if (tmp_.empty()) {
      return;
    }
    // The children's namespaces died with them: nothing of ours may be in this table.
    auto table = read_mountinfo();
    ASSERT_TRUE(table) << table.error().str();
    for (const auto& m : *table) {
      EXPECT_NE(m.mount_point.rfind(tmp_, 0), 0u) << "leaked mount " << m.mount_point;
    }
    (void)unmount_tree(tmp_);
    (void)remove_tree(tmp_);
  }

  std::string dir(const std::string& rel) {
    std::string p = tmp_ + "/" + rel;
    EXPECT_TRUE(mkdir_p(p));
    return p;
  }
  void file(const std::string& rel, const std::string& content) {
    ASSERT_TRUE(mkdir_p(dir_name(tmp_ + "/" + rel)));
    ASSERT_TRUE(write_file_atomic(tmp_ + "/" + rel, content));
  }

  // A busybox root: bin/busybox only. Empty when the host has no /bin/busybox.
  std::string busybox_root() {
    if (!path_exists("/bin/busybox")) {
      return "";
    }
    std::string root = dir("image");
    dir("image/bin");
    std::filesystem::copy_file("/bin/busybox", root + "/bin/busybox");
    return root;
  }

  // The host's cgroup hierarchies as default_container_mounts wants them.
  static std::vector<CgroupMount> host_cgroups() {
    std::vector<CgroupMount> out;
    auto table = read_mountinfo();
    for (const auto& m : table ? *table : std::vector<MountInfo>{}) {
      if (m.fstype != "cgroup" && m.fstype != "cgroup2") {
        continue;
      }
      if (m.mount_point == "/sys/fs/cgroup") {
        return {{m.mount_point, "", true}};
      }
      if (m.mount_point.rfind("/sys/fs/cgroup/", 0) == 0) {
        out.push_back({m.mount_point, base_name(m.mount_point), m.fstype == "cgroup2"});
      }
    }
    return out;
  }

  std::string tmp_;
};

TEST_F(Mounts, OverlayTakesWritesInUpperAndWhiteoutsHideLowerFiles) {
  file("top/b", "top");
  file("base/a", "a");
  file("base/b", "base");
  file("base/c", "c");
  dir("upper");
  dir("work");
  std::string merged = dir("merged");
  ASSERT_EQ(::mknod((tmp_ + "/upper/a").c_str(), S_IFCHR | 0600, makedev(0, 0)), 0);
  MountPlan plan(merged);
  plan.propagation(false);
  ASSERT_TRUE(
      plan.overlay(merged, {tmp_ + "/top", tmp_ + "/base"}, tmp_ + "/upper", tmp_ + "/work", {}));
  std::string msg = in_child(0, [&] {
    if (std::string e = apply(plan); !e.empty()) {
      return e;
    }
    Checks c;
    c.expect(!path_exists(merged + "/a"), "whiteout did not hide a");
    c.expect(slurp(merged + "/b") == "top", "b is not the top layer's");
    c.expect(slurp(merged + "/c") == "c", "c from the base layer missing");
    c.expect(write_file_atomic(merged + "/new", "written").has_value(), "write failed");
    c.expect(::unlink((merged + "/c").c_str()) == 0, "unlink c failed");
    return c.errors;
  });
  ASSERT_EQ(msg, "");
  EXPECT_EQ(slurp(tmp_ + "/upper/new"), "written");
  struct stat st {};
  ASSERT_EQ(::lstat((tmp_ + "/upper/c").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) << "no whiteout for c";
  EXPECT_EQ(slurp(tmp_ + "/base/c"), "c");
  EXPECT_FALSE(path_exists(tmp_ + "/top/new"));
}

TEST_F(Mounts, OverlayWithHundredsOfLayersFitsThroughLowerdirPlus) {
  std::vector<std::string> layers;
  for (int i = 0; i < 300; ++i) {
    std::string name = "layers/" + std::to_string(i) + "-" + std::string(48, 'l');
    layers.insert(layers.begin(), dir(name));  // top-most first: layer 299 on top
  }
  file("layers/0-" + std::string(48, 'l') + "/bottom", "0");
  file("layers/150-" + std::string(48, 'l') + "/mid", "150");
  std::string merged = dir("merged");
  MountPlan plan(merged);
  plan.propagation(false);
  ASSERT_TRUE(plan.overlay(merged, layers, "", "", {}));
  EXPECT_TRUE(plan.back().legacy_data.empty());  // too long for mount(2): only lowerdir+ works
  std::string msg = in_child(0, [&] {
    if (std::string e = apply(plan); !e.empty()) {
      return e;
    }
    Checks c;
    c.expect(slurp(merged + "/bottom") == "0", "bottom layer not visible");
    c.expect(slurp(merged + "/mid") == "150", "middle layer not visible");
    c.open_fails(merged + "/x", O_CREAT | O_WRONLY, EROFS);
    return c.errors;
  });
  EXPECT_EQ(msg, "");
}

TEST_F(Mounts, LegacyOverlayPathMountsWithOneOptionString) {
  file("top/t", "t");
  file("base/b", "b");
  dir("upper");
  dir("work");
  std::string merged = dir("merged");
  MountPlan plan(merged);
  plan.propagation(false);
  ASSERT_TRUE(
      plan.overlay(merged, {tmp_ + "/top", tmp_ + "/base"}, tmp_ + "/upper", tmp_ + "/work", {}));
  plan.back().legacy_overlay = true;
  std::string msg = in_child(0, [&] {
    if (std::string e = apply(plan); !e.empty()) {
      return e;
    }
    Checks c;
    c.expect(slurp(merged + "/t") == "t" && slurp(merged + "/b") == "b", "layers not merged");
    c.writable(merged + "/w");
    return c.errors;
  });
  ASSERT_EQ(msg, "");
  EXPECT_TRUE(path_exists(tmp_ + "/upper/w"));
}

// Checks run inside a container made by the default plan, after pivot_root.
std::string check_default_container(const std::vector<std::string>& host_masked_files,
                                    const std::vector<std::string>& host_masked_dirs) {
  Checks c;
  char self[32] = {};
  c.expect(::readlink("/proc/self", self, sizeof self - 1) > 0 && std::string(self) == "1",
           std::string("/proc/self is not pid 1 but ") + self);
  struct stat st {};
  c.expect(::stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3) &&
               (st.st_mode & 07777) == 0666,
           "/dev/null is not c 1:3 0666");
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  char buf[16];
  c.expect(null >= 0 && ::write(null, "abc", 3) == 3 && ::read(null, buf, sizeof buf) == 0,
           "/dev/null does not work");
  ::close(null);
  for (const auto& f : host_masked_files) {
    c.expect(slurp(f).empty(), f + " is not masked");
  }
  for (const auto& d : host_masked_dirs) {
    c.expect(c.readonly_mount(d), d + " is not a read-only mask");
    c.expect(std::filesystem::is_empty(d), d + " is not empty");
  }
  c.open_fails("/proc/sys/kernel/hostname", O_WRONLY, EROFS);
  c.expect(c.readonly_mount("/proc/sys"), "/proc/sys writable");
  c.expect(c.readonly_mount("/sys"), "/sys writable");
  c.expect(!c.readonly_mount("/proc"), "/proc itself read-only");
  char link[64] = {};
  c.expect(::readlink("/dev/ptmx", link, sizeof link - 1) > 0 && std::string(link) == "pts/ptmx",
           "/dev/ptmx link");
  c.expect(path_exists("/dev/pts/ptmx"), "/dev/pts not mounted");
  c.expect(path_exists("/dev/fd/0"), "/dev/fd does not reach /proc/self/fd");
  c.writable("/dev/shm/x");
  struct statfs sf {};
  c.expect(::statfs("/dev/mqueue", &sf) == 0 && sf.f_type == 0x19800202, "/dev/mqueue not mqueue");
  c.writable("/tmp/scratch");
  c.expect(slurp("/data/hello") == "hello", "bound dir content");
  c.open_fails("/data/new", O_CREAT | O_WRONLY, EROFS);
  c.expect(slurp("/etc/hosts") == "127.0.0.1 localhost\n", "/etc/hosts content");
  return c.errors;
}

// busybox in the new root: it finds its devices and /proc like any image would.
std::string run_busybox() {
  pid_t pid = ::fork();
  if (pid == 0) {
    const char* argv[] = {"busybox", "sh", "-c",
                          "test -c /dev/zero && test -r /proc/self/status && "
                          "echo ok > /tmp/busybox-ran",
                          nullptr};
    ::execv("/bin/busybox", const_cast<char**>(argv));
    ::_exit(127);
  }
  int st = 0;
  ::waitpid(pid, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || slurp("/tmp/busybox-ran") != "ok\n") {
    return "busybox in the container failed (status " + std::to_string(st) + ")";
  }
  return "";
}

TEST_F(Mounts, DefaultPlanBuildsAWorkingContainerRoot) {
  std::string image = busybox_root();
  if (image.empty()) {
    GTEST_SKIP() << "/bin/busybox is missing (Debian's busybox-static provides it)";
  }
  std::vector<std::string> masked_files;
  std::vector<std::string> masked_dirs;
  for (const auto& p : default_masked_paths()) {
    if (std::filesystem::is_directory(p)) {
      masked_dirs.push_back(p);
    } else if (path_exists(p)) {
      masked_files.push_back(p);
    }
  }
  file("data/hello", "hello");
  file("run/hosts", "127.0.0.1 localhost\n");
  ContainerFsSpec spec;
  spec.rootfs = dir("merged");
  spec.overlay = OverlayLayers{{image}, dir("upper"), dir("work"), {}};
  spec.etc_files = {{tmp_ + "/run/hosts", "/etc/hosts"}};
  spec.mounts = {{UserMount::Type::kBind, tmp_ + "/data", "/data", true, true, ""},
                 {UserMount::Type::kTmpfs, "", "/tmp", false, true, "size=1m"}};
  spec.cgroups = host_cgroups();
  auto plan = default_container_mounts(spec);
  ASSERT_TRUE(plan) << plan.error().str();
  int flags = CLONE_NEWPID | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC;
  std::string msg = in_child(flags, [&] {
    if (std::string e = apply(*plan); !e.empty()) {
      return e;
    }
    std::string errors = check_default_container(masked_files, masked_dirs);
    Checks c;
    c.writable("/root-file");
    c.expect(c.readonly_mount("/sys/fs/cgroup") || spec.cgroups.empty(), "cgroups writable");
    auto table = read_mountinfo();
    c.expect(table && !table->empty() && (*table)[0].mount_point == "/", "no root in mountinfo");
    for (const auto& m : table ? *table : std::vector<MountInfo>{}) {
      c.expect(m.mount_point.find("berth-mounts") == std::string::npos, "host mount visible");
    }
    return errors + c.errors + run_busybox();
  });
  EXPECT_EQ(msg, "");
  EXPECT_EQ(slurp(tmp_ + "/upper/root-file"), "x");
  EXPECT_FALSE(path_exists(image + "/root-file"));
}

TEST_F(Mounts, ReadOnlyRootRefusesWritesWhileTmpfsMountsStayWritable) {
  std::string image = busybox_root();
  if (image.empty()) {
    GTEST_SKIP() << "/bin/busybox is missing (Debian's busybox-static provides it)";
  }
  file("run/hosts", "127.0.0.1 localhost\n");
  ContainerFsSpec spec;
  spec.rootfs = dir("merged");
  spec.overlay = OverlayLayers{{image}, dir("upper"), dir("work"), {}};
  spec.readonly_root = true;
  spec.etc_files = {{tmp_ + "/run/hosts", "/etc/hosts"}};
  spec.mounts = {{UserMount::Type::kTmpfs, "", "/tmp", false, true, ""}};
  auto plan = default_container_mounts(spec);
  ASSERT_TRUE(plan) << plan.error().str();
  std::string msg = in_child(CLONE_NEWPID | CLONE_NEWIPC, [&] {
    if (std::string e = apply(*plan); !e.empty()) {
      return e;
    }
    Checks c;
    c.open_fails("/new-file", O_CREAT | O_WRONLY, EROFS);
    c.expect(::mkdir("/new-dir", 0755) != 0 && errno == EROFS, "mkdir / not EROFS");
    c.open_fails("/etc/hosts", O_WRONLY, EROFS);
    c.writable("/tmp/fine");
    c.writable("/dev/shm/fine");
    c.open_fails("/proc/sys/kernel/hostname", O_WRONLY, EROFS);
    return c.errors;
  });
  EXPECT_EQ(msg, "");
  // The mount points were made in the upper dir before the root went read-only.
  EXPECT_TRUE(std::filesystem::is_directory(tmp_ + "/upper/tmp"));
  EXPECT_TRUE(std::filesystem::is_regular_file(tmp_ + "/upper/etc/hosts"));
}

TEST_F(Mounts, PrivilegedContainerSeesSysWritableAndNothingMasked) {
  std::string image = busybox_root();
  if (image.empty()) {
    GTEST_SKIP() << "/bin/busybox is missing (Debian's busybox-static provides it)";
  }
  ContainerFsSpec spec;
  spec.rootfs = image;  // no overlay: the plan binds the directory onto itself
  spec.privileged = true;
  auto plan = default_container_mounts(spec);
  ASSERT_TRUE(plan) << plan.error().str();
  std::string msg = in_child(CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC, [&] {
    if (std::string e = apply(*plan); !e.empty()) {
      return e;
    }
    Checks c;
    c.expect(!c.readonly_mount("/sys"), "/sys read-only");
    c.expect(!c.readonly_mount("/proc/sys"), "/proc/sys read-only");
    if (path_exists("/proc/acpi")) {
      c.expect(!c.readonly_mount("/proc/acpi"), "/proc/acpi masked");
    }
    return c.errors;
  });
  EXPECT_EQ(msg, "");
}

TEST_F(Mounts, ReadOnlyBindRefusesWritesRecursively) {
  file("src/file", "content");
  dir("src/sub");
  std::string root = dir("root");
  MountPlan plan(root);
  plan.propagation(false);
  ASSERT_TRUE(plan.bind(tmp_ + "/src", "/mnt/ro", true, true));
  ASSERT_TRUE(plan.bind(tmp_ + "/src", "/mnt/rw", false, false));
  ASSERT_TRUE(plan.bind(tmp_ + "/src/file", "/etc/single", false, true));
  std::string msg = in_child(0, [&] {
    // A submount under the source, made private in this namespace, that the recursive
    // read-only bind must cover too.
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("tmpfs", (tmp_ + "/src/sub").c_str(), "tmpfs", 0, "size=1m") != 0) {
      return std::string("setting up the submount: ") + std::strerror(errno);
    }
    if (std::string e = apply(plan); !e.empty()) {
      return e;
    }
    Checks c;
    c.expect(slurp(root + "/mnt/ro/file") == "content", "ro bind content");
    c.open_fails(root + "/mnt/ro/new", O_CREAT | O_WRONLY, EROFS);
    c.open_fails(root + "/mnt/ro/sub/new", O_CREAT | O_WRONLY, EROFS);
    c.writable(root + "/mnt/rw/new");
    c.expect(slurp(root + "/etc/single") == "content", "file bind content");
    c.open_fails(root + "/etc/single", O_WRONLY, EROFS);
    return c.errors;
  });
  EXPECT_EQ(msg, "");
  EXPECT_TRUE(path_exists(tmp_ + "/src/new"));
  EXPECT_TRUE(std::filesystem::is_regular_file(root + "/etc/single"));  // made as an empty file
}

TEST_F(Mounts, MountPointsAreCreatedInsideTheRootEvenThroughAbsoluteSymlinks) {
  std::string outside = dir("outside");
  std::string root = dir("root");
  dir("src");
  ASSERT_EQ(::symlink(outside.c_str(), (root + "/evil").c_str()), 0);
  ASSERT_EQ(::symlink("../outside", (root + "/evil2").c_str()), 0);
  MountPlan plan(root);
  plan.propagation(false);
  ASSERT_TRUE(plan.bind(tmp_ + "/src", "/evil/x", false, false));
  ASSERT_TRUE(plan.filesystem("tmpfs", "tmpfs", "/evil2/y", "size=1m"));
  std::string msg = in_child(0, [&] { return apply(plan); });
  EXPECT_EQ(msg, "");
  EXPECT_FALSE(path_exists(outside + "/x"));
  EXPECT_FALSE(path_exists(outside + "/y"));  // where "../outside" leads on the host
  EXPECT_TRUE(std::filesystem::is_directory(root + outside + "/x"));
  EXPECT_TRUE(std::filesystem::is_directory(root + "/outside/y"));

  ASSERT_EQ(::symlink("/loop", (root + "/loop").c_str()), 0);  // a loop ends, with ELOOP
  MountPlan loop(root);
  ASSERT_TRUE(loop.filesystem("tmpfs", "tmpfs", "/loop/z", ""));
  msg = in_child(0, [&] { return apply(loop); });
  EXPECT_EQ(msg, "mounting tmpfs on /loop/z: Too many levels of symbolic links");
}

TEST_F(Mounts, AFailingStepReportsItsIndexAndErrno) {
  std::string root = dir("root");
  MountPlan plan(root);
  plan.propagation(false);
  ASSERT_TRUE(plan.bind(tmp_ + "/missing-source", "/mnt", true, false));
  ASSERT_TRUE(plan.filesystem("tmpfs", "tmpfs", "/never", ""));
  MountPlan bad_fs(root);
  ASSERT_TRUE(bad_fs.filesystem("tmpfs", "tmpfs", "/a", "size=1m"));
  ASSERT_TRUE(bad_fs.filesystem("no-such-fs", "x", "/b", ""));
  for (const MountPlan* p : {&plan, &bad_fs}) {
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    std::string msg = in_child(0, [&] {
      ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
      MountFailure f;
      int r = apply_mount_plan(*p, &f);
      // The fixed record, as the runtime's child sends it.
      (void)!::write(fds[1], &f, sizeof f);
      return r == -1 ? std::string() : "apply did not fail";
    });
    ::close(fds[1]);
    MountFailure got;
    ASSERT_EQ(::read(fds[0], &got, sizeof got), static_cast<ssize_t>(sizeof got));
    ::close(fds[0]);
    ASSERT_EQ(msg, "");
    if (p == &plan) {
      EXPECT_EQ(got.step, 1);
      EXPECT_EQ(got.err, ENOENT);
      EXPECT_EQ(describe_failure(plan, got), "bind-mounting " + tmp_ +
                                                 "/missing-source on /mnt: No such file or "
                                                 "directory");
      EXPECT_FALSE(path_exists(root + "/never"));
    } else {
      EXPECT_EQ(got.step, 1);
      EXPECT_EQ(got.err, ENODEV);
      EXPECT_EQ(describe_failure(bad_fs, got), "mounting no-such-fs on /b: No such device");
    }
  }
}

TEST_F(Mounts, DeviceNodesAreBoundFromTheHostWhenMknodIsDenied) {
  std::string root = dir("root");
  MountPlan plan(root);
  plan.propagation(false);
  ASSERT_TRUE(plan.filesystem("tmpfs", "tmpfs", "/dev", "mode=755"));
  ASSERT_TRUE(plan.device("/dev/null", 'c', 1, 3, 0666, "/dev/null"));
  std::string msg = in_child(CLONE_NEWUSER, [&] {
    // Map our root into the new user namespace: mknod is then refused (EPERM), binds are not.
    auto write_map = [](const char* file, const char* map) {
      int fd = ::open(file, O_WRONLY | O_CLOEXEC);
      bool ok = fd >= 0 && ::write(fd, map, std::strlen(map)) > 0;
      ::close(fd);
      return ok;
    };
    if (!write_map("/proc/self/setgroups", "deny") || !write_map("/proc/self/uid_map", "0 0 1") ||
        !write_map("/proc/self/gid_map", "0 0 1")) {
      return std::string("SKIP: cannot map ids in a user namespace");
    }
    if (std::string e = apply(plan); !e.empty()) {
      return e;
    }
    Checks c;
    struct stat st {};
    c.expect(::stat((root + "/dev/null").c_str(), &st) == 0 && S_ISCHR(st.st_mode) &&
                 st.st_rdev == makedev(1, 3),
             "/dev/null is not the host's node");
    c.writable(root + "/dev/null");
    return c.errors;
  });
  if (msg.rfind("SKIP: ", 0) == 0 || msg.rfind("unshare: ", 0) == 0) {
    GTEST_SKIP() << msg;
  }
  EXPECT_EQ(msg, "");
}

TEST_F(Mounts, UnmountTreeDetachesNestedAndStackedMountsOnly) {
  std::string a = dir("a");
  std::string sibling = dir("a2");
  std::string msg = in_child(0, [&] {
    auto tmpfs = [](const std::string& where) {
      return ::mount("tmpfs", where.c_str(), "tmpfs", 0, "size=1m") == 0;
    };
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 || !tmpfs(a) ||
        !mkdir_p(a + "/b") || !tmpfs(a + "/b") || !tmpfs(a + "/b") || !mkdir_p(a + "/b/c") ||
        !tmpfs(a + "/b/c") || !mkdir_p(a + "/d") ||
        ::mount(a.c_str(), (a + "/d").c_str(), nullptr, MS_BIND, nullptr) != 0 || !tmpfs(sibling)) {
      return std::string("setup: ") + std::strerror(errno);
    }
    auto r = unmount_tree(a + "/");
    if (!r) {
      return r.error().str();
    }
    Checks c;
    auto table = read_mountinfo();
    c.expect(table.has_value(), "mountinfo");
    bool sibling_left = false;
    for (const auto& m : table ? *table : std::vector<MountInfo>{}) {
      c.expect(m.mount_point != a && m.mount_point.rfind(a + "/", 0) != 0,
               "still mounted: " + m.mount_point);
      sibling_left = sibling_left || m.mount_point == sibling;
    }
    c.expect(sibling_left, "the sibling with a common prefix was unmounted");
    return c.errors;
  });
  EXPECT_EQ(msg, "");
}

}  // namespace
}  // namespace berth::sys
