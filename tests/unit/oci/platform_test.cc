#include "oci/platform.h"

#include <gtest/gtest.h>

namespace berth::oci {
namespace {

Platform parsed_platform(std::string_view s) {
  auto p = Platform::parse(s);
  EXPECT_TRUE(p) << s << ": " << p.error().str();
  return p ? *p : Platform{};
}

TEST(Platform, ParseNormalisesArchitectureNamesLikeContainerd) {
  struct Case {
    const char* in;
    const char* want;
  } cases[] = {
      {"linux/amd64", "linux/amd64"},       {"linux/x86_64", "linux/amd64"},
      {"linux/x86-64", "linux/amd64"},      {"Linux/AMD64", "linux/amd64"},
      {"linux/amd64/v1", "linux/amd64"},    {"linux/amd64/v3", "linux/amd64/v3"},
      {"linux/aarch64", "linux/arm64"},     {"linux/arm64", "linux/arm64"},
      {"linux/arm64/v8", "linux/arm64/v8"}, {"linux/aarch64/8", "linux/arm64/v8"},
      {"linux/arm64/9", "linux/arm64/v9"},  {"linux/armhf", "linux/arm"},
      {"linux/armel", "linux/arm/v6"},      {"linux/arm", "linux/arm"},
      {"linux/arm/7", "linux/arm/v7"},      {"linux/arm/v5", "linux/arm/v5"},
      {"linux/i386", "linux/386"},          {"macos/arm64", "darwin/arm64"},
      {"windows/amd64", "windows/amd64"},   {"linux/riscv64", "linux/riscv64"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(parsed_platform(c.in).str(), c.want) << c.in;
  }
}

TEST(Platform, LoneOsTakesHostArchitectureAndLoneArchitectureHostOs) {
  Platform host = Platform::host();
  Platform os_only = parsed_platform("linux");
  EXPECT_EQ(os_only.os, "linux");
  EXPECT_EQ(os_only.architecture, host.architecture);
  Platform arch_only = parsed_platform("aarch64");
  EXPECT_EQ(arch_only.os, host.os);
  EXPECT_EQ(arch_only.architecture, "arm64");
  EXPECT_EQ(arch_only.variant, "");
  EXPECT_EQ(parsed_platform("armhf").architecture, "arm");
  EXPECT_EQ(parsed_platform("armhf").variant, "");
}

TEST(Platform, ParseReadsAnOsVersionInParentheses) {
  Platform p = parsed_platform("windows(10.0.17763)/amd64");
  EXPECT_EQ(p.os, "windows");
  EXPECT_EQ(p.os_version, "10.0.17763");
  EXPECT_EQ(p.architecture, "amd64");
}

TEST(Platform, ParseRejectsMalformedSpecifiersNamingThem) {
  for (const char* bad : {"", "linux/", "/amd64", "linux/amd64/v8/x", "linux/*", "linux/am d64",
                          "notanos", "linux//arm64"}) {
    auto p = Platform::parse(bad);
    ASSERT_FALSE(p) << bad;
    EXPECT_EQ(p.error().code(), Code::kInvalidArgument) << bad;
    EXPECT_NE(p.error().str().find(std::string("\"") + bad), std::string::npos) << p.error().str();
  }
}

TEST(Platform, HostIsANormalisedLinuxPlatform) {
  Platform host = Platform::host();
  EXPECT_EQ(host.os, "linux");
  EXPECT_FALSE(host.architecture.empty());
  EXPECT_NE(host.architecture, "x86_64");
  EXPECT_NE(host.architecture, "aarch64");
  EXPECT_TRUE(host.matches(host));
}

TEST(Platform, StrJoinsTheSetPartsAndSaysUnknownWithoutOs) {
  EXPECT_EQ((Platform{"linux", "arm64", "v8", "", {}}).str(), "linux/arm64/v8");
  EXPECT_EQ((Platform{"linux", "amd64", "", "", {}}).str(), "linux/amd64");
  EXPECT_EQ(Platform{}.str(), "unknown");
}

TEST(Platform, Arm64AndArm64V8MatchEachOther) {
  Platform v8 = parsed_platform("linux/arm64/v8");
  Platform bare = parsed_platform("linux/arm64");
  EXPECT_TRUE(v8.matches(bare));
  EXPECT_TRUE(bare.matches(v8));
  EXPECT_EQ(v8.match_rank(bare), 0);
  EXPECT_EQ(v8.normalized().variant, "");
}

TEST(Platform, DifferentOsOrArchitectureNeverMatches) {
  EXPECT_FALSE(parsed_platform("linux/amd64").matches(parsed_platform("linux/arm64")));
  EXPECT_FALSE(parsed_platform("windows/amd64").matches(parsed_platform("linux/amd64")));
  EXPECT_FALSE(parsed_platform("linux/386").matches(parsed_platform("linux/amd64")));
  EXPECT_EQ(parsed_platform("linux/arm64").match_rank(parsed_platform("linux/arm")), -1);
}

TEST(Platform, OlderArmVariantsServeNewerWantsButNotTheReverse) {
  Platform want = parsed_platform("linux/arm/v7");
  EXPECT_EQ(parsed_platform("linux/arm/v7").match_rank(want), 0);
  EXPECT_EQ(parsed_platform("linux/arm/v6").match_rank(want), 1);
  EXPECT_EQ(parsed_platform("linux/arm/v5").match_rank(want), 2);
  EXPECT_FALSE(parsed_platform("linux/arm/v7").matches(parsed_platform("linux/arm/v6")));
  EXPECT_FALSE(parsed_platform("linux/arm/v8").matches(want));
  // "linux/arm" means v7 once normalised.
  EXPECT_TRUE(parsed_platform("linux/arm/v7").matches(parsed_platform("linux/arm")));
}

TEST(Platform, AmdVariantsFallBackAndAnyVariantServesAWantWithout) {
  EXPECT_EQ(parsed_platform("linux/amd64").match_rank(parsed_platform("linux/amd64/v3")), 2);
  EXPECT_EQ(parsed_platform("linux/amd64/v2").match_rank(parsed_platform("linux/amd64/v3")), 1);
  EXPECT_FALSE(parsed_platform("linux/amd64/v3").matches(parsed_platform("linux/amd64/v2")));
  int any = parsed_platform("linux/amd64/v2").match_rank(parsed_platform("linux/amd64"));
  EXPECT_GT(any, 0);
  EXPECT_EQ(parsed_platform("linux/amd64").match_rank(parsed_platform("linux/amd64")), 0);
}

TEST(Platform, JsonUsesOciNamesInGoOrder) {
  Platform p{"windows", "amd64", "v2", "10.0.17763.1", {"win32k"}};
  EXPECT_EQ(to_go_json(p.to_json()),
            R"({"architecture":"amd64","os":"windows","os.version":"10.0.17763.1",)"
            R"("os.features":["win32k"],"variant":"v2"})");
  auto back = Platform::from_json(p.to_json());
  ASSERT_TRUE(back) << back.error().str();
  EXPECT_EQ(*back, p);
  EXPECT_EQ(to_go_json(Platform{"linux", "amd64", "", "", {}}.to_json()),
            R"({"architecture":"amd64","os":"linux"})");
}

TEST(Platform, FromJsonRequiresOsAndArchitectureStrings) {
  for (const char* bad :
       {R"({"os":"linux"})", R"({"architecture":"amd64"})", R"({"os":"linux","architecture":1})",
        R"([])", R"({"os":"linux","architecture":"amd64","os.features":"x"})"}) {
    auto p = Platform::from_json(*parse_json(bad, "t"));
    ASSERT_FALSE(p) << bad;
    EXPECT_EQ(p.error().code(), Code::kCorrupt) << bad;
  }
}

}  // namespace
}  // namespace berth::oci
