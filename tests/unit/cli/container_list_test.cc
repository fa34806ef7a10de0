#include "cli/commands/container_list.h"

#include <gtest/gtest.h>

#include "base/strings.h"
#include "cli/commands/image_json.h"
#include "cli/format/table.h"

namespace berth::cli {
namespace {

constexpr int64_t kSecond = 1000000000;
const int64_t kNow = *parse_rfc3339("2024-05-01T12:00:00Z");

std::string ago(int64_t seconds) { return rfc3339_nano(kNow - seconds * kSecond); }

engine::ContainerState state(const std::string& status, int64_t started_ago = -1,
                             int64_t finished_ago = -1, int exit_code = 0) {
  engine::ContainerState s;
  s.status = status;
  s.exit_code = exit_code;
  if (started_ago >= 0) {
    s.started_at = ago(started_ago);
  }
  if (finished_ago >= 0) {
    s.finished_at = ago(finished_ago);
  }
  return s;
}

TEST(ContainerStatus, ReadsAsDockersStatusColumn) {
  EXPECT_EQ(container_status_text(state("created"), kNow), "Created");
  EXPECT_EQ(container_status_text(state("running", 3), kNow), "Up 3 seconds");
  EXPECT_EQ(container_status_text(state("running", 0), kNow), "Up Less than a second");
  EXPECT_EQ(container_status_text(state("running", 150), kNow), "Up 2 minutes");
  EXPECT_EQ(container_status_text(state("paused", 5), kNow), "Up 5 seconds (Paused)");
  EXPECT_EQ(container_status_text(state("exited", 10, 3, 0), kNow), "Exited (0) 3 seconds ago");
  EXPECT_EQ(container_status_text(state("exited", 7200, 3600, 137), kNow),
            "Exited (137) About an hour ago");
  EXPECT_EQ(container_status_text(state("restarting", 10, 2, 1), kNow),
            "Restarting (1) 2 seconds ago");
  EXPECT_EQ(container_status_text(state("dead", 10, 2), kNow), "Dead");
  EXPECT_EQ(container_status_text(state("removing", 10, 2), kNow), "Removal In Progress");
  // Never started: docker says Created whatever the recorded status.
  EXPECT_EQ(container_status_text(state("exited"), kNow), "Created");
  // Stopped without a finish time: docker prints nothing.
  EXPECT_EQ(container_status_text(state("exited", 10), kNow), "");
}

TEST(ContainerStatus, RunningContainersShowTheirHealth) {
  auto s = state("running", 120);
  s.health = engine::Health{};
  EXPECT_EQ(container_status_text(s, kNow), "Up 2 minutes (health: starting)");
  s.health->status = "healthy";
  EXPECT_EQ(container_status_text(s, kNow), "Up 2 minutes (healthy)");
  s.health->status = "unhealthy";
  EXPECT_EQ(container_status_text(s, kNow), "Up 2 minutes (unhealthy)");
  s.status = "paused";
  EXPECT_EQ(container_status_text(s, kNow), "Up 2 minutes (Paused)");
}

TEST(ContainerCommand, QuotesArgumentsWithSpacesAsDockerd) {
  engine::Container c;
  c.path = "sh";
  c.args = {"-c", "exit 1"};
  EXPECT_EQ(container_command(c), "sh -c 'exit 1'");
  c.args = {};
  EXPECT_EQ(container_command(c), "sh");
}

TEST(Ellipsis, CutsToTheWidthWithAnEllipsisInTheLastColumn) {
  EXPECT_EQ(ellipsis("sh -c 'exit 1'", 20), "sh -c 'exit 1'");
  EXPECT_EQ(ellipsis("12345678901234567890", 20), "12345678901234567890");
  EXPECT_EQ(ellipsis("123456789012345678901", 20), "1234567890123456789…");
  EXPECT_EQ(ellipsis("abc", 1), "a");
  EXPECT_EQ(ellipsis("abc", 0), "");
  // Wide characters count two columns (docker's charWidth).
  EXPECT_EQ(ellipsis("你好世界", 5), "你好…");
  EXPECT_EQ(ellipsis("你好", 4), "你好");
  EXPECT_EQ(ellipsis("héllo wörld", 6), "héllo…");
}

TEST(TruncateId, DropsTheAlgorithmAndKeepsTwelve) {
  EXPECT_EQ(truncate_id("sha256:bc98fe775bac24c42a9f08aa09344d8f"), "bc98fe775bac");
  EXPECT_EQ(truncate_id("7dee6a2c70c055f0d672e1e7badf37d7"), "7dee6a2c70c0");
  EXPECT_EQ(truncate_id("abc"), "abc");
}

TEST(DisplayImage, ShowsFamiliarNamesAndShortIds) {
  std::string id = "sha256:bc98fe775bac24c42a9f08aa09344d8fa657a08c2401ffddec2a8c8ae83ea913";
  EXPECT_EQ(display_image("busybox", id, true), "busybox");
  EXPECT_EQ(display_image("docker.io/library/busybox:1.36", id, true), "busybox:1.36");
  EXPECT_EQ(display_image("localhost:5000/app:1", id, true), "localhost:5000/app:1");
  EXPECT_EQ(display_image("busybox:1@sha256:" + std::string(64, 'a'), id, true), "busybox:1");
  EXPECT_EQ(display_image(id, id, true), "bc98fe775bac");
  EXPECT_EQ(display_image("bc98fe775bac", id, true), "bc98fe775bac");
  EXPECT_EQ(display_image(id, id, false), id);
  EXPECT_EQ(display_image("docker.io/library/busybox", id, false), "docker.io/library/busybox");
  EXPECT_EQ(display_image("", id, true), "<no image>");
}

engine::Container container(const std::string& name, int64_t created_ago,
                            engine::ContainerState s) {
  engine::Container c;
  c.id = name + std::string(64 - name.size(), '0');
  c.name = name;
  c.created = ago(created_ago);
  c.path = "sleep";
  c.args = {"1000"};
  c.image_id = "sha256:" + std::string(64, 'b');
  c.config.image = "busybox";
  c.state = std::move(s);
  return c;
}

RowOptions row_options() {
  RowOptions o;
  o.now_nanos = kNow;
  o.image = "busybox";
  return o;
}

std::string render_containers(std::string_view format, const std::vector<engine::Container>& cs,
                              RowOptions o = row_options()) {
  auto f = Formatter::create(format, ps_format("", false, false), container_headers());
  if (!f) {
    return f.error().str();
  }
  for (const auto& c : cs) {
    f->add(container_row(c, o));
  }
  auto out = f->render();
  return out ? *out : out.error().str();
}

TEST(ContainerRow, TableMatchesDockersPsLayout) {
  auto web = container("web", 7, state("running", 6));
  web.config.labels = {{"a", "b"}};
  auto job = container("job", 8, state("exited", 7, 5, 3));
  job.path = "sh";
  job.args = {"-c", "exit 3"};
  EXPECT_EQ(
      render_containers("", {web, job}),
      "CONTAINER ID   IMAGE     COMMAND            CREATED         STATUS                     "
      "PORTS     NAMES\n"
      "web000000000   busybox   \"sleep 1000\"       7 seconds ago   Up 6 seconds          "
      "               web\n"
      "job000000000   busybox   \"sh -c 'exit 3'\"   8 seconds ago   Exited (3) 5 seconds ago "
      "            job\n");
}

TEST(ContainerRow, JsonHasDockersFieldsInSortedOrder) {
  auto c = container("web", 3, state("running", 2));
  c.config.labels = {{"x", "y"}, {"a", "b"}};
  c.host_config.network_mode = "host";
  c.mounts = {{"volume", "vol1", "/v/vol1/_data", "/data", "local", "z", true, ""},
              {"bind", "", "/a/very/long/host/path", "/h", "", "", true, "rprivate"}};
  auto created = *parse_rfc3339(c.created) / kSecond * kSecond;
  EXPECT_EQ(
      render_containers("json", {c}),
      "{\"Command\":\"\\\"sleep 1000\\\"\",\"CreatedAt\":\"" + docker_time(created) +
          "\",\"ID\":\"web000000000\",\"Image\":\"busybox\",\"Labels\":\"a=b,x=y\","
          "\"LocalVolumes\":\"1\",\"Mounts\":\"vol1,/a/very/long/h…\",\"Names\":\"web\","
          "\"Networks\":\"host\",\"Platform\":null,\"Ports\":\"\",\"RunningFor\":\"3 "
          "seconds ago\",\"Size\":\"0B\",\"State\":\"running\",\"Status\":\"Up 2 seconds\"}\n");
}

TEST(ContainerRow, NoTruncKeepsIdsCommandsAndMountNames) {
  auto c = container("web", 3, state("running", 2));
  c.args = {"a very long argument list that goes on"};
  c.mounts = {{"bind", "", "/a/very/long/host/path", "/h", "", "", true, "rprivate"}};
  RowOptions o = row_options();
  o.trunc = false;
  Json row = container_row(c, o);
  EXPECT_EQ(row["ID"], c.id);
  EXPECT_EQ(row["Command"], "\"sleep 'a very long argument list that goes on'\"");
  EXPECT_EQ(row["Mounts"], "/a/very/long/host/path");
  o.trunc = true;
  EXPECT_EQ(container_row(c, o)["Command"], "\"sleep 'a very long …\"");
}

TEST(ContainerRow, SizeShowsTheWritableLayerAndTheVirtualTotal) {
  auto c = container("web", 3, state("running", 2));
  RowOptions o = row_options();
  o.size = {2, 1990000};
  EXPECT_EQ(container_row(c, o)["Size"], "2B (virtual 1.99MB)");
}

TEST(ContainerRow, LabelCallsReadOneLabel) {
  auto c = container("web", 3, state("running", 2));
  c.config.labels = {{"com.example.tier", "front"}};
  bool used = false;
  std::string format =
      rewrite_label_calls("{{.Names}} {{.Label \"com.example.tier\"}}|{{.Label `x`}}", &used);
  EXPECT_TRUE(used);
  RowOptions o = row_options();
  o.label_lookup = true;
  EXPECT_EQ(render_containers(format, {c}, o), "web front|\n");
  // Outside actions, and other fields, stay as they are.
  used = false;
  EXPECT_EQ(rewrite_label_calls(".Label \"x\" {{.Labels}} {{$x.Label \"y\"}}", &used),
            ".Label \"x\" {{.Labels}} {{$x.Label \"y\"}}");
  EXPECT_FALSE(used);
}

TEST(PsFormat, PicksDockersFormatForQuietSizeAndRaw) {
  EXPECT_EQ(ps_format("", true, false), "{{.ID}}");
  EXPECT_EQ(ps_format("{{.Names}}", true, false), "{{.ID}}");
  EXPECT_EQ(ps_format("json", true, false), "{{.ID}}");
  EXPECT_EQ(ps_format("raw", true, false), "container_id: {{.ID}}");
  EXPECT_EQ(ps_format("{{.Names}}", false, true), "{{.Names}}");
  EXPECT_TRUE(ps_format("table", false, true).ends_with("{{.Names}}\\t{{.Size}}"));
  EXPECT_TRUE(ps_format("", false, false).ends_with("{{.Names}}"));
}

std::string filter_error(const std::vector<std::string>& args) {
  auto f = parse_container_filters(args);
  return f ? "ok" : f.error().str();
}

TEST(ContainerFilters, RejectWhatDockerdRejects) {
  EXPECT_EQ(filter_error({"x=1"}), "invalid filter 'x'");
  EXPECT_EQ(filter_error({"name"}), "bad format of filter (expected name=value): name");
  EXPECT_EQ(filter_error({"status=foo"}),
            "invalid filter 'status=foo': invalid value for state (foo): must be one of created, "
            "running, paused, restarting, removing, exited, dead");
  EXPECT_EQ(filter_error({"health=foo"}),
            "invalid filter 'health=foo': invalid value for health (foo): must be one of none, "
            "starting, healthy, unhealthy");
  EXPECT_EQ(filter_error({"exited=x"}),
            "invalid filter 'exited=x': strconv.Atoi: parsing \"x\": invalid syntax");
  EXPECT_EQ(filter_error({"publish=1:2"}), "filter for 'publish' should not contain ':': 1:2");
  EXPECT_EQ(filter_error({"is-task=maybe"}), "invalid filter 'is-task=[maybe]'");
  EXPECT_EQ(filter_error({"Name=x", " label = a=b ", "exited=-1", "status=exited", ""}), "ok");
  auto f = parse_container_filters({"Name=x", " label = a=b "});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->values.at("name"), std::set<std::string>{"x"});
  EXPECT_EQ(f->values.at("label"), std::set<std::string>{"a=b"});
}

class Selection : public ::testing::Test {
 protected:
  void SetUp() override {
    // Newest first, as the engine lists them (docker's c1..c6 of a test session).
    auto c6 = container("c6", 1, state("paused", 1));
    auto c5 = container("c5", 2, state("restarting", 2, 1, 1));
    auto c4 = container("c4", 3, state("running", 3));
    c4.mounts = {{"volume", "vol1", "/v/vol1/_data", "/data", "local", "z", true, ""},
                 {"bind", "", "/tmp", "/hosttmp", "", "ro", false, "rprivate"}};
    c4.host_config.network_mode = "host";
    auto c3 = container("c3", 4, state("exited", 4, 4, 3));
    auto c2 = container("c2", 5, state("running", 5));
    c2.config.labels = {{"a", "b"}, {"x", "y"}};
    c2.state.health = engine::Health{"healthy", 0, {}};
    c2.image_id = "sha256:" + std::string(64, 'c');
    auto c1 = container("c1", 6, state("created"));
    all_ = {c6, c5, c4, c3, c2, c1};
  }

  std::string names(const std::vector<std::string>& filters, bool all = false, int limit = -1) {
    auto f = parse_container_filters(filters);
    if (!f) {
      return f.error().str();
    }
    if (f->has("ancestor")) {
      f->ancestor_ids = std::set<std::string>{"sha256:" + std::string(64, 'c')};
    }
    auto got = select_containers(all_, *f, all, limit);
    if (!got) {
      return got.error().str();
    }
    std::vector<std::string> out;
    for (const auto* c : *got) {
      out.push_back(c->name);
    }
    return join(out, ",");
  }

  std::vector<engine::Container> all_;
};

TEST_F(Selection, ShowsRunningPausedAndRestartingUnlessAll) {
  EXPECT_EQ(names({}), "c6,c5,c4,c2");
  EXPECT_EQ(names({}, true), "c6,c5,c4,c3,c2,c1");
}

TEST_F(Selection, LimitAndLatestIncludeEveryState) {
  EXPECT_EQ(names({}, false, 1), "c6");
  EXPECT_EQ(names({}, false, 5), "c6,c5,c4,c3,c2");
  EXPECT_EQ(names({"status=exited"}, false, 1), "c3");
  EXPECT_EQ(names({}, false, 0), "c6,c5,c4,c2");
}

TEST_F(Selection, StatusFiltersImplyAllAndOrTheirValues) {
  EXPECT_EQ(names({"status=exited", "status=created"}), "c3,c1");
  EXPECT_EQ(names({"status=paused"}), "c6");
}

TEST_F(Selection, BeforeAndSinceCutTheListAtAContainer) {
  EXPECT_EQ(names({"since=c3"}, true), "c6,c5,c4");
  EXPECT_EQ(names({"since=c1"}), "c6,c5,c4,c2");
  EXPECT_EQ(names({"before=c3"}, true), "c2,c1");
  EXPECT_EQ(names({"before=/c3"}, true), "c2,c1");
  EXPECT_EQ(names({"before=" + all_[3].id}, true), "c2,c1");
  EXPECT_EQ(names({"before=nope"}, true), "No such container: nope");
}

TEST_F(Selection, NamesMatchAsRegularExpressionsAndIdsAsUniquePrefixes) {
  EXPECT_EQ(names({"name=c[12]"}, true), "c2,c1");
  EXPECT_EQ(names({"name=^/c4$"}, true), "c4");
  EXPECT_EQ(names({"name=^c4$"}, true), "c4");
  EXPECT_EQ(names({"name=(bad"}, true), "");
  EXPECT_EQ(names({"id=c3"}, true), "c3");
  EXPECT_EQ(names({"id=c"}, true), "");     // not unique
  EXPECT_EQ(names({"id=3000"}, true), "");  // not a prefix
}

TEST_F(Selection, LabelsMustAllMatch) {
  EXPECT_EQ(names({"label=a"}, true), "c2");
  EXPECT_EQ(names({"label=a=b", "label=x"}, true), "c2");
  EXPECT_EQ(names({"label=a=c"}, true), "");
  EXPECT_EQ(names({"label=a", "label=z"}, true), "");
}

TEST_F(Selection, ExitedMatchesStoppedContainersThatRan) {
  EXPECT_EQ(names({"exited=3", "exited=0"}, true), "c3");
  EXPECT_EQ(names({"exited=1"}, true), "");  // c5 is restarting, so up
}

TEST_F(Selection, HealthVolumeNetworkAndAncestor) {
  EXPECT_EQ(names({"health=none"}), "c6,c5,c4");
  EXPECT_EQ(names({"health=healthy"}), "c2");
  EXPECT_EQ(names({"volume=/data"}, true), "c4");
  EXPECT_EQ(names({"volume=vol1"}, true), "c4");
  EXPECT_EQ(names({"volume=/tmp"}, true), "c4");
  EXPECT_EQ(names({"volume=/nope"}, true), "");
  EXPECT_EQ(names({"network=host"}, true), "c4");
  EXPECT_EQ(names({"network=none"}, false), "c6,c5,c2");
  EXPECT_EQ(names({"ancestor=whatever"}, true), "c2");
  EXPECT_EQ(names({"publish=80"}, true), "");
  EXPECT_EQ(names({"is-task=false"}, true), "c6,c5,c4,c3,c2,c1");
}

}  // namespace
}  // namespace berth::cli
