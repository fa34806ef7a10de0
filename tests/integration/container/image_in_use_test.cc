// Images that containers use: rmi refuses or only untags them, image prune keeps them, and the
// layers of a container whose image was removed by force stay until the container goes (docker's
// daemon/images/image_delete.go rules and texts).
#include "container/probe_image.h"

namespace berth::it {
namespace {

class ImageInUse : public ContainerTest {
 protected:
  // `create --name NAME IMAGE echo in-use` → the full ID ("" after recording a failure).
  std::string create_echo(const std::string& name, const std::string& image) {
    auto r = berth({"create", "--name", name, image, "echo", "in-use"});
    EXPECT_TRUE(r.ok()) << r.describe();
    return r.ok() ? r.out.substr(0, 64) : "";
  }
};

bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(ImageInUse, RemovingTheLastNameOfAnImageAContainerUsesMustBeForced) {
  std::string image = import_probe("app:1");
  std::string id = create_echo("c1", "app:1");
  ASSERT_FALSE(id.empty());
  auto r = berth({"rmi", "app:1"});
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(mentions(r.err,
                       "conflict: unable to remove repository reference \"app:1\" (must "
                       "force) - container " +
                           id.substr(0, 12) + " is using its referenced image " +
                           image.substr(7, 12)))
      << r.describe();
  EXPECT_TRUE(berth({"image", "inspect", "app:1"}).ok());
  // Another name of the same image can go: the image keeps a name.
  berth_ok({"tag", "app:1", "app:2"});
  EXPECT_EQ(berth_ok({"rmi", "app:2"}).out, "Untagged: app:2\n");
}

TEST_F(ImageInUse, AForcedRemovalByNameUntagsAndTheImageStaysForTheContainer) {
  std::string image = import_probe("app:1");
  ASSERT_FALSE(create_echo("c1", "app:1").empty());
  EXPECT_EQ(berth_ok({"rmi", "-f", "app:1"}).out, "Untagged: app:1\n");
  EXPECT_FALSE(berth({"image", "inspect", "app:1"}).ok());
  EXPECT_TRUE(berth({"image", "inspect", image}).ok()) << "the image must stay, dangling";
  EXPECT_EQ(berth_ok({"start", "-a", "c1"}).out, "in-use\n");
}

TEST_F(ImageInUse, ARunningContainersImageCannotBeDeletedEvenByForce) {
  std::string image = import_probe("app:1");
  std::string id = run_detached({"--name", "r1"}, {"sleep", "30"}, "app:1");
  ASSERT_FALSE(id.empty());
  for (auto force : {false, true}) {
    std::vector<std::string> args = {"rmi"};
    if (force) {
      args.push_back("-f");
    }
    args.push_back(image);
    auto r = berth(args);
    EXPECT_NE(r.exit_code, 0) << r.describe();
    EXPECT_TRUE(mentions(r.err, "conflict: unable to delete " + image.substr(7, 12) +
                                    " (cannot be forced) - image is being used by running "
                                    "container " +
                                    id.substr(0, 12)))
        << r.describe();
  }
  EXPECT_TRUE(berth({"image", "inspect", "app:1"}).ok());
}

TEST_F(ImageInUse, AStoppedContainersImageIsDeletedOnlyByForceAndItsLayersStay) {
  std::string image = import_probe("app:1");
  std::string id = create_echo("c1", "app:1");
  ASSERT_FALSE(id.empty());
  auto r = berth({"rmi", image});
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(mentions(r.err, "conflict: unable to delete " + image.substr(7, 12) +
                                  " (must be forced) - image is being used by stopped container " +
                                  id.substr(0, 12)))
      << r.describe();
  auto forced = berth_ok({"rmi", "-f", image});
  EXPECT_EQ(forced.out, "Untagged: app:1\nDeleted: " + image + "\n");
  EXPECT_FALSE(berth({"image", "inspect", image}).ok());
  // The garbage collector kept the container's layers: it still starts.
  EXPECT_EQ(berth_ok({"start", "-a", "c1"}).out, "in-use\n");
  // An unrelated prune does not take them either.
  berth_ok({"image", "prune", "-a", "-f"});
  EXPECT_EQ(berth_ok({"start", "-a", "c1"}).out, "in-use\n");
}

TEST_F(ImageInUse, PruneAllKeepsTheImagesContainersWereCreatedFrom) {
  std::string used = import_probe("used:1");
  std::string unused = import_probe("unused:1", {"ENV UNUSED=1"});
  ASSERT_NE(used, unused);
  ASSERT_FALSE(create_echo("c1", "used:1").empty());
  auto r = berth_ok({"image", "prune", "-a", "-f"});
  EXPECT_TRUE(mentions(r.out, "untagged: unused:1")) << r.out;
  EXPECT_FALSE(mentions("\n" + r.out, "\nuntagged: used:1\n")) << r.out;
  EXPECT_TRUE(berth({"image", "inspect", "used:1"}).ok());
  EXPECT_FALSE(berth({"image", "inspect", "unused:1"}).ok());
  EXPECT_EQ(berth_ok({"start", "-a", "c1"}).out, "in-use\n");
}

}  // namespace
}  // namespace berth::it
