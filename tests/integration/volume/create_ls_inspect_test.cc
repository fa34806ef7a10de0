// `berth volume create`, `volume ls` and `volume inspect`: output, files and refusals.
#include <sys/stat.h>

#include <set>

#include "volume/volume_helpers.h"

namespace berth::it {
namespace {

using VolumeCreate = VolumeTest;

TEST_F(VolumeCreate, CreatePrintsTheNameAndMakesTheDataDirectory) {
  EXPECT_EQ(create({"mydata"}), "mydata");
  struct stat st {};
  ASSERT_EQ(::stat(data_dir("mydata").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  Json v = inspect_volume("mydata");
  EXPECT_EQ(v["Name"], "mydata");
  EXPECT_EQ(v["Driver"], "local");
  EXPECT_EQ(v["Mountpoint"], data_dir("mydata"));
  EXPECT_EQ(v["Labels"], Json::object());
  EXPECT_EQ(v["Options"], Json::object());
  EXPECT_EQ(v["Scope"], "local");
}

TEST_F(VolumeCreate, CreateWithoutANameMakesAnAnonymousVolume) {
  std::string name = create();
  ASSERT_EQ(name.size(), 64u) << name;
  EXPECT_EQ(name.find_first_not_of("0123456789abcdef"), std::string::npos) << name;
  EXPECT_EQ(inspect_volume(name)["Labels"], (Json{{"com.docker.volume.anonymous", ""}}));
}

TEST_F(VolumeCreate, LabelsAndDriverOptionsShowInInspect) {
  create({"--label", "team=web", "--label", "flag", "-o", "type=tmpfs", "-o", "device=tmpfs",
          "--opt", "o=size=1m", "-d", "local", "opts"});
  Json v = inspect_volume("opts");
  EXPECT_EQ(v["Labels"], (Json{{"flag", ""}, {"team", "web"}}));
  EXPECT_EQ(v["Options"], (Json{{"device", "tmpfs"}, {"o", "size=1m"}, {"type", "tmpfs"}}));
}

TEST_F(VolumeCreate, CreatingAnExistingNameAgainReturnsTheSameVolume) {
  create({"--label", "v=1", "again"});
  Json first = inspect_volume("again");
  EXPECT_EQ(create({"--label", "v=2", "again"}), "again");
  EXPECT_EQ(inspect_volume("again"), first) << "docker keeps the first volume as it was";
  EXPECT_EQ(names(), std::vector<std::string>{"again"});
}

TEST_F(VolumeCreate, TheHiddenNameFlagWorksButNotTogetherWithTheArgument) {
  EXPECT_EQ(create({"--name", "byflag"}), "byflag");
  expect_daemon_error({"volume", "create", "--name", "x1", "x2"},
                      "conflicting options: cannot specify a volume-name through both --name and "
                      "as a positional arg");
}

TEST_F(VolumeCreate, BadNamesAreRefusedWithDockersMessage) {
  expect_daemon_error({"volume", "create", "a"},
                      "create a: volume name is too short, names should be at least two "
                      "alphanumeric characters");
  for (std::string bad : {"a$b", "_x", "..", "../escape", "a/b", "x y"}) {
    SCOPED_TRACE(bad);
    expect_daemon_error({"volume", "create", bad},
                        "create " + bad + ": \"" + bad +
                            "\" includes invalid characters for a local volume name, only "
                            "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a "
                            "host directory, use absolute path");
  }
  EXPECT_FALSE(path_exists(sb().dir() + "/escape"));
}

TEST_F(VolumeCreate, UnknownDriversAndOptionsAreRefused) {
  expect_daemon_error({"volume", "create", "-d", "nfs", "v1"},
                      "create v1: error looking up volume plugin nfs: plugin \"nfs\" not found");
  expect_daemon_error({"volume", "create", "-o", "foo=bar", "v1"},
                      "create v1: invalid option: \"foo\"");
  expect_daemon_error({"volume", "create", "-o", "type=tmpfs", "v1"},
                      "create v1: missing required option: \"device\"");
  expect_daemon_error({"volume", "create", "-o", "size=1g", "v1"},
                      "create v1: quota size requested but no quota support");
}

TEST_F(VolumeCreate, FlagErrorsExit125) {
  auto before = store_state();
  for (std::vector<std::string> args :
       {std::vector<std::string>{"volume", "create", "--label", "=x", "v1"},
        std::vector<std::string>{"volume", "create", "--label", "a b=x", "v1"},
        std::vector<std::string>{"volume", "create", "one", "two"},
        std::vector<std::string>{"volume", "create", "--bogus"}}) {
    auto r = berth(args);
    EXPECT_EQ(r.exit_code, 125) << r.describe();
    EXPECT_EQ(r.out, "") << r.describe();
  }
  EXPECT_NE(berth({"volume", "create", "--label", "=x", "v1"}).err.find("invalid label '=x'"),
            std::string::npos);
  EXPECT_TRUE(store_state() == before) << store_state().diff_from(before);
}

using VolumeLs = VolumeTest;

TEST_F(VolumeLs, AnEmptyStoreListsOnlyTheHeader) {
  EXPECT_EQ(berth_ok({"volume", "ls"}).out, "DRIVER    VOLUME NAME\n");
  EXPECT_EQ(berth_ok({"volume", "ls", "-q"}).out, "");
}

TEST_F(VolumeLs, LsShowsDriverAndNameInNaturalOrder) {
  for (const char* n : {"vol10", "vol9", "Beta", "alpha"}) {
    create({n});
  }
  auto r = berth_ok({"volume", "ls"});
  auto rows = parse_table(r.out, kVolumeColumns);
  ASSERT_EQ(rows.size(), 4u) << r.out;
  std::vector<std::string> got;
  for (auto& row : rows) {
    EXPECT_EQ(row["DRIVER"], "local");
    got.push_back(row["VOLUME NAME"]);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"Beta", "alpha", "vol9", "vol10"}));
  EXPECT_EQ(berth_ok({"volume", "list", "-q"}).out, "Beta\nalpha\nvol9\nvol10\n");
}

TEST_F(VolumeLs, JsonFormatHasDockersFields) {
  create({"--label", "b=2", "--label", "a=1", "js"});
  auto r = berth_ok({"volume", "ls", "--format", "json"});
  auto lines = split_lines(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  EXPECT_EQ(
      lines[0],
      "{\"Availability\":\"N/A\",\"Driver\":\"local\",\"Group\":\"N/A\",\"Labels\":\"a=1,b=2\","
      "\"Links\":\"N/A\",\"Mountpoint\":\"" +
          data_dir("js") +
          "\",\"Name\":\"js\",\"Scope\":\"local\",\"Size\":\"N/A\",\"Status\":\"N/A\"}");
}

TEST_F(VolumeLs, TemplatesAndTableTemplatesWork) {
  create({"--label", "k=v", "tpl"});
  EXPECT_EQ(berth_ok({"volume", "ls", "--format", "{{.Name}}|{{.Labels}}|{{.Scope}}"}).out,
            "tpl|k=v|local\n");
  auto r = berth_ok({"volume", "ls", "--format", "table {{.Name}}\t{{.Mountpoint}}"});
  auto rows = parse_table(r.out, {"VOLUME NAME", "MOUNTPOINT"});
  ASSERT_EQ(rows.size(), 1u) << r.out;
  EXPECT_EQ(rows[0]["MOUNTPOINT"], data_dir("tpl"));
  EXPECT_EQ(berth_ok({"volume", "ls", "--format", "raw"}).out, "name: tpl\ndriver: local\n\n");
  EXPECT_EQ(berth_ok({"volume", "ls", "-q", "--format", "{{.Driver}}"}).out, "local\n");
}

TEST_F(VolumeLs, FiltersSelectByNameLabelDriverAndDangling) {
  create({"--label", "app=web", "web-data"});
  create({"--label", "app=db", "db-data"});
  create({"cache"});
  auto ls = [&](std::vector<std::string> filters) {
    std::vector<std::string> args = {"volume", "ls", "-q"};
    for (auto& f : filters) {
      args.push_back("-f");
      args.push_back(f);
    }
    return berth_ok(args).out;
  };
  EXPECT_EQ(ls({"name=data"}), "db-data\nweb-data\n");
  EXPECT_EQ(ls({"label=app"}), "db-data\nweb-data\n");
  EXPECT_EQ(ls({"label=app=db"}), "db-data\n");
  EXPECT_EQ(ls({"driver=local", "name=^c"}), "cache\n");
  EXPECT_EQ(ls({"dangling=true"}), "cache\ndb-data\nweb-data\n") << "no container uses any";
  EXPECT_EQ(ls({"dangling=false"}), "");
  EXPECT_EQ(ls({"driver=other"}), "");
}

TEST_F(VolumeLs, BadFiltersAreRefused) {
  create({"v1"});
  expect_daemon_error({"volume", "ls", "-f", "foo=bar"}, "invalid filter 'foo'");
  expect_daemon_error({"volume", "ls", "-f", "dangling=maybe"},
                      "invalid filter 'dangling=[maybe]'");
  auto r = berth({"volume", "ls", "-f", "dangling"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_NE(r.err.find("bad format of filter (expected name=value)"), std::string::npos)
      << r.describe();
}

using VolumeInspect = VolumeTest;

TEST_F(VolumeInspect, InspectPrintsDockersDocument) {
  create({"--label", "x=y", "doc"});
  auto r = berth_ok({"volume", "inspect", "doc"});
  Json j = parse_json(r.out, "inspect");
  ASSERT_TRUE(j.is_array() && j.size() == 1) << r.out;
  std::vector<std::string> keys;
  for (auto it = j[0].begin(); it != j[0].end(); ++it) {
    keys.push_back(it.key());
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"CreatedAt", "Driver", "Labels", "Mountpoint", "Name",
                                            "Options", "Scope"}));
  EXPECT_TRUE(r.out.starts_with("[\n    {\n        \"CreatedAt\": \"")) << r.out;
  std::string created = j[0]["CreatedAt"];
  // RFC 3339 to the second, with Z or a zone offset.
  ASSERT_GE(created.size(), 20u) << created;
  EXPECT_EQ(created[10], 'T') << created;
  EXPECT_EQ(created.find('.'), std::string::npos) << created;
  EXPECT_TRUE(created.back() == 'Z' || created[created.size() - 6] == '+' ||
              created[created.size() - 6] == '-')
      << created;
}

TEST_F(VolumeInspect, FormatIsAppliedToEachVolume) {
  create({"f1"});
  create({"f2"});
  EXPECT_EQ(berth_ok({"volume", "inspect", "-f", "{{.Name}} {{.Driver}}", "f1", "f2"}).out,
            "f1 local\nf2 local\n");
  EXPECT_EQ(berth_ok({"volume", "inspect", "--format", "{{json .Labels}}", "f1"}).out, "{}\n");
}

TEST_F(VolumeInspect, UnknownVolumesFailWithExit1AfterTheKnownOnesArePrinted) {
  create({"known"});
  auto r = berth({"volume", "inspect", "known", "nosuch"});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  Json j = parse_json(r.out, "inspect");
  ASSERT_TRUE(j.is_array() && j.size() == 1) << r.describe();
  EXPECT_EQ(j[0]["Name"], "known");
  EXPECT_EQ(r.err, "Error: get nosuch: no such volume\n");
  auto bad = berth({"volume", "inspect", "../volumes"});
  EXPECT_EQ(bad.exit_code, 1) << bad.describe();
  EXPECT_EQ(bad.out, "[]\n");
  EXPECT_EQ(bad.err, "Error: get ../volumes: no such volume\n");
}

}  // namespace
}  // namespace berth::it
