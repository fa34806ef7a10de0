// `berth import`: tarballs (plain, gzip, zstd), directories and stdin become one-layer images.
#include <sys/utsname.h>

#include <filesystem>

#include "sandbox.h"

namespace berth::it {
namespace {

class ImportCommand : public SandboxTest {
 protected:
  // The printed ID, checked to be exactly one line "sha256:<64 hex>".
  std::string printed_id(const ProcResult& r) {
    EXPECT_TRUE(is_one_line(r.out)) << "import prints the image ID on one line: " << r.describe();
    std::string id = r.out.empty() ? "" : r.out.substr(0, r.out.size() - 1);
    EXPECT_TRUE(is_image_id(id)) << "import prints sha256:<64 hex>: " << r.describe();
    return id;
  }
};

TEST_F(ImportCommand, ImportOfATarFilePrintsTheConfigDigest) {
  std::string tar = tiny_rootfs_tar("plain");
  write_file(sb().work("rootfs.tar"), tar);
  auto r = berth_ok({"import", sb().work("rootfs.tar"), "tiny:1"});
  std::string id = printed_id(r);
  ASSERT_TRUE(is_image_id(id));

  // The image ID is the digest of the config blob, as docker's.
  std::string config = sb().blob(id);
  EXPECT_EQ("sha256:" + sha256_hex(config), id);
  Json cfg = parse_json(config, "config blob");
  ASSERT_TRUE(cfg.is_object());
  EXPECT_EQ(cfg["rootfs"]["type"], "layers");
  // The layer's diff ID is the digest of the uncompressed tar as it was given.
  EXPECT_EQ(cfg["rootfs"]["diff_ids"], Json::array({"sha256:" + sha256_hex(tar)}));

  Json j = inspect("tiny:1");
  EXPECT_EQ(j["Id"], id);
  EXPECT_EQ(j["RepoTags"], Json::array({"tiny:1"}));
}

TEST_F(ImportCommand, ImportFromStdinPrintsTheConfigDigest) {
  std::string tar = tiny_rootfs_tar("stdin");
  RunOptions o;
  o.input = tar;
  auto r = berth_ok({"import", "-", "fromstdin:v1"}, o);
  std::string id = printed_id(r);
  ASSERT_TRUE(is_image_id(id));
  EXPECT_EQ("sha256:" + sha256_hex(sb().blob(id)), id);
  Json j = inspect("fromstdin:v1");
  EXPECT_EQ(j["Id"], id);
  EXPECT_EQ(j["RootFS"]["Layers"], Json::array({"sha256:" + sha256_hex(tar)}));
}

TEST_F(ImportCommand, ImportOfAGzipTarballStoresTheUncompressedLayer) {
  std::string tar = tiny_rootfs_tar("gzip");
  std::string gz = compress(tar, "gzip");
  ASSERT_FALSE(gz.empty());
  ASSERT_NE(gz, tar);
  std::string id = sb().import_tar(gz, "zipped:gz");
  ASSERT_FALSE(id.empty());
  Json j = inspect("zipped:gz");
  EXPECT_EQ(j["RootFS"]["Layers"], Json::array({"sha256:" + sha256_hex(tar)}))
      << "the diff ID is the digest of the decompressed tar";
}

TEST_F(ImportCommand, ImportOfAZstdTarballStoresTheUncompressedLayer) {
  std::string tar = tiny_rootfs_tar("zstd");
  std::string zst = compress(tar, "zstd");
  ASSERT_FALSE(zst.empty());
  std::string id = sb().import_tar(zst, "zipped:zst");
  ASSERT_FALSE(id.empty());
  Json j = inspect("zipped:zst");
  EXPECT_EQ(j["RootFS"]["Layers"], Json::array({"sha256:" + sha256_hex(tar)}));
}

TEST_F(ImportCommand, ImportOfAGzipTarballFromStdinWorks) {
  std::string tar = tiny_rootfs_tar("gzip-stdin");
  RunOptions o;
  o.input = compress(tar, "gzip");
  auto r = berth_ok({"import", "-", "zipped:stdin"}, o);
  std::string id = printed_id(r);
  Json j = inspect("zipped:stdin");
  EXPECT_EQ(j["Id"], id);
  EXPECT_EQ(j["RootFS"]["Layers"], Json::array({"sha256:" + sha256_hex(tar)}));
}

TEST_F(ImportCommand, ImportOfADirectoryMakesALayerOfItsFiles) {
  std::string dir = sb().work("rootfs");
  ASSERT_TRUE(sb().make_busybox_rootfs(dir));
  auto r = berth_ok({"import", dir, "fromdir:1"});
  std::string id = printed_id(r);
  ASSERT_TRUE(is_image_id(id));

  Json manifest = sb().manifest("docker.io/library/fromdir:1");
  ASSERT_TRUE(manifest.is_object());
  ASSERT_EQ(manifest["layers"].size(), 1u);
  std::string layer = sb().blob(manifest["layers"][0]["digest"]);
  auto entries = read_tar(layer, "the layer of fromdir:1");
  const TarEntry* busybox = find_entry(entries, "bin/busybox");
  ASSERT_NE(busybox, nullptr) << "the layer should contain bin/busybox";
  EXPECT_EQ(busybox->type, '0');
  EXPECT_EQ(sha256_hex(busybox->data), sha256_hex(read_file(dir + "/bin/busybox")));
  EXPECT_NE(busybox->mode & 0111, 0) << "bin/busybox keeps its execute bits";
  const TarEntry* sh = find_entry(entries, "bin/sh");
  ASSERT_NE(sh, nullptr) << "the layer should contain the bin/sh applet link";
  EXPECT_EQ(sh->type, '2');
  EXPECT_EQ(sh->link, std::filesystem::read_symlink(dir + "/bin/sh").string());
  const TarEntry* passwd = find_entry(entries, "etc/passwd");
  ASSERT_NE(passwd, nullptr);
  EXPECT_EQ(passwd->data, read_file(dir + "/etc/passwd"));
  // The diff ID recorded in the config is the digest of that layer tar.
  EXPECT_EQ(inspect("fromdir:1")["RootFS"]["Layers"][0], "sha256:" + sha256_hex(layer));
}

TEST_F(ImportCommand, ImportAppliesChangeInstructionsToTheConfig) {
  std::string id = sb().import_tar(
      tiny_rootfs_tar("changes"), "changed:1",
      {"--change", "ENV PATH=/bin", "--change", "ENV GREETING=\"hello world\"", "--change",
       R"(CMD ["sh", "-c", "echo hi"])", "--change", R"(ENTRYPOINT ["/bin/env"])", "--change",
       "WORKDIR /srv/app", "--change", "USER app", "--change", "EXPOSE 8080", "--change",
       "EXPOSE 53/udp", "--change", R"(LABEL org.example.team=infra "with space"="a b")"});
  ASSERT_FALSE(id.empty());
  Json c = inspect("changed:1")["Config"];
  EXPECT_EQ(c["Env"], Json::array({"PATH=/bin", "GREETING=hello world"}));
  EXPECT_EQ(c["Cmd"], Json::array({"sh", "-c", "echo hi"}));
  EXPECT_EQ(c["Entrypoint"], Json::array({"/bin/env"}));
  EXPECT_EQ(c["WorkingDir"], "/srv/app");
  EXPECT_EQ(c["User"], "app");
  EXPECT_EQ(c["ExposedPorts"], Json({{"53/udp", Json::object()}, {"8080/tcp", Json::object()}}));
  EXPECT_EQ(c["Labels"], Json({{"org.example.team", "infra"}, {"with space", "a b"}}));
  // The same values in the stored config blob (OCI field names).
  Json cfg = parse_json(sb().blob(id), "config blob");
  ASSERT_TRUE(cfg.is_object());
  EXPECT_EQ(cfg["config"]["WorkingDir"], "/srv/app");
  EXPECT_EQ(cfg["config"]["Cmd"], Json::array({"sh", "-c", "echo hi"}));
}

TEST_F(ImportCommand, ImportWrapsShellFormCmdAndEntrypointInShC) {
  std::string id = sb().import_tar(tiny_rootfs_tar("shell"), "shellform:1",
                                   {"-c", "CMD echo hi there", "-c", "ENTRYPOINT exec top"});
  ASSERT_FALSE(id.empty());
  Json c = inspect("shellform:1")["Config"];
  EXPECT_EQ(c["Cmd"], Json::array({"/bin/sh", "-c", "echo hi there"}));
  EXPECT_EQ(c["Entrypoint"], Json::array({"/bin/sh", "-c", "exec top"}));
}

TEST_F(ImportCommand, ImportMessageBecomesTheComment) {
  std::string id = sb().import_tar(tiny_rootfs_tar("msg"), "msg:1", {"-m", "made by the test"});
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(inspect("msg:1")["Comment"], "made by the test");
  Json cfg = parse_json(sb().blob(id), "config blob");
  ASSERT_TRUE(cfg.is_object());
  ASSERT_EQ(cfg["history"].size(), 1u);
  EXPECT_EQ(cfg["history"][0]["comment"], "made by the test");
}

TEST_F(ImportCommand, ImportWithoutAReferenceMakesAnUntaggedImage) {
  std::string id = sb().import_tar(tiny_rootfs_tar("untagged"), "");
  ASSERT_FALSE(id.empty());
  Json j = inspect(id);
  EXPECT_EQ(j["Id"], id);
  EXPECT_EQ(j["RepoTags"], Json::array());
  auto rows =
      parse_table(berth_ok({"images"}).out, {"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["REPOSITORY"], "<none>");
  EXPECT_EQ(rows[0]["TAG"], "<none>");
  EXPECT_EQ(rows[0]["IMAGE ID"], id.substr(7, 12));
}

TEST_F(ImportCommand, ImportRecordsTheHostPlatform) {
  ASSERT_FALSE(sb().import_tar(tiny_rootfs_tar("platform"), "plat:1").empty());
  struct utsname u {};
  ::uname(&u);
  std::string machine = u.machine;
  std::string arch = machine == "x86_64" ? "amd64" : machine == "aarch64" ? "arm64" : machine;
  Json j = inspect("plat:1");
  EXPECT_EQ(j["Architecture"], arch);
  EXPECT_EQ(j["Os"], "linux");
}

TEST_F(ImportCommand, TheStoreRootCanComeFromTheBerthRootVariable) {
  std::string root = sb().new_root("env-root");
  write_file(sb().work("env.tar"), tiny_rootfs_tar("env"));
  RunOptions o;
  o.env = {"BERTH_ROOT=" + root};
  o.cwd = sb().work();
  auto r = run_process({berth_binary(), "import", sb().work("env.tar"), "viaenv:1"}, o);
  ASSERT_TRUE(r.ok()) << r.describe();
  auto listed = sb().berth_at(root, {"images", "--format", "{{.Repository}}:{{.Tag}}"});
  EXPECT_EQ(listed.out, "viaenv:1\n") << listed.describe();
  EXPECT_EQ(berth_ok({"images", "-q"}).out, "") << "--root's store is untouched";
  EXPECT_TRUE(path_exists(root + "/oci-layout"));
}

TEST_F(ImportCommand, ImportWithAnUnknownChangeInstructionIsRefused) {
  ASSERT_FALSE(sb().import_tar(tiny_rootfs_tar("base"), "base:1").empty());
  write_file(sb().work("x.tar"), tiny_rootfs_tar("x"));
  auto before = sb().snapshot();
  auto r = berth({"import", "--change", "RUN rm -rf /", sb().work("x.tar"), "x:1"});
  expect_refused(r, {"RUN"}, before, sb().snapshot());
}

TEST_F(ImportCommand, ImportOfAMissingFileIsRefusedNamingIt) {
  ASSERT_FALSE(sb().import_tar(tiny_rootfs_tar("base"), "base:1").empty());
  auto before = sb().snapshot();
  auto r = berth({"import", sb().work("no-such-file.tar"), "x:1"});
  expect_refused(r, {"no-such-file.tar"}, before, sb().snapshot());
}

}  // namespace
}  // namespace berth::it
