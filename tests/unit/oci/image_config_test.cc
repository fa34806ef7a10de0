#include "oci/image_config.h"

#include <gtest/gtest.h>

namespace berth::oci {
namespace {

constexpr std::string_view kDiff1 =
    "sha256:0697c0f434f8672811eb1b52d443d0d4cb616fa58e4d10b25e91471b7f45a665";
constexpr std::string_view kDiff2 =
    "sha256:a9485d17c39b521f9de31b558df98f81dd72a9c7498f57f27b74356ea150fbd9";

// A config as the classic docker builder writes it: moby marshals the top level through a map
// (alphabetical), container.Config in its struct order with null and false members, Docker-only
// members (container, container_config, docker_version), and moby's History order (author before
// created_by) in the last entry.
constexpr std::string_view kDockerConfigDoc =
    R"({"architecture":"amd64","config":{"Hostname":"","Domainname":"","User":"app",)"
    R"("AttachStdin":false,"AttachStdout":false,"AttachStderr":false,)"
    R"("ExposedPorts":{"443/tcp":{},"80/tcp":{}},"Tty":false,"OpenStdin":false,"StdinOnce":false,)"
    R"("Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",)"
    R"("NGINX_VERSION=1.25.3"],"Cmd":["nginx","-g","daemon off;"],)"
    R"("Healthcheck":{"Test":["CMD-SHELL","curl -f http://localhost/ || exit 1"],)"
    R"("Interval":30000000000,"Timeout":5000000000,"StartPeriod":10000000000,"Retries":3},)"
    R"("ArgsEscaped":true,)"
    R"("Image":"sha256:0697c0f434f8672811eb1b52d443d0d4cb616fa58e4d10b25e91471b7f45a665",)"
    R"("Volumes":{"/data":{}},"WorkingDir":"","Entrypoint":["/docker-entrypoint.sh"],)"
    R"("OnBuild":null,"Labels":{"maintainer":"NGINX \u003cdocker-maint@nginx.com\u003e"},)"
    R"("StopSignal":"SIGQUIT"},"container":"2f1e5b6a7c8d",)"
    R"("container_config":{"Hostname":"2f1e5b6a7c8d","Cmd":["/bin/sh","-c","#(nop) ",)"
    R"("CMD [\"nginx\" \"-g\" \"daemon off;\"]"],"Image":"sha256:abc","Volumes":null},)"
    R"("created":"2023-11-01T12:34:56.123456789Z","docker_version":"20.10.23",)"
    R"("history":[{"created":"2023-11-01T00:00:00.5Z",)"
    R"("created_by":"/bin/sh -c #(nop) ADD file:abc in / "},)"
    R"({"created":"2023-11-01T00:00:01Z","created_by":"/bin/sh -c #(nop)  CMD [\"bash\"]",)"
    R"("empty_layer":true},{"created":"2023-11-01T12:34:56.123456789Z","author":"NGINX",)"
    R"("created_by":"/bin/sh -c apt-get install -y nginx \u0026\u0026 rm -rf /var/lib/apt",)"
    R"("comment":"install"}],"os":"linux","rootfs":{"type":"layers","diff_ids":[)"
    R"("sha256:0697c0f434f8672811eb1b52d443d0d4cb616fa58e4d10b25e91471b7f45a665",)"
    R"("sha256:a9485d17c39b521f9de31b558df98f81dd72a9c7498f57f27b74356ea150fbd9"]}})";

// A config as BuildKit writes it: top level alphabetical, an unknown BuildKit member between
// the known ones, OnBuild null, and an empty diff_ids list.
constexpr std::string_view kBuildkitConfigDoc =
    R"({"architecture":"arm64","config":{"Env":["PATH=/bin"],"Cmd":["/bin/sh"],)"
    R"("WorkingDir":"/","ArgsEscaped":true,"OnBuild":null},"created":"2024-05-06T07:08:09Z",)"
    R"("history":[{"created":"2024-05-06T07:08:09Z","created_by":"LABEL a=b",)"
    R"("comment":"buildkit.dockerfile.v0","empty_layer":true}],)"
    R"("moby.buildkit.buildinfo.v1":"eyJmcm9udGVuZCI6ImRvY2tlcmZpbGUudjAifQ==",)"
    R"("os":"linux","rootfs":{"type":"layers","diff_ids":[]},"variant":"v8"})";

ImageConfig parsed_config(std::string_view doc) {
  auto c = ImageConfig::parse(doc, "config");
  EXPECT_TRUE(c) << c.error().str();
  return c ? *c : ImageConfig{};
}

void expect_config_error(std::string_view doc, Code code, std::string_view text) {
  auto c = ImageConfig::parse(doc, "config sha256:x");
  ASSERT_FALSE(c) << doc;
  EXPECT_EQ(c.error().code(), code) << c.error().str();
  EXPECT_NE(c.error().str().find(text), std::string::npos) << c.error().str();
  EXPECT_EQ(c.error().str().rfind("config sha256:x", 0), 0u) << c.error().str();
}

TEST(ImageConfig, DockerConfigParsesEveryModelledField) {
  ImageConfig c = parsed_config(kDockerConfigDoc);
  EXPECT_EQ(c.architecture, "amd64");
  EXPECT_EQ(c.os, "linux");
  EXPECT_EQ(c.created, "2023-11-01T12:34:56.123456789Z");
  EXPECT_EQ(c.config.user, "app");
  EXPECT_EQ(c.config.exposed_ports, (std::vector<std::string>{"443/tcp", "80/tcp"}));
  EXPECT_EQ(c.config.env.size(), 2u);
  EXPECT_EQ(*c.config.cmd, (std::vector<std::string>{"nginx", "-g", "daemon off;"}));
  EXPECT_EQ(*c.config.entrypoint, (std::vector<std::string>{"/docker-entrypoint.sh"}));
  EXPECT_EQ(c.config.volumes, (std::vector<std::string>{"/data"}));
  EXPECT_EQ(c.config.labels.at("maintainer"), "NGINX <docker-maint@nginx.com>");
  EXPECT_EQ(c.config.stop_signal, "SIGQUIT");
  EXPECT_TRUE(c.config.args_escaped);
  ASSERT_TRUE(c.config.healthcheck);
  EXPECT_EQ(c.config.healthcheck->test,
            (std::vector<std::string>{"CMD-SHELL", "curl -f http://localhost/ || exit 1"}));
  EXPECT_EQ(c.config.healthcheck->interval, 30000000000);
  EXPECT_EQ(c.config.healthcheck->timeout, 5000000000);
  EXPECT_EQ(c.config.healthcheck->start_period, 10000000000);
  EXPECT_EQ(c.config.healthcheck->retries, 3);
  EXPECT_EQ(c.config.extra.at("Image"), std::string(kDiff1));
  EXPECT_TRUE(c.config.extra.contains("Hostname"));
  EXPECT_EQ(c.diff_ids, (std::vector<Digest>{*Digest::parse(kDiff1), *Digest::parse(kDiff2)}));
  ASSERT_EQ(c.history.size(), 3u);
  EXPECT_TRUE(c.history[1].empty_layer);
  EXPECT_EQ(c.history[2].author, "NGINX");
  EXPECT_EQ(c.history[2].comment, "install");
  EXPECT_EQ(c.extra.at("docker_version"), "20.10.23");
  EXPECT_TRUE(c.extra.contains("container_config"));
  EXPECT_FALSE(c.extra.contains("rootfs"));
}

TEST(ImageConfig, DockerConfigRoundTripsByteForByte) {
  EXPECT_EQ(parsed_config(kDockerConfigDoc).serialize(), kDockerConfigDoc);
}

TEST(ImageConfig, BuildkitConfigRoundTripsByteForByte) {
  ImageConfig c = parsed_config(kBuildkitConfigDoc);
  EXPECT_EQ(c.variant, "v8");
  EXPECT_TRUE(c.diff_ids.empty());
  EXPECT_EQ(c.platform().str(), "linux/arm64/v8");
  EXPECT_EQ(c.serialize(), kBuildkitConfigDoc);
}

TEST(ImageConfig, BuiltInCodeSerialisesInImageSpecOrder) {
  ImageConfig c;
  c.created = "2024-01-02T03:04:05Z";
  c.author = "me";
  c.architecture = "arm64";
  c.variant = "v8";
  c.os = "linux";
  c.config.env = {"PATH=/bin"};
  c.config.cmd = std::vector<std::string>{"sh"};
  c.diff_ids = {*Digest::parse(kDiff1)};
  c.history = {{"2024-01-02T03:04:05Z", "ADD x /", "", "", false}};
  c.extra["docker_version"] = "1";
  std::string want = R"({"created":"2024-01-02T03:04:05Z","author":"me","architecture":"arm64",)"
                     R"("variant":"v8","os":"linux","config":{"Env":["PATH=/bin"],"Cmd":["sh"]},)"
                     R"("rootfs":{"type":"layers","diff_ids":[")" +
                     std::string(kDiff1) +
                     R"("]},"history":[{"created":"2024-01-02T03:04:05Z","created_by":"ADD x /"}],)"
                     R"("docker_version":"1"})";
  EXPECT_EQ(c.serialize(), want);
  EXPECT_EQ(parsed_config(want).serialize(), want);
}

TEST(ImageConfig, EmptyConfigKeepsTheMembersGoAlwaysWrites) {
  EXPECT_EQ(ImageConfig{}.serialize(),
            R"({"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":[]}})");
}

TEST(ImageConfig, ChangedFieldsStayInPlaceClearedOnesGoAndNewOnesFollow) {
  ImageConfig c = parsed_config(kBuildkitConfigDoc);
  c.config.cmd = std::vector<std::string>{"echo", "<hi>"};
  c.config.working_dir.clear();
  c.config.on_build = {"RUN true"};
  c.config.user = "nobody";
  c.extra.erase("moby.buildkit.buildinfo.v1");
  c.author = "someone";
  EXPECT_EQ(c.serialize(),
            R"({"architecture":"arm64","config":{"Env":["PATH=/bin"],)"
            R"("Cmd":["echo","\u003chi\u003e"],"ArgsEscaped":true,"OnBuild":["RUN true"],)"
            R"("User":"nobody"},"created":"2024-05-06T07:08:09Z","history":[{"created":)"
            R"("2024-05-06T07:08:09Z","created_by":"LABEL a=b","comment":)"
            R"("buildkit.dockerfile.v0","empty_layer":true}],"os":"linux","rootfs":{"type":)"
            R"("layers","diff_ids":[]},"variant":"v8","author":"someone"})");
}

TEST(ImageConfig, ClearingOriginalAndExtraGivesImageSpecOrder) {
  ImageConfig c = parsed_config(kBuildkitConfigDoc);
  c.original = Json();
  c.extra = Json::object();
  EXPECT_EQ(c.serialize(),
            R"({"created":"2024-05-06T07:08:09Z","architecture":"arm64","variant":"v8",)"
            R"("os":"linux","config":{"Env":["PATH=/bin"],"Cmd":["/bin/sh"],"WorkingDir":"/",)"
            R"("ArgsEscaped":true},"rootfs":{"type":"layers","diff_ids":[]},"history":[{)"
            R"("created":"2024-05-06T07:08:09Z","created_by":"LABEL a=b","comment":)"
            R"("buildkit.dockerfile.v0","empty_layer":true}]})");
}

TEST(ImageConfig, StrSliceMembersAcceptASingleString) {
  ImageConfig c =
      parsed_config(R"({"config":{"Cmd":"echo hi","Entrypoint":null,"Shell":"/bin/bash"},)"
                    R"("rootfs":{"type":"layers"}})");
  EXPECT_EQ(*c.config.cmd, std::vector<std::string>{"echo hi"});
  EXPECT_FALSE(c.config.entrypoint);
  EXPECT_EQ(c.config.shell, std::vector<std::string>{"/bin/bash"});
}

TEST(ImageConfig, RootfsMustBePresentAndOfTypeLayers) {
  expect_config_error(R"({"architecture":"amd64","os":"linux"})", Code::kCorrupt, "'rootfs'");
  expect_config_error(R"({"rootfs":{"diff_ids":[]}})", Code::kCorrupt,
                      "rootfs: missing field 'type'");
  expect_config_error(R"({"rootfs":{"type":"layers+base","diff_ids":[]}})", Code::kUnsupported,
                      "layers+base");
  expect_config_error(R"({"rootfs":{"type":"layers","diff_ids":[")" + std::string(kDiff1) +
                          R"(","sha256:nothex"]}})",
                      Code::kCorrupt, "rootfs: diff_ids[1]: invalid digest 'sha256:nothex'");
  expect_config_error(R"({"rootfs":{"type":"layers","diff_ids":"x"}})", Code::kCorrupt, "diff_ids");
}

TEST(ImageConfig, MistypedMembersAreCorruptNamingThem) {
  const std::string rootfs = R"("rootfs":{"type":"layers","diff_ids":[]})";
  expect_config_error(R"({"created":5,)" + rootfs + "}", Code::kCorrupt, "'created'");
  expect_config_error(R"({"config":[],)" + rootfs + "}", Code::kCorrupt, "config");
  expect_config_error(R"({"config":{"Env":[1]},)" + rootfs + "}", Code::kCorrupt,
                      "config: field 'Env'");
  expect_config_error(R"({"config":{"ExposedPorts":["80/tcp"]},)" + rootfs + "}", Code::kCorrupt,
                      "ExposedPorts");
  expect_config_error(R"({"config":{"Healthcheck":{"Interval":"30s"}},)" + rootfs + "}",
                      Code::kCorrupt, "config: Healthcheck: field 'Interval'");
  expect_config_error(R"({"config":{"ArgsEscaped":"yes"},)" + rootfs + "}", Code::kCorrupt,
                      "ArgsEscaped");
  expect_config_error(R"({"history":{},)" + rootfs + "}", Code::kCorrupt, "'history'");
  expect_config_error(R"({"history":[{"empty_layer":1}],)" + rootfs + "}", Code::kCorrupt,
                      "history[0]: field 'empty_layer'");
  expect_config_error(R"("just a string")", Code::kCorrupt, "not a JSON object");
  expect_config_error(R"({"rootfs":)", Code::kCorrupt, "invalid JSON");
}

TEST(ContainerConfig, ToJsonFollowsGoStructOrderAndSortsSets) {
  ContainerConfig c;
  c.shell = {"/bin/sh", "-c"};
  c.on_build = {"RUN x"};
  c.healthcheck = HealthConfig{{"CMD", "true"}, 1000000000, 0, 0, 500000000, 2};
  c.args_escaped = true;
  c.stop_signal = "SIGTERM";
  c.labels = {{"b", "2"}, {"a", "1"}};
  c.working_dir = "/srv";
  c.volumes = {"/var", "/data"};
  c.cmd = std::vector<std::string>{"run"};
  c.entrypoint = std::vector<std::string>{"/init"};
  c.env = {"A=1"};
  c.exposed_ports = {"8080/tcp", "53/udp"};
  c.user = "1000:1000";
  c.extra["Image"] = "";
  EXPECT_EQ(to_go_json(c.to_json()),
            R"({"User":"1000:1000","ExposedPorts":{"53/udp":{},"8080/tcp":{}},"Env":["A=1"],)"
            R"("Entrypoint":["/init"],"Cmd":["run"],"Volumes":{"/data":{},"/var":{}},)"
            R"("WorkingDir":"/srv","Labels":{"a":"1","b":"2"},"StopSignal":"SIGTERM",)"
            R"("ArgsEscaped":true,"Healthcheck":{"Test":["CMD","true"],"Interval":1000000000,)"
            R"("StartInterval":500000000,"Retries":2},"OnBuild":["RUN x"],)"
            R"("Shell":["/bin/sh","-c"],"Image":""})");
  auto back = ContainerConfig::from_json(c.to_json());
  ASSERT_TRUE(back) << back.error().str();
  EXPECT_EQ(to_go_json(back->to_json()), to_go_json(c.to_json()));
  EXPECT_EQ(back->healthcheck, c.healthcheck);
}

TEST(ContainerConfig, EmptyCmdAndEntrypointAreLeftOutAsGoOmitsThem) {
  ContainerConfig c;
  c.cmd = std::vector<std::string>{};
  EXPECT_EQ(to_go_json(c.to_json()), "{}");
  auto nulls = ContainerConfig::from_json(Json());
  ASSERT_TRUE(nulls);
  EXPECT_FALSE(nulls->cmd);
}

}  // namespace
}  // namespace berth::oci
