// Images of several layers (downloaded at once, applied as they arrive), layers shared between
// images ("Already exists"), and `pull -a`.
#include <filesystem>
#include <regex>

#include "local_registry.h"

namespace berth::it {
namespace {

class PullLayers : public RegistryTest {
 protected:
  void put_blob(const std::string& layout, const std::string& data) {
    write_file(layout + "/blobs/sha256/" + sha256_hex(data), data);
  }

  // An OCI layout at `layout` holding busybox with two more gzip layers on top (/layer2.txt,
  // /layer3.txt), tagged "layers".
  bool make_layered_layout(const std::string& layout) {
    std::filesystem::create_directories(layout + "/blobs/sha256");
    Json base = sb().manifest(kBusybox);
    if (!base.is_object()) {
      return false;
    }
    Json config = parse_json(sb().blob(base["config"]["digest"]), "busybox config");
    config.erase("history");
    Json manifest = base;
    put_blob(layout, sb().blob(base["layers"][0]["digest"]));
    for (std::string name : {"layer2", "layer3"}) {
      std::string tar = TarWriter().file(name + ".txt", name + "\n").finish();
      std::string gz = compress(tar, "gzip");
      put_blob(layout, gz);
      config["rootfs"]["diff_ids"].push_back("sha256:" + sha256_hex(tar));
      manifest["layers"].push_back({{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"},
                                    {"digest", "sha256:" + sha256_hex(gz)},
                                    {"size", gz.size()}});
    }
    std::string config_bytes = config.dump();
    put_blob(layout, config_bytes);
    manifest["config"]["digest"] = "sha256:" + sha256_hex(config_bytes);
    manifest["config"]["size"] = config_bytes.size();
    std::string manifest_bytes = manifest.dump();
    put_blob(layout, manifest_bytes);
    write_file(layout + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
    Json index = {{"schemaVersion", 2},
                  {"manifests",
                   {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                     {"digest", "sha256:" + sha256_hex(manifest_bytes)},
                     {"size", manifest_bytes.size()},
                     {"annotations", {{"org.opencontainers.image.ref.name", "layers"}}}}}}};
    write_file(layout + "/index.json", index.dump());
    return true;
  }
};

std::vector<std::string> lines_matching(const std::string& text, const std::string& pattern) {
  std::regex re(pattern);
  std::vector<std::string> out;
  for (const auto& l : split_lines(text)) {
    if (std::regex_match(l, re)) {
      out.push_back(l);
    }
  }
  return out;
}

TEST_F(PullLayers, EveryLayerIsPulledAndSharedLayersAlreadyExist) {
  LocalRegistry reg(sb(), "registry");
  if (!reg.skip_reason().empty()) {
    GTEST_SKIP() << reg.skip_reason();
  }
  std::string layout = sb().work("layout");
  ASSERT_TRUE(make_layered_layout(layout));
  auto copy = run_process({"skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                           "oci:" + layout + ":layers", "docker://" + reg.host() + "/app:3"});
  ASSERT_TRUE(copy.ok()) << copy.describe();
  ASSERT_TRUE(reg.push_from_store(sb().root(), kBusybox, "busybox:latest"));

  std::string store = sb().new_root("fresh");
  auto first = berth_in(store, {"pull", reg.host() + "/busybox"});
  ASSERT_TRUE(first.ok()) << first.describe();
  auto pull = berth_in(store, {"pull", reg.host() + "/app:3"});
  ASSERT_TRUE(pull.ok()) << pull.describe();
  EXPECT_EQ(lines_matching(pull.out, "[0-9a-f]{12}: Pull complete").size(), 2u) << pull.out;
  EXPECT_EQ(lines_matching(pull.out, "[0-9a-f]{12}: Already exists").size(), 1u)
      << "busybox's layer came with the first pull: " << pull.out;
  EXPECT_EQ(sb().store_problems(store), "");
  auto run =
      berth_in(store, {"run", "--rm", reg.host() + "/app:3", "cat", "/layer2.txt", "/layer3.txt"});
  EXPECT_EQ(run.out, "layer2\nlayer3\n") << run.describe();
}

TEST_F(PullLayers, AllTagsPullsEveryTagOfTheRepository) {
  LocalRegistry reg(sb(), "registry");
  if (!reg.skip_reason().empty()) {
    GTEST_SKIP() << reg.skip_reason();
  }
  ASSERT_TRUE(reg.push_from_store(sb().root(), kBusybox, "busybox:latest"));
  ASSERT_TRUE(reg.push_from_store(sb().root(), kBusybox, "busybox:1.0"));
  std::string store = sb().new_root("fresh");
  auto pull = berth_in(store, {"pull", "-a", reg.host() + "/busybox"});
  ASSERT_TRUE(pull.ok()) << pull.describe();
  auto lines = split_lines(pull.out);
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines.back(), reg.host() + "/busybox");
  EXPECT_EQ(lines[lines.size() - 2],
            "Status: Downloaded newer image for " + reg.host() + "/busybox");
  EXPECT_EQ(lines_matching(pull.out, ".*: Pulling from busybox").size(), 2u) << pull.out;
  auto images = berth_in(store, {"images", "--format", "{{.Tag}}"});
  EXPECT_EQ(
      images.out.find("latest") != std::string::npos && images.out.find("1.0") != std::string::npos,
      true)
      << images.describe();
  auto tagged = berth_in(store, {"pull", "-a", reg.host() + "/busybox:latest"});
  EXPECT_EQ(tagged.exit_code, 1) << tagged.describe();
  EXPECT_NE(tagged.err.find("tag can't be used with --all-tags/-a"), std::string::npos)
      << tagged.describe();
}

}  // namespace
}  // namespace berth::it
