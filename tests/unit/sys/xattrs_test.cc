#include "sys/xattrs.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include <gtest/gtest.h>

#include "base/fs.h"

namespace berth::sys {
namespace {

class Xattrs : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-xattrs-XXXXXX";
    tmp_ = ::mkdtemp(tmpl);
    ASSERT_TRUE(write_file_atomic(tmp_ + "/file", "x"));
    ASSERT_EQ(::symlink("file", (tmp_ + "/link").c_str()), 0);
    ASSERT_EQ(::mkfifo((tmp_ + "/fifo").c_str(), 0600), 0);
    dirfd_ = std::move(*open_dir(tmp_));
  }
  void TearDown() override { (void)remove_tree(tmp_); }

  std::string tmp_;
  UniqueFd dirfd_;
};

TEST_F(Xattrs, SetGetAndListOnAFile) {
  UniqueFd fd(::open((tmp_ + "/file").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(set_xattr(fd.get(), "user.b", std::string("two\0bytes", 9)));
  ASSERT_TRUE(set_xattr(fd.get(), "user.a", ""));
  auto b = get_xattr(fd.get(), "user.b");
  ASSERT_TRUE(b && *b);
  EXPECT_EQ(**b, std::string("two\0bytes", 9));
  auto a = get_xattr(fd.get(), "user.a");
  ASSERT_TRUE(a && *a);
  EXPECT_EQ(**a, "");
  auto names = list_xattrs(fd.get());
  ASSERT_TRUE(names);
  EXPECT_NE(std::find(names->begin(), names->end(), "user.a"), names->end());
  EXPECT_NE(std::find(names->begin(), names->end(), "user.b"), names->end());
}

TEST_F(Xattrs, MissingAttributeIsNullopt) {
  auto v = get_xattr_at(dirfd_.get(), "file", "user.none");
  ASSERT_TRUE(v) << v.error().str();
  EXPECT_FALSE(v->has_value());
}

TEST_F(Xattrs, OnASymlinkActsOnTheLinkNotItsTarget) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "only trusted.* xattrs fit on a symlink, and they need root";
  }
  ASSERT_TRUE(set_xattr_at(dirfd_.get(), "link", "trusted.mark", "on-link"));
  char buf[32];
  ssize_t n = ::lgetxattr((tmp_ + "/link").c_str(), "trusted.mark", buf, sizeof(buf));
  EXPECT_EQ(std::string(buf, n > 0 ? n : 0), "on-link");
  EXPECT_LT(::getxattr((tmp_ + "/file").c_str(), "trusted.mark", buf, sizeof(buf)), 0);
  auto v = get_xattr_at(dirfd_.get(), "link", "trusted.mark");
  ASSERT_TRUE(v && *v);
  EXPECT_EQ(**v, "on-link");
  auto names = list_xattrs_at(dirfd_.get(), "link");
  ASSERT_TRUE(names);
  EXPECT_NE(std::find(names->begin(), names->end(), "trusted.mark"), names->end());
}

TEST_F(Xattrs, WorksOnAFifoWithoutOpeningIt) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "trusted.* xattrs need root";
  }
  // Opening the fifo for reading would block; the O_PATH route never opens it.
  ASSERT_TRUE(set_xattr_at(dirfd_.get(), "fifo", "trusted.f", "1"));
  auto v = get_xattr_at(dirfd_.get(), "fifo", "trusted.f");
  ASSERT_TRUE(v && *v);
  EXPECT_EQ(**v, "1");
}

TEST_F(Xattrs, UserXattrOnASymlinkKeepsTheKernelsErrno) {
  auto r = set_xattr_at(dirfd_.get(), "link", "user.x", "1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().sys_errno(), EPERM);
}

TEST_F(Xattrs, AtVariantsRefuseSymlinksInThePath) {
  ASSERT_TRUE(mkdir_p(tmp_ + "/d"));
  ASSERT_EQ(::symlink("d", (tmp_ + "/dl").c_str()), 0);
  auto r = get_xattr_at(dirfd_.get(), "dl/x", "user.a");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().sys_errno(), ELOOP);
}

}  // namespace
}  // namespace berth::sys
