#include "engine/image_change.h"

#include <gtest/gtest.h>

namespace berth::engine {
namespace {

TEST(ImageChange, EnvSetsAndReplacesVariables) {
  oci::ContainerConfig c;
  ASSERT_TRUE(apply_change(c, "ENV PATH=/bin"));
  ASSERT_TRUE(apply_change(c, "ENV A=1 B=\"two words\""));
  ASSERT_TRUE(apply_change(c, "ENV PATH=/usr/bin:/bin"));
  EXPECT_EQ(c.env, (std::vector<std::string>{"PATH=/usr/bin:/bin", "A=1", "B=two words"}));
}

TEST(ImageChange, LegacyEnvTakesTheRestOfTheLine) {
  oci::ContainerConfig c;
  ASSERT_TRUE(apply_change(c, "ENV GREETING hello world"));
  EXPECT_EQ(c.env, (std::vector<std::string>{"GREETING=hello world"}));
}

TEST(ImageChange, CmdAndEntrypointTakeExecAndShellForms) {
  oci::ContainerConfig c;
  ASSERT_TRUE(apply_change(c, R"(CMD ["sh", "-c", "echo hi"])"));
  EXPECT_EQ(*c.cmd, (std::vector<std::string>{"sh", "-c", "echo hi"}));
  ASSERT_TRUE(apply_change(c, "ENTRYPOINT /bin/run --fast"));
  EXPECT_EQ(*c.entrypoint, (std::vector<std::string>{"/bin/sh", "-c", "/bin/run --fast"}));
}

TEST(ImageChange, WorkdirUserExposeLabelVolumeStopsignal) {
  oci::ContainerConfig c;
  ASSERT_TRUE(apply_change(c, "WORKDIR /app"));
  ASSERT_TRUE(apply_change(c, "user app:app"));
  ASSERT_TRUE(apply_change(c, "EXPOSE 80 53/udp 80/tcp"));
  ASSERT_TRUE(apply_change(c, "LABEL a.b=c \"d e\"=f"));
  ASSERT_TRUE(apply_change(c, R"(VOLUME ["/data", "/logs"])"));
  ASSERT_TRUE(apply_change(c, "STOPSIGNAL SIGINT"));
  EXPECT_EQ(c.working_dir, "/app");
  EXPECT_EQ(c.user, "app:app");
  EXPECT_EQ(c.exposed_ports, (std::vector<std::string>{"80/tcp", "53/udp"}));
  EXPECT_EQ(c.labels.at("a.b"), "c");
  EXPECT_EQ(c.labels.at("d e"), "f");
  EXPECT_EQ(c.volumes, (std::vector<std::string>{"/data", "/logs"}));
  EXPECT_EQ(c.stop_signal, "SIGINT");
}

TEST(ImageChange, BadInstructionsAreRefusedNamingThem) {
  oci::ContainerConfig c;
  for (const char* bad :
       {"RUN echo hi", "EXPOSE 99999", "EXPOSE http", "ENV", "LABEL novalue", "FROM busybox", ""}) {
    auto r = apply_change(c, bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code(), Code::kInvalidArgument) << bad;
    EXPECT_NE(r.error().str().find("invalid change"), std::string::npos) << r.error().str();
  }
}

}  // namespace
}  // namespace berth::engine
