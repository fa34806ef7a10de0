#include "sys/openat2.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include <gtest/gtest.h>

#include "base/fs.h"

namespace berth::sys {
namespace {

// A tree: <tmp>/root/{etc/passwd "inner", link -> /etc/passwd, up -> ../outside, dir/},
// <tmp>/outside (a file "outer").
class Openat2 : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-openat2-XXXXXX";
    tmp_ = ::mkdtemp(tmpl);
    root_ = tmp_ + "/root";
    ASSERT_TRUE(mkdir_p(root_ + "/etc"));
    ASSERT_TRUE(mkdir_p(root_ + "/dir"));
    ASSERT_TRUE(write_file_atomic(root_ + "/etc/passwd", "inner"));
    ASSERT_TRUE(write_file_atomic(tmp_ + "/outside", "outer"));
    ASSERT_EQ(::symlink("/etc/passwd", (root_ + "/link").c_str()), 0);
    ASSERT_EQ(::symlink("../outside", (root_ + "/up").c_str()), 0);
    ASSERT_EQ(::symlink("etc", (root_ + "/etc-link").c_str()), 0);
    rootfd_ = std::move(*open_dir(root_));
  }
  void TearDown() override { (void)remove_tree(tmp_); }

  static std::string contents(int fd) {
    char buf[64];
    ssize_t n = ::pread(fd, buf, sizeof(buf), 0);
    return std::string(buf, n > 0 ? static_cast<size_t>(n) : 0);
  }

  std::string tmp_;
  std::string root_;
  UniqueFd rootfd_;
};

TEST_F(Openat2, OpenBeneathOpensPlainPaths) {
  auto fd = open_beneath(rootfd_.get(), "etc/passwd", O_RDONLY, 0, false);
  ASSERT_TRUE(fd) << fd.error().str();
  EXPECT_EQ(contents(fd->get()), "inner");
  EXPECT_TRUE(::fcntl(fd->get(), F_GETFD) & FD_CLOEXEC);
}

TEST_F(Openat2, OpenBeneathRefusesDotDotAndAbsolutePaths) {
  for (const char* p : {"../outside", "/etc/passwd", "dir/../../outside"}) {
    auto fd = open_beneath(rootfd_.get(), p, O_RDONLY, 0, true);
    ASSERT_FALSE(fd) << p;
    EXPECT_EQ(fd.error().sys_errno(), EXDEV) << p;
  }
}

TEST_F(Openat2, OpenBeneathRefusesSymlinksUnlessAllowedAndNeverLeaves) {
  auto no = open_beneath(rootfd_.get(), "etc-link/passwd", O_RDONLY, 0, false);
  ASSERT_FALSE(no);
  EXPECT_EQ(no.error().sys_errno(), ELOOP);
  auto yes = open_beneath(rootfd_.get(), "etc-link/passwd", O_RDONLY, 0, true);
  ASSERT_TRUE(yes) << yes.error().str();
  EXPECT_EQ(contents(yes->get()), "inner");
  for (const char* p : {"link", "up"}) {  // absolute, and relative going up
    auto out = open_beneath(rootfd_.get(), p, O_RDONLY, 0, true);
    ASSERT_FALSE(out) << p;
    EXPECT_EQ(out.error().sys_errno(), EXDEV) << p;
  }
}

TEST_F(Openat2, OpenBeneathOpensATrailingSymlinkItselfWithOPathNoFollow) {
  auto fd = open_beneath(rootfd_.get(), "link", O_PATH | O_NOFOLLOW, 0, false);
  ASSERT_TRUE(fd) << fd.error().str();
  struct stat st {};
  ASSERT_EQ(::fstatat(fd->get(), "", &st, AT_EMPTY_PATH), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
}

TEST_F(Openat2, OpenBeneathCreatesWithTheGivenMode) {
  auto fd = open_beneath(rootfd_.get(), "dir/new", O_WRONLY | O_CREAT | O_EXCL, 0600, false);
  ASSERT_TRUE(fd) << fd.error().str();
  struct stat st {};
  ASSERT_EQ(::fstat(fd->get(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(Openat2, OpenInRootResolvesAbsoluteLinksAndDotDotInsideTheRoot) {
  for (const char* p : {"link", "/etc/passwd", "../../etc/passwd", "dir/../../etc/passwd"}) {
    auto fd = open_in_root(rootfd_.get(), p, O_RDONLY, 0);
    ASSERT_TRUE(fd) << p << ": " << fd.error().str();
    EXPECT_EQ(contents(fd->get()), "inner") << p;
  }
  auto up = open_in_root(rootfd_.get(), "up", O_RDONLY, 0);  // "../outside" → "/outside"
  ASSERT_FALSE(up);
  EXPECT_EQ(up.error().code(), Code::kNotFound);
}

}  // namespace
}  // namespace berth::sys
