// The .dockerignore API beyond the conformance table: the walk helpers, error wording, cleaning.
#include "build/dockerfile/dockerignore.h"

#include <gtest/gtest.h>

namespace berth::build {
namespace {

DockerIgnore parsed_ignore(std::string_view text) {
  Result<DockerIgnore> di = DockerIgnore::parse(text);
  EXPECT_TRUE(di.has_value()) << di.error().str();
  return di ? *di : DockerIgnore{};
}

TEST(Dockerignore, PatternsAreCleanedAndExceptionsKeepTheirBang) {
  DockerIgnore di = parsed_ignore("\xEF\xBB\xBF/build/\r\n# c\n  ./tmp//x/ \n!  keep  \n\n");
  EXPECT_EQ(di.patterns(), (std::vector<std::string>{"build", "tmp/x", "!keep"}));
  EXPECT_TRUE(di.has_exceptions());
}

TEST(Dockerignore, ErrorsNameTheLineAndTheProblem) {
  Result<DockerIgnore> lone = DockerIgnore::parse("a\n!\n");
  ASSERT_FALSE(lone.has_value());
  EXPECT_EQ(lone.error().str(), ".dockerignore line 2: illegal exclusion pattern: \"!\"");
  Result<DockerIgnore> glob = DockerIgnore::parse("x[a-\n");
  ASSERT_FALSE(glob.has_value());
  EXPECT_EQ(glob.error().str(), ".dockerignore line 1: syntax error in pattern: x[a-");
}

TEST(Dockerignore, ParentResultsCarryAcrossAWalk) {
  DockerIgnore di = parsed_ignore("docs\n!docs/keep\n");
  DockerIgnore::ParentMatch root;
  DockerIgnore::ParentMatch docs;
  DockerIgnore::ParentMatch below;
  EXPECT_TRUE(*di.excluded("docs", root, &docs));
  EXPECT_TRUE(*di.excluded("docs/a", docs, &below));
  EXPECT_FALSE(*di.excluded("docs/keep", docs, &below));
  EXPECT_FALSE(*di.excluded("docs/keep/deep/file", {}, &below));
}

TEST(Dockerignore, ExcludedDirectoryIsWalkedOnlyWhenAnExceptionMayApplyBelowIt) {
  DockerIgnore di = parsed_ignore("*\n!src/main\n!lib*/keep\n");
  EXPECT_TRUE(di.must_walk_excluded_dir("src"));
  EXPECT_TRUE(di.must_walk_excluded_dir("src/main/x"));
  EXPECT_FALSE(di.must_walk_excluded_dir("docs"));
  EXPECT_FALSE(di.must_walk_excluded_dir("src/other"));
  EXPECT_TRUE(di.must_walk_excluded_dir("libfoo"));
  EXPECT_FALSE(di.must_walk_excluded_dir("libfoo/other"));
  EXPECT_TRUE(parsed_ignore("a\n!**/keep\n").must_walk_excluded_dir("a/b/c"));
  EXPECT_FALSE(parsed_ignore("*\n").must_walk_excluded_dir("src"));
}

TEST(Dockerignore, CleanPathFollowsGoPathClean) {
  EXPECT_EQ(clean_path(""), ".");
  EXPECT_EQ(clean_path("a//b/./../c/"), "a/c");
  EXPECT_EQ(clean_path("/../x"), "/x");
  EXPECT_EQ(clean_path("../../x/.."), "../..");
  EXPECT_EQ(clean_path("!a/.."), ".");
  EXPECT_EQ(clean_path("/"), "/");
}

}  // namespace
}  // namespace berth::build
