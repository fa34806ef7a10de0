#include "sys/mountinfo.h"

#include <stdlib.h>

#include <string>

#include <gtest/gtest.h>

#include "base/fs.h"

namespace berth::sys {
namespace {

constexpr const char* kTable =
    "26 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard\n"
    "\n"
    "62 26 0:38 / /var/lib/my\\040dir rw,nosuid master:4 unbindable - tmpfs tmp\\134fs "
    "rw,size=65536k,mode=755\n"
    "63 62 0:41 /sub\\011tab /mnt/new\\012line ro,relatime - overlay overlay "
    "rw,lowerdir=/a:/b\n"
    "64 26 0:42 / /empty-source rw - tmpfs  rw\n";

TEST(Mountinfo, ParsesEveryFieldOfEachLine) {
  auto table = parse_mountinfo(kTable);
  ASSERT_TRUE(table) << table.error().str();
  ASSERT_EQ(table->size(), 4u);
  const MountInfo& root = (*table)[0];
  EXPECT_EQ(root.id, 26);
  EXPECT_EQ(root.parent, 1);
  EXPECT_EQ(root.major, 254u);
  EXPECT_EQ(root.minor, 0u);
  EXPECT_EQ(root.root, "/");
  EXPECT_EQ(root.mount_point, "/");
  EXPECT_EQ(root.options, "rw,relatime");
  EXPECT_EQ(root.optional, std::vector<std::string>{"shared:1"});
  EXPECT_EQ(root.fstype, "ext4");
  EXPECT_EQ(root.source, "/dev/vda");
  EXPECT_EQ(root.super_options, "rw,discard");
}

TEST(Mountinfo, DecodesOctalEscapesInPathsAndSource) {
  auto table = parse_mountinfo(kTable);
  ASSERT_TRUE(table) << table.error().str();
  EXPECT_EQ((*table)[1].mount_point, "/var/lib/my dir");
  EXPECT_EQ((*table)[1].source, "tmp\\fs");
  EXPECT_EQ((*table)[1].optional, (std::vector<std::string>{"master:4", "unbindable"}));
  EXPECT_EQ((*table)[2].root, "/sub\ttab");
  EXPECT_EQ((*table)[2].mount_point, "/mnt/new\nline");
  EXPECT_EQ((*table)[2].super_options, "rw,lowerdir=/a:/b");
}

TEST(Mountinfo, KeepsAnEmptySource) {
  auto table = parse_mountinfo(kTable);
  ASSERT_TRUE(table) << table.error().str();
  EXPECT_EQ((*table)[3].fstype, "tmpfs");
  EXPECT_EQ((*table)[3].source, "");
  EXPECT_EQ((*table)[3].super_options, "rw");
}

TEST(Mountinfo, UnescapeLeavesOtherBackslashesAlone) {
  EXPECT_EQ(unescape_mount_field("a\\040b"), "a b");
  EXPECT_EQ(unescape_mount_field("a\\x"), "a\\x");
  EXPECT_EQ(unescape_mount_field("a\\04"), "a\\04");
  EXPECT_EQ(unescape_mount_field("end\\"), "end\\");
  EXPECT_EQ(unescape_mount_field("\\134\\040"), "\\ ");
}

TEST(Mountinfo, MalformedLinesAreCorruptAndNameTheLine) {
  auto short_line = parse_mountinfo("26 1 254:0 / / rw - ext4\n");
  ASSERT_FALSE(short_line);
  EXPECT_EQ(short_line.error().code(), Code::kCorrupt);

  auto no_dash = parse_mountinfo(
      "26 1 254:0 / / rw shared:1 ext4 /dev/vda rw\n"
      "27 1 254:0 / /x rw shared:1 master:2 ext4 /dev/vda rw\n");
  ASSERT_FALSE(no_dash);
  EXPECT_NE(no_dash.error().str().find("line 1"), std::string::npos) << no_dash.error().str();

  auto bad_id = parse_mountinfo("26 1 254:0 / / rw - ext4 /dev/vda rw\nx 1 1:2 / /y rw - a b c\n");
  ASSERT_FALSE(bad_id);
  EXPECT_NE(bad_id.error().str().find("line 2: bad mount id \"x\""), std::string::npos)
      << bad_id.error().str();

  auto bad_dev = parse_mountinfo("26 1 2540 / / rw - ext4 /dev/vda rw\n");
  ASSERT_FALSE(bad_dev);
  EXPECT_NE(bad_dev.error().str().find("bad device \"2540\""), std::string::npos);
}

TEST(Mountinfo, ReadsTheOwnNamespacesTable) {
  auto table = read_mountinfo();
  ASSERT_TRUE(table) << table.error().str();
  bool has_root = false;
  bool has_proc = false;
  for (const auto& m : *table) {
    has_root = has_root || m.mount_point == "/";
    has_proc = has_proc || m.fstype == "proc";
  }
  EXPECT_TRUE(has_root);
  EXPECT_TRUE(has_proc);
}

TEST(Mountinfo, UnmountTreeOfAPathWithoutMountsDoesNothing) {
  char tmpl[] = "/tmp/berth-mountinfo-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  auto r = unmount_tree(dir);
  EXPECT_TRUE(r) << r.error().str();
  auto gone = unmount_tree(dir + "/does/not/exist");
  EXPECT_TRUE(gone) << gone.error().str();
  (void)remove_tree(dir);
}

}  // namespace
}  // namespace berth::sys
