#include "registry/endpoint.h"

#include <gtest/gtest.h>

#include "base/fs.h"
#include "store/temp_dir.h"

namespace berth::registry {
namespace {

Endpoint endpoint_of(const std::string& s, const RegistryConfig& cfg = {}) {
  auto ref = oci::Reference::parse(s);
  EXPECT_TRUE(ref) << s;
  return resolve_endpoint(*ref, cfg);
}

TEST(Endpoint, DockerHubOfficialImagesGoToRegistryOneUnderLibrary) {
  auto e = endpoint_of("busybox");
  EXPECT_EQ(e.host, "registry-1.docker.io");
  EXPECT_EQ(e.repository, "library/busybox");
  EXPECT_FALSE(e.insecure);
}

TEST(Endpoint, DockerHubUserImagesKeepTheirPath) {
  auto e = endpoint_of("docker.io/someone/app:1");
  EXPECT_EQ(e.host, "registry-1.docker.io");
  EXPECT_EQ(e.repository, "someone/app");
}

TEST(Endpoint, OtherRegistriesAreUsedAsNamedWithoutLibrary) {
  auto e = endpoint_of("quay.io/prometheus/node-exporter:v1");
  EXPECT_EQ(e.host, "quay.io");
  EXPECT_EQ(e.repository, "prometheus/node-exporter");
  EXPECT_FALSE(e.insecure);
  EXPECT_EQ(endpoint_of("ghcr.io/busybox").repository, "busybox");
}

TEST(Endpoint, LoopbackRegistriesMayUsePlainHttp) {
  EXPECT_TRUE(endpoint_of("localhost:5000/app").insecure);
  EXPECT_TRUE(endpoint_of("localhost/app").insecure);
  EXPECT_TRUE(endpoint_of("127.0.0.1:5000/app").insecure);
  EXPECT_TRUE(endpoint_of("[::1]:5000/app").insecure);
  EXPECT_FALSE(endpoint_of("example.com:5000/app").insecure);
}

TEST(Endpoint, ConfiguredInsecureRegistriesMayUsePlainHttp) {
  auto cfg = parse_registry_config(R"({"insecure-registries": ["reg.lan:5000", "other.lan"]})",
                                   "registries.json");
  ASSERT_TRUE(cfg) << cfg.error().str();
  EXPECT_TRUE(endpoint_of("reg.lan:5000/app", *cfg).insecure);
  EXPECT_FALSE(endpoint_of("reg.lan:6000/app", *cfg).insecure);
  EXPECT_TRUE(endpoint_of("other.lan:7000/app", *cfg).insecure);
}

TEST(Endpoint, MalformedRegistryConfigIsRefusedNamingTheFile) {
  auto bad = parse_registry_config(R"({"insecure-registries": "x"})", "/etc/berth/registries.json");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().str().find("/etc/berth/registries.json"), std::string::npos);
  EXPECT_FALSE(parse_registry_config("{", "r.json"));
  EXPECT_TRUE(parse_registry_config("", "r.json"));
}

TEST(Endpoint, DockerHubPullsGoThroughTheMirrorsFirstInOrder) {
  auto cfg = parse_registry_config(
      R"({"registry-mirrors": ["https://mirror.lan", "http://10.0.0.5:5000/"]})", "r.json");
  ASSERT_TRUE(cfg) << cfg.error().str();
  auto ref = oci::Reference::parse("busybox:1.36");
  ASSERT_TRUE(ref);
  auto eps = pull_endpoints(*ref, *cfg);
  ASSERT_EQ(eps.size(), 3u);
  EXPECT_EQ(eps[0].host, "mirror.lan");
  EXPECT_FALSE(eps[0].insecure);
  EXPECT_EQ(eps[1].host, "10.0.0.5:5000");
  EXPECT_TRUE(eps[1].insecure) << "an http:// mirror is spoken to in plain HTTP";
  EXPECT_EQ(eps[2].host, "registry-1.docker.io");
  for (const auto& e : eps) {
    EXPECT_EQ(e.repository, "library/busybox");
  }
  auto other = oci::Reference::parse("quay.io/app/x:1");
  ASSERT_TRUE(other);
  auto one = pull_endpoints(*other, *cfg);
  ASSERT_EQ(one.size(), 1u) << "mirrors are for docker.io only";
  EXPECT_EQ(one[0].host, "quay.io");
}

TEST(Endpoint, MirrorsThatAreNotHttpUrlsOfAHostAreRefused) {
  for (const char* bad :
       {R"({"registry-mirrors": ["mirror.lan"]})", R"({"registry-mirrors": ["ftp://mirror.lan"]})",
        R"({"registry-mirrors": ["https://mirror.lan/some/path"]})",
        R"({"registry-mirrors": "https://mirror.lan"})"}) {
    auto cfg = parse_registry_config(bad, "/etc/berth/registries.json");
    ASSERT_FALSE(cfg) << bad;
    EXPECT_NE(cfg.error().str().find("/etc/berth/registries.json: "), std::string::npos)
        << cfg.error().str();
    EXPECT_NE(cfg.error().str().find("mirror"), std::string::npos) << cfg.error().str();
  }
}

TEST(Endpoint, ServerNamesOfLoginMapToHostsAndConfigKeys) {
  EXPECT_EQ(host_of_server(""), "registry-1.docker.io");
  EXPECT_EQ(host_of_server("docker.io"), "registry-1.docker.io");
  EXPECT_EQ(host_of_server("https://index.docker.io/v1/"), "registry-1.docker.io");
  EXPECT_EQ(host_of_server("https://reg:5000/"), "reg:5000");
  EXPECT_EQ(auth_key_of_server(""), "https://index.docker.io/v1/");
  EXPECT_EQ(auth_key_of_server("127.0.0.1:5000"), "127.0.0.1:5000");
  EXPECT_EQ(auth_key_of_server("http://127.0.0.1:5000/v2/"), "127.0.0.1:5000");
}

TEST(Endpoint, CertsDirectoryGivesCaAndClientCertificates) {
  testing::TempDir tmp;
  std::string host_dir = tmp.path() + "/certs.d/reg:5000";
  ASSERT_TRUE(mkdir_p(host_dir));
  ASSERT_TRUE(write_file_atomic(host_dir + "/ca.crt", "CA-PEM"));
  ASSERT_TRUE(write_file_atomic(host_dir + "/client.cert", "CERT"));
  ASSERT_TRUE(write_file_atomic(host_dir + "/client.key", "KEY"));
  RegistryConfig cfg;
  cfg.cert_dirs = {tmp.path() + "/missing", tmp.path() + "/certs.d"};
  auto tls = host_tls("reg:5000", cfg);
  EXPECT_NE(tls.ca_pem.find("CA-PEM"), std::string::npos);
  EXPECT_EQ(tls.client_cert, host_dir + "/client.cert");
  EXPECT_EQ(tls.client_key, host_dir + "/client.key");
  EXPECT_TRUE(host_tls("other:5000", cfg).ca_pem.empty());
}

}  // namespace
}  // namespace berth::registry
