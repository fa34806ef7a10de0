// `berth build`: multi-stage builds whose images run, the step cache (hits, invalidation by a
// copied file or a build arg), .dockerignore, docker's config rules, and bad input that fails
// with Dockerfile:LINE and tags nothing.
#include <algorithm>
#include <filesystem>
#include <map>

#include "sandbox.h"

namespace berth::it {
namespace {

class Build : public BusyboxTest {
 protected:
  // A context directory under the sandbox's scratch space with these files.
  std::string context(const std::map<std::string, std::string>& files) {
    std::string dir = sb().work("ctx");
    for (const auto& [name, text] : files) {
      std::string path = dir + "/" + name;
      std::filesystem::create_directories(std::filesystem::path(path).parent_path());
      write_file(path, text);
    }
    return dir;
  }
  // The step lines ("#3 CACHED") of a build's progress.
  static int count(const std::string& text, const std::string& what) {
    int n = 0;
    for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) {
      ++n;
    }
    return n;
  }
};

constexpr const char* kMultiStage = R"(FROM busybox AS builder
ARG MSG=hi
RUN echo "$MSG" > /built && echo building
FROM busybox
ENV APP=/app
WORKDIR $APP
COPY src/ ./src/
COPY --from=builder /built /app/built
CMD ["cat", "/app/built", "/app/src/a.txt"]
)";

TEST_F(Build, AMultiStageBuildGivesAnImageThatRuns) {
  std::string ctx = context({{"Dockerfile", kMultiStage}, {"src/a.txt", "hello\n"}});
  auto b = berth_ok({"build", "-t", "demo:1", ctx});
  EXPECT_NE(b.err.find("building"), std::string::npos) << "RUN output is shown\n" << b.err;
  EXPECT_NE(b.err.find("naming to docker.io/library/demo:1 done"), std::string::npos) << b.err;
  EXPECT_EQ(berth_ok({"run", "--rm", "--pull", "never", "demo:1"}).out, "hi\nhello\n");
  Json cfg = inspect("demo:1")["Config"];
  EXPECT_EQ(cfg["WorkingDir"], "/app");
  EXPECT_EQ(cfg["Cmd"], Json({"cat", "/app/built", "/app/src/a.txt"}));
}

TEST_F(Build, ARebuildComesFromTheCacheAndGivesTheSameImage) {
  std::string ctx = context({{"Dockerfile", kMultiStage}, {"src/a.txt", "hello\n"}});
  std::string iid1 = sb().work("iid1"), iid2 = sb().work("iid2");
  berth_ok({"build", "--iidfile", iid1, "-t", "demo:1", ctx});
  auto again = berth_ok({"build", "--iidfile", iid2, "-t", "demo:1", ctx});
  EXPECT_EQ(count(again.err, " CACHED"), 7) << again.err;  // every step but the two FROMs
  EXPECT_EQ(read_file(iid1), read_file(iid2));
  auto quiet = berth_ok({"build", "-q", ctx});
  EXPECT_EQ(quiet.out, read_file(iid1) + "\n");
  EXPECT_EQ(quiet.err, "");
  auto fresh = berth_ok({"build", "--no-cache", ctx});
  EXPECT_EQ(count(fresh.err, " CACHED"), 0) << fresh.err;
}

TEST_F(Build, TheCacheOutlivesImagePruneAndGoesWithBuilderPrune) {
  std::string ctx = context({{"Dockerfile", "FROM busybox\nRUN echo x > /x\n"}});
  berth_ok({"build", "-t", "p:1", ctx});
  // rmi deletes the image and collects garbage: the RUN layer only the cache names stays.
  berth_ok({"rmi", "p:1"});
  berth_ok({"image", "prune", "-f"});
  auto again = berth_ok({"build", "-t", "p:1", ctx});
  EXPECT_EQ(count(again.err, " CACHED"), 1) << again.err;
  auto pruned = berth_ok({"builder", "prune", "-f"});
  EXPECT_EQ(pruned.out.rfind("Total:\t", 0), 0U) << pruned.out;
  auto fresh = berth_ok({"build", "-t", "p:1", ctx});
  EXPECT_EQ(count(fresh.err, " CACHED"), 0) << fresh.err;
  EXPECT_EQ(berth_ok({"run", "--rm", "--pull", "never", "p:1", "cat", "/x"}).out, "x\n");
}

TEST_F(Build, ChangingOneCopiedFileRebuildsFromThatCopyOnAndNothingBefore) {
  std::string df =
      "FROM busybox\nRUN echo one > /one\nCOPY a.txt /a.txt\nRUN cat /a.txt > /b.txt\n";
  std::string ctx = context({{"Dockerfile", df}, {"a.txt", "v1\n"}});
  berth_ok({"build", "-t", "c:1", ctx});
  write_file(ctx + "/a.txt", "v2\n");
  auto b = berth_ok({"build", "-t", "c:1", ctx});
  EXPECT_NE(b.err.find("#2 CACHED"), std::string::npos) << b.err;
  EXPECT_EQ(b.err.find("#3 CACHED"), std::string::npos) << b.err;
  EXPECT_EQ(b.err.find("#4 CACHED"), std::string::npos) << b.err;
  EXPECT_EQ(berth_ok({"run", "--rm", "--pull", "never", "c:1", "cat", "/b.txt"}).out, "v2\n");
}

TEST_F(Build, ABuildArgReachesRunAndChangesTheKeyOfTheStepsThatSeeIt) {
  std::string df = "FROM busybox\nRUN echo before > /x\nARG MSG=default\nRUN echo $MSG > /msg\n";
  std::string ctx = context({{"Dockerfile", df}});
  berth_ok({"build", "-t", "a:1", ctx});
  EXPECT_EQ(berth_ok({"run", "--rm", "--pull", "never", "a:1", "cat", "/msg"}).out, "default\n");
  auto b = berth_ok({"build", "--build-arg", "MSG=given", "-t", "a:1", ctx});
  EXPECT_NE(b.err.find("#2 CACHED"), std::string::npos) << b.err;
  EXPECT_EQ(b.err.find("#4 CACHED"), std::string::npos) << b.err;
  EXPECT_EQ(berth_ok({"run", "--rm", "--pull", "never", "a:1", "cat", "/msg"}).out, "given\n");
}

TEST_F(Build, DockerignoredFilesAreNotCopied) {
  std::string ctx = context({{"Dockerfile", "FROM busybox\nCOPY . /ctx/\n"},
                             {".dockerignore", "*.log\n!keep.log\n"},
                             {"a.txt", "a"},
                             {"drop.log", "x"},
                             {"keep.log", "k"}});
  berth_ok({"build", "-t", "ign:1", ctx});
  auto ls = berth_ok({"run", "--rm", "--pull", "never", "ign:1", "ls", "-A", "/ctx"});
  EXPECT_EQ(ls.out, ".dockerignore\nDockerfile\na.txt\nkeep.log\n");
}

TEST_F(Build, InstructionsSetTheConfigAsDockerDoes) {
  std::string df = R"(FROM busybox
ENV A=1 B="two words"
LABEL version="1.0"
EXPOSE 8080 53/udp
USER 1000:1000
STOPSIGNAL SIGINT
VOLUME /data
HEALTHCHECK --interval=5s --retries=2 CMD true
ENTRYPOINT ["/bin/sh", "-c"]
)";
  std::string ctx = context({{"Dockerfile", df}});
  berth_ok({"build", "--label", "extra=yes", "-t", "cfg:1", ctx});
  Json cfg = inspect("cfg:1")["Config"];
  EXPECT_NE(std::find(cfg["Env"].begin(), cfg["Env"].end(), "B=two words"), cfg["Env"].end())
      << cfg.dump();
  EXPECT_EQ(cfg["Labels"], (Json{{"version", "1.0"}, {"extra", "yes"}}));
  EXPECT_TRUE(cfg["ExposedPorts"].contains("8080/tcp")) << cfg.dump();
  EXPECT_TRUE(cfg["ExposedPorts"].contains("53/udp")) << cfg.dump();
  EXPECT_EQ(cfg["User"], "1000:1000");
  EXPECT_EQ(cfg["StopSignal"], "SIGINT");
  EXPECT_TRUE(cfg["Volumes"].contains("/data")) << cfg.dump();
  EXPECT_EQ(cfg["Healthcheck"]["Test"], Json({"CMD-SHELL", "true"}));
  EXPECT_EQ(cfg["Healthcheck"]["Interval"], 5000000000LL);
  // An ENTRYPOINT drops the base image's CMD (busybox's ["sh"]).
  EXPECT_TRUE(!cfg.contains("Cmd") || cfg["Cmd"].is_null()) << cfg.dump();
  EXPECT_EQ(berth_ok({"run", "--rm", "--pull", "never", "cfg:1", "id -u"}).out, "1000\n");
}

TEST_F(Build, OnlyTheStagesTheTargetNeedsAreBuilt) {
  std::string df = "FROM busybox AS broken\nRUN false\nFROM busybox AS app\nRUN echo ok > /ok\n";
  std::string ctx = context({{"Dockerfile", df}});
  berth_ok({"build", "--target", "app", "-t", "t:1", ctx});
  EXPECT_EQ(berth_ok({"run", "--rm", "--pull", "never", "t:1", "cat", "/ok"}).out, "ok\n");
  auto bad = berth({"build", "--target", "nosuch", ctx});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("failed to reach build target nosuch"), std::string::npos) << bad.err;
}

TEST_F(Build, AFailingRunNamesItsLineShowsItsOutputAndTagsNothing) {
  std::string df = "FROM busybox\nRUN echo boom && exit 3\n";
  std::string ctx = context({{"Dockerfile", df}});
  auto r = berth({"build", "-t", "never:1", ctx});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_NE(r.err.find("boom"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Error: Dockerfile:2: process \"/bin/sh -c echo boom && exit 3\" did not "
                       "complete successfully: exit code: 3"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(berth({"image", "inspect", "never:1"}).ok());
  EXPECT_EQ(berth_ok({"ps", "-a", "-q"}).out, "") << "the RUN container is removed";
}

TEST_F(Build, BadInputIsOneLineNamingTheDockerfileLine) {
  struct Case {
    std::string dockerfile, error;
  };
  std::vector<Case> cases = {
      {"FROM busybox\nENV A\n", "Dockerfile:2:"},
      {"RUN true\n", "Dockerfile:1:"},
      {"FROM busybox\nCOPY missing.txt /x\n",
       "Dockerfile:2: failed to compute cache key: "
       "\"/missing.txt\": not found"},
      {"FROM busybox\nCOPY ../outside /x\n", "Dockerfile:2:"},
      // An image the store lacks is pulled; this registry is a closed port on loopback.
      {"FROM busybox\nCOPY --from=127.0.0.1:1/nosuch /a /a\n",
       "Dockerfile:2: invalid from flag value"},
  };
  for (const auto& c : cases) {
    std::string ctx = context({{"Dockerfile", c.dockerfile}});
    auto r = berth({"build", "-t", "bad:1", ctx});
    EXPECT_EQ(r.exit_code, 1) << c.dockerfile << r.describe();
    EXPECT_NE(r.err.find(c.error), std::string::npos) << c.dockerfile << r.describe();
    auto error = r.err.substr(std::min(r.err.find("Error: "), r.err.size()));
    EXPECT_TRUE(is_one_line(error)) << c.dockerfile << r.describe();
    EXPECT_FALSE(berth({"image", "inspect", "bad:1"}).ok()) << c.dockerfile;
  }
  auto r = berth({"build", sb().work("no-such-dir")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unable to prepare context"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace berth::it
