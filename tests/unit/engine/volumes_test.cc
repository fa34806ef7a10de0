#include "engine/volumes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/strings.h"
#include "unit/store/temp_dir.h"
#include "unit/store/tree_util.h"

namespace berth::engine {
namespace {

using Labels = std::map<std::string, std::string>;

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

std::vector<std::string> names_of(const std::vector<Volume>& vols) {
  std::vector<std::string> out;
  for (const auto& v : vols) {
    out.push_back(v.name);
  }
  return out;
}

// A store root with a volumes set opened on it.
class VolumesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto v = Volumes::open(tmp_.path() + "/root");
    ASSERT_TRUE(v) << v.error().str();
    vols_.emplace(std::move(*v));
  }
  Volumes& vols() { return *vols_; }
  std::string root() const { return tmp_.path() + "/root"; }

  Volume make(const std::string& name, const Labels& labels = {}, const Labels& opts = {}) {
    auto v = vols().create(name, "local", opts, labels);
    EXPECT_TRUE(v) << v.error().str();
    return v ? *v : Volume{};
  }
  // A container record as container_to_json writes it: only what users() reads matters.
  void container_using(const std::string& id, const std::vector<std::string>& volumes) {
    Json mounts = Json::array();
    for (const auto& v : volumes) {
      mounts.push_back({{"Type", "volume"}, {"Name", v}, {"Destination", "/data/" + v}});
    }
    mounts.push_back({{"Type", "bind"}, {"Source", "/srv"}, {"Destination", "/srv"}});
    Json record = {{"Id", id}, {"Name", "c-" + id}, {"Mounts", mounts}};
    ASSERT_TRUE(mkdir_p(root() + "/containers/" + id));
    ASSERT_TRUE(write_file_atomic(root() + "/containers/" + id + "/config.json", record.dump()));
  }
  void put(const std::string& path, const std::string& data) {
    ASSERT_TRUE(write_file_atomic(path, data));
  }

  testing::TempDir tmp_;
  std::optional<Volumes> vols_;
};

TEST_F(VolumesTest, CreateMakesTheDataDirAndRecordWithDockersModes) {
  Volume v = make("data1", {{"team", "a"}}, {});
  EXPECT_EQ(v.name, "data1");
  EXPECT_EQ(v.driver, "local");
  EXPECT_EQ(v.labels, (Labels{{"team", "a"}}));
  EXPECT_EQ(v.mountpoint, root() + "/volumes/data1/_data");
  EXPECT_FALSE(v.anonymous());
  EXPECT_LE(v.created_nanos, now_nanos());
  EXPECT_GT(v.created_nanos, now_nanos() - int64_t{60} * 1000000000);
  EXPECT_EQ(mode_of(root() + "/volumes"), 0701u);
  EXPECT_EQ(mode_of(root() + "/volumes/data1"), 0701u);
  EXPECT_EQ(mode_of(v.mountpoint), 0755u);
  EXPECT_EQ(mode_of(root() + "/volumes/data1/volume.json"), 0600u);
  auto j = parse_json(read_file(root() + "/volumes/data1/volume.json").value(), "volume.json");
  ASSERT_TRUE(j);
  EXPECT_EQ((*j)["Name"], "data1");
  EXPECT_EQ((*j)["Driver"], "local");
  EXPECT_EQ((*j)["Labels"]["team"], "a");
  EXPECT_EQ(parse_rfc3339((*j)["CreatedAt"].get<std::string>()), v.created_nanos);
  auto again = vols().inspect("data1");
  ASSERT_TRUE(again) << again.error().str();
  EXPECT_EQ(again->labels, v.labels);
  EXPECT_EQ(again->created_nanos, v.created_nanos);
  EXPECT_EQ(again->mountpoint, v.mountpoint);
}

TEST_F(VolumesTest, ARelativeRootGivesAbsoluteMountpoints) {
  char* here = ::getcwd(nullptr, 0);
  ASSERT_NE(here, nullptr);
  std::string cwd = here;
  ::free(here);
  ASSERT_EQ(::chdir(tmp_.path().c_str()), 0);
  auto v = Volumes::open("rel");
  ASSERT_EQ(::chdir(cwd.c_str()), 0);
  ASSERT_TRUE(v) << v.error().str();
  EXPECT_EQ(v->data_dir("x1"), tmp_.path() + "/rel/volumes/x1/_data");
}

TEST_F(VolumesTest, CreateWithoutANameMakesAnAnonymousVolume) {
  Volume v = make("");
  EXPECT_EQ(v.name.size(), 64u);
  EXPECT_TRUE(is_hex(v.name)) << v.name;
  EXPECT_TRUE(v.anonymous());
  EXPECT_EQ(v.labels, (Labels{{"com.docker.volume.anonymous", ""}}));
  EXPECT_TRUE(path_exists(v.mountpoint));
  EXPECT_NE(make("").name, v.name);
}

TEST_F(VolumesTest, CreateOfAnExistingNameReturnsItUnchanged) {
  Volume first = make("shared", {{"v", "1"}});
  Volume second = make("shared", {{"v", "2"}}, {});
  EXPECT_EQ(second.labels, (Labels{{"v", "1"}}));
  EXPECT_EQ(second.created_nanos, first.created_nanos);
}

TEST_F(VolumesTest, CreateRefusesBadNamesWithDockersWordingAndMakesNothing) {
  auto short_name = vols().create("a", "local", {}, {});
  ASSERT_FALSE(short_name);
  EXPECT_EQ(short_name.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(short_name.error().str(),
            "create a: volume name is too short, names should be at least two alphanumeric "
            "characters");
  for (const char* bad : {"a$", "-ab", ".ab", "_ab", "../x", "a/b", "a b", "Ü1"}) {
    auto r = vols().create(bad, "", {}, {});
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
    EXPECT_EQ(r.error().str(),
              fmt::format("create {}: \"{}\" includes invalid characters for a local volume name, "
                          "only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass "
                          "a host directory, use absolute path",
                          bad, bad));
  }
  auto vs = vols().list();
  ASSERT_TRUE(vs);
  EXPECT_TRUE(vs->empty());
  EXPECT_FALSE(path_exists(tmp_.path() + "/x"));
  for (const char* good : {"ab", "A.b-c_9", "9lives"}) {
    EXPECT_TRUE(validate_volume_name(good)) << good;
  }
}

TEST_F(VolumesTest, CreateRefusesOtherDriversAsDockerDoes) {
  auto r = vols().create("v1", "nfs", {}, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kNotFound);
  EXPECT_EQ(r.error().str(),
            "create v1: error looking up volume plugin nfs: plugin \"nfs\" not found");
  EXPECT_FALSE(path_exists(root() + "/volumes/v1"));
}

TEST_F(VolumesTest, CreateValidatesOptionsLikeTheLocalDriver) {
  const std::vector<std::pair<Labels, std::string>> cases = {
      {{{"foo", "x"}}, "create v1: invalid option: \"foo\""},
      {{{"type", "tmpfs"}}, "create v1: missing required option: \"device\""},
      {{{"device", "/dev/x"}}, "create v1: missing required option: \"type\""},
      {{{"o", "size=1m"}}, "create v1: missing required option: \"device\""},
      {{{"size", "10m"}}, "create v1: quota size requested but no quota support"},
      {{{"type", "cifs"}, {"device", "//host:445/share"}},
       "create v1: port not allowed in CIFS device URL, include 'port' in 'o='"},
  };
  for (const auto& [opts, message] : cases) {
    auto r = vols().create("v1", "local", opts, {});
    ASSERT_FALSE(r) << message;
    EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
    EXPECT_EQ(r.error().str(), message);
  }
  EXPECT_FALSE(path_exists(root() + "/volumes/v1"));
  Volume t = make("tmp1", {}, {{"type", "tmpfs"}, {"device", "tmpfs"}, {"o", "size=100m"}});
  EXPECT_TRUE(t.needs_mount());
  EXPECT_EQ(vols().inspect("tmp1")->options.at("o"), "size=100m");
  EXPECT_FALSE(make("plain").needs_mount());
}

TEST_F(VolumesTest, RacingCreatesOfOneNameAllGetTheSameVolume) {
  std::vector<std::thread> threads;
  std::vector<Result<Volume>> results(8, fail(Code::kInternal, "not run"));
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      auto v = Volumes::open(root());
      results[i] = v ? v->create("race", "", {}, {{"n", std::to_string(i)}})
                     : Result<Volume>(tl::unexpected(v.error()));
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  ASSERT_TRUE(results[0]) << results[0].error().str();
  for (const auto& r : results) {
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(r->created_nanos, results[0]->created_nanos);
    EXPECT_EQ(r->labels, results[0]->labels);
  }
  auto entries = testing::snapshot(root() + "/volumes");
  for (const auto& [path, desc] : entries) {
    EXPECT_FALSE(path.starts_with(".tmp-")) << path << " left behind";
  }
}

TEST_F(VolumesTest, ListIsSortedAndSkipsWhatIsNotAVolume) {
  make("b-vol");
  make("a-vol");
  ASSERT_TRUE(mkdir_p(root() + "/volumes/.tmp-abc/_data"));
  put(root() + "/volumes/junk", "x");
  ASSERT_TRUE(mkdir_p(root() + "/volumes/empty"));
  ASSERT_TRUE(mkdir_p(root() + "/volumes/broken/_data"));
  put(root() + "/volumes/broken/volume.json", "{not json");
  // A directory with only _data is a volume to docker too.
  ASSERT_TRUE(mkdir_p(root() + "/volumes/legacy/_data"));
  auto vs = vols().list();
  ASSERT_TRUE(vs) << vs.error().str();
  EXPECT_EQ(names_of(*vs), (std::vector<std::string>{"a-vol", "b-vol", "legacy"}));
  EXPECT_EQ(vols().inspect("broken").error().code(), Code::kCorrupt);
  EXPECT_GT(vols().inspect("legacy")->created_nanos, 0);
  // A broken record can still be removed; what is no volume cannot.
  EXPECT_TRUE(vols().remove("broken", false, {}));
  EXPECT_EQ(vols().remove("junk", false, {}).error().code(), Code::kNotFound);
  EXPECT_TRUE(path_exists(root() + "/volumes/junk"));
}

TEST_F(VolumesTest, CreateTakesOverAnEmptyDirectoryThatIsNotAVolume) {
  ASSERT_TRUE(mkdir_p(root() + "/volumes/stale"));
  Volume v = make("stale");
  EXPECT_TRUE(path_exists(v.mountpoint));
  ASSERT_TRUE(mkdir_p(root() + "/volumes/other/keep"));
  auto r = vols().create("other", "", {}, {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().str().find("exists and is not a volume"), std::string::npos);
  EXPECT_TRUE(path_exists(root() + "/volumes/other/keep"));
}

TEST_F(VolumesTest, InspectOfAnUnknownOrImpossibleNameIsNotFound) {
  for (const char* name : {"nosuch", "../etc", "a", ".lock"}) {
    auto r = vols().inspect(name);
    ASSERT_FALSE(r) << name;
    EXPECT_EQ(r.error().code(), Code::kNotFound);
    EXPECT_EQ(r.error().str(), fmt::format("get {}: no such volume", name));
  }
}

TEST_F(VolumesTest, RemoveDeletesTheVolumeAndItsData) {
  Volume v = make("gone");
  put(v.mountpoint + "/file", "data");
  ASSERT_TRUE(mkdir_p(v.mountpoint + "/sub/dir"));
  ASSERT_EQ(::symlink("/etc/passwd", (v.mountpoint + "/sub/link").c_str()), 0);
  auto r = vols().remove("gone", false, {});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_FALSE(path_exists(root() + "/volumes/gone"));
  EXPECT_TRUE(path_exists("/etc/passwd"));
  for (const auto& [path, desc] : testing::snapshot(root() + "/volumes")) {
    EXPECT_EQ(path, ".lock") << "left behind";
  }
}

TEST_F(VolumesTest, RemoveOfAnUnknownVolumeIsNotFoundUnlessForced) {
  auto r = vols().remove("nosuch", false, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kNotFound);
  EXPECT_EQ(r.error().str(), "get nosuch: no such volume");
  EXPECT_TRUE(vols().remove("nosuch", true, {}));
  EXPECT_FALSE(vols().remove("../volumes", false, {}));
  EXPECT_TRUE(path_exists(root() + "/volumes"));
}

TEST_F(VolumesTest, RemoveOfAVolumeInUseIsAConflictEvenWithForce) {
  Volume v = make("busy");
  for (bool force : {false, true}) {
    auto r = vols().remove("busy", force, {"c1", "c2"});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), Code::kConflict);
    EXPECT_EQ(r.error().str(), "remove busy: volume is in use - [c1, c2]");
  }
  EXPECT_TRUE(path_exists(v.mountpoint));
}

TEST_F(VolumesTest, UsersComeFromTheMountsOfContainerRecords) {
  container_using("c2", {"v1", "v2"});
  container_using("c1", {"v1"});
  ASSERT_TRUE(mkdir_p(root() + "/containers/half-made"));
  ASSERT_TRUE(mkdir_p(root() + "/containers/broken"));
  put(root() + "/containers/broken/config.json", "{\"Mounts\": [");
  ASSERT_TRUE(mkdir_p(root() + "/containers/odd"));
  put(root() + "/containers/odd/config.json",
      R"({"Mounts": [{"Type": "volume"}, {"Type": "volume", "Name": 7}, "x", {"Name": "v3"}]})");
  auto users = vols().users();
  ASSERT_TRUE(users) << users.error().str();
  EXPECT_EQ(*users, (VolumeUsers{{"v1", {"c1", "c2"}}, {"v2", {"c2"}}}));
}

TEST_F(VolumesTest, UsersOfAStoreWithoutContainersIsEmpty) {
  auto users = vols().users();
  ASSERT_TRUE(users) << users.error().str();
  EXPECT_TRUE(users->empty());
}

TEST_F(VolumesTest, RemoveUnusedRefusesAVolumeAContainerUses) {
  make("used");
  make("free");
  container_using("abc", {"used"});
  auto r = vols().remove_unused("used", true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().str(), "remove used: volume is in use - [abc]");
  EXPECT_TRUE(vols().remove_unused("free", false));
  EXPECT_EQ(names_of(*vols().list()), std::vector<std::string>{"used"});
}

TEST_F(VolumesTest, PruneRemovesOnlyUnusedAnonymousVolumesByDefault) {
  Volume anon = make("");
  put(anon.mountpoint + "/a", std::string(100, 'x'));
  Volume busy = make("");
  make("named");
  container_using("c1", {busy.name});
  auto r = vols().prune({});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->removed, std::vector<std::string>{anon.name});
  EXPECT_EQ(r->reclaimed, 100);
  auto left = names_of(*vols().list());
  EXPECT_EQ(std::set<std::string>(left.begin(), left.end()),
            (std::set<std::string>{busy.name, "named"}));
}

TEST_F(VolumesTest, PruneAllKeepsUsedVolumesAndVolumesWithDriverOptions) {
  make("named");
  make("used");
  make("mounted", {}, {{"type", "tmpfs"}, {"device", "tmpfs"}});
  container_using("c1", {"used"});
  ASSERT_TRUE(mkdir_p(root() + "/volumes/.rm-leftover/_data/x"));
  VolumePruneOptions o;
  o.all = true;
  auto r = vols().prune(o);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->removed, std::vector<std::string>{"named"});
  EXPECT_EQ(names_of(*vols().list()), (std::vector<std::string>{"mounted", "used"}));
  EXPECT_FALSE(path_exists(root() + "/volumes/.rm-leftover")) << "prune sweeps leftovers";
}

TEST_F(VolumesTest, PruneLabelFiltersSelectAndExclude) {
  make("v-a", {{"env", "test"}});
  make("v-b", {{"env", "prod"}});
  make("v-c", {{"keep", ""}, {"env", "test"}});
  auto o = parse_volume_prune_filters({"label=env", "label!=keep"}, true);
  ASSERT_TRUE(o) << o.error().str();
  auto r = vols().prune(*o);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->removed, (std::vector<std::string>{"v-a", "v-b"}));
  o = parse_volume_prune_filters({"label=env=prod"}, true);
  EXPECT_TRUE(vols().prune(*o)->removed.empty());
}

TEST_F(VolumesTest, ListFiltersByDanglingNameDriverAndLabel) {
  make("web-data", {{"app", "web"}});
  make("db-data", {{"app", "db"}, {"tier", "1"}});
  make("cache");
  container_using("c1", {"db-data"});
  auto names = [&](const std::vector<std::string>& args) {
    auto f = parse_volume_list_filters(args);
    EXPECT_TRUE(f) << f.error().str();
    auto vs = vols().list(*f);
    EXPECT_TRUE(vs) << vs.error().str();
    return names_of(*vs);
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names({}), (V{"cache", "db-data", "web-data"}));
  EXPECT_EQ(names({"dangling=true"}), (V{"cache", "web-data"}));
  EXPECT_EQ(names({"dangling=0"}), (V{"db-data"}));
  EXPECT_EQ(names({"name=data"}), (V{"db-data", "web-data"}));
  EXPECT_EQ(names({"name=^c", "name=web"}), (V{"cache", "web-data"}));
  EXPECT_EQ(names({"name=[bad"}), V{});
  EXPECT_EQ(names({"driver=local", "label=app"}), (V{"db-data", "web-data"}));
  EXPECT_EQ(names({"label=app=db", "label=tier"}), (V{"db-data"}));
  EXPECT_EQ(names({"driver=nfs"}), V{});
  EXPECT_EQ(names({" Label = app=web"}), (V{"web-data"}));
}

TEST(VolumeFilters, BadFiltersAreRefusedWithDockersWording) {
  auto err = [](const Result<VolumeFilters>& r) { return r ? "" : r.error().str(); };
  EXPECT_EQ(err(parse_volume_list_filters({"foo=bar"})), "invalid filter 'foo'");
  EXPECT_EQ(err(parse_volume_list_filters({"dangling=maybe"})),
            "invalid filter 'dangling=[maybe]'");
  EXPECT_EQ(err(parse_volume_list_filters({"dangling=true", "dangling=0"})),
            "invalid filter 'dangling=[0 true]'");
  EXPECT_EQ(err(parse_volume_list_filters({"dangling"})),
            "bad format of filter (expected name=value)");
  auto perr = [](const Result<VolumePruneOptions>& r) { return r ? "" : r.error().str(); };
  EXPECT_EQ(perr(parse_volume_prune_filters({"all=1"}, true)),
            "conflicting options: cannot specify both --all and --filter all=1");
  EXPECT_EQ(perr(parse_volume_prune_filters({"all=yes"}, false)),
            "invalid filter 'all': strconv.ParseBool: parsing \"yes\": invalid syntax");
  EXPECT_EQ(perr(parse_volume_prune_filters({"until=1h"}, false)), "invalid filter 'until'");
  EXPECT_EQ(perr(parse_volume_prune_filters({"dangling=true"}, false)),
            "invalid filter 'dangling'");
  EXPECT_TRUE(parse_volume_prune_filters({"all=true"}, false)->all);
  EXPECT_FALSE(parse_volume_prune_filters({"all=0"}, false)->all);
  EXPECT_TRUE(parse_volume_prune_filters({}, true)->all);
}

TEST(VolumeJson, InspectHasDockersMembersInDockersOrder) {
  Volume v;
  v.name = "v1";
  v.labels = {{"a", "b"}};
  v.mountpoint = "/r/volumes/v1/_data";
  v.created_nanos = 1700000000123456789;
  Json j = volume_inspect_json(v);
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) {
    keys.push_back(it.key());
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"CreatedAt", "Driver", "Labels", "Mountpoint", "Name",
                                            "Options", "Scope"}));
  EXPECT_EQ(j["Options"], Json::object());
  EXPECT_EQ(j["Scope"], "local");
  std::string created = j["CreatedAt"];
  EXPECT_EQ(parse_rfc3339(created), int64_t{1700000000} * 1000000000) << created;
  EXPECT_EQ(created.find('.'), std::string::npos) << "seconds only: " << created;
}

TEST(VolumeJson, LocalTimesCarryTheZoneOffsetOrZ) {
  std::string saved = getenv("TZ") ? getenv("TZ") : "";
  bool had = getenv("TZ") != nullptr;
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  EXPECT_EQ(rfc3339_local(int64_t{1700000000} * 1000000000), "2023-11-14T22:13:20Z");
  ::setenv("TZ", "XST-5:30", 1);
  ::tzset();
  EXPECT_EQ(rfc3339_local(int64_t{1700000000} * 1000000000), "2023-11-15T03:43:20+05:30");
  ::setenv("TZ", "YST7", 1);
  ::tzset();
  EXPECT_EQ(rfc3339_local(int64_t{1700000000} * 1000000000), "2023-11-14T15:13:20-07:00");
  if (had) {
    ::setenv("TZ", saved.c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
  ::tzset();
}

}  // namespace
}  // namespace berth::engine
