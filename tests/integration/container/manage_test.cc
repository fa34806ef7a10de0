// rename, pause/unpause, top, stats, port, container prune, cp, export and attach: docker's
// output, exit codes and errors, run against real containers.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "container/probe_image.h"

namespace berth::it {
namespace {

class ManageTest : public ContainerTest {
 protected:
  // `run -d --name NAME busybox sleep 30` → the ID ("" after recording a failure).
  std::string sleeper(const std::string& name) {
    return run_detached({"--name", name}, {"sleep", "30"}, "busybox");
  }
};

using Rename = ManageTest;
using Pause = ManageTest;
using Top = ManageTest;
using Stats = ManageTest;
using Port = ManageTest;
using Prune = ManageTest;
using Copy = ManageTest;
using Export = ManageTest;
using Attach = ManageTest;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A failure docker's daemon reports: exit 1, one line on stderr naming `what`.
void expect_daemon_error(const ProcResult& r, const std::string& what) {
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_TRUE(contains(r.err, what)) << "expected \"" << what << "\"\n" << r.describe();
  EXPECT_TRUE(is_one_line(r.err)) << r.describe();
}

// ---- rename ----

TEST_F(Rename, ANewNameReplacesTheOldOneEverywhere) {
  std::string id = sleeper("old");
  ASSERT_FALSE(id.empty());
  auto r = berth_ok({"rename", "old", "new"});
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(inspect_container("new")["Name"], "/new");
  EXPECT_EQ(inspect_container("new")["Id"], id);
  EXPECT_FALSE(container_exists("old"));
  // The old name is free again.
  EXPECT_FALSE(sleeper("old").empty());
}

TEST_F(Rename, TheSameNameATakenNameAndAMissingContainerAreRefused) {
  ASSERT_FALSE(sleeper("aa").empty());
  ASSERT_FALSE(sleeper("bb").empty());
  expect_daemon_error(berth({"rename", "aa", "aa"}),
                      "Renaming a container with the same name as its current name");
  expect_daemon_error(berth({"rename", "aa", "bb"}), "is already in use");
  expect_daemon_error(berth({"rename", "nosuch", "cc"}), "No such container: nosuch");
  expect_daemon_error(berth({"rename", "aa", "bad name"}), "Invalid container name");
  EXPECT_EQ(inspect_container("aa")["Name"], "/aa");
}

// ---- pause / unpause ----

TEST_F(Pause, PauseFreezesAndUnpauseThawsWithDockersStatuses) {
  std::string id = sleeper("pp");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(berth_ok({"pause", "pp"}).out, "pp\n");
  EXPECT_EQ(status_of("pp"), "paused");
  Json st = inspect_container("pp")["State"];
  EXPECT_EQ(st["Paused"], true) << st.dump();
  expect_daemon_error(berth({"pause", "pp"}), "Container " + id + " is already paused");
  EXPECT_EQ(berth_ok({"unpause", "pp"}).out, "pp\n");
  EXPECT_EQ(status_of("pp"), "running");
  expect_daemon_error(berth({"unpause", "pp"}), "Container " + id + " is not paused");
}

TEST_F(Pause, AStoppedContainerCannotBePaused) {
  ASSERT_TRUE(run({"--name", "done", "busybox", "true"}).ok());
  Json ins = inspect_container("done");
  std::string id = ins.value("Id", "");
  expect_daemon_error(berth({"pause", "done"}), "Container " + id + " is not running");
  expect_daemon_error(berth({"unpause", "done"}), "is not paused");
  expect_daemon_error(berth({"pause", "nosuch"}), "No such container: nosuch");
}

TEST_F(Pause, KillEndsAPausedContainerAsDockerDoes) {
  ASSERT_FALSE(sleeper("pk").empty());
  berth_ok({"pause", "pk"});
  EXPECT_EQ(berth_ok({"kill", "pk"}).out, "pk\n");
  EXPECT_EQ(wait_exit("pk"), 137) << "SIGKILL reaches the frozen process: it is thawed";
  EXPECT_EQ(status_of("pk"), "exited");

  // Without a configured stop signal any signal resumes it (docker's rule). As PID 1 without a
  // handler, sleep ignores SIGUSR1 and runs on.
  ASSERT_FALSE(sleeper("pu").empty());
  berth_ok({"pause", "pu"});
  berth_ok({"kill", "-s", "USR1", "pu"});
  EXPECT_EQ(status_of("pu"), "running");
  // With one, another signal leaves it paused.
  ASSERT_FALSE(
      run_detached({"--name", "ps", "--stop-signal", "TERM"}, {"sleep", "30"}, "busybox").empty());
  berth_ok({"pause", "ps"});
  berth_ok({"kill", "-s", "USR1", "ps"});
  EXPECT_EQ(status_of("ps"), "paused");
}

TEST_F(Pause, APausedContainerCanBeRemovedByForce) {
  ASSERT_FALSE(sleeper("pp").empty());
  berth_ok({"pause", "pp"});
  berth_ok({"rm", "-f", "pp"});
  EXPECT_FALSE(container_exists("pp"));
}

// ---- top ----

TEST_F(Top, ListsTheContainersProcessesWithPsHeader) {
  ASSERT_FALSE(sleeper("top1").empty());
  auto r = berth_ok({"top", "top1"});
  auto lines = split_lines(r.out);
  ASSERT_EQ(lines.size(), 2U) << r.out;
  EXPECT_TRUE(contains(lines[0], "PID")) << lines[0];
  EXPECT_TRUE(contains(lines[0], "CMD")) << lines[0];
  EXPECT_TRUE(contains(lines[1], "sleep 30")) << lines[1];
}

TEST_F(Top, PsOptionsArePassedOn) {
  ASSERT_FALSE(sleeper("top1").empty());
  auto r = berth_ok({"top", "top1", "-o", "pid,comm"});
  auto lines = split_lines(r.out);
  ASSERT_EQ(lines.size(), 2U) << r.out;
  EXPECT_TRUE(lines[0].rfind("PID", 0) == 0) << lines[0];
  EXPECT_TRUE(contains(lines[0], "COMMAND")) << lines[0];
  EXPECT_TRUE(contains(lines[1], "sleep")) << lines[1];
}

TEST_F(Top, AStoppedOrMissingContainerIsAnError) {
  ASSERT_TRUE(run({"--name", "done", "busybox", "true"}).ok());
  expect_daemon_error(berth({"top", "done"}), "is not running");
  expect_daemon_error(berth({"top", "nosuch"}), "No such container: nosuch");
  ASSERT_FALSE(sleeper("top1").empty());
  expect_daemon_error(berth({"top", "top1", "-o", "comm"}), "Couldn't find PID field in ps output");
}

// ---- stats ----

TEST_F(Stats, NoStreamPrintsDockersColumnsOnce) {
  std::string id = sleeper("ss");
  ASSERT_FALSE(id.empty());
  auto r = berth_ok({"stats", "--no-stream", "ss"});
  auto rows = parse_table(r.out, {"CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %",
                                  "NET I/O", "BLOCK I/O", "PIDS"});
  ASSERT_EQ(rows.size(), 1U) << r.out;
  EXPECT_EQ(rows[0]["CONTAINER ID"], id.substr(0, 12));
  EXPECT_EQ(rows[0]["NAME"], "ss");
  EXPECT_EQ(rows[0]["PIDS"], "1");
  EXPECT_TRUE(contains(rows[0]["CPU %"], "%"));
  EXPECT_TRUE(contains(rows[0]["MEM USAGE / LIMIT"], "iB / ")) << rows[0]["MEM USAGE / LIMIT"];
  EXPECT_EQ(rows[0]["NET I/O"], "0B / 0B");
}

TEST_F(Stats, FormatTemplatesAndJson) {
  ASSERT_FALSE(sleeper("ss").empty());
  EXPECT_EQ(berth_ok({"stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}", "ss"}).out,
            "ss 1\n");
  auto j = parse_json(berth_ok({"stats", "--no-stream", "--format", "json", "ss"}).out, "stats");
  EXPECT_EQ(j["Name"], "ss") << j.dump();
  EXPECT_EQ(j["Container"], "ss") << j.dump();
  for (const char* k : {"ID", "CPUPerc", "MemUsage", "MemPerc", "NetIO", "BlockIO", "PIDs"}) {
    EXPECT_TRUE(j.contains(k)) << k << " " << j.dump();
  }
}

TEST_F(Stats, WithoutNamesOnlyRunningContainersUnlessAll) {
  ASSERT_FALSE(sleeper("live").empty());
  ASSERT_TRUE(run({"--name", "done", "busybox", "true"}).ok());
  auto names = berth_ok({"stats", "--no-stream", "--format", "{{.Name}}"}).out;
  EXPECT_EQ(names, "live\n");
  auto all = split_lines(berth_ok({"stats", "--no-stream", "-a", "--format", "{{.Name}}"}).out);
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, (std::vector<std::string>{"done", "live"}));
  auto stopped = berth_ok({"stats", "--no-stream", "--format", "{{.CPUPerc}} {{.PIDs}}", "done"});
  EXPECT_EQ(stopped.out, "0.00% 0\n");
}

TEST_F(Stats, AMissingContainerIsAnError) {
  expect_daemon_error(berth({"stats", "--no-stream", "nosuch"}), "No such container: nosuch");
  auto bad = berth({"stats", "--no-stream", "--format", "{{.Nope", "x"});
  EXPECT_NE(bad.exit_code, 0) << bad.describe();
}

// ---- port ----

TEST_F(Port, AContainerWithoutPortsPrintsNothing) {
  ASSERT_FALSE(sleeper("pp").empty());
  auto r = berth_ok({"port", "pp"});
  EXPECT_EQ(r.out, "");
  expect_daemon_error(berth({"port", "pp", "80"}), "No public port '80/tcp' published for pp");
  expect_daemon_error(berth({"port", "pp", "53/udp"}), "No public port '53/udp' published for pp");
  expect_daemon_error(berth({"port", "nosuch"}), "No such container: nosuch");
}

// ---- container prune ----

TEST_F(Prune, RemovesStoppedContainersOnlyAndReportsThem) {
  ASSERT_FALSE(sleeper("live").empty());
  ASSERT_TRUE(run({"--name", "done", "busybox", "sh", "-c", "echo x > /big"}).ok());
  std::string done = inspect_container("done").value("Id", "");
  auto r = berth_ok({"container", "prune", "-f"});
  EXPECT_EQ(r.out.rfind("Deleted Containers:\n" + done + "\n\nTotal reclaimed space: ", 0), 0U)
      << r.out;
  EXPECT_FALSE(container_exists("done"));
  EXPECT_EQ(status_of("live"), "running");
  EXPECT_EQ(berth_ok({"container", "prune", "-f"}).out, "Total reclaimed space: 0B\n");
}

TEST_F(Prune, FiltersAndTheConfirmation) {
  ASSERT_TRUE(run({"--name", "keep", "--label", "keep=1", "busybox", "true"}).ok());
  ASSERT_TRUE(run({"--name", "drop", "busybox", "true"}).ok());
  RunOptions no;
  no.input = "n\n";
  auto asked = berth({"container", "prune"}, no);
  EXPECT_EQ(asked.exit_code, 0) << asked.describe();
  EXPECT_TRUE(contains(asked.out, "WARNING! This will remove all stopped containers."));
  EXPECT_TRUE(container_exists("drop"));
  berth_ok({"container", "prune", "-f", "--filter", "until=1h"});
  EXPECT_TRUE(container_exists("drop")) << "created less than an hour ago";
  berth_ok({"container", "prune", "-f", "--filter", "label!=keep"});
  EXPECT_FALSE(container_exists("drop"));
  EXPECT_TRUE(container_exists("keep"));
  expect_daemon_error(berth({"container", "prune", "-f", "--filter", "nope=1"}), "invalid filter");
}

// ---- cp ----

TEST_F(Copy, AFileComesOutOfARunningContainer) {
  ASSERT_FALSE(
      run_detached({"--name", "cc", "--hostname", "cphost"}, {"sleep", "30"}, "busybox").empty());
  std::string dest = sb().work("hostname");
  auto r = berth_ok({"cp", "cc:/etc/hostname", dest});
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(read_file(dest), "cphost\n");
  // Into an existing directory: under the source's base name.
  std::string dir = sb().work("d");
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  berth_ok({"cp", "cc:/etc/hostname", dir});
  EXPECT_EQ(read_file(dir + "/hostname"), "cphost\n");
}

TEST_F(Copy, DirectoriesFollowDockersTrailingDotRule) {
  ASSERT_TRUE(run({"--name", "cc", "busybox", "sh", "-c",
                   "mkdir -p /data/sub && echo 1 > /data/a && echo 2 > /data/sub/b"})
                  .ok());
  std::string dir = sb().work("out");
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  berth_ok({"cp", "cc:/data", dir});  // a stopped container: its rootfs is mounted for the copy
  EXPECT_EQ(read_file(dir + "/data/a"), "1\n");
  EXPECT_EQ(read_file(dir + "/data/sub/b"), "2\n");
  berth_ok({"cp", "cc:/data/.", dir});
  EXPECT_EQ(read_file(dir + "/a"), "1\n");
  berth_ok({"cp", "cc:/data", sb().work("fresh")});  // a missing destination is created
  EXPECT_EQ(read_file(sb().work("fresh/sub/b")), "2\n");
  EXPECT_TRUE(host_trace(inspect_container("cc").value("Id", "")).mounts.empty())
      << "the rootfs mounted for cp is unmounted";
}

TEST_F(Copy, FilesGoIntoRunningAndStoppedContainers) {
  std::string src = sb().work("in.txt");
  write_file(src, "hello\n", 0640);
  ASSERT_FALSE(sleeper("cc").empty());
  berth_ok({"cp", src, "cc:/tmp/"});
  berth_ok({"cp", src, "cc:/tmp/renamed"});
  berth_ok({"cp", "cc:/tmp/in.txt", sb().work("back1")});
  berth_ok({"cp", "cc:/tmp/renamed", sb().work("back2")});
  EXPECT_EQ(read_file(sb().work("back1")), "hello\n");
  EXPECT_EQ(read_file(sb().work("back2")), "hello\n");
  struct stat st {};
  ASSERT_EQ(::stat(sb().work("back1").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640U);
  ASSERT_TRUE(run({"--name", "ss", "busybox", "true"}).ok());
  berth_ok({"cp", src, "ss:/in.txt"});
  berth_ok({"cp", "ss:/in.txt", sb().work("back3")});
  EXPECT_EQ(read_file(sb().work("back3")), "hello\n");
}

// A running container is copied from and into as its processes see it: a --tmpfs and a volume
// mounted inside it are where the files go, not the directories under them in the rootfs.
TEST_F(Copy, ARunningContainersOwnMountsAreUsed) {
  ASSERT_FALSE(run_detached({"--name", "cc", "--tmpfs", "/scratch", "-v", "vol1:/data"},
                            {"sleep", "30"}, "busybox")
                   .empty());
  std::string src = sb().work("in.txt");
  write_file(src, "mounted\n");
  berth_ok({"cp", src, "cc:/scratch/f"});
  berth_ok({"cp", src, "cc:/data/g"});
  EXPECT_EQ(berth_ok({"exec", "cc", "cat", "/scratch/f", "/data/g"}).out, "mounted\nmounted\n");
  berth_ok({"cp", "cc:/data/g", sb().work("back")});
  EXPECT_EQ(read_file(sb().work("back")), "mounted\n");
}

// A stopped container is copied into as docker does it: its volumes and binds are mounted for
// the copy, so the files land in the volume (and a read-only bind refuses them).
TEST_F(Copy, AStoppedContainersVolumesAndBindsAreUsed) {
  std::string host_dir = sb().work("bound");
  ASSERT_EQ(::mkdir(host_dir.c_str(), 0755), 0);
  auto created = berth({"create", "--name", "sv", "-v", "vol2:/data", "-v", host_dir + ":/ro:ro",
                        "busybox", "cat", "/data/g"});
  ASSERT_TRUE(created.ok()) << created.describe();
  std::string src = sb().work("in.txt");
  write_file(src, "into the volume\n");
  berth_ok({"cp", src, "sv:/data/g"});
  EXPECT_EQ(berth_ok({"start", "-a", "sv"}).out, "into the volume\n");
  auto other = run({"--rm", "-v", "vol2:/v", "busybox", "cat", "/v/g"});
  EXPECT_EQ(other.out, "into the volume\n") << "the file is in the volume itself";
  auto ro = berth({"cp", src, "sv:/ro/"});
  EXPECT_NE(ro.exit_code, 0) << ro.describe();
  EXPECT_FALSE(path_exists(host_dir + "/in.txt"));
  EXPECT_TRUE(host_trace(created.out.substr(0, 64)).mounts.empty())
      << "the copy's mounts are gone: " << host_trace(created.out.substr(0, 64)).describe();
}

TEST_F(Copy, SymlinksInTheContainerCannotReachTheHost) {
  ASSERT_FALSE(run_detached({"--name", "cc"},
                            {"sh", "-c", "ln -s /../../../../.. /tmp/up; sleep 30"}, "busybox")
                   .empty());
  ASSERT_TRUE(eventually([&] { return berth({"cp", "cc:/tmp/up", sb().work("probe")}).ok(); }));
  std::string marker = "berth-h7-cp-escape-" + std::to_string(::getpid());
  std::string src = sb().work(marker);
  write_file(src, "x");
  berth_ok({"cp", src, "cc:/tmp/up/"});
  EXPECT_FALSE(path_exists("/" + marker)) << "cp wrote through a symlink onto the host";
  berth_ok({"cp", "cc:/" + marker, sb().work("back")});
  EXPECT_EQ(read_file(sb().work("back")), "x");
  ::unlink(("/" + marker).c_str());
}

TEST_F(Copy, TarStreamsInAndOut) {
  ASSERT_FALSE(sleeper("cc").empty());
  auto out = berth_ok({"cp", "cc:/etc/hostname", "-"});
  auto entries = read_tar(out.out, "cp output");
  ASSERT_EQ(entries.size(), 1U);
  EXPECT_EQ(entries[0].name, "hostname");
  RunOptions in;
  in.input = TarWriter().dir("d/").file("d/f.txt", "tar\n").finish();
  berth_ok({"cp", "-", "cc:/tmp"}, in);
  berth_ok({"cp", "cc:/tmp/d/f.txt", sb().work("f")});
  EXPECT_EQ(read_file(sb().work("f")), "tar\n");
  RunOptions evil;
  evil.input = TarWriter().file("../../escape", "x").finish();
  auto r = berth({"cp", "-", "cc:/tmp"}, evil);
  EXPECT_EQ(r.exit_code, 1) << r.describe();
}

TEST_F(Copy, BadArgumentsAndMissingPaths) {
  ASSERT_FALSE(sleeper("cc").empty());
  expect_daemon_error(berth({"cp", "cc:/nonexistent", sb().work("x")}),
                      "Could not find the file /nonexistent in container cc");
  expect_daemon_error(berth({"cp", sb().work("aa"), sb().work("bb")}),
                      "must specify at least one container source");
  expect_daemon_error(berth({"cp", "cc:/a", "cc:/b"}),
                      "copying between containers is not supported");
  expect_daemon_error(berth({"cp", "cc:/etc/hostname", sb().work("missing/")}),
                      "no such directory");
  write_file(sb().work("file"), "f");
  expect_daemon_error(berth({"cp", "cc:/etc", sb().work("file")}), "cannot copy directory");
  expect_daemon_error(berth({"cp", "cc:/etc/hostname/", sb().work("y")}), "not a directory");
  expect_daemon_error(berth({"cp", "nosuch:/etc", sb().work("z")}), "No such container: nosuch");
}

// ---- export ----

TEST_F(Export, TheRootFilesystemAsATar) {
  ASSERT_TRUE(run({"--name", "ee", "busybox", "sh", "-c", "echo mine > /made"}).ok());
  std::string file = sb().work("e.tar");
  auto r = berth_ok({"export", "ee", "-o", file});
  EXPECT_EQ(r.out, "");
  auto entries = read_tar(read_file(file), "export");
  const TarEntry* made = find_entry(entries, "made");
  ASSERT_NE(made, nullptr);
  EXPECT_EQ(made->data, "mine\n");
  EXPECT_NE(find_entry(entries, "bin/"), nullptr);
  ASSERT_FALSE(sleeper("live").empty());
  auto live = berth_ok({"container", "export", "live"});
  EXPECT_NE(find_entry(read_tar(live.out, "export live"), "etc/"), nullptr);
  expect_daemon_error(berth({"export", "nosuch", "-o", file}), "No such container: nosuch");
}

// ---- attach ----

TEST_F(Attach, AttachStreamsOutputAndTakesTheExitCode) {
  ASSERT_FALSE(
      run_detached({"--name", "aa"}, {"sh", "-c", "sleep 2; echo hi; exit 3"}, "busybox").empty());
  auto r = berth({"attach", "--no-stdin", "aa"});
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  EXPECT_EQ(r.out, "hi\n") << r.describe();
}

TEST_F(Attach, AStoppedContainerCannotBeAttached) {
  ASSERT_TRUE(run({"--name", "done", "busybox", "true"}).ok());
  expect_daemon_error(berth({"attach", "done"}), "You cannot attach to a stopped container");
  expect_daemon_error(berth({"attach", "nosuch"}), "No such container: nosuch");
}

}  // namespace
}  // namespace berth::it
