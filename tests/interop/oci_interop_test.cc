// Interop with skopeo and umoci: what berth writes (oci-archive, docker-archive, the store
// itself) they read; what they write berth loads with the same manifest and config digests.
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox.h"

namespace berth::it {
namespace {

const char* kBusyboxRef = "docker.io/library/busybox:latest";

class OciInterop : public BusyboxTest {
 protected:
  void SetUp() override {
    for (const char* tool : {"skopeo", "umoci"}) {
      ASSERT_TRUE(find_program(tool).has_value()) << missing_tool_message(tool);
    }
    BusyboxTest::SetUp();
  }

  ProcResult tool(const std::vector<std::string>& argv) {
    RunOptions o;
    o.cwd = sb().work();
    auto r = run_process(argv, o);
    EXPECT_TRUE(r.ok()) << r.describe();
    return r;
  }

  Json skopeo_inspect(const std::string& ref) {
    return parse_json(tool({"skopeo", "inspect", ref}).out, "skopeo inspect " + ref);
  }
  // sha256 of `skopeo inspect --raw` (the manifest) and `--config --raw` (the config).
  std::string manifest_digest(const std::string& ref) {
    return "sha256:" + sha256_hex(tool({"skopeo", "inspect", "--raw", ref}).out);
  }
  std::string config_digest(const std::string& ref) {
    return "sha256:" + sha256_hex(tool({"skopeo", "inspect", "--config", "--raw", ref}).out);
  }

  // `umoci unpack` (rootless when we are not root).
  void umoci_unpack(const std::string& image, const std::string& bundle) {
    std::vector<std::string> argv = {"umoci", "unpack", "--image", image, bundle};
    if (::geteuid() != 0) {
      argv.insert(argv.begin() + 2, "--rootless");
    }
    tool(argv);
  }

  std::string other_store(const std::string& name) {
    std::string root = sb().new_root(name);
    auto r = sb().berth_at(root, {"images", "-q"});
    EXPECT_TRUE(r.ok()) << r.describe();
    return root;
  }

  // An image umoci builds from the busybox rootfs (gzip layers, umoci's own config), copied by
  // skopeo to `dest`.
  void umoci_image_to(const std::string& dest) {
    std::string layout = sb().work("umoci-layout");
    std::string bundle = sb().work("umoci-bundle");
    tool({"umoci", "init", "--layout", layout});
    tool({"umoci", "new", "--image", layout + ":built"});
    umoci_unpack(layout + ":built", bundle);
    ASSERT_TRUE(sb().make_busybox_rootfs(bundle + "/rootfs"));
    tool({"umoci", "repack", "--image", layout + ":built", bundle});
    tool({"umoci", "config", "--image", layout + ":built", "--config.env", "PATH=/bin",
          "--config.cmd", "sh"});
    tool({"skopeo", "copy", "oci:" + layout + ":built", dest});
  }
};

TEST_F(OciInterop, SkopeoInspectsAnOciArchiveBerthSaved) {
  std::string archive = sb().work("bb-oci.tar");
  berth_ok({"save", "--format", "oci-archive", "-o", archive, "busybox"});
  Json j = skopeo_inspect("oci-archive:" + archive);
  ASSERT_TRUE(j.is_object());
  Json manifest = sb().manifest(kBusyboxRef);
  ASSERT_TRUE(manifest.is_object());
  EXPECT_EQ(j["Digest"], sb().index_entry(kBusyboxRef)["digest"]);
  EXPECT_EQ(j["Os"], "linux");
  EXPECT_EQ(j["Architecture"], inspect("busybox")["Architecture"]);
  ASSERT_EQ(j["Layers"].size(), 1u);
  EXPECT_EQ(j["Layers"][0], manifest["layers"][0]["digest"]);
  EXPECT_EQ(config_digest("oci-archive:" + archive), busybox_);
}

TEST_F(OciInterop, UmociUnpacksAnOciArchiveBerthSaved) {
  std::string archive = sb().work("bb-oci.tar");
  berth_ok({"save", "--format", "oci-archive", "-o", archive, "busybox"});
  std::string layout = sb().work("extracted");
  extract_tar(archive, layout);
  Json index = parse_json(read_file(layout + "/index.json"), "the archive's index.json");
  ASSERT_TRUE(index.is_object());
  ASSERT_EQ(index["manifests"].size(), 1u);
  std::string tag = index["manifests"][0]
                        .value("annotations", Json::object())
                        .value("org.opencontainers.image.ref.name", "");
  ASSERT_FALSE(tag.empty()) << "umoci needs a ref.name annotation to find the image: "
                            << index.dump(2);
  std::string bundle = sb().work("bundle");
  umoci_unpack(layout + ":" + tag, bundle);
  std::string busybox = bundle + "/rootfs/bin/busybox";
  struct stat st {};
  ASSERT_EQ(::lstat(busybox.c_str(), &st), 0) << "umoci's rootfs has bin/busybox";
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_NE(st.st_mode & 0111, 0u);
  EXPECT_TRUE(path_exists(bundle + "/rootfs/bin/sh"));
  EXPECT_TRUE(path_exists(bundle + "/config.json"));
}

TEST_F(OciInterop, SkopeoInspectsADockerArchiveBerthSaved) {
  std::string archive = sb().work("bb-docker.tar");
  berth_ok({"save", "-o", archive, "busybox"});
  Json j = skopeo_inspect("docker-archive:" + archive);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["Os"], "linux");
  EXPECT_EQ(j["Architecture"], inspect("busybox")["Architecture"]);
  EXPECT_EQ(j["Layers"].size(), 1u);
  EXPECT_EQ(config_digest("docker-archive:" + archive), busybox_);
}

TEST_F(OciInterop, SkopeoReadsTheStoreInPlaceByFullReference) {
  std::string ref = "oci:" + sb().root() + ":" + kBusyboxRef;
  Json j = skopeo_inspect(ref);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["Digest"], sb().index_entry(kBusyboxRef)["digest"]);
  EXPECT_EQ(config_digest(ref), busybox_);
  EXPECT_EQ(manifest_digest(ref), sb().index_entry(kBusyboxRef)["digest"]);
}

TEST_F(OciInterop, SkopeoReadsEveryNameBerthTagged) {
  berth_ok({"tag", "busybox", "localhost:5000/team/app:v1"});
  berth_ok({"tag", "busybox", "me/app"});
  for (const char* full : {"localhost:5000/team/app:v1", "docker.io/me/app:latest"}) {
    EXPECT_EQ(config_digest("oci:" + sb().root() + ":" + full), busybox_) << full;
  }
}

TEST_F(OciInterop, UmociUnpacksStraightFromTheStore) {
  std::string bundle = sb().work("bundle");
  umoci_unpack(sb().root() + ":" + kBusyboxRef, bundle);
  EXPECT_TRUE(path_exists(bundle + "/rootfs/bin/busybox"));
  // berth still reads its store after umoci has been in it.
  EXPECT_EQ(sb().store_problems(), "");
  EXPECT_EQ(inspect("busybox")["Id"], busybox_);
}

// Uncompressed layers, as berth stores them: skopeo keeps berth's manifest byte for byte, and
// berth loads it back under the same manifest and config digests.
TEST_F(OciInterop, BerthLoadsAnOciArchiveSkopeoCopiedFromItsStore) {
  std::string archive = sb().work("copied-oci.tar");
  tool({"skopeo", "copy", "--dest-oci-accept-uncompressed-layers",
        "oci:" + sb().root() + ":" + kBusyboxRef,
        "oci-archive:" + archive + ":docker.io/library/copied:v1"});
  std::string ref = "oci-archive:" + archive;
  std::string want_manifest = manifest_digest(ref);
  std::string want_config = config_digest(ref);
  EXPECT_EQ(want_manifest, sb().index_entry(kBusyboxRef)["digest"]);
  std::string root = other_store("loaded");
  auto r = sb().berth_at(root, {"load", "-i", archive});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out, "Loaded image: copied:v1\n");
  auto id = sb().berth_at(root, {"inspect", "--format", "{{.Id}}", "copied:v1"});
  EXPECT_EQ(id.out, want_config + "\n") << id.describe();
  Json entry = sb().index_entry("docker.io/library/copied:v1", root);
  ASSERT_TRUE(entry.is_object()) << sb().index(root).dump(2);
  EXPECT_EQ(entry["digest"], want_manifest);
}

// skopeo's default for an OCI destination gzips the layers (a new manifest); the config, and so
// the image ID, stays the same through berth's load.
TEST_F(OciInterop, BerthLoadsAGzipOciArchiveSkopeoCopiedFromItsStore) {
  std::string archive = sb().work("copied-oci-gz.tar");
  tool({"skopeo", "copy", "oci:" + sb().root() + ":" + kBusyboxRef,
        "oci-archive:" + archive + ":docker.io/library/copied:gz"});
  std::string raw = tool({"skopeo", "inspect", "--raw", "oci-archive:" + archive}).out;
  ASSERT_NE(raw.find("tar+gzip"), std::string::npos) << "skopeo compressed the layer: " << raw;
  std::string root = other_store("loaded");
  auto r = sb().berth_at(root, {"load", "-i", archive});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out, "Loaded image: copied:gz\n");
  auto id = sb().berth_at(root, {"inspect", "--format", "{{.Id}}", "copied:gz"});
  EXPECT_EQ(id.out, config_digest("oci-archive:" + archive) + "\n") << id.describe();
  EXPECT_EQ(id.out, busybox_ + "\n");
  EXPECT_EQ(sb().store_problems(root), "");
}

TEST_F(OciInterop, BerthLoadsADockerArchiveSkopeoCopiedFromItsStore) {
  std::string archive = sb().work("copied-docker.tar");
  tool({"skopeo", "copy", "oci:" + sb().root() + ":" + kBusyboxRef,
        "docker-archive:" + archive + ":copied:v2"});
  std::string want_config = config_digest("docker-archive:" + archive);
  EXPECT_EQ(want_config, busybox_);
  std::string root = other_store("loaded");
  auto r = sb().berth_at(root, {"load", "-i", archive});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out, "Loaded image: copied:v2\n");
  auto id = sb().berth_at(root, {"inspect", "--format", "{{.Id}}", "copied:v2"});
  EXPECT_EQ(id.out, want_config + "\n") << id.describe();
  EXPECT_EQ(sb().store_problems(root), "");
}

TEST_F(OciInterop, BerthLoadsAnUmociImageWithItsConfigDigest) {
  std::string archive = sb().work("umoci-oci.tar");
  umoci_image_to("oci-archive:" + archive + ":docker.io/library/umocibuilt:1");
  std::string want_config = config_digest("oci-archive:" + archive);
  std::string root = other_store("loaded");
  auto r = sb().berth_at(root, {"load", "-i", archive});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out, "Loaded image: umocibuilt:1\n");
  auto id = sb().berth_at(root, {"inspect", "--format", "{{.Id}}", "umocibuilt:1"});
  EXPECT_EQ(id.out, want_config + "\n") << id.describe();
  auto cmd = sb().berth_at(root, {"inspect", "--format", "{{json .Config.Cmd}}", "umocibuilt:1"});
  EXPECT_EQ(cmd.out, "[\"sh\"]\n") << cmd.describe();
  EXPECT_EQ(sb().store_problems(root), "");
}

// umoci writes gzip layers; berth keeps the image's manifest as it was given, so the image
// keeps its identity (the manifest digest skopeo reports) across the load.
TEST_F(OciInterop, BerthLoadsAnUmociImageWithItsManifestDigest) {
  std::string archive = sb().work("umoci-oci.tar");
  umoci_image_to("oci-archive:" + archive + ":docker.io/library/umocibuilt:1");
  std::string want_manifest = manifest_digest("oci-archive:" + archive);
  std::string root = other_store("loaded");
  auto r = sb().berth_at(root, {"load", "-i", archive});
  ASSERT_TRUE(r.ok()) << r.describe();
  Json entry = sb().index_entry("docker.io/library/umocibuilt:1", root);
  ASSERT_TRUE(entry.is_object()) << sb().index(root).dump(2);
  EXPECT_EQ(entry["digest"], want_manifest);
  EXPECT_EQ(manifest_digest("oci:" + root + ":docker.io/library/umocibuilt:1"), want_manifest);
}

TEST_F(OciInterop, BerthLoadsAnUmociImageSkopeoWroteAsDockerArchive) {
  std::string archive = sb().work("umoci-docker.tar");
  umoci_image_to("docker-archive:" + archive + ":umocibuilt:2");
  std::string want_config = config_digest("docker-archive:" + archive);
  std::string root = other_store("loaded");
  auto r = sb().berth_at(root, {"load", "-i", archive});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out, "Loaded image: umocibuilt:2\n");
  auto id = sb().berth_at(root, {"inspect", "--format", "{{.Id}}", "umocibuilt:2"});
  EXPECT_EQ(id.out, want_config + "\n") << id.describe();
  EXPECT_EQ(sb().store_problems(root), "");
}

TEST_F(OciInterop, AnImageBerthLoadedIsReadableBySkopeoInItsStore) {
  std::string archive = sb().work("umoci-oci.tar");
  umoci_image_to("oci-archive:" + archive + ":docker.io/library/umocibuilt:3");
  std::string root = other_store("loaded");
  auto r = sb().berth_at(root, {"load", "-i", archive});
  ASSERT_TRUE(r.ok()) << r.describe();
  std::string ref = "oci:" + root + ":docker.io/library/umocibuilt:3";
  EXPECT_EQ(config_digest(ref), config_digest("oci-archive:" + archive));
  // And umoci can unpack it from there.
  std::string bundle = sb().work("bundle");
  umoci_unpack(root + ":docker.io/library/umocibuilt:3", bundle);
  EXPECT_TRUE(path_exists(bundle + "/rootfs/bin/busybox"));
}

}  // namespace
}  // namespace berth::it
