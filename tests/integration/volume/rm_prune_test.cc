// `berth volume rm` and `volume prune`. Volumes in use by a container are left for the
// container tests (issue 3): they need real containers, not hand-written records.
#include <algorithm>

#include "volume/volume_helpers.h"

namespace berth::it {
namespace {

using VolumeRm = VolumeTest;

TEST_F(VolumeRm, RmPrintsEachNameAndRemovesTheData) {
  create({"r1"});
  create({"r2"});
  write_file(data_dir("r1") + "/file", "content");
  auto r = berth_ok({"volume", "rm", "r1", "r2"});
  EXPECT_EQ(r.out, "r1\nr2\n");
  EXPECT_EQ(r.err, "");
  EXPECT_FALSE(path_exists(sb().root() + "/volumes/r1"));
  EXPECT_FALSE(path_exists(sb().root() + "/volumes/r2"));
  EXPECT_EQ(names(), std::vector<std::string>{});
  // Nothing is left beside the volumes but the lock file.
  EXPECT_EQ(list_tree(sb().root() + "/volumes"), std::vector<std::string>{".lock"});
}

TEST_F(VolumeRm, RemoveIsTheSameCommand) {
  create({"r1"});
  EXPECT_EQ(berth_ok({"volume", "remove", "r1"}).out, "r1\n");
}

TEST_F(VolumeRm, AnUnknownVolumeFailsWithExit1ButTheOthersAreRemoved) {
  create({"a1"});
  create({"b1"});
  auto r = berth({"volume", "rm", "a1", "nosuch", "b1"});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_EQ(r.out, "a1\nb1\n");
  EXPECT_EQ(r.err, "Error: get nosuch: no such volume\n");
  EXPECT_EQ(names(), std::vector<std::string>{});
}

TEST_F(VolumeRm, ForceMakesAnUnknownVolumeNoError) {
  auto r = berth_ok({"volume", "rm", "-f", "nosuch"});
  EXPECT_EQ(r.out, "nosuch\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(VolumeRm, NamesThatCannotBeVolumesRemoveNothing) {
  create({"keep"});
  for (const char* bad : {"..", ".", "../volumes", "keep/_data", ".lock"}) {
    SCOPED_TRACE(bad);
    expect_daemon_error({"volume", "rm", bad}, std::string("get ") + bad + ": no such volume");
  }
  EXPECT_EQ(names(), std::vector<std::string>{"keep"});
}

TEST_F(VolumeRm, RmWithoutArgumentsIsAUsageError) {
  auto r = berth({"volume", "rm"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
}

class VolumePrune : public VolumeTest {
 protected:
  const std::string kAnonymousWarning =
      "WARNING! This will remove anonymous local volumes not used by at least one container.\n"
      "Are you sure you want to continue? [y/N] ";
};

TEST_F(VolumePrune, PruneRemovesOnlyAnonymousVolumesAndReportsTheirSize) {
  std::string anon = create();
  create({"named"});
  write_file(data_dir(anon) + "/blob", std::string(1234, 'x'));
  auto r = berth_ok({"volume", "prune", "-f"});
  EXPECT_EQ(r.out, "Deleted Volumes:\n" + anon + "\n\nTotal reclaimed space: 1.234kB\n");
  EXPECT_EQ(names(), std::vector<std::string>{"named"});
}

TEST_F(VolumePrune, PruneAllRemovesNamedVolumesToo) {
  std::string anon = create();
  create({"named"});
  auto r = berth_ok({"volume", "prune", "--all", "--force"});
  auto lines = split_lines(r.out);
  ASSERT_EQ(lines.size(), 5u) << r.out;
  EXPECT_EQ(lines[0], "Deleted Volumes:");
  std::vector<std::string> removed = {lines[1], lines[2]};
  std::sort(removed.begin(), removed.end());
  std::vector<std::string> want = {anon, "named"};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(removed, want);
  EXPECT_EQ(lines[4], "Total reclaimed space: 0B");
  EXPECT_EQ(names(), std::vector<std::string>{});
}

TEST_F(VolumePrune, PruneKeepsVolumesWithDriverOptions) {
  create({"-o", "type=tmpfs", "-o", "device=tmpfs", "mounted"});
  EXPECT_EQ(berth_ok({"volume", "prune", "-a", "-f"}).out, "Total reclaimed space: 0B\n");
  EXPECT_EQ(names(), std::vector<std::string>{"mounted"});
}

TEST_F(VolumePrune, NothingToPruneReclaimsZeroAndChangesNothing) {
  create({"named"});
  auto before = store_state();
  EXPECT_EQ(berth_ok({"volume", "prune", "-f"}).out, "Total reclaimed space: 0B\n");
  EXPECT_TRUE(store_state() == before) << store_state().diff_from(before);
}

TEST_F(VolumePrune, LabelFiltersChooseWhatIsPruned) {
  create({"--label", "env=test", "t1"});
  create({"--label", "env=prod", "p1"});
  create({"--label", "env=test", "--label", "keep", "t2"});
  auto r = berth_ok(
      {"volume", "prune", "-a", "-f", "--filter", "label=env=test", "--filter", "label!=keep"});
  EXPECT_EQ(r.out, "Deleted Volumes:\nt1\n\nTotal reclaimed space: 0B\n");
  EXPECT_EQ(names(), (std::vector<std::string>{"p1", "t2"}));
  r = berth_ok({"volume", "prune", "-f", "--filter", "all=true", "--filter", "label=env=prod"});
  EXPECT_EQ(r.out, "Deleted Volumes:\np1\n\nTotal reclaimed space: 0B\n");
}

TEST_F(VolumePrune, WithoutForceItAsksAndAnythingButYesKeepsEverything) {
  create();
  for (const char* answer : {"n\n", "", "yes\n", "\n"}) {
    SCOPED_TRACE(answer);
    auto before = store_state();
    RunOptions o;
    o.input = answer;
    auto r = berth({"volume", "prune"}, o);
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.out, kAnonymousWarning) << "docker prints nothing more when cancelled";
    EXPECT_EQ(r.err, "");
    EXPECT_TRUE(store_state() == before) << store_state().diff_from(before);
  }
  EXPECT_EQ(names().size(), 1u);
}

TEST_F(VolumePrune, WithoutForceYesPrunes) {
  std::string anon = create();
  RunOptions o;
  o.input = " Y \n";
  auto r = berth({"volume", "prune"}, o);
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out,
            kAnonymousWarning + "Deleted Volumes:\n" + anon + "\n\nTotal reclaimed space: 0B\n");
  o.input = "n\n";
  auto all = berth({"volume", "prune", "-a"}, o);
  EXPECT_TRUE(all.out.starts_with(
      "WARNING! This will remove all local volumes not used by at least one container.\n"))
      << all.describe();
}

TEST_F(VolumePrune, BadFiltersAreRefused) {
  create();
  expect_daemon_error({"volume", "prune", "-a", "-f", "--filter", "all=1"},
                      "conflicting options: cannot specify both --all and --filter all=1");
  expect_daemon_error({"volume", "prune", "-f", "--filter", "until=24h"}, "invalid filter 'until'");
  expect_daemon_error({"volume", "prune", "-f", "--filter", "all=perhaps"},
                      "invalid filter 'all': strconv.ParseBool: parsing \"perhaps\": invalid "
                      "syntax");
  auto r = berth({"volume", "prune", "-f", "--filter", "label"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
}

}  // namespace
}  // namespace berth::it
