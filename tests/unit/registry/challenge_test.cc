#include "registry/challenge.h"

#include <gtest/gtest.h>

namespace berth::registry {
namespace {

TEST(Challenge, BearerChallengeGivesRealmServiceAndScope) {
  auto cs = parse_challenges(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].scheme, "bearer");
  EXPECT_EQ(cs[0].params.at("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(cs[0].params.at("service"), "registry.docker.io");
  EXPECT_EQ(cs[0].params.at("scope"), "repository:library/busybox:pull");
}

TEST(Challenge, BasicChallengeIsRecognisedWhateverTheCase) {
  auto cs = parse_challenges(R"(BASIC Realm="Registry Realm")");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].scheme, "basic");
  EXPECT_EQ(cs[0].params.at("realm"), "Registry Realm");
}

TEST(Challenge, SeveralChallengesInOneHeaderAreSeparated) {
  auto cs = parse_challenges(R"(Basic realm="a", Bearer realm="https://t/token", service=reg)");
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[0].scheme, "basic");
  EXPECT_EQ(cs[0].params.at("realm"), "a");
  EXPECT_EQ(cs[1].scheme, "bearer");
  EXPECT_EQ(cs[1].params.at("realm"), "https://t/token");
  EXPECT_EQ(cs[1].params.at("service"), "reg");
}

TEST(Challenge, QuotedValuesKeepCommasAndEscapes) {
  auto cs = parse_challenges(
      R"(Bearer realm="https://x/t",scope="repository:a:pull,push",error="say \"hi\"")");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].params.at("scope"), "repository:a:pull,push");
  EXPECT_EQ(cs[0].params.at("error"), "say \"hi\"");
}

TEST(Challenge, GarbageGivesNoParametersAndNoCrash) {
  EXPECT_TRUE(parse_challenges("").empty());
  auto cs = parse_challenges("Bearer realm=\"unterminated");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].params.at("realm"), "unterminated");
  EXPECT_NO_FATAL_FAILURE(parse_challenges(",,,=,=\"\",  ;;"));
}

}  // namespace
}  // namespace berth::registry
