#include "store/layer_diff.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "store/decompress.h"
#include "store/layer_apply.h"
#include "unit/store/tar_builder.h"
#include "unit/store/temp_dir.h"
#include "unit/store/tree_util.h"

namespace berth::store {
namespace {

using testing::make_file;
using testing::set_mtime;

Result<std::string> layer_of(const std::string& dir, const DiffOptions& opts = {}) {
  auto fd = BERTH_TRY(open_dir(dir));
  std::string out;
  StringWriter w(&out);
  BERTH_CHECK(write_layer(fd.get(), w, opts));
  return out;
}

Result<ApplyStats> apply_to(const std::string& tar, const std::string& dir) {
  BERTH_CHECK(mkdir_p(dir));
  auto fd = BERTH_TRY(open_dir(dir));
  StringReader r(tar);
  return apply_layer(r, fd.get(), dir);
}

struct TarEntry {
  std::string name;
  unsigned type = 0;
  unsigned mode = 0;
  int64_t size = 0;
  int64_t mtime = 0;
  std::string uname;
};

std::vector<TarEntry> tar_entries(const std::string& tar) {
  std::vector<TarEntry> out;
  struct archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  archive_read_open_memory(a, tar.data(), tar.size());
  struct archive_entry* e = nullptr;
  for (int r; (r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN;) {
    const char* u = archive_entry_uname(e);
    out.push_back({archive_entry_pathname(e), archive_entry_filetype(e), archive_entry_perm(e),
                   archive_entry_size(e), archive_entry_mtime(e), u ? u : ""});
  }
  archive_read_free(a);
  return out;
}

// A tree with one of everything, exact metadata, directory times set last.
void make_rich_tree(const std::string& root) {
  ASSERT_TRUE(mkdir_p(root + "/usr/bin"));
  ASSERT_TRUE(mkdir_p(root + "/empty"));
  ASSERT_TRUE(mkdir_p(root + "/tmp"));
  make_file(root + "/usr/bin/su", "su", 04755);
  make_file(root + "/usr/bin/sg", "sg", 02711, 0, 42);
  make_file(root + "/usr/bin/ping", "ping", 0755, 0, 0, 1400000000);
  make_file(root + "/home", "owned", 0600, 1000, 1000, 1600000000);
  make_file(root + "/usr/bin/perl", "perl", 0755);
  ASSERT_EQ(::link((root + "/usr/bin/perl").c_str(), (root + "/usr/bin/perl5.36").c_str()), 0);
  ASSERT_EQ(::symlink("perl", (root + "/usr/bin/perl5").c_str()), 0);
  ASSERT_EQ(::symlink("/nonexistent/abs", (root + "/dangling").c_str()), 0);
  ASSERT_EQ(::mknod((root + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  ASSERT_EQ(::mknod((root + "/sda").c_str(), S_IFBLK | 0660, makedev(8, 0)), 0);
  ASSERT_EQ(::mkfifo((root + "/fifo").c_str(), 0620), 0);
  std::string cap(
      "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20);
  ASSERT_EQ(::setxattr((root + "/usr/bin/ping").c_str(), "security.capability", cap.data(),
                       cap.size(), 0),
            0);
  ASSERT_EQ(::setxattr((root + "/usr/bin/ping").c_str(), "user.b", "2", 1, 0), 0);
  ASSERT_EQ(::setxattr((root + "/usr/bin/ping").c_str(), "user.a", "1", 1, 0), 0);
  ASSERT_EQ(::setxattr((root + "/usr").c_str(), "trusted.x", "dir", 3, 0), 0);
  ASSERT_EQ(::lsetxattr((root + "/dangling").c_str(), "trusted.l", "sym", 3, 0), 0);
  ASSERT_EQ(::chmod((root + "/tmp").c_str(), 01777), 0);
  ASSERT_EQ(::lchown((root + "/dangling").c_str(), 7, 8), 0);
  for (const char* p : {"/usr/bin/perl5", "/dangling", "/null", "/sda", "/fifo"}) {
    set_mtime(root + p, 1300000000);
  }
  for (const char* p : {"/usr/bin", "/usr", "/empty", "/tmp"}) {
    set_mtime(root + p, 1200000000);
  }
}

class LayerDiff : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::is_root()) {
      GTEST_SKIP() << "trees with owners, devices and trusted.* xattrs need root";
    }
  }
  std::string dir(const std::string& name) const { return tmp_.path() + "/" + name; }
  testing::TempDir tmp_;
};

TEST_F(LayerDiff, RoundTripKeepsTheTree) {
  make_rich_tree(dir("src"));
  auto tar = layer_of(dir("src"));
  ASSERT_TRUE(tar) << tar.error().str();
  auto applied = apply_to(*tar, dir("dst"));
  ASSERT_TRUE(applied) << applied.error().str();
  auto want = testing::snapshot(dir("src"));
  auto got = testing::snapshot(dir("dst"));
  EXPECT_EQ(got, want);
  EXPECT_NE(got["usr/bin/perl5.36"].find("same-inode-as=usr/bin/perl"), std::string::npos);
  EXPECT_NE(got["usr/bin/ping"].find("security.capability="), std::string::npos);
  EXPECT_NE(got["dangling"].find("trusted.l=sym"), std::string::npos);
  EXPECT_EQ(applied->entries, static_cast<int64_t>(want.size()));
}

TEST_F(LayerDiff, CompressedRoundTripKeepsTheTree) {
  make_rich_tree(dir("src"));
  auto tar = layer_of(dir("src"));
  ASSERT_TRUE(tar);
  for (bool use_zstd : {false, true}) {
    std::string packed;
    StringWriter sw(&packed);
    auto w = use_zstd ? make_zstd_writer(&sw, 3) : make_gzip_writer(&sw, 6);
    ASSERT_TRUE(w->write(tar->data(), tar->size()));
    ASSERT_TRUE(w->finish());
    std::string out = dir(use_zstd ? "zstd" : "gzip");
    ASSERT_TRUE(mkdir_p(out));
    auto fd = std::move(*open_dir(out));
    StringReader raw(packed);
    HashingReader raw_hash(&raw);
    auto unz = open_decompressing(&raw_hash);
    ASSERT_TRUE(unz);
    HashingReader tar_hash(unz->get());
    auto applied = apply_layer(tar_hash, fd.get(), "packed");
    ASSERT_TRUE(applied) << applied.error().str();
    EXPECT_EQ(testing::snapshot(out), testing::snapshot(dir("src")));
    EXPECT_EQ(tar_hash.count(), static_cast<int64_t>(tar->size()));
    EXPECT_EQ(raw_hash.count(), static_cast<int64_t>(packed.size()));
  }
}

TEST_F(LayerDiff, EntriesAreSortedAndDirectoriesPrecedeTheirContents) {
  std::string s = dir("src");
  ASSERT_TRUE(mkdir_p(s + "/a"));
  for (const char* f : {"/b", "/a/z", "/a/c", "/a-b", "/B"}) {
    make_file(s + f, "");
  }
  auto tar = layer_of(s);
  ASSERT_TRUE(tar);
  EXPECT_EQ(testing::tar_names(*tar),
            (std::vector<std::string>{"B", "a/", "a/c", "a/z", "a-b", "b"}));
}

TEST_F(LayerDiff, SameTreeGivesTheSameBytes) {
  make_rich_tree(dir("one"));
  // The same tree made in another order (other inode numbers, other readdir order).
  std::string two = dir("two");
  ASSERT_TRUE(mkdir_p(two));
  for (int i = 9; i >= 0; --i) {
    make_file(two + "/f" + std::to_string(i), "x");
  }
  make_rich_tree(two);
  for (int i = 0; i < 10; ++i) {
    make_file(dir("one") + "/f" + std::to_string(i), "x");
  }
  set_mtime(dir("one"), 1);
  set_mtime(two, 2);
  auto a = layer_of(dir("one"));
  auto b = layer_of(dir("one"));
  auto c = layer_of(two);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(*a, *c);
  EXPECT_EQ(a->size() % 512, 0u);
}

TEST_F(LayerDiff, HeadersHaveNumericOwnersOnlySchilyXattrsAndNoAtime) {
  make_rich_tree(dir("src"));
  auto tar = layer_of(dir("src"));
  ASSERT_TRUE(tar);
  EXPECT_NE(tar->find("SCHILY.xattr.user.a=1"), std::string::npos);
  EXPECT_EQ(tar->find("LIBARCHIVE.xattr"), std::string::npos);
  EXPECT_EQ(tar->find("atime="), std::string::npos);
  EXPECT_EQ(tar->find("ctime="), std::string::npos);
  for (const auto& e : tar_entries(*tar)) {
    EXPECT_EQ(e.uname, "") << e.name;
  }
}

TEST_F(LayerDiff, ClampMtimeLimitsLaterTimes) {
  std::string s = dir("src");
  ASSERT_TRUE(mkdir_p(s + "/d"));
  make_file(s + "/old", "", 0644, 0, 0, 100);
  make_file(s + "/new", "", 0644, 0, 0, 5000);
  set_mtime(s + "/d", 9000);
  auto tar = layer_of(s, {.clamp_mtime_seconds = 1000});
  ASSERT_TRUE(tar);
  std::map<std::string, int64_t> mtimes;
  for (const auto& e : tar_entries(*tar)) {
    mtimes[e.name] = e.mtime;
  }
  EXPECT_EQ(mtimes["old"], 100);
  EXPECT_EQ(mtimes["new"], 1000);
  EXPECT_EQ(mtimes["d/"], 1000);
}

TEST_F(LayerDiff, SocketsAreSkipped) {
  std::string s = dir("src");
  ASSERT_TRUE(mkdir_p(s));
  make_file(s + "/file", "f");
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  std::string path = s + "/sock";
  ASSERT_LT(path.size(), sizeof(addr.sun_path));
  std::copy(path.begin(), path.end(), addr.sun_path);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(fd);
  auto tar = layer_of(s);
  ASSERT_TRUE(tar);
  EXPECT_EQ(testing::tar_names(*tar), std::vector<std::string>{"file"});
}

TEST_F(LayerDiff, OverlayUpperWhiteoutsAndOpaqueDirectoriesBecomeMarkers) {
  std::string u = dir("upper");
  ASSERT_TRUE(mkdir_p(u + "/d"));
  ASSERT_TRUE(mkdir_p(u + "/uo"));
  ASSERT_EQ(::mknod((u + "/gone").c_str(), S_IFCHR, makedev(0, 0)), 0);
  // overlayfs may make every whiteout a link of one inode: still whiteouts, not hardlinks.
  ASSERT_EQ(::link((u + "/gone").c_str(), (u + "/d/also-gone").c_str()), 0);
  set_mtime(u + "/gone", 1700000000);
  ASSERT_EQ(::setxattr((u + "/d").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
  ASSERT_EQ(::setxattr((u + "/d").c_str(), "trusted.overlay.origin", "zz", 2, 0), 0);
  ASSERT_EQ(::setxattr((u + "/uo").c_str(), "user.overlay.opaque", "y", 1, 0), 0);
  make_file(u + "/d/keep", "k");
  auto tar = layer_of(u, {.overlay_upper = true});
  ASSERT_TRUE(tar) << tar.error().str();
  EXPECT_EQ(testing::tar_names(*tar),
            (std::vector<std::string>{".wh.gone", "d/", "d/.wh..wh..opq", "d/.wh.also-gone",
                                      "d/keep", "uo/", "uo/.wh..wh..opq"}));
  for (const auto& e : tar_entries(*tar)) {
    if (e.name.find(".wh.") != std::string::npos) {
      EXPECT_EQ(e.type, static_cast<unsigned>(AE_IFREG)) << e.name;
      EXPECT_EQ(e.mode, 0u) << e.name;
      EXPECT_EQ(e.size, 0) << e.name;
    }
    if (e.name == ".wh.gone") {
      EXPECT_EQ(e.mtime, 1700000000);
    }
  }
  EXPECT_EQ(tar->find("trusted.overlay"), std::string::npos);
  EXPECT_EQ(tar->find("user.overlay"), std::string::npos);
  // Without overlay_upper the same tree is written as it is.
  auto plain = layer_of(u);
  ASSERT_TRUE(plain);
  EXPECT_EQ(testing::tar_names(*plain), (std::vector<std::string>{"d/", "d/also-gone", "d/keep",
                                                                  "gone => d/also-gone", "uo/"}));
}

TEST_F(LayerDiff, WhiteoutsRoundTripThroughApply) {
  std::string u = dir("upper");
  ASSERT_TRUE(mkdir_p(u + "/etc"));
  ASSERT_EQ(::mknod((u + "/etc/motd").c_str(), S_IFCHR, makedev(0, 0)), 0);
  ASSERT_EQ(::setxattr((u + "/etc").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
  set_mtime(u + "/etc/motd", 1000);
  set_mtime(u + "/etc", 2000);
  auto tar = layer_of(u, {.overlay_upper = true});
  ASSERT_TRUE(tar);
  ASSERT_TRUE(apply_to(*tar, dir("lower")));
  EXPECT_EQ(testing::snapshot(dir("lower")), testing::snapshot(u));
  // And the applied lower dir, read as an upper dir again, gives the same tar.
  auto again = layer_of(dir("lower"), {.overlay_upper = true});
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *tar);
}

TEST_F(LayerDiff, OverlayMountChangesBecomeWhiteoutsAndOpaqueMarkers) {
  for (const char* d : {"lower/etc", "lower/lib/sub", "upper", "work", "merged"}) {
    ASSERT_TRUE(mkdir_p(dir(d)));
  }
  make_file(dir("lower/etc/motd"), "hello");
  make_file(dir("lower/etc/hosts"), "localhost");
  make_file(dir("lower/lib/a"), "a");
  make_file(dir("lower/lib/sub/b"), "b");
  std::string opts =
      "lowerdir=" + dir("lower") + ",upperdir=" + dir("upper") + ",workdir=" + dir("work");
  if (::mount("overlay", dir("merged").c_str(), "overlay", 0, opts.c_str()) != 0) {
    if (errno == EPERM) {
      GTEST_SKIP() << "mounting overlayfs is not permitted here (EPERM)";
    }
    FAIL() << "mount overlay: " << std::strerror(errno);
  }
  std::string m = dir("merged");
  bool ok = ::unlink((m + "/etc/motd").c_str()) == 0 && ::unlink((m + "/lib/a").c_str()) == 0 &&
            ::unlink((m + "/lib/sub/b").c_str()) == 0 && ::rmdir((m + "/lib/sub").c_str()) == 0 &&
            ::rmdir((m + "/lib").c_str()) == 0 && ::mkdir((m + "/lib").c_str(), 0755) == 0;
  make_file(m + "/lib/new", "new");
  make_file(m + "/etc/hosts", "changed");
  ASSERT_EQ(::umount(m.c_str()), 0);
  ASSERT_TRUE(ok) << std::strerror(errno);
  auto tar = layer_of(dir("upper"), {.overlay_upper = true});
  ASSERT_TRUE(tar) << tar.error().str();
  EXPECT_EQ(testing::tar_names(*tar),
            (std::vector<std::string>{"etc/", "etc/.wh.motd", "etc/hosts", "lib/",
                                      "lib/.wh..wh..opq", "lib/new"}));
  EXPECT_EQ(tar->find("trusted.overlay"), std::string::npos);
  // Applied as a lower dir, the layer has the overlay's own whiteout and opaque forms.
  ASSERT_TRUE(apply_to(*tar, dir("applied")));
  auto snap = testing::snapshot(dir("applied"));
  EXPECT_NE(snap["etc/motd"].find("dev=0:0"), std::string::npos) << snap["etc/motd"];
  EXPECT_NE(snap["lib"].find("trusted.overlay.opaque=y"), std::string::npos) << snap["lib"];
  EXPECT_EQ(*read_file(dir("applied/etc/hosts")), "changed");
}

TEST_F(LayerDiff, NonAsciiNamesRoundTrip) {
  std::string s = dir("src");
  ASSERT_TRUE(mkdir_p(s));
  std::string name = "caf\xc3\xa9-\xff";
  make_file(s + "/" + name, "bytes");
  make_file(s + "/" + std::string(200, 'L'), "long");
  auto tar = layer_of(s);
  ASSERT_TRUE(tar) << tar.error().str();
  ASSERT_TRUE(apply_to(*tar, dir("dst")));
  EXPECT_EQ(testing::snapshot(dir("dst")), testing::snapshot(s));
}

TEST_F(LayerDiff, WriterErrorsPassThrough) {
  class Full : public Writer {
   public:
    Result<void> write(const void*, size_t len) override {
      written_ += len;
      if (written_ > 4096) {
        return fail(Code::kUnavailable, "pipe closed");
      }
      return {};
    }
    size_t written_ = 0;
  };
  std::string s = dir("src");
  ASSERT_TRUE(mkdir_p(s));
  make_file(s + "/big", std::string(1 << 20, 'x'));
  auto fd = std::move(*open_dir(s));
  Full out;
  auto r = write_layer(fd.get(), out, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kUnavailable);
  EXPECT_EQ(r.error().message(), "pipe closed");
}

}  // namespace
}  // namespace berth::store
