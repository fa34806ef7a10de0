#include "registry/auth_config.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "store/temp_dir.h"

namespace berth::registry {
namespace {

TEST(AuthConfig, Base64RoundTripsEveryLength) {
  EXPECT_EQ(base64_encode("user:pass"), "dXNlcjpwYXNz");
  EXPECT_EQ(base64_encode("a"), "YQ==");
  EXPECT_EQ(base64_encode("ab"), "YWI=");
  for (std::string s : {"", "a", "ab", "abc", "abcd", "\xff\x00\x10 binary"}) {
    auto back = base64_decode(base64_encode(s));
    ASSERT_TRUE(back) << s;
    EXPECT_EQ(*back, s);
  }
  EXPECT_FALSE(base64_decode("@@@@"));
  EXPECT_FALSE(base64_decode("YQ=a"));
}

TEST(AuthConfig, CredentialsAreFoundByTheirServerKey) {
  Json cfg = Json::parse(R"({"auths": {
      "https://index.docker.io/v1/": {"auth": "aHViOnNlY3JldA=="},
      "127.0.0.1:5000": {"auth": "dXNlcjpwYTpzcw=="}}})");
  auto hub = find_credentials(cfg, "https://index.docker.io/v1/", "config.json");
  ASSERT_TRUE(hub && *hub);
  EXPECT_EQ(**hub, (Credentials{"hub", "secret"}));
  auto local = find_credentials(cfg, "127.0.0.1:5000", "config.json");
  ASSERT_TRUE(local && *local);
  EXPECT_EQ(**local, (Credentials{"user", "pa:ss"})) << "the password keeps its colons";
  auto none = find_credentials(cfg, "other:5000", "config.json");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

TEST(AuthConfig, KeysWrittenWithSchemeOrPathStillMatch) {
  Json cfg = Json::parse(R"({"auths": {"https://reg.example:5000/v2/": {"auth": "dTpw"}}})");
  auto c = find_credentials(cfg, "reg.example:5000", "config.json");
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->username, "u");
}

TEST(AuthConfig, EntryThatIsNotBase64UserPasswordIsCorruptAndNamed) {
  Json cfg = Json::parse(R"({"auths": {"reg:5000": {"auth": "bm9jb2xvbg=="}}})");  // "nocolon"
  auto c = find_credentials(cfg, "reg:5000", "/root/.docker/config.json");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), Code::kCorrupt);
  EXPECT_NE(c.error().str().find("/root/.docker/config.json"), std::string::npos);
}

TEST(AuthConfig, SetAndEraseKeepOtherMembers) {
  Json cfg = Json::parse(R"({"credsStore": "desktop", "auths": {"a:1": {"auth": "eDp5"}}})");
  set_credentials(cfg, "b:2", {"u", "p"});
  EXPECT_EQ(cfg["auths"]["b:2"]["auth"], "dTpw");
  EXPECT_EQ(cfg["credsStore"], "desktop");
  EXPECT_TRUE(erase_credentials(cfg, "a:1"));
  EXPECT_FALSE(erase_credentials(cfg, "a:1"));
  EXPECT_FALSE(cfg["auths"].contains("a:1"));
  EXPECT_TRUE(cfg["auths"].contains("b:2"));
}

TEST(AuthConfig, ConfigFileIsWrittenWithMode0600AndReadBack) {
  testing::TempDir tmp;
  std::string path = tmp.path() + "/docker/config.json";
  auto empty = read_docker_config(path);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  Json cfg = *empty;
  set_credentials(cfg, "reg:5000", {"user", "pw"});
  ASSERT_TRUE(write_docker_config(path, cfg));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto back = read_docker_config(path);
  ASSERT_TRUE(back);
  auto c = find_credentials(*back, "reg:5000", path);
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->password, "pw");
}

TEST(AuthConfig, ConfigPathFollowsDockerConfigThenHome) {
  std::string saved_dc = getenv("DOCKER_CONFIG") ? getenv("DOCKER_CONFIG") : "";
  std::string saved_home = getenv("HOME") ? getenv("HOME") : "";
  ::setenv("DOCKER_CONFIG", "/x/dc", 1);
  EXPECT_EQ(docker_config_path(), "/x/dc/config.json");
  ::unsetenv("DOCKER_CONFIG");
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(docker_config_path(), "/home/u/.docker/config.json");
  if (!saved_dc.empty()) {
    ::setenv("DOCKER_CONFIG", saved_dc.c_str(), 1);
  }
  ::setenv("HOME", saved_home.c_str(), 1);
}

}  // namespace
}  // namespace berth::registry
