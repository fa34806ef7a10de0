// copy_up, is_empty, tree_size and remove_tree_beneath (engine/volumes_fs.cc).
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "engine/volumes.h"
#include "unit/store/temp_dir.h"
#include "unit/store/tree_util.h"

namespace berth::engine {
namespace {

using testing::make_file;
using testing::snapshot;

struct stat stat_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st;
}

// A source tree (src/) and an empty volume data dir (data/) in a temp dir.
class CopyUpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::mkdir(src().c_str(), 0755), 0);
    ASSERT_EQ(::mkdir(data().c_str(), 0755), 0);
  }
  std::string src() const { return tmp_.path() + "/src"; }
  std::string data() const { return tmp_.path() + "/data"; }
  std::string outside() const { return tmp_.path() + "/outside"; }

  Result<void> copy() {
    auto fd = open_dir(src());
    if (!fd) {
      return tl::unexpected(fd.error());
    }
    return copy_up(fd->get(), data());
  }
  void mkdir(const std::string& rel, mode_t mode, time_t mtime = 1500000000) {
    std::string p = src() + "/" + rel;
    ASSERT_EQ(::mkdir(p.c_str(), 0700), 0) << p;
    ASSERT_EQ(::chmod(p.c_str(), mode), 0);
    testing::set_mtime(p, mtime);
  }
  void symlink(const std::string& target, const std::string& rel) {
    ASSERT_EQ(::symlink(target.c_str(), (src() + "/" + rel).c_str()), 0);
  }

  testing::TempDir tmp_;
};

TEST_F(CopyUpTest, CopiesFilesDirectoriesSymlinksModesAndTimes) {
  make_file(src() + "/a.txt", "alpha", 0640, ::geteuid(), ::getegid(), 1400000000);
  mkdir("etc", 0750);
  make_file(src() + "/etc/conf", "k=v\n", 0600, ::geteuid(), ::getegid(), 1300000000);
  mkdir("etc/deep", 02775);
  make_file(src() + "/etc/deep/empty", "", 0444, ::geteuid(), ::getegid(), 1200000000);
  make_file(src() + "/run.sh", "#!/bin/sh\n", 0755, ::geteuid(), ::getegid());
  symlink("etc/conf", "rel-link");
  symlink("/etc/passwd", "abs-link");
  ASSERT_EQ(::mkfifo((src() + "/fifo").c_str(), 0620), 0);
  struct timespec ts[2] = {{1234, 5678}, {1500000000, 123456789}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (src() + "/a.txt").c_str(), ts, 0), 0);
  testing::set_mtime(src() + "/etc", 1500000001);
  auto r = copy();
  ASSERT_TRUE(r) << r.error().str();
  // Before anything reads the files (a read moves the access time).
  struct stat a = stat_of(data() + "/a.txt");
  EXPECT_EQ(a.st_mtim.tv_nsec, 123456789) << "times keep their nanoseconds";
  EXPECT_EQ(a.st_atim.tv_sec, 1234);
  EXPECT_EQ(stat_of(src() + "/a.txt").st_atim.tv_sec, 1234) << "the copy leaves the source's atime";
  EXPECT_EQ(snapshot(data()), snapshot(src()));
  EXPECT_EQ(stat_of(data() + "/etc").st_mtim.tv_sec, 1500000001)
      << "a directory's time is set after its content is made";
  EXPECT_EQ(stat_of(data() + "/etc/deep").st_mode & 07777, 02775u);
}

TEST_F(CopyUpTest, TheSourceDirectorysOwnModeAndTimesGoOntoTheDataDir) {
  ASSERT_EQ(::chmod(src().c_str(), 01711), 0);
  make_file(src() + "/f", "x");
  testing::set_mtime(src(), 1111111111);
  ASSERT_TRUE(copy());
  struct stat st = stat_of(data());
  EXPECT_EQ(st.st_mode & 07777, 01711u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1111111111);
}

TEST_F(CopyUpTest, HardlinksStayHardlinks) {
  make_file(src() + "/one", "same inode", 0644, ::geteuid(), ::getegid());
  mkdir("sub", 0755);
  ASSERT_EQ(::link((src() + "/one").c_str(), (src() + "/sub/two").c_str()), 0);
  ASSERT_EQ(::link((src() + "/one").c_str(), (src() + "/three").c_str()), 0);
  symlink("one", "ln");
  ASSERT_EQ(::linkat(AT_FDCWD, (src() + "/ln").c_str(), AT_FDCWD, (src() + "/ln2").c_str(), 0), 0);
  auto before = snapshot(src());
  ASSERT_TRUE(copy());
  EXPECT_EQ(snapshot(data()), before);
  struct stat one = stat_of(data() + "/one");
  EXPECT_EQ(one.st_nlink, 3u);
  EXPECT_EQ(stat_of(data() + "/sub/two").st_ino, one.st_ino);
  EXPECT_EQ(stat_of(data() + "/ln2").st_ino, stat_of(data() + "/ln").st_ino);
  EXPECT_NE(one.st_ino, stat_of(src() + "/one").st_ino) << "a copy, not a link to the image";
}

TEST_F(CopyUpTest, SymlinksPointingOutOfTheTreeAreCopiedAsLinksNeverFollowed) {
  ASSERT_EQ(::mkdir(outside().c_str(), 0755), 0);
  make_file(outside() + "/secret", "do not copy");
  symlink(outside(), "dir-link");
  symlink(outside() + "/secret", "file-link");
  symlink("../outside/secret", "dotdot-link");
  symlink("dangling/nowhere", "dangling");
  ASSERT_TRUE(copy());
  for (const char* name : {"dir-link", "file-link", "dotdot-link", "dangling"}) {
    EXPECT_TRUE(S_ISLNK(stat_of(data() + "/" + name).st_mode)) << name;
  }
  char buf[4096];
  ssize_t n = ::readlink((data() + "/dir-link").c_str(), buf, sizeof buf);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0), outside());
  for (const auto& [path, desc] : snapshot(data())) {
    EXPECT_EQ(desc.find("do not copy"), std::string::npos) << path;
  }
  EXPECT_EQ(snapshot(data()).size(), 4u);
}

TEST_F(CopyUpTest, AVolumeThatIsNotEmptyIsLeftAsItIs) {
  make_file(src() + "/from-image", "image");
  make_file(data() + "/mine", "user data", 0600);
  ASSERT_EQ(::chmod(data().c_str(), 0700), 0);
  auto before = snapshot(data());
  ASSERT_TRUE(copy());
  EXPECT_EQ(snapshot(data()), before);
  EXPECT_EQ(stat_of(data()).st_mode & 07777, 0700u);
}

TEST_F(CopyUpTest, AnEmptySourceLeavesAnEmptyVolume) {
  ASSERT_TRUE(copy());
  EXPECT_TRUE(*is_empty(data()));
}

TEST_F(CopyUpTest, ASecondCopyFindsTheVolumeFilled) {
  make_file(src() + "/f", "once");
  ASSERT_TRUE(copy());
  ASSERT_EQ(::unlink((src() + "/f").c_str()), 0);
  make_file(src() + "/g", "twice");
  ASSERT_TRUE(copy());
  EXPECT_TRUE(path_exists(data() + "/f"));
  EXPECT_FALSE(path_exists(data() + "/g"));
}

TEST_F(CopyUpTest, OwnersXattrsSetuidBitsAndDeviceNodesAreKeptAsRoot) {
  if (!testing::is_root()) {
    GTEST_SKIP() << "setting other owners, trusted.* xattrs and making device nodes need root";
  }
  make_file(src() + "/owned", "x", 0640, 1234, 5678);
  make_file(src() + "/suid", "#!/bin/sh\n", 04755, 1000, 1000);
  mkdir("home", 0700);
  ASSERT_EQ(::chown((src() + "/home").c_str(), 999, 999), 0);
  ASSERT_EQ(::setxattr((src() + "/owned").c_str(), "user.note", "hello", 5, 0), 0);
  ASSERT_EQ(::setxattr((src() + "/home").c_str(), "trusted.t", "v", 1, 0), 0);
  ASSERT_EQ(::mknod((src() + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  ASSERT_EQ(::mknod((src() + "/blk").c_str(), S_IFBLK | 0600, makedev(7, 0)), 0);
  symlink("owned", "link");
  ASSERT_EQ(::lchown((src() + "/link").c_str(), 42, 43), 0);
  ASSERT_EQ(::lsetxattr((src() + "/link").c_str(), "trusted.l", "w", 1, 0), 0);
  ASSERT_EQ(::chown(src().c_str(), 70, 70), 0);
  auto before = snapshot(src());
  auto r = copy();
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(snapshot(data()), before);
  EXPECT_EQ(stat_of(data() + "/suid").st_mode & 07777, 04755u) << "chmod comes after chown";
  EXPECT_EQ(stat_of(data() + "/null").st_rdev, makedev(1, 3));
  EXPECT_EQ(stat_of(data()).st_uid, 70u) << "the data dir takes the image directory's owner";
}

TEST_F(CopyUpTest, SocketsAreMadeAsNodes) {
  int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(s, 0);
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  std::string path = src() + "/sock";
  ASSERT_LT(path.size(), sizeof addr.sun_path);
  std::strcpy(addr.sun_path, path.c_str());
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(s);
  ASSERT_TRUE(copy());
  EXPECT_TRUE(S_ISSOCK(stat_of(data() + "/sock").st_mode));
}

// A copy that fails part way removes what it made, so that the next start copies again. The
// failure: a directory the copier may not read (as root, the copier runs in a child that
// becomes nobody).
TEST_F(CopyUpTest, AFailedCopyLeavesTheVolumeEmpty) {
  make_file(src() + "/a-first", "made before the failure", 0644);
  mkdir("b-dir", 0755);
  make_file(src() + "/b-dir/inner", "also made");
  mkdir("z-closed", 0755);
  make_file(src() + "/z-closed/f", "unreadable");
  ASSERT_EQ(::chmod((src() + "/z-closed").c_str(), 0), 0);
  ASSERT_EQ(::chmod(data().c_str(), 0777), 0);
  ASSERT_EQ(::chmod(tmp_.path().c_str(), 0755), 0);
  if (!testing::is_root()) {
    auto r = copy();
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().str().find("z-closed"), std::string::npos) << r.error().str();
  } else {
    // Owned by nobody, so that only z-closed's mode stops the copy.
    for (const char* rel : {"", "/a-first", "/b-dir", "/b-dir/inner", "/z-closed/f", "/z-closed"}) {
      ASSERT_EQ(::lchown((src() + rel).c_str(), 65534, 65534), 0) << rel;
    }
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) {
        _exit(2);
      }
      auto r = copy();
      _exit(!r && r.error().str().find("z-closed") != std::string::npos ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "1: the copy did not fail naming z-closed; 2: setuid";
  }
  EXPECT_TRUE(*is_empty(data())) << "what the failed copy made is gone";
  ASSERT_EQ(::chmod((src() + "/z-closed").c_str(), 0755), 0);
}

TEST_F(CopyUpTest, ASourceThatIsNotADirectoryFails) {
  make_file(src() + "/f", "x");
  UniqueFd fd(::open((src() + "/f").c_str(), O_RDONLY | O_CLOEXEC));
  auto r = copy_up(fd.get(), data());
  ASSERT_FALSE(r);
  EXPECT_TRUE(*is_empty(data()));
  auto missing = copy_up(fd.get(), tmp_.path() + "/nodir");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Code::kNotFound);
}

TEST(VolumeFiles, IsEmptySeesAnyEntry) {
  testing::TempDir tmp;
  EXPECT_TRUE(*is_empty(tmp.path()));
  ASSERT_EQ(::symlink("x", (tmp.path() + "/.hidden").c_str()), 0);
  EXPECT_FALSE(*is_empty(tmp.path()));
  EXPECT_EQ(is_empty(tmp.path() + "/nope").error().code(), Code::kNotFound);
}

TEST(VolumeFiles, TreeSizeCountsFileBytesAndEachInodeOnce) {
  testing::TempDir tmp;
  make_file(tmp.path() + "/a", std::string(1000, 'a'));
  ASSERT_TRUE(mkdir_p(tmp.path() + "/d/e"));
  make_file(tmp.path() + "/d/e/b", std::string(234, 'b'));
  ASSERT_EQ(::link((tmp.path() + "/a").c_str(), (tmp.path() + "/d/a2").c_str()), 0);
  ASSERT_EQ(::symlink("abc", (tmp.path() + "/l").c_str()), 0);
  make_file(tmp.path() + "/empty", "");
  auto size = tree_size(tmp.path());
  ASSERT_TRUE(size) << size.error().str();
  EXPECT_EQ(*size, 1000 + 234 + 3) << "hardlink once, symlink by its length, dirs not at all";
  EXPECT_EQ(tree_size(tmp.path() + "/nope").error().code(), Code::kNotFound);
}

TEST(VolumeFiles, RemoveTreeBeneathNeverFollowsSymlinks) {
  testing::TempDir tmp;
  ASSERT_TRUE(mkdir_p(tmp.path() + "/keep"));
  make_file(tmp.path() + "/keep/precious", "x");
  ASSERT_TRUE(mkdir_p(tmp.path() + "/victim/sub"));
  ASSERT_EQ(::symlink((tmp.path() + "/keep").c_str(), (tmp.path() + "/victim/sub/l").c_str()), 0);
  ASSERT_EQ(::chmod((tmp.path() + "/victim/sub").c_str(), 0500), 0);
  auto dir = open_dir(tmp.path());
  ASSERT_TRUE(dir);
  if (testing::is_root()) {
    ASSERT_TRUE(remove_tree_beneath(dir->get(), "victim"));
    EXPECT_FALSE(path_exists(tmp.path() + "/victim"));
  } else {
    ASSERT_EQ(::chmod((tmp.path() + "/victim/sub").c_str(), 0700), 0);
    ASSERT_TRUE(remove_tree_beneath(dir->get(), "victim"));
  }
  EXPECT_TRUE(path_exists(tmp.path() + "/keep/precious"));
  EXPECT_TRUE(remove_tree_beneath(dir->get(), "victim")) << "already gone is fine";
}

}  // namespace
}  // namespace berth::engine
