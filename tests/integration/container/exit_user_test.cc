// Exit codes as docker gives them, --user and --group-add, and refused runs leaving nothing.
#include <algorithm>

#include "container/probe_image.h"

namespace berth::it {
namespace {

using ExitCodes = ContainerTest;
using Users = ContainerTest;
using BadInput = ContainerTest;

TEST_F(ExitCodes, TheContainersExitCodeIsBerthsExitCode) {
  auto r = run({"--rm", "busybox", "sh", "-c", "exit 3"});
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  auto ok = run({"--rm", "busybox", "true"});
  EXPECT_EQ(ok.exit_code, 0) << ok.describe();
  auto out = run({"--rm", "busybox", "echo", "hello"});
  EXPECT_EQ(out.out, "hello\n") << out.describe();
}

TEST_F(ExitCodes, AMissingCommandExits127WithDockersMessage) {
  auto r = run({"--rm", "busybox", "nosuchcmd"});
  EXPECT_EQ(r.exit_code, 127) << r.describe();
  EXPECT_NE(r.err.find("exec: \"nosuchcmd\": executable file not found in $PATH"),
            std::string::npos)
      << r.describe();
  EXPECT_TRUE(container_dirs().empty()) << "--rm removes the container that failed to start";
}

TEST_F(ExitCodes, AMissingEntrypointPathExits127) {
  auto r = run({"--rm", "--entrypoint", "/nonexistent", "busybox"});
  EXPECT_EQ(r.exit_code, 127) << r.describe();
  EXPECT_NE(r.err.find("/nonexistent"), std::string::npos) << r.describe();
  EXPECT_NE(r.err.find("no such file or directory"), std::string::npos) << r.describe();
  EXPECT_TRUE(container_dirs().empty());
}

TEST_F(ExitCodes, AFileThatIsNotExecutableExits126) {
  auto r = run({"--rm", "busybox", "/noexec.sh"});
  EXPECT_EQ(r.exit_code, 126) << r.describe();
  EXPECT_NE(r.err.find("permission denied"), std::string::npos) << r.describe();
  EXPECT_TRUE(container_dirs().empty());
}

TEST_F(ExitCodes, AFailedStartWithoutRmLeavesACreatedContainerWithTheExitCode) {
  auto r = run({"--name", "failed", "busybox", "nosuchcmd"});
  EXPECT_EQ(r.exit_code, 127) << r.describe();
  Json ins = inspect_container("failed");
  ASSERT_TRUE(ins.is_object());
  EXPECT_EQ(ins["State"]["Status"], "created");
  EXPECT_EQ(ins["State"]["ExitCode"], 127);
  EXPECT_EQ(ins["State"]["Running"], false);
  EXPECT_NE(ins["State"].value("Error", "").find("executable file not found"), std::string::npos)
      << ins["State"].dump();
}

TEST_F(Users, NumericUserAndGroupSwitchUidAndGid) {
  Json r = report({"--user", "1000:1000"});
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["uid"], 1000);
  EXPECT_EQ(r["euid"], 1000);
  EXPECT_EQ(r["gid"], 1000);
  EXPECT_EQ(r["egid"], 1000);
  for (const auto& g : r["groups"]) {
    EXPECT_NE(g, 0) << "root's group must not stay a supplementary group: " << r["groups"];
  }
  EXPECT_EQ(r["status"]["CapEff"], "0000000000000000") << "a non-root user has no capabilities";
}

TEST_F(Users, NamesResolveInTheContainersPasswdAndGroup) {
  Json nobody = report({"--user", "nobody"});
  ASSERT_TRUE(nobody.is_object());
  EXPECT_EQ(nobody["uid"], 65534);
  EXPECT_EQ(nobody["gid"], 65534);
  EXPECT_EQ(nobody["env"].value("HOME", ""), "/nonexistent");

  // app (1000) is a member of extra (2000) in busybox's /etc/group.
  Json app = report({"--user", "app"});
  ASSERT_TRUE(app.is_object());
  EXPECT_EQ(app["uid"], 1000);
  EXPECT_EQ(app["gid"], 1000);
  EXPECT_NE(std::find(app["groups"].begin(), app["groups"].end(), Json(2000)), app["groups"].end())
      << app["groups"];
  EXPECT_EQ(app["env"].value("HOME", ""), "/home/app");
}

TEST_F(Users, GroupAddAddsSupplementaryGroupsByNumberAndName) {
  Json r = report({"--user", "1000:1000", "--group-add", "2000", "--group-add", "nogroup"});
  ASSERT_TRUE(r.is_object());
  const Json& g = r["groups"];
  EXPECT_NE(std::find(g.begin(), g.end(), Json(2000)), g.end()) << g;
  EXPECT_NE(std::find(g.begin(), g.end(), Json(65534)), g.end()) << g;
}

TEST_F(Users, AnUnknownUserExits125AndLeavesTheContainerCreated) {
  auto r = run({"--name", "nouser", "--user", "nosuchuser", "probe:latest", "/probe", "exit", "0"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_TRUE(is_one_line(r.err)) << r.describe();
  EXPECT_NE(r.err.find("unable to find user nosuchuser: no matching entries in passwd file"),
            std::string::npos)
      << r.describe();
  EXPECT_EQ(status_of("nouser"), "created");

  auto rm = run({"--rm", "--user", "nosuchuser", "probe:latest", "/probe", "exit", "0"});
  EXPECT_EQ(rm.exit_code, 125) << rm.describe();
  EXPECT_EQ(all_ids().size(), 1u) << "--rm removes the container whose start failed";
  EXPECT_EQ(container_dirs().size(), 1u);
}

// A refused run: exit 125, one line on stderr naming `mention`, nothing on stdout.
void expect_refused_run(const ProcResult& r, const std::string& mention) {
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_TRUE(is_one_line(r.err)) << r.describe();
  EXPECT_NE(r.err.find(mention), std::string::npos) << r.describe();
  EXPECT_EQ(r.out, "") << r.describe();
}

// Tests reach no registry but their own: --pull never keeps the refusal local, and a missing
// image's pull goes to 127.0.0.1:1, where nothing listens.
TEST_F(BadInput, AnUnknownImageIsRefusedWithNothingLeft) {
  auto r = run({"--name", "x1", "--pull", "never", "nosuchimage", "true"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_EQ(r.out, "") << r.describe();
  EXPECT_TRUE(is_one_line(r.err)) << r.describe();
  EXPECT_NE(r.err.find("No such image: nosuchimage:latest"), std::string::npos) << r.describe();

  // docker says it looks locally first, then pulls; the pull's error names the image.
  auto pulled = run({"--name", "x1", "127.0.0.1:1/nosuchimage", "true"});
  EXPECT_EQ(pulled.exit_code, 125) << pulled.describe();
  EXPECT_EQ(pulled.out, "") << pulled.describe();
  auto lines = split_lines(pulled.err);
  ASSERT_GE(lines.size(), 2u) << pulled.describe();
  EXPECT_EQ(lines.front(), "Unable to find image '127.0.0.1:1/nosuchimage:latest' locally");
  EXPECT_NE(lines.back().find("nosuchimage"), std::string::npos) << pulled.describe();
  EXPECT_TRUE(all_ids().empty());
  EXPECT_TRUE(container_dirs().empty());
  EXPECT_FALSE(container_exists("x1"));
}

TEST_F(BadInput, ABadMemorySizeIsRefusedWithNothingLeft) {
  auto r = run({"--name", "x2", "--memory", "12q", "busybox", "true"});
  expect_refused_run(r, "12q");
  EXPECT_TRUE(all_ids().empty());
  EXPECT_TRUE(container_dirs().empty());
  EXPECT_FALSE(container_exists("x2"));
}

TEST_F(BadInput, AnExistingNameIsRefusedAndTheFirstContainerIsUntouched) {
  auto first = run({"--name", "taken", "busybox", "true"});
  ASSERT_TRUE(first.ok()) << first.describe();
  auto ids = all_ids();
  auto dirs = container_dirs();
  auto r = run({"--name", "taken", "busybox", "true"});
  expect_refused_run(r, "already in use");
  EXPECT_NE(r.err.find("\"/taken\""), std::string::npos) << r.describe();
  EXPECT_EQ(all_ids(), ids);
  EXPECT_EQ(container_dirs(), dirs);
  EXPECT_EQ(status_of("taken"), "exited");
}

TEST_F(BadInput, UnknownUserAndMissingEntrypointWithRmLeaveNothing) {
  auto user = run({"--rm", "--user", "ghost", "busybox", "true"});
  EXPECT_EQ(user.exit_code, 125) << user.describe();
  EXPECT_TRUE(is_one_line(user.err)) << user.describe();
  EXPECT_NE(user.err.find("ghost"), std::string::npos) << user.describe();
  auto ep = run({"--rm", "--entrypoint", "/missing", "busybox"});
  EXPECT_EQ(ep.exit_code, 127) << ep.describe();
  EXPECT_NE(ep.err.find("/missing"), std::string::npos) << ep.describe();
  EXPECT_TRUE(all_ids().empty());
  EXPECT_TRUE(container_dirs().empty());
}

// docker's CLI exits 1 when the daemon refuses a request about a container: no such container,
// or one that is not running. Every verb answers so, with one line naming the container.
TEST_F(BadInput, RequestsAboutAMissingOrStoppedContainerExit1) {
  std::vector<std::vector<std::string>> verbs = {
      {"start", "nosuch"},        {"stop", "nosuch"},    {"restart", "nosuch"},
      {"kill", "nosuch"},         {"rm", "nosuch"},      {"wait", "nosuch"},
      {"logs", "nosuch"},         {"inspect", "nosuch"}, {"container", "inspect", "nosuch"},
      {"exec", "nosuch", "true"}, {"pause", "nosuch"},   {"top", "nosuch"},
      {"port", "nosuch"},         {"export", "nosuch"},  {"rename", "nosuch", "other"}};
  for (const auto& v : verbs) {
    auto r = berth(v);
    EXPECT_EQ(r.exit_code, 1) << r.describe();
    EXPECT_TRUE(is_one_line(r.err)) << r.describe();
    EXPECT_NE(r.err.find("nosuch"), std::string::npos) << r.describe();
  }
  ASSERT_TRUE(run({"--name", "done", "busybox", "true"}).ok());
  auto ex = berth({"exec", "done", "true"});
  EXPECT_EQ(ex.exit_code, 1) << ex.describe();
  EXPECT_NE(ex.err.find("is not running"), std::string::npos) << ex.describe();
}

}  // namespace
}  // namespace berth::it
