// `berth save` (docker-archive, oci-archive; -o or stdout) and `berth load` (-i or stdin).
#include <algorithm>
#include <filesystem>
#include <set>

#include "sandbox.h"

namespace berth::it {
namespace {

class SaveAndLoad : public BusyboxTest {
 protected:
  // A second, initialised store in the sandbox.
  std::string other_store(const std::string& name) {
    std::string root = sb().new_root(name);
    auto r = sb().berth_at(root, {"images", "-q"});
    EXPECT_TRUE(r.ok()) << r.describe();
    return root;
  }

  // Checks a docker-archive's manifest.json and files; returns the manifest.
  Json check_docker_archive(const std::string& archive, const std::string& what) {
    auto entries = read_tar(archive, what);
    const TarEntry* m = find_entry(entries, "manifest.json");
    if (m == nullptr) {
      ADD_FAILURE() << what << " has no manifest.json";
      return nullptr;
    }
    Json manifest = parse_json(m->data, what + ": manifest.json");
    if (!manifest.is_array()) {
      ADD_FAILURE() << what << ": manifest.json is not an array";
      return nullptr;
    }
    for (const auto& item : manifest) {
      const TarEntry* config = find_entry(entries, item.value("Config", ""));
      if (config == nullptr) {
        ADD_FAILURE() << what << ": the config " << item["Config"] << " is missing";
        continue;
      }
      Json cfg = parse_json(config->data, what + ": config");
      std::vector<std::string> layer_digests;
      for (const auto& l : item["Layers"]) {
        const TarEntry* layer = find_entry(entries, l.get<std::string>());
        if (layer == nullptr) {
          ADD_FAILURE() << what << ": the layer " << l << " is missing";
          continue;
        }
        layer_digests.push_back("sha256:" + sha256_hex(layer->data));
      }
      EXPECT_EQ(Json(layer_digests), cfg["rootfs"]["diff_ids"])
          << what << ": each layer file is the uncompressed layer of its diff ID";
    }
    return manifest;
  }
};

TEST_F(SaveAndLoad, SaveWritesADockerArchiveByDefault) {
  berth_ok({"save", "-o", sb().work("bb.tar"), "busybox"});
  std::string archive = read_file(sb().work("bb.tar"));
  Json manifest = check_docker_archive(archive, "bb.tar");
  ASSERT_TRUE(manifest.is_array());
  ASSERT_EQ(manifest.size(), 1u);
  EXPECT_EQ(manifest[0]["RepoTags"], Json::array({"busybox:latest"}));
  auto entries = read_tar(archive);
  const TarEntry* config = find_entry(entries, manifest[0]["Config"]);
  ASSERT_NE(config, nullptr);
  EXPECT_EQ("sha256:" + sha256_hex(config->data), busybox_) << "the config file is the image's";
}

TEST_F(SaveAndLoad, SaveToStdoutWritesTheArchive) {
  auto r = berth_ok({"save", "busybox"});
  Json manifest = check_docker_archive(r.out, "save's stdout");
  ASSERT_TRUE(manifest.is_array());
  ASSERT_EQ(manifest.size(), 1u);
  EXPECT_EQ(manifest[0]["RepoTags"], Json::array({"busybox:latest"}));
}

TEST_F(SaveAndLoad, SaveOciArchiveWritesAnImageLayout) {
  berth_ok({"save", "--format", "oci-archive", "-o", sb().work("bb-oci.tar"), "busybox"});
  auto entries = read_tar(read_file(sb().work("bb-oci.tar")), "bb-oci.tar");
  const TarEntry* layout = find_entry(entries, "oci-layout");
  ASSERT_NE(layout, nullptr);
  EXPECT_EQ(parse_json(layout->data, "oci-layout")["imageLayoutVersion"], "1.0.0");
  const TarEntry* index_entry = find_entry(entries, "index.json");
  ASSERT_NE(index_entry, nullptr);
  Json index = parse_json(index_entry->data, "index.json");
  ASSERT_TRUE(index.is_object());
  EXPECT_EQ(index["schemaVersion"], 2);
  ASSERT_EQ(index["manifests"].size(), 1u) << index.dump(2);
  Json desc = index["manifests"][0];
  EXPECT_EQ(desc["mediaType"], "application/vnd.oci.image.manifest.v1+json");
  EXPECT_TRUE(desc.contains("annotations") &&
              desc["annotations"].contains("org.opencontainers.image.ref.name"))
      << "the image keeps its name: " << desc.dump();
  // Every blob is named by its digest.
  for (const auto& e : entries) {
    if (e.type == '0' && e.name.find("blobs/sha256/") != std::string::npos) {
      EXPECT_EQ(e.name.substr(e.name.rfind('/') + 1), sha256_hex(e.data)) << e.name;
    }
  }
  auto blob = [&](const Json& d) -> std::string {
    const TarEntry* e =
        find_entry(entries, "blobs/sha256/" + d["digest"].get<std::string>().substr(7));
    return e == nullptr ? "" : e->data;
  };
  Json manifest = parse_json(blob(desc), "manifest blob");
  ASSERT_TRUE(manifest.is_object());
  EXPECT_EQ(manifest["config"]["digest"], busybox_);
  EXPECT_EQ(manifest["config"]["mediaType"], "application/vnd.oci.image.config.v1+json");
  ASSERT_EQ(manifest["layers"].size(), 1u);
  EXPECT_FALSE(blob(manifest["layers"][0]).empty()) << "the layer blob is in the archive";
  // Same manifest as in the store.
  Json stored = sb().index_entry("docker.io/library/busybox:latest");
  ASSERT_TRUE(stored.is_object());
  EXPECT_EQ(desc["digest"], stored["digest"]);
}

TEST_F(SaveAndLoad, SaveOfSeveralImagesPutsThemInOneArchive) {
  std::string tiny = sb().import_tar(tiny_rootfs_tar("several"), "tiny:1");
  ASSERT_FALSE(tiny.empty());
  berth_ok({"save", "-o", sb().work("two.tar"), "busybox", "tiny:1"});
  Json manifest = check_docker_archive(read_file(sb().work("two.tar")), "two.tar");
  ASSERT_TRUE(manifest.is_array());
  std::set<std::string> tags;
  for (const auto& m : manifest) {
    for (const auto& t : m["RepoTags"]) {
      tags.insert(t);
    }
  }
  EXPECT_EQ(tags, (std::set<std::string>{"busybox:latest", "tiny:1"}));
}

TEST_F(SaveAndLoad, SaveOfAnUnknownImageFailsAndWritesNoFile) {
  std::string dir = sb().work("out");
  write_file(dir + "/keep", "");
  auto r = berth({"save", "-o", dir + "/nothing.tar", "nosuch:1"});
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.err.find("No such image"), std::string::npos) << r.describe();
  EXPECT_EQ(list_tree(dir), std::vector<std::string>{"keep"})
      << "neither the archive nor a temporary file is left";
}

TEST_F(SaveAndLoad, LoadOfADockerArchiveRestoresTheImage) {
  berth_ok({"save", "-o", sb().work("bb.tar"), "busybox"});
  std::string root = other_store("loaded");
  auto r = sb().berth_at(root, {"load", "-i", sb().work("bb.tar")});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out, "Loaded image: busybox:latest\n");
  auto id = sb().berth_at(root, {"inspect", "--format", "{{.Id}}", "busybox"});
  EXPECT_EQ(id.out, busybox_ + "\n") << id.describe();
  EXPECT_EQ(sb().store_problems(root), "");
}

TEST_F(SaveAndLoad, LoadOfAnOciArchiveRestoresTheSameManifest) {
  berth_ok({"save", "--format", "oci-archive", "-o", sb().work("bb.tar"), "busybox"});
  std::string root = other_store("loaded");
  auto r = sb().berth_at(root, {"load", "-i", sb().work("bb.tar")});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out, "Loaded image: busybox:latest\n");
  auto id = sb().berth_at(root, {"inspect", "--format", "{{.Id}}", "busybox"});
  EXPECT_EQ(id.out, busybox_ + "\n") << id.describe();
  Json a = sb().index_entry("docker.io/library/busybox:latest");
  Json b = sb().index_entry("docker.io/library/busybox:latest", root);
  ASSERT_TRUE(a.is_object() && b.is_object());
  EXPECT_EQ(a["digest"], b["digest"]);
  EXPECT_EQ(sb().store_problems(root), "");
}

TEST_F(SaveAndLoad, LoadReadsFromStdin) {
  for (const char* format : {"docker-archive", "oci-archive"}) {
    SCOPED_TRACE(format);
    auto saved = berth_ok({"save", "--format", format, "busybox"});
    std::string root = other_store(std::string("stdin-") + format);
    RunOptions o;
    o.input = saved.out;
    auto r = sb().berth_at(root, {"load"}, o);
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(r.out, "Loaded image: busybox:latest\n");
    EXPECT_EQ(sb().berth_at(root, {"images", "-q", "--no-trunc"}).out, busybox_ + "\n");
  }
}

TEST_F(SaveAndLoad, LoadOfAnArchiveWithoutNamesPrintsTheImageId) {
  berth_ok({"save", "-o", sb().work("byid.tar"), busybox_});
  std::string root = other_store("byid");
  auto r = sb().berth_at(root, {"load", "-i", sb().work("byid.tar")});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out, "Loaded image ID: " + busybox_ + "\n");
  EXPECT_EQ(sb().berth_at(root, {"images", "--format", "{{.Repository}}:{{.Tag}}"}).out,
            "<none>:<none>\n");
}

TEST_F(SaveAndLoad, LoadOfSeveralImagesPrintsEachName) {
  ASSERT_FALSE(sb().import_tar(tiny_rootfs_tar("several"), "tiny:1").empty());
  berth_ok({"save", "-o", sb().work("two.tar"), "busybox", "tiny:1"});
  std::string root = other_store("two");
  auto r = sb().berth_at(root, {"load", "-i", sb().work("two.tar")});
  ASSERT_TRUE(r.ok()) << r.describe();
  auto lines = split_lines(r.out);
  EXPECT_EQ(std::set<std::string>(lines.begin(), lines.end()),
            (std::set<std::string>{"Loaded image: busybox:latest", "Loaded image: tiny:1"}));
}

TEST_F(SaveAndLoad, LoadAfterRmiBringsTheImageBack) {
  berth_ok({"save", "-o", sb().work("bb.tar"), "busybox"});
  berth_ok({"rmi", "busybox"});
  auto r = berth_ok({"load", "-i", sb().work("bb.tar")});
  EXPECT_EQ(r.out, "Loaded image: busybox:latest\n");
  EXPECT_EQ(inspect("busybox")["Id"], busybox_);
  EXPECT_EQ(sb().store_problems(), "");
}

TEST_F(SaveAndLoad, LoadOfAnImageAlreadyPresentChangesNothing) {
  berth_ok({"save", "--format", "oci-archive", "-o", sb().work("bb.tar"), "busybox"});
  auto before = sb().snapshot();
  auto r = berth_ok({"load", "-i", sb().work("bb.tar")});
  EXPECT_EQ(r.out, "Loaded image: busybox:latest\n");
  EXPECT_TRUE(sb().snapshot() == before) << sb().snapshot().diff_from(before);
}

TEST_F(SaveAndLoad, LoadOfAHandmadeDockerArchiveWorks) {
  HandmadeImage image{tiny_rootfs_tar("hand"), "", "hand:1"};
  std::string archive = handmade_docker_archive(image);
  write_file(sb().work("hand.tar"), archive);
  auto r = berth_ok({"load", "-i", sb().work("hand.tar")});
  EXPECT_EQ(r.out, "Loaded image: hand:1\n");
  Json j = inspect("hand:1");
  EXPECT_EQ(j["RootFS"]["Layers"], Json::array({"sha256:" + sha256_hex(image.layer_tar)}));
  EXPECT_EQ(j["Config"]["Env"], Json::array({"PATH=/bin"}));
}

TEST_F(SaveAndLoad, LoadOfAHandmadeOciArchiveWorks) {
  HandmadeImage image{tiny_rootfs_tar("hand-oci"), "application/vnd.oci.image.layer.v1.tar",
                      "docker.io/library/handoci:2"};
  write_file(sb().work("hand.tar"), handmade_oci_archive(image));
  auto r = berth_ok({"load", "-i", sb().work("hand.tar")});
  EXPECT_EQ(r.out, "Loaded image: handoci:2\n");
  Json j = inspect("handoci:2");
  EXPECT_EQ(j["RootFS"]["Layers"], Json::array({"sha256:" + sha256_hex(image.layer_tar)}));
}

TEST_F(SaveAndLoad, LoadOfAGzipLayerOciArchiveWorks) {
  std::string tar = tiny_rootfs_tar("gz-layer");
  std::string gz = compress(tar, "gzip");
  ASSERT_FALSE(gz.empty());
  // The handmade config's diff ID is of layer_tar: give it the uncompressed tar's digest by
  // building the archive by hand with the gzip blob in place of the layer.
  HandmadeImage image{tar, "application/vnd.oci.image.layer.v1.tar+gzip", "docker.io/library/gz:1"};
  auto entries = read_tar(handmade_oci_archive(image));
  TarWriter tw;
  Json index, manifest;
  std::string manifest_old_digest;
  for (const auto& e : entries) {
    if (e.name == "index.json") {
      index = parse_json(e.data, "index.json");
    }
  }
  manifest_old_digest = index["manifests"][0]["digest"].get<std::string>().substr(7);
  for (const auto& e : entries) {
    if (e.name == "blobs/sha256/" + manifest_old_digest) {
      manifest = parse_json(e.data, "manifest");
    }
  }
  manifest["layers"][0]["digest"] = "sha256:" + sha256_hex(gz);
  manifest["layers"][0]["size"] = gz.size();
  std::string mtext = manifest.dump();
  index["manifests"][0]["digest"] = "sha256:" + sha256_hex(mtext);
  index["manifests"][0]["size"] = mtext.size();
  std::string config_hex = manifest["config"]["digest"].get<std::string>().substr(7);
  const TarEntry* config = find_entry(entries, "blobs/sha256/" + config_hex);
  ASSERT_NE(config, nullptr);
  tw.file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})")
      .file("index.json", index.dump())
      .file("blobs/sha256/" + sha256_hex(gz), gz)
      .file("blobs/sha256/" + config_hex, config->data)
      .file("blobs/sha256/" + sha256_hex(mtext), mtext);
  write_file(sb().work("gz.tar"), tw.finish());
  auto r = berth_ok({"load", "-i", sb().work("gz.tar")});
  EXPECT_EQ(r.out, "Loaded image: gz:1\n");
  Json j = inspect("gz:1");
  EXPECT_EQ(j["Id"], "sha256:" + config_hex);
  EXPECT_EQ(j["RootFS"]["Layers"], Json::array({"sha256:" + sha256_hex(tar)}));
  // The manifest is kept byte for byte, with the gzip blob it names (as a pull keeps them), and
  // no uncompressed copy of the layer is written as a blob.
  Json entry = sb().index_entry("docker.io/library/gz:1");
  EXPECT_EQ(entry.value("digest", ""), "sha256:" + sha256_hex(mtext));
  EXPECT_EQ(read_file(sb().root() + "/blobs/sha256/" + sha256_hex(gz)), gz);
  EXPECT_FALSE(std::filesystem::exists(sb().root() + "/blobs/sha256/" + sha256_hex(tar)));
  EXPECT_EQ(j["Size"], 29) << "etc/seed (9 bytes) and hello.txt (20 bytes)";
  EXPECT_EQ(sb().store_problems(), "");
}

}  // namespace
}  // namespace berth::it
