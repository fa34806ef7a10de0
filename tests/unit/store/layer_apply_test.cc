#include "store/layer_apply.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "store/decompress.h"
#include "unit/store/tar_builder.h"
#include "unit/store/temp_dir.h"
#include "unit/store/tree_util.h"

namespace berth::store {
namespace {

using testing::make_file;
using testing::TarBuilder;

class LayerApply : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::is_root()) {
      GTEST_SKIP() << "applying layers sets owners, devices and trusted.* xattrs: needs root";
    }
    target_ = tmp_.path() + "/target";
    sentinel_ = tmp_.path() + "/sentinel";
    ASSERT_TRUE(mkdir_p(target_));
    ASSERT_TRUE(mkdir_p(sentinel_));
    dirfd_ = std::move(*open_dir(target_));
  }

  Result<ApplyStats> apply(const std::string& tar) {
    StringReader r(tar);
    return apply_layer(r, dirfd_.get(), "test layer");
  }

  // Applies a tar that must be refused; checks the message names the entry and nothing
  // appeared next to the target or in the sentinel directory.
  void expect_refused(const TarBuilder& tar, const std::string& entry) {
    auto sentinel_before = testing::snapshot(sentinel_);
    auto r = apply(tar.build());
    ASSERT_FALSE(r) << "entry " << entry << " was accepted";
    EXPECT_EQ(r.error().code(), Code::kInvalidArgument) << r.error().str();
    EXPECT_NE(r.error().str().find("layer entry \"" + entry + "\""), std::string::npos)
        << r.error().str();
    EXPECT_EQ(r.error().str().rfind("test layer: ", 0), 0u) << r.error().str();
    EXPECT_EQ(testing::snapshot(sentinel_), sentinel_before);
    for (const auto& [path, desc] : testing::snapshot(tmp_.path())) {
      EXPECT_TRUE(path == "target" || path.rfind("target/", 0) == 0 || path == "sentinel" ||
                  sentinel_before.count(path.substr(std::string("sentinel/").size())) == 1)
          << "written outside the target: " << path;
    }
  }

  std::string at(const std::string& rel) const { return target_ + "/" + rel; }

  testing::TempDir tmp_;
  std::string target_;
  std::string sentinel_;
  UniqueFd dirfd_;
};

TEST_F(LayerApply, WritesEveryEntryTypeWithItsMetadata) {
  TarBuilder tar;
  tar.dir("etc/", 0750)
      .add({.name = "etc/passwd",
            .content = "root:x:0:0\n",
            .mode = 0640,
            .uid = 1000,
            .gid = 1001,
            .mtime = 1234567890})
      .add({.name = "bin/su", .content = "ELF", .mode = 04755, .uid = 0, .gid = 0})
      .add({.name = "bin/ping",
            .content = "ELF2",
            .mode = 0755,
            .xattrs = {{"security.capability", std::string("\x01\x00\x00\x02\x00\x20\x00\x00"
                                                           "\x00\x00\x00\x00\x00\x00\x00\x00"
                                                           "\x00\x00\x00\x00",
                                                           20)},
                       {"user.note", "hi"},
                       {"trusted.overlay.redirect", "/etc"},
                       {"security.selinux", "system_u"}}})
      .add({.name = "tmp/",
            .type = AE_IFDIR,
            .mode = 01777,
            .uid = 5,
            .gid = 6,
            .mtime = 1111111111})
      .symlink("bin/sh", "/bin/busybox")
      .hardlink("bin/su2", "bin/su")
      .add({.name = "dev/null", .type = AE_IFCHR, .mode = 0666, .rdev_major = 1, .rdev_minor = 3})
      .add({.name = "dev/sda", .type = AE_IFBLK, .mode = 0660, .rdev_major = 8})
      .add({.name = "run/fifo", .type = AE_IFIFO, .mode = 0600, .uid = 7, .gid = 8});
  auto r = apply(tar.build());
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->entries, 10);
  // docker's size: the regular files, plus "/bin/busybox" for the symlink (its lstat size);
  // the hardlink adds nothing.
  EXPECT_EQ(r->bytes, 11 + 3 + 4 + 12);

  auto snap = testing::snapshot(target_);
  EXPECT_EQ(snap["etc"], "mode=40750 uid=0 gid=0 mtime=1000000000");
  EXPECT_EQ(snap["etc/passwd"],
            "mode=100640 uid=1000 gid=1001 mtime=1234567890 content=root:x:0:0\n");
  EXPECT_EQ(snap["bin/su"], "mode=104755 uid=0 gid=0 mtime=1000000000 content=ELF");
  EXPECT_EQ(snap["bin/su2"],
            "mode=104755 uid=0 gid=0 mtime=1000000000 content=ELF same-inode-as=bin/su");
  EXPECT_NE(snap["bin/ping"].find(" security.capability="), std::string::npos) << snap["bin/ping"];
  EXPECT_NE(snap["bin/ping"].find(" user.note=hi"), std::string::npos);
  EXPECT_EQ(snap["bin/ping"].find("trusted.overlay"), std::string::npos);
  EXPECT_EQ(snap["bin/ping"].find("selinux"), std::string::npos);
  EXPECT_EQ(snap["tmp"], "mode=41777 uid=5 gid=6 mtime=1111111111");
  EXPECT_EQ(snap["bin/sh"], "mode=120777 uid=0 gid=0 mtime=1000000000 link=/bin/busybox");
  EXPECT_EQ(snap["dev/null"], "mode=20666 uid=0 gid=0 mtime=1000000000 dev=1:3");
  EXPECT_EQ(snap["dev/sda"], "mode=60660 uid=0 gid=0 mtime=1000000000 dev=8:0");
  EXPECT_EQ(snap["run/fifo"], "mode=10600 uid=7 gid=8 mtime=1000000000");
  // Parents the tar did not list are created 0755, like tar does.
  EXPECT_EQ(snap["bin"].substr(0, 10), "mode=40755");
  EXPECT_EQ(snap["dev"].substr(0, 10), "mode=40755");
}

TEST_F(LayerApply, DirectoryTimesAndModesSurviveTheirChildren) {
  TarBuilder tar;
  tar.add({.name = "a/", .type = AE_IFDIR, .mode = 0555, .mtime = 100})
      .add({.name = "a/b/", .type = AE_IFDIR, .mode = 0500, .mtime = 200})
      .file("a/b/c", "x")
      .file("a/d", "y");
  auto r = apply(tar.build());
  ASSERT_TRUE(r) << r.error().str();
  auto snap = testing::snapshot(target_);
  EXPECT_EQ(snap["a"], "mode=40555 uid=0 gid=0 mtime=100");
  EXPECT_EQ(snap["a/b"], "mode=40500 uid=0 gid=0 mtime=200");
}

TEST_F(LayerApply, NormalisesDotSlashTrailingSlashAndRepeatedSlashes) {
  TarBuilder tar;
  tar.dir("./usr/").file(".//usr///bin//tool", "t").dir("usr/lib//").file("./x", "x");
  auto r = apply(tar.build());
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(*read_file(at("usr/bin/tool")), "t");
  EXPECT_EQ(*read_file(at("x")), "x");
  EXPECT_TRUE(path_exists(at("usr/lib")));
}

TEST_F(LayerApply, RootEntriesOnlySetTheTargetsMetadata) {
  TarBuilder tar;
  tar.add({.name = "./", .type = AE_IFDIR, .mode = 0700, .uid = 3, .gid = 4, .mtime = 42})
      .file("f", "f");
  auto r = apply(tar.build());
  ASSERT_TRUE(r) << r.error().str();
  struct stat st {};
  ASSERT_EQ(::stat(target_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(st.st_uid, 3u);
  EXPECT_EQ(st.st_mtim.tv_sec, 42);
  TarBuilder slash;
  slash.add({.name = "/", .type = AE_IFDIR, .mode = 0711});
  ASSERT_TRUE(apply(slash.build()));
  ASSERT_EQ(::stat(target_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0711u);
  auto file_root = apply(TarBuilder().file(".", "not a dir").build());
  ASSERT_FALSE(file_root);
  EXPECT_EQ(file_root.error().code(), Code::kInvalidArgument);
  EXPECT_NE(file_root.error().message().find("root must be a directory"), std::string::npos);
}

TEST_F(LayerApply, RefusesDotDotEntry) {
  expect_refused(TarBuilder().file("../evil", "x"), "../evil");
}

TEST_F(LayerApply, RefusesAbsoluteEntry) {
  expect_refused(TarBuilder().file("/abs", "x"), "/abs");
  auto r = apply(TarBuilder().file("/abs", "x").build());
  EXPECT_NE(r.error().message().find("escapes the layer"), std::string::npos);
}

TEST_F(LayerApply, RefusesDotDotInTheMiddle) {
  expect_refused(TarBuilder().dir("a/").file("a/../../x", "x"), "a/../../x");
  expect_refused(TarBuilder().file("a/b/../c", "x"), "a/b/../c");
}

TEST_F(LayerApply, RefusesFileWrittenThroughSymlinkItCreated) {
  expect_refused(TarBuilder().symlink("link", sentinel_).file("link/passwd", "pwned"),
                 "link/passwd");
  auto r = apply(TarBuilder().symlink("etc", "/etc").file("etc/passwd", "pwned").build());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("symlink"), std::string::npos) << r.error().str();
}

TEST_F(LayerApply, RefusesRelativeSymlinkEscape) {
  expect_refused(TarBuilder().symlink("up", "../sentinel").file("up/f", "x"), "up/f");
}

TEST_F(LayerApply, RefusesDirectoryCreatedThroughSymlinkDir) {
  expect_refused(TarBuilder().symlink("d", sentinel_).dir("d/sub/"), "d/sub/");
  expect_refused(TarBuilder().symlink("d2", sentinel_).dir("d2/sub/deeper/"), "d2/sub/deeper/");
}

TEST_F(LayerApply, RefusesEveryKindOfEntryThroughASymlink) {
  expect_refused(TarBuilder().symlink("l", sentinel_).symlink("l/s", "/x"), "l/s");
  expect_refused(TarBuilder()
                     .symlink("l", sentinel_)
                     .add({.name = "l/dev", .type = AE_IFCHR, .rdev_major = 1, .rdev_minor = 3}),
                 "l/dev");
  expect_refused(TarBuilder().file("f", "x").symlink("l", sentinel_).hardlink("l/h", "f"), "l/h");
  expect_refused(TarBuilder().symlink("l", sentinel_).file("l/.wh.x", ""), "l/.wh.x");
  expect_refused(TarBuilder().symlink("l", sentinel_).file("l/.wh..wh..opq", ""), "l/.wh..wh..opq");
}

TEST_F(LayerApply, RefusesHardlinkToOutside) {
  make_file(sentinel_ + "/secret", "s");
  expect_refused(TarBuilder().hardlink("h", "../sentinel/secret"), "h");
  expect_refused(TarBuilder().hardlink("h", sentinel_ + "/secret"), "h");
  struct stat st {};
  ASSERT_EQ(::stat((sentinel_ + "/secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 1u);
}

TEST_F(LayerApply, RefusesHardlinkThroughSymlink) {
  make_file(sentinel_ + "/secret", "s");
  expect_refused(TarBuilder().symlink("l", sentinel_).hardlink("h", "l/secret"), "h");
  struct stat st {};
  ASSERT_EQ(::stat((sentinel_ + "/secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 1u);
}

TEST_F(LayerApply, RefusesHardlinkToMissingTargetOrDirectory) {
  expect_refused(TarBuilder().hardlink("h", "nothing"), "h");
  expect_refused(TarBuilder().hardlink("h", "no/dir/file"), "h");
  expect_refused(TarBuilder().dir("d/").hardlink("h", "d"), "h");
}

TEST_F(LayerApply, HardlinkToASymlinkLinksTheSymlinkItself) {
  auto r = apply(TarBuilder().symlink("s", "/etc/passwd").hardlink("h", "s").build());
  ASSERT_TRUE(r) << r.error().str();
  struct stat st {};
  ASSERT_EQ(::lstat(at("h").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(st.st_nlink, 2u);
}

TEST_F(LayerApply, SymlinkTargetsAreStoredAndNeverFollowed) {
  make_file(sentinel_ + "/victim", "original");
  TarBuilder tar;
  tar.symlink("v", sentinel_ + "/victim")
      .file("v", "replaced")  // replaces the link; does not write through it
      .symlink("dangling", "../../../../nowhere");
  auto r = apply(tar.build());
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(*read_file(sentinel_ + "/victim"), "original");
  EXPECT_EQ(*read_file(at("v")), "replaced");
  char buf[256];
  ssize_t n = ::readlink(at("dangling").c_str(), buf, sizeof(buf));
  EXPECT_EQ(std::string(buf, n > 0 ? n : 0), "../../../../nowhere");
}

TEST_F(LayerApply, LaterEntriesReplaceEarlierOnesAndDirectoriesMerge) {
  TarBuilder tar;
  tar.dir("d/")
      .file("d/one", "1")
      .dir("d/", 0700)
      .file("d/two", "2")  // merge
      .dir("x/")
      .file("x/inner", "i")
      .file("x", "now a file")  // file over dir
      .file("y", "file")
      .dir("y/")
      .file("y/z", "z")  // dir over file
      .file("f", "old")
      .file("f", "new")  // file over file
      .file("s", "file")
      .symlink("s", "target");  // symlink over file
  auto r = apply(tar.build());
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(*read_file(at("d/one")), "1");
  EXPECT_EQ(*read_file(at("d/two")), "2");
  auto snap = testing::snapshot(target_);
  EXPECT_EQ(snap["d"].substr(0, 10), "mode=40700");
  EXPECT_EQ(*read_file(at("x")), "now a file");
  EXPECT_EQ(*read_file(at("y/z")), "z");
  EXPECT_EQ(*read_file(at("f")), "new");
  EXPECT_NE(snap["s"].find("link=target"), std::string::npos);
}

TEST_F(LayerApply, ReplacingADirectoryForgetsOnlyItsOwnTree) {
  TarBuilder tar;
  tar.dir("a/").dir("a-b/", 0700).dir("a/x/", 0711).file("a/x/f", "f").file("a", "file");
  auto r = apply(tar.build());
  ASSERT_TRUE(r) << r.error().str();
  auto snap = testing::snapshot(target_);
  EXPECT_EQ(snap["a-b"].substr(0, 10), "mode=40700");
  EXPECT_EQ(*read_file(at("a")), "file");
  EXPECT_EQ(snap.count("a/x"), 0u);
}

TEST_F(LayerApply, ReplacingALinkedFileDoesNotChangeItsOtherName) {
  auto r = apply(TarBuilder().file("a", "shared").hardlink("b", "a").file("b", "own").build());
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(*read_file(at("a")), "shared");
  EXPECT_EQ(*read_file(at("b")), "own");
}

TEST_F(LayerApply, WhiteoutsBecomeOverlayCharDevices) {
  TarBuilder tar;
  tar.dir("etc/")
      .file("etc/.wh.motd", "")
      .file(".wh.gone", "")
      .dir("var/cache/")
      .file("var/cache/apt", "x")
      .file("var/cache/.wh.apt", "")
      .file("new/.wh.f", "");  // parent created implicitly
  auto r = apply(tar.build());
  ASSERT_TRUE(r) << r.error().str();
  auto snap = testing::snapshot(target_);
  for (const char* p : {"etc/motd", "gone", "var/cache/apt", "new/f"}) {
    EXPECT_EQ(snap[p].substr(0, 11), "mode=20000 ") << p << ": " << snap[p];
    EXPECT_NE(snap[p].find("dev=0:0"), std::string::npos) << p;
  }
  EXPECT_EQ(snap.count("etc/.wh.motd"), 0u);
}

TEST_F(LayerApply, OpaqueMarkerSetsTheOverlayXattr) {
  TarBuilder tar;
  tar.dir("lib/")
      .file("lib/.wh..wh..opq", "")
      .file("lib/x", "x")
      .file("missing/.wh..wh..opq", "")
      .file("other/.wh..wh.plnk", "")  // aufs metadata: ignored
      .file(".wh..wh..opq", "");
  auto r = apply(tar.build());
  ASSERT_TRUE(r) << r.error().str();
  auto snap = testing::snapshot(target_);
  EXPECT_NE(snap["lib"].find("trusted.overlay.opaque=y"), std::string::npos) << snap["lib"];
  EXPECT_NE(snap["missing"].find("trusted.overlay.opaque=y"), std::string::npos);
  EXPECT_EQ(snap.count("lib/.wh..wh..opq"), 0u);
  EXPECT_EQ(snap.count("other/.wh..wh.plnk"), 0u);
  char v[8];
  EXPECT_EQ(::getxattr(target_.c_str(), "trusted.overlay.opaque", v, sizeof(v)), 1);
}

TEST_F(LayerApply, RefusesWhiteoutsNamingDotDot) {
  expect_refused(TarBuilder().dir("a/").file("a/.wh...", ""), "a/.wh...");
  expect_refused(TarBuilder().file(".wh.", ""), ".wh.");
}

TEST_F(LayerApply, ReadsTheStreamToItsEndIncludingPadding) {
  std::string tar = TarBuilder().file("a", "x").build(true) + std::string(4096, '\0');
  StringReader raw(tar);
  HashingReader counted(&raw);
  auto r = apply_layer(counted, dirfd_.get(), "padded");
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(counted.count(), static_cast<int64_t>(tar.size()));
}

TEST_F(LayerApply, EmptyStreamIsAnEmptyLayer) {
  auto r = apply("");
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->entries, 0);
  EXPECT_TRUE(testing::snapshot(target_).empty());
}

TEST_F(LayerApply, GarbageAndTruncatedTarsAreCorrupt) {
  auto garbage = apply(std::string(2000, 'x'));
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().code(), Code::kCorrupt);
  std::string tar = TarBuilder().file("big", std::string(100000, 'b')).build();
  auto cut = apply(tar.substr(0, 50000));
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().code(), Code::kCorrupt) << cut.error().str();
  EXPECT_EQ(cut.error().str().rfind("test layer: ", 0), 0u) << cut.error().str();
}

TEST_F(LayerApply, DecompressionErrorsKeepTheirCode) {
  std::string gz;
  StringWriter sw(&gz);
  auto w = make_gzip_writer(&sw, 1);
  std::string tar = TarBuilder().file("a", std::string(200000, 'a')).build();
  ASSERT_TRUE(w->write(tar.data(), tar.size()));
  ASSERT_TRUE(w->finish());
  StringReader raw(std::string_view(gz).substr(0, gz.size() - 4));
  auto unz = open_decompressing(&raw);
  ASSERT_TRUE(unz);
  auto r = apply_layer(**unz, dirfd_.get(), "sha256:abc");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kCorrupt);
  EXPECT_EQ(r.error().str(), "sha256:abc: truncated gzip stream");
}

TEST_F(LayerApply, GnuAndUstarFormatsWithLongNames) {
  std::string long_name = std::string(120, 'n') + "/" + std::string(150, 'f');
  for (auto fmt : {TarBuilder::Format::kGnu, TarBuilder::Format::kPax}) {
    testing::TempDir t;
    UniqueFd fd = std::move(*open_dir(t.path()));
    std::string tar = TarBuilder(fmt).file(long_name, "long").symlink("s", long_name).build();
    StringReader r(tar);
    auto applied = apply_layer(r, fd.get(), "fmt");
    ASSERT_TRUE(applied) << applied.error().str();
    EXPECT_EQ(*read_file(t.path() + "/" + long_name), "long");
  }
  auto ustar = apply(TarBuilder(TarBuilder::Format::kUstar).file("u/v", "w").build());
  ASSERT_TRUE(ustar) << ustar.error().str();
  EXPECT_EQ(*read_file(at("u/v")), "w");
}

TEST_F(LayerApply, SparseEntriesKeepTheirHoles) {
  // A PAX sparse entry (GNU.sparse 1.0) as libarchive writes one: data at 0 and at 1 MiB.
  std::string out;
  struct archive* a = archive_write_new();
  archive_write_set_format_pax(a);
  archive_write_open(
      a, &out, nullptr,
      [](struct archive*, void* o, const void* b, size_t n) -> la_ssize_t {
        static_cast<std::string*>(o)->append(static_cast<const char*>(b), n);
        return static_cast<la_ssize_t>(n);
      },
      nullptr);
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "sparse");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, 3 << 20);
  archive_entry_sparse_add_entry(e, 0, 4);
  archive_entry_sparse_add_entry(e, 1 << 20, 4);
  archive_write_header(a, e);
  // libarchive takes the logical content and stores only the parts the sparse map lists.
  std::string logical((1 << 20) + 4, '\0');
  logical.replace(0, 4, "head");
  logical.replace(1 << 20, 4, "tail");
  archive_write_data(a, logical.data(), logical.size());
  archive_entry_free(e);
  archive_write_close(a);
  archive_write_free(a);
  auto r = apply(out);
  ASSERT_TRUE(r) << r.error().str();
  auto content = *read_file(at("sparse"));
  ASSERT_EQ(content.size(), 3u << 20);
  EXPECT_EQ(content.substr(0, 4), "head");
  EXPECT_EQ(content.substr(1 << 20, 4), "tail");
  EXPECT_EQ(content[2 << 20], '\0');
}

TEST_F(LayerApply, NonAsciiNamesAreKeptAsBytes) {
  std::string name = "caf\xc3\xa9-\xff\xfe";
  auto r = apply(TarBuilder().file(name, "bytes").build());
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(*read_file(at(name)), "bytes");
}

}  // namespace
}  // namespace berth::store
