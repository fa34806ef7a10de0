// Bad input: corrupt or truncated tarballs, digest mismatches, unknown media types, malformed
// references and JSON. Each is refused with exit 1 and a one-line error naming the file and
// the problem, and the store is exactly as it was (every path, type, mode, size and content).
#include <cstdint>

#include "sandbox.h"

namespace berth::it {
namespace {

std::string garbage(size_t n, uint32_t seed) {
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    seed = seed * 1664525u + 1013904223u;
    s += static_cast<char>(seed >> 24);
  }
  return s;
}

// A tar whose one file is large enough to cut in the middle of its data.
std::string big_tar() {
  return TarWriter().dir("data/").file("data/blob.bin", garbage(200000, 7)).finish();
}

class BadInput : public BusyboxTest {
 protected:
  // A used but empty store beside ours (to load into a store that lacks the blobs): one image
  // imported and removed, so that its lock files and directories exist like any store's.
  std::string fresh_store(const std::string& name) {
    std::string root = sb().new_root(name);
    write_file(sb().work(name + "-seed.tar"), tiny_rootfs_tar(name));
    for (std::vector<std::string> args :
         {std::vector<std::string>{"import", sb().work(name + "-seed.tar"), "seed:1"},
          std::vector<std::string>{"rmi", "seed:1"}}) {
      auto r = sb().berth_at(root, args);
      EXPECT_TRUE(r.ok()) << r.describe();
    }
    return root;
  }

  // Runs berth on `root` and checks the refusal: 1, one line naming `mentions`, no change.
  void expect_store_refuses(const std::string& root, const std::vector<std::string>& args,
                            const std::vector<std::string>& mentions, const RunOptions& o = {}) {
    auto before = snapshot_tree(root);
    auto r = sb().berth_at(root, args, o);
    expect_refused(r, mentions, before, snapshot_tree(root));
  }

  void expect_refuses(const std::vector<std::string>& args,
                      const std::vector<std::string>& mentions, const RunOptions& o = {}) {
    expect_store_refuses(sb().root(), args, mentions, o);
  }

  // Saves busybox, extracts the archive into a directory and returns that directory.
  std::string saved_layout(const std::string& format, const std::string& name) {
    std::string archive = sb().work(name + ".tar");
    berth_ok({"save", "--format", format, "-o", archive, "busybox"});
    std::string dir = sb().work(name);
    extract_tar(archive, dir);
    return dir;
  }
};

TEST_F(BadInput, ImportOfAGarbageFileIsRefused) {
  write_file(sb().work("garbage.tar"), garbage(5000, 1));
  expect_refuses({"import", sb().work("garbage.tar"), "bad:1"}, {"garbage.tar"});
}

TEST_F(BadInput, ImportOfATruncatedTarIsRefused) {
  write_file(sb().work("truncated.tar"), big_tar().substr(0, 50000));
  expect_refuses({"import", sb().work("truncated.tar"), "bad:1"}, {"truncated.tar", "truncat"});
}

TEST_F(BadInput, ImportOfATruncatedGzipTarballIsRefused) {
  std::string gz = compress(big_tar(), "gzip");
  ASSERT_GT(gz.size(), 1000u);
  write_file(sb().work("truncated.tar.gz"), gz.substr(0, gz.size() / 2));
  expect_refuses({"import", sb().work("truncated.tar.gz"), "bad:1"}, {"truncated.tar.gz"});
}

TEST_F(BadInput, ImportOfACorruptGzipTarballIsRefused) {
  std::string gz = compress(big_tar(), "gzip");
  ASSERT_GT(gz.size(), 1000u);
  for (size_t i = gz.size() / 2; i < gz.size() / 2 + 64; ++i) {
    gz[i] = static_cast<char>(gz[i] ^ 0x5a);
  }
  write_file(sb().work("corrupt.tar.gz"), gz);
  expect_refuses({"import", sb().work("corrupt.tar.gz"), "bad:1"}, {"corrupt.tar.gz"});
}

TEST_F(BadInput, ImportOfATruncatedZstdTarballIsRefused) {
  std::string zst = compress(big_tar(), "zstd");
  ASSERT_GT(zst.size(), 1000u);
  write_file(sb().work("truncated.tar.zst"), zst.substr(0, zst.size() / 2));
  expect_refuses({"import", sb().work("truncated.tar.zst"), "bad:1"}, {"truncated.tar.zst"});
}

TEST_F(BadInput, ImportOfGarbageFromStdinIsRefused) {
  RunOptions o;
  o.input = garbage(5000, 2);
  expect_refuses({"import", "-", "bad:1"}, {"stdin"}, o);
}

TEST_F(BadInput, ImportWithAMalformedReferenceIsRefusedBeforeWriting) {
  write_file(sb().work("ok.tar"), tiny_rootfs_tar("ok"));
  expect_refuses({"import", sb().work("ok.tar"), "UPPER:x"}, {"UPPER:x"});
}

TEST_F(BadInput, TagWithAMalformedReferenceIsRefused) {
  expect_refuses({"tag", "busybox", "UPPER:x"}, {"UPPER:x", "invalid reference format"});
}

TEST_F(BadInput, LoadOfAnOciArchiveWithAnAlteredBlobIsRefused) {
  std::string dir = saved_layout("oci-archive", "altered");
  Json index = parse_json(read_file(dir + "/index.json"), "index.json");
  ASSERT_TRUE(index.is_object());
  std::string mdigest = index["manifests"][0]["digest"];
  Json manifest = parse_json(read_file(dir + "/blobs/sha256/" + mdigest.substr(7)), "manifest");
  ASSERT_TRUE(manifest.is_object());
  std::string layer_hex = manifest["layers"][0]["digest"].get<std::string>().substr(7);
  std::string layer_path = dir + "/blobs/sha256/" + layer_hex;
  std::string layer = read_file(layer_path);
  ASSERT_GT(layer.size(), 100000u);
  // One byte in the middle of the busybox binary: the tar stays valid, only the digest differs.
  layer[layer.size() / 2] = static_cast<char>(layer[layer.size() / 2] ^ 0x01);
  write_file(layer_path, layer);
  write_file(sb().work("altered-repacked.tar"), tar_directory(dir));
  std::string root = fresh_store("altered-root");
  expect_store_refuses(root, {"load", "-i", sb().work("altered-repacked.tar")},
                       {layer_hex.substr(0, 12), "digest"});
  EXPECT_EQ(sb().berth_at(root, {"images", "-q"}).out, "");
}

TEST_F(BadInput, LoadOfADockerArchiveWithMalformedManifestJsonIsRefused) {
  std::string dir = saved_layout("docker-archive", "badjson");
  write_file(dir + "/manifest.json", R"([{"Config": "abc.json", "RepoTags": ["x:1"], "Layers": [)");
  write_file(sb().work("badjson-repacked.tar"), tar_directory(dir));
  expect_refuses({"load", "-i", sb().work("badjson-repacked.tar")}, {"manifest.json"});
}

TEST_F(BadInput, LoadOfADockerArchiveWhoseLayerDoesNotMatchItsDiffIdIsRefused) {
  HandmadeImage image{tiny_rootfs_tar("expected"), "", "mismatch:1"};
  auto entries = read_tar(handmade_docker_archive(image));
  TarWriter tw;
  for (const auto& e : entries) {
    if (e.type == '5') {
      tw.dir(e.name);
    } else if (e.name.ends_with("layer.tar")) {
      tw.file(e.name, tiny_rootfs_tar("something else"));  // not the config's diff ID
    } else {
      tw.file(e.name, e.data);
    }
  }
  write_file(sb().work("mismatch.tar"), tw.finish());
  expect_refuses({"load", "-i", sb().work("mismatch.tar")},
                 {sha256_hex(image.layer_tar).substr(0, 12)});
}

TEST_F(BadInput, LoadOfAnOciArchiveWithAnUnknownLayerMediaTypeIsRefused) {
  HandmadeImage image{tiny_rootfs_tar("mt"), "application/vnd.example.unknown.v1",
                      "docker.io/library/mt:1"};
  write_file(sb().work("mediatype.tar"), handmade_oci_archive(image));
  expect_refuses({"load", "-i", sb().work("mediatype.tar")},
                 {"application/vnd.example.unknown.v1"});
}

TEST_F(BadInput, LoadOfAnOciArchiveWithAMissingBlobIsRefused) {
  HandmadeImage image{tiny_rootfs_tar("missing"), "application/vnd.oci.image.layer.v1.tar",
                      "docker.io/library/missing:1"};
  auto entries = read_tar(handmade_oci_archive(image));
  std::string layer_hex = sha256_hex(image.layer_tar);
  TarWriter tw;
  for (const auto& e : entries) {
    if (e.type == '5') {
      tw.dir(e.name);
    } else if (e.name != "blobs/sha256/" + layer_hex) {
      tw.file(e.name, e.data);
    }
  }
  write_file(sb().work("missing-blob.tar"), tw.finish());
  expect_refuses({"load", "-i", sb().work("missing-blob.tar")}, {layer_hex.substr(0, 12)});
}

TEST_F(BadInput, LoadOfAnOciArchiveWithMalformedIndexJsonIsRefused) {
  std::string dir = saved_layout("oci-archive", "badindex");
  write_file(dir + "/index.json", R"({"schemaVersion": 2, "manifests": [{"digest": )");
  write_file(sb().work("badindex-repacked.tar"), tar_directory(dir));
  std::string root = fresh_store("badindex-root");
  expect_store_refuses(root, {"load", "-i", sb().work("badindex-repacked.tar")}, {"index.json"});
}

TEST_F(BadInput, LoadOfATruncatedArchiveIsRefused) {
  berth_ok({"save", "-o", sb().work("full.tar"), "busybox"});
  std::string archive = read_file(sb().work("full.tar"));
  write_file(sb().work("half.tar"), archive.substr(0, archive.size() / 2));
  std::string root = fresh_store("half-root");
  expect_store_refuses(root, {"load", "-i", sb().work("half.tar")}, {"half.tar"});
}

TEST_F(BadInput, LoadOfAGarbageFileIsRefused) {
  write_file(sb().work("garbage-load.tar"), garbage(5000, 3));
  expect_refuses({"load", "-i", sb().work("garbage-load.tar")}, {"garbage-load.tar"});
}

TEST_F(BadInput, LoadOfEmptyStdinIsRefused) {
  RunOptions o;
  o.input = "";
  expect_refuses({"load"}, {"stdin"}, o);
}

}  // namespace
}  // namespace berth::it
