// logs (--tail, -t, --since/--until, rotation with max-size/max-file), ps and inspect's shape.
#include <filesystem>
#include <regex>
#include <set>

#include "container/probe_image.h"

namespace berth::it {
namespace {

using Logs = ContainerTest;
using PsInspect = ContainerTest;

// Line i of `probe log N SIZE`: "<i> " padded with 'x' to SIZE-1 characters.
std::string probe_line(int i, int size) {
  std::string line = std::to_string(i) + " ";
  line.resize(static_cast<size_t>(size - 1), 'x');
  return line;
}

TEST_F(Logs, LogsPrintTheLinesInOrderAndTailCutsThem) {
  ASSERT_FALSE(run_detached({"--name", "lg"}, {"/probe", "log", "50", "100"}).empty());
  ASSERT_EQ(wait_exit("lg"), 0);
  auto all = split_lines(berth({"logs", "lg"}).out);
  ASSERT_EQ(all.size(), 50u);
  for (int i = 1; i <= 50; ++i) {
    EXPECT_EQ(all[i - 1], probe_line(i, 100));
  }
  auto tail = split_lines(berth({"logs", "--tail", "5", "lg"}).out);
  ASSERT_EQ(tail.size(), 5u);
  EXPECT_EQ(tail[0], probe_line(46, 100));
  EXPECT_EQ(tail[4], probe_line(50, 100));
  auto zero = berth({"logs", "--tail", "0", "lg"});
  EXPECT_EQ(zero.out, "") << zero.describe();
}

TEST_F(Logs, StderrLinesComeBackOnStderr) {
  ASSERT_FALSE(run_detached({"--name", "le"}, {"/probe", "log", "3", "10", "--stderr"}).empty());
  ASSERT_EQ(wait_exit("le"), 0);
  auto r = berth({"logs", "le"});
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "1 xxxxxxx\n2 xxxxxxx\n3 xxxxxxx\n") << r.describe();
}

TEST_F(Logs, TimestampsHaveDockersShapeAndSinceUntilFilter) {
  ASSERT_FALSE(run_detached({"--name", "lt"}, {"/probe", "log", "4", "10"}).empty());
  ASSERT_EQ(wait_exit("lt"), 0);
  auto ts = split_lines(berth({"logs", "-t", "lt"}).out);
  ASSERT_EQ(ts.size(), 4u);
  std::regex shape(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z 1 xxxxxxx$)");
  EXPECT_TRUE(std::regex_match(ts[0], shape)) << ts[0];
  EXPECT_EQ(split_lines(berth({"logs", "--since", "2000-01-01T00:00:00Z", "lt"}).out).size(), 4u);
  EXPECT_EQ(split_lines(berth({"logs", "--since", "10m", "lt"}).out).size(), 4u);
  EXPECT_EQ(berth({"logs", "--until", "2000-01-01T00:00:00Z", "lt"}).out, "");
  EXPECT_EQ(berth({"logs", "--since", "2999-01-01T00:00:00Z", "lt"}).out, "");
  // --since at the first line's own timestamp keeps every line (docker's bound is inclusive).
  std::string first = ts[0].substr(0, ts[0].find(' '));
  EXPECT_EQ(split_lines(berth({"logs", "--since", first, "lt"}).out).size(), 4u);
}

TEST_F(Logs, RotationKeepsExactlyMaxFileFiles) {
  std::string id =
      run_detached({"--name", "rot", "--log-opt", "max-size=1k", "--log-opt", "max-file=3"},
                   {"/probe", "log", "200", "100"});
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(wait_exit("rot"), 0);
  std::set<std::string> logs;
  for (const auto& e : std::filesystem::directory_iterator(container_dir(id))) {
    std::string name = e.path().filename().string();
    if (name.find("json.log") != std::string::npos) {
      logs.insert(name);
      EXPECT_LE(e.file_size(), 2048u) << name << " grew far past max-size";
    }
  }
  std::set<std::string> want = {id + "-json.log", id + "-json.log.1", id + "-json.log.2"};
  EXPECT_EQ(logs, want);
  auto lines = split_lines(berth({"logs", "rot"}).out);
  ASSERT_FALSE(lines.empty());
  EXPECT_LT(lines.size(), 200u) << "rotated-out lines are gone";
  EXPECT_EQ(lines.back(), probe_line(200, 100));
  Json ins = inspect_container("rot");
  EXPECT_EQ(ins["HostConfig"]["LogConfig"],
            (Json{{"Type", "json-file"}, {"Config", {{"max-file", "3"}, {"max-size", "1k"}}}}));
}

TEST_F(PsInspect, PsListsRunningByDefaultAndAllWithA) {
  std::string up = run_detached({"--name", "up"}, {"/probe", "sleep", "30"});
  ASSERT_FALSE(up.empty());
  auto done = run({"--name", "done", "probe:latest", "/probe", "exit", "0"});
  ASSERT_TRUE(done.ok()) << done.describe();
  std::string done_id = inspect_container("done").value("Id", "");

  EXPECT_EQ(berth({"ps", "-q"}).out, up.substr(0, 12) + "\n");
  auto all = split_lines(berth({"ps", "-a", "-q"}).out);
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()),
            (std::set<std::string>{up.substr(0, 12), done_id.substr(0, 12)}));
  EXPECT_EQ(berth({"ps", "-a", "-q", "--filter", "status=exited"}).out,
            done_id.substr(0, 12) + "\n");
  auto names = split_lines(berth({"ps", "-a", "--format", "{{.Names}}"}).out);
  EXPECT_EQ(names, (std::vector<std::string>{"done", "up"})) << "newest first";

  auto table = berth({"ps", "-a"});
  auto rows = parse_table(
      table.out, {"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"});
  ASSERT_EQ(rows.size(), 2u) << table.out;
  EXPECT_EQ(rows[1]["CONTAINER ID"], up.substr(0, 12));
  EXPECT_EQ(rows[1]["IMAGE"], "probe:latest");
  EXPECT_EQ(rows[1]["COMMAND"], "\"/probe sleep 30\"");
  EXPECT_EQ(rows[1]["STATUS"].rfind("Up ", 0), 0u) << rows[1]["STATUS"];
  EXPECT_EQ(rows[0]["STATUS"].rfind("Exited (0) ", 0), 0u) << rows[0]["STATUS"];
  EXPECT_EQ(rows[0]["NAMES"], "done");
}

TEST_F(PsInspect, InspectHasDockersShape) {
  std::string id = run_detached({"--name", "shape", "--memory", "64m"}, {"/probe", "sleep", "30"});
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(wait_status("shape", "running"));
  Json ins = inspect_container("shape");
  ASSERT_TRUE(ins.is_object());
  EXPECT_EQ(ins["Id"], id);
  EXPECT_EQ(ins["Name"], "/shape");
  EXPECT_EQ(ins["Path"], "/probe");
  EXPECT_EQ(ins["Args"], Json::array({"sleep", "30"}));
  EXPECT_EQ(ins["Image"], probe_id_);
  EXPECT_EQ(ins["State"]["Status"], "running");
  EXPECT_EQ(ins["State"]["Running"], true);
  pid_t pid = ins["State"]["Pid"].get<pid_t>();
  EXPECT_TRUE(process_alive(pid)) << pid;
  EXPECT_EQ(ins["Config"]["Cmd"], Json::array({"/probe", "sleep", "30"}));
  EXPECT_EQ(ins["Config"]["Image"], "probe:latest");
  EXPECT_EQ(ins["Config"]["Hostname"], id.substr(0, 12));
  EXPECT_EQ(ins["HostConfig"]["Memory"], 64 * 1024 * 1024);
  EXPECT_EQ(ins["RestartCount"], 0);
  EXPECT_EQ(ins["LogPath"], container_dir(id) + "/" + id + "-json.log");
  // Top-level inspect finds containers too, as docker's does.
  auto top = berth({"inspect", "--format", "{{.Name}}", "shape"});
  EXPECT_EQ(top.out, "/shape\n") << top.describe();
  auto stopped = berth({"kill", "shape"});
  EXPECT_TRUE(stopped.ok()) << stopped.describe();
  EXPECT_EQ(wait_exit("shape"), 137);
  Json after = inspect_container("shape");
  EXPECT_EQ(after["State"]["Status"], "exited");
  EXPECT_EQ(after["State"]["Pid"], 0);
  EXPECT_NE(after["State"]["FinishedAt"], "0001-01-01T00:00:00Z");
}

}  // namespace
}  // namespace berth::it
