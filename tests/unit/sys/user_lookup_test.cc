#include "sys/user_lookup.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/fs.h"

namespace berth::sys {
namespace {

constexpr const char* kPasswd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "# a comment line\n"
    "\n"
    "alice:x:1000:1000:Alice:/home/alice:/bin/sh\n"
    "bob:x:1001:1001::/home/bob:/bin/sh\n"
    "nohome:x:1002:1002:::/bin/sh\n"
    "alice:x:2000:2000:second alice:/elsewhere:/bin/sh\n";

constexpr const char* kGroup =
    "root:x:0:\n"
    "daemon:x:1:\n"
    "wheel:x:10:alice,bob\n"
    "audio:x:29:alice\n"
    "staff:x:50:\n"
    "alice:x:1000:\n"
    "bob:x:1001:\n"
    "numbered:x:7000:\n";

// A rootfs in a temp dir: <tmp>/root/etc/{passwd,group}.
class UserLookup : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-user-XXXXXX";
    tmp_ = ::mkdtemp(tmpl);
    root_ = tmp_ + "/root";
    ASSERT_TRUE(mkdir_p(root_ + "/etc"));
    ASSERT_TRUE(write_file_atomic(root_ + "/etc/passwd", kPasswd));
    ASSERT_TRUE(write_file_atomic(root_ + "/etc/group", kGroup));
    rootfd_ = std::move(*open_dir(root_));
  }
  void TearDown() override { (void)remove_tree(tmp_); }

  ExecUser ok(std::string_view spec, const std::vector<std::string>& add = {}) {
    auto u = resolve_user(rootfd_.get(), spec, add);
    EXPECT_TRUE(u) << spec << ": " << u.error().str();
    return u ? *u : ExecUser{};
  }
  std::string err(std::string_view spec, const std::vector<std::string>& add = {}) {
    auto u = resolve_user(rootfd_.get(), spec, add);
    EXPECT_FALSE(u) << spec;
    return u ? std::string() : u.error().str();
  }

  std::string tmp_;
  std::string root_;
  UniqueFd rootfd_;
};

using Gids = std::vector<gid_t>;

TEST_F(UserLookup, EmptySpecIsRootWithItsPasswdEntry) {
  ExecUser u = ok("");
  EXPECT_EQ(u.uid, 0u);
  EXPECT_EQ(u.gid, 0u);
  EXPECT_EQ(u.home, "/root");
  EXPECT_EQ(u.groups, Gids{0});
  EXPECT_EQ(home_env(u), "HOME=/root");
}

TEST_F(UserLookup, NameGivesUidGidHomeAndTheGroupsListingIt) {
  ExecUser u = ok("alice");
  EXPECT_EQ(u.uid, 1000u);
  EXPECT_EQ(u.gid, 1000u);
  EXPECT_EQ(u.home, "/home/alice");
  EXPECT_EQ(u.groups, (Gids{1000, 10, 29}));
}

TEST_F(UserLookup, NumericUidInPasswdUsesItsEntryAndGroups) {
  ExecUser u = ok("1001");
  EXPECT_EQ(u.uid, 1001u);
  EXPECT_EQ(u.gid, 1001u);
  EXPECT_EQ(u.home, "/home/bob");
  EXPECT_EQ(u.groups, (Gids{1001, 10}));
}

TEST_F(UserLookup, NumericUidNotInPasswdIsThatUidWithGroupZeroAndHomeSlash) {
  ExecUser u = ok("4242");
  EXPECT_EQ(u.uid, 4242u);
  EXPECT_EQ(u.gid, 0u);
  EXPECT_EQ(u.home, "/");
  EXPECT_EQ(u.groups, Gids{0});
  EXPECT_EQ(home_env(u), "HOME=/");
}

TEST_F(UserLookup, EmptyHomeFallsBackToSlash) {
  ExecUser u = ok("nohome");
  EXPECT_EQ(u.uid, 1002u);
  EXPECT_EQ(u.home, "/");
}

TEST_F(UserLookup, FirstMatchingPasswdEntryWins) {
  ExecUser u = ok("alice");
  EXPECT_EQ(u.uid, 1000u);
  ExecUser second = ok("2000");
  EXPECT_EQ(second.home, "/elsewhere");
}

TEST_F(UserLookup, ExplicitGroupReplacesGidAndDropsSupplementaryGroups) {
  ExecUser named = ok("alice:staff");
  EXPECT_EQ(named.uid, 1000u);
  EXPECT_EQ(named.gid, 50u);
  EXPECT_EQ(named.groups, Gids{50});

  ExecUser numeric = ok("alice:4343");
  EXPECT_EQ(numeric.gid, 4343u);
  EXPECT_EQ(numeric.groups, Gids{4343});

  ExecUser both_numbers = ok("4242:4343");
  EXPECT_EQ(both_numbers.uid, 4242u);
  EXPECT_EQ(both_numbers.gid, 4343u);
  EXPECT_EQ(both_numbers.home, "/");

  ExecUser uid_and_name = ok("1001:wheel");
  EXPECT_EQ(uid_and_name.uid, 1001u);
  EXPECT_EQ(uid_and_name.gid, 10u);
  EXPECT_EQ(uid_and_name.home, "/home/bob");
  EXPECT_EQ(uid_and_name.groups, Gids{10});
}

TEST_F(UserLookup, NumericGroupIsAGidEvenWhenAGroupHasThatName) {
  ASSERT_TRUE(write_file_atomic(root_ + "/etc/group", "7000:x:12:\nnumbered:x:7000:\n"));
  ExecUser u = ok("alice:7000");
  EXPECT_EQ(u.gid, 7000u);
}

TEST_F(UserLookup, UnknownNamesFailWithDockersWords) {
  EXPECT_EQ(err("nobody"), "unable to find user nobody: no matching entries in passwd file");
  EXPECT_EQ(err("alice:nogroup"),
            "unable to find group nogroup: no matching entries in group file");
  EXPECT_EQ(err("99999999999"), "uids and gids must be in range 0-2147483647");
}

TEST_F(UserLookup, GroupAddTakesNamesAndNumbersAfterTheUsersGroups) {
  ExecUser u = ok("alice", {"staff", "777", "wheel"});
  EXPECT_EQ(u.groups, (Gids{1000, 10, 29, 50, 777}));
  ExecUser numbered = ok("4242", {"numbered"});
  EXPECT_EQ(numbered.groups, (Gids{0, 7000}));
  EXPECT_EQ(err("alice", {"nope"}), "Unable to find group nope: no matching entries in group file");
}

TEST_F(UserLookup, MissingFilesAreFineForNumericIds) {
  ASSERT_EQ(::unlink((root_ + "/etc/passwd").c_str()), 0);
  ASSERT_EQ(::unlink((root_ + "/etc/group").c_str()), 0);
  ExecUser root = ok("");
  EXPECT_EQ(root.uid, 0u);
  EXPECT_EQ(root.home, "/");
  ExecUser u = ok("123:456", {"789"});
  EXPECT_EQ(u.uid, 123u);
  EXPECT_EQ(u.gid, 456u);
  EXPECT_EQ(u.groups, (Gids{456, 789}));
  EXPECT_EQ(err("alice"), "unable to find user alice: no matching entries in passwd file");
  EXPECT_EQ(err("1:staff"), "unable to find group staff: no matching entries in group file");

  ASSERT_TRUE(remove_tree(root_ + "/etc"));
  EXPECT_EQ(ok("5").uid, 5u);
}

TEST_F(UserLookup, AbsoluteSymlinkIsResolvedInsideTheRootfs) {
  // On the host this link would read the host's base-passwd master file (or nothing); inside
  // the root it reads the image's copy, which is the only one that has "carol".
  ASSERT_TRUE(mkdir_p(root_ + "/usr/share/base-passwd"));
  ASSERT_TRUE(write_file_atomic(root_ + "/usr/share/base-passwd/passwd.master",
                                "carol:x:3000:3000::/home/carol:/bin/sh\n"));
  ASSERT_EQ(::unlink((root_ + "/etc/passwd").c_str()), 0);
  ASSERT_EQ(::symlink("/usr/share/base-passwd/passwd.master", (root_ + "/etc/passwd").c_str()), 0);
  ExecUser u = ok("carol");
  EXPECT_EQ(u.uid, 3000u);
  EXPECT_EQ(u.home, "/home/carol");
  // The host's root entry is not visible.
  EXPECT_EQ(ok("").home, "/");
}

TEST_F(UserLookup, SymlinkToTheHostsEtcPasswdNeverReadsTheHostFile) {
  // "../../../../etc/passwd" and "/etc/passwd" both lead back to the link itself inside the
  // root: a loop, not the host's file (whose root entry has home /root).
  ASSERT_EQ(::unlink((root_ + "/etc/passwd").c_str()), 0);
  ASSERT_EQ(::symlink("../../../../../../etc/passwd", (root_ + "/etc/passwd").c_str()), 0);
  std::string e = err("root");
  EXPECT_NE(e.find("/etc/passwd"), std::string::npos) << e;
  ASSERT_EQ(::unlink((root_ + "/etc/passwd").c_str()), 0);
  ASSERT_EQ(::symlink("/etc/passwd", (root_ + "/etc/passwd").c_str()), 0);
  EXPECT_FALSE(resolve_user(rootfd_.get(), "", {}));
}

TEST_F(UserLookup, AFifoPasswdIsRefusedWithoutBlocking) {
  ASSERT_EQ(::unlink((root_ + "/etc/passwd").c_str()), 0);
  ASSERT_EQ(::mkfifo((root_ + "/etc/passwd").c_str(), 0644), 0);
  std::string e = err("alice");
  EXPECT_NE(e.find("/etc/passwd: not a regular file"), std::string::npos) << e;
}

}  // namespace
}  // namespace berth::sys
