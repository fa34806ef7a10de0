// Pulling from an image index: the host's platform by default, --platform's when given, and a
// single-platform image refused for another platform.
#include <sys/utsname.h>

#include "local_registry.h"

namespace berth::it {
namespace {

std::string host_arch() {
  utsname u{};
  ::uname(&u);
  std::string m = u.machine;
  return m == "x86_64" ? "amd64" : m == "aarch64" ? "arm64" : m;
}

using PullPlatform = RegistryTest;

TEST_F(PullPlatform, IndexGivesTheHostsManifestOrTheOneAskedFor) {
  LocalRegistry reg(sb(), "registry");
  if (!reg.skip_reason().empty()) {
    GTEST_SKIP() << reg.skip_reason();
  }
  if (!find_program("curl")) {
    GTEST_SKIP() << missing_tool_message("curl");
  }
  std::string other_id = sb().import_tar(tiny_rootfs_tar("other platform"), "other:latest");
  ASSERT_FALSE(other_id.empty());
  ASSERT_TRUE(reg.push_from_store(sb().root(), "docker.io/library/busybox:latest", "multi:host"));
  ASSERT_TRUE(reg.push_from_store(sb().root(), "docker.io/library/other:latest", "multi:other"));
  // The manifests exactly as served: their digests are what the index names. skopeo inspect
  // --raw prints the bytes; re-dumping parsed JSON would change them, so read them raw.
  auto raw = [&](const std::string& tag) {
    auto r = run_process({"skopeo", "inspect", "--raw", "--tls-verify=false",
                          "docker://" + reg.host() + "/multi:" + tag});
    EXPECT_TRUE(r.ok()) << r.describe();
    return r.out;
  };
  std::string host_raw = raw("host"), other_raw = raw("other");
  std::string other_arch = host_arch() == "arm64" ? "amd64" : "arm64";
  auto entry = [](const std::string& bytes, const std::string& arch) {
    Json m = parse_json(bytes, "manifest");
    return Json{{"mediaType", m.value("mediaType", "application/vnd.oci.image.manifest.v1+json")},
                {"digest", "sha256:" + sha256_hex(bytes)},
                {"size", bytes.size()},
                {"platform", {{"architecture", arch}, {"os", "linux"}}}};
  };
  Json index = {{"schemaVersion", 2},
                {"mediaType", "application/vnd.oci.image.index.v1+json"},
                {"manifests", {entry(other_raw, other_arch), entry(host_raw, host_arch())}}};
  write_file(sb().work("index.json"), index.dump());
  auto put = run_process({"curl", "-sSf", "-X", "PUT", "-H",
                          "Content-Type: application/vnd.oci.image.index.v1+json", "--data-binary",
                          "@" + sb().work("index.json"),
                          "http://" + reg.host() + "/v2/multi/manifests/latest"});
  ASSERT_TRUE(put.ok()) << put.describe();
  std::string ref = reg.host() + "/multi:latest";

  std::string store = sb().new_root("host");
  auto pull = berth_in(store, {"pull", ref});
  ASSERT_TRUE(pull.ok()) << pull.describe();
  EXPECT_NE(pull.out.find("Digest: sha256:" + sha256_hex(index.dump())), std::string::npos)
      << "the digest shown is the index's: " << pull.out;
  auto id = berth_in(store, {"image", "inspect", "--format", "{{.Id}}", ref});
  EXPECT_EQ(id.out, busybox_ + "\n") << id.describe();
  auto run = berth_in(store, {"run", "--rm", ref, "echo", "host platform"});
  EXPECT_EQ(run.out, "host platform\n") << run.describe();

  std::string other_store = sb().new_root("other");
  auto other = berth_in(other_store, {"pull", "--platform", "linux/" + other_arch, ref});
  ASSERT_TRUE(other.ok()) << other.describe();
  auto other_inspect = berth_in(other_store, {"image", "inspect", "--format", "{{.Id}}", ref});
  EXPECT_EQ(other_inspect.out, other_id + "\n") << other_inspect.describe();

  auto none = berth_in(sb().new_root("none"), {"pull", "--platform", "linux/s390x", ref});
  EXPECT_EQ(none.exit_code, 1) << none.describe();
  EXPECT_NE(none.err.find("no matching manifest for linux/s390x"), std::string::npos)
      << none.describe();
}

TEST_F(PullPlatform, SinglePlatformImageIsRefusedForAnotherPlatform) {
  LocalRegistry reg(sb(), "registry");
  if (!reg.skip_reason().empty()) {
    GTEST_SKIP() << reg.skip_reason();
  }
  ASSERT_TRUE(reg.push_from_store(sb().root(), "docker.io/library/busybox:latest", "busybox:1"));
  std::string other_arch = host_arch() == "arm64" ? "amd64" : "arm64";
  std::string store = sb().new_root("fresh");
  auto r =
      berth_in(store, {"pull", "--platform", "linux/" + other_arch, reg.host() + "/busybox:1"});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_TRUE(is_one_line(r.err)) << r.describe();
  EXPECT_NE(r.err.find("does not match the specified platform: wanted linux/" + other_arch),
            std::string::npos)
      << r.describe();
  auto ok =
      berth_in(store, {"pull", "--platform", "linux/" + host_arch(), reg.host() + "/busybox:1"});
  EXPECT_TRUE(ok.ok()) << ok.describe();
}

}  // namespace
}  // namespace berth::it
