// Several berth processes writing one store at once: every import and tag lands, and the store
// stays a consistent OCI layout (index.json valid, every referenced blob present and intact).
#include <future>
#include <set>

#include "sandbox.h"

namespace berth::it {
namespace {

constexpr int kProcesses = 8;

class Concurrency : public SandboxTest {
 protected:
  // Runs fn(i) for i in [0, n) on n threads at once and returns the results in order.
  template <typename Fn>
  auto in_parallel(int n, Fn fn) {
    std::vector<std::future<decltype(fn(0))>> futures;
    for (int i = 0; i < n; ++i) {
      futures.push_back(std::async(std::launch::async, fn, i));
    }
    std::vector<decltype(fn(0))> out;
    for (auto& f : futures) {
      out.push_back(f.get());
    }
    return out;
  }

  std::set<std::string> named_refs() {
    std::set<std::string> refs;
    Json idx = sb().index();
    for (const auto& m : idx["manifests"]) {
      if (m.contains("annotations")) {
        std::string ref = m["annotations"].value("org.opencontainers.image.ref.name", "");
        EXPECT_TRUE(refs.insert(ref).second) << "index.json names " << ref << " twice";
      }
    }
    return refs;
  }
};

TEST_F(Concurrency, ParallelImportsAndTagsOfDistinctImagesAllLand) {
  for (int i = 0; i < kProcesses; ++i) {
    write_file(sb().work("t" + std::to_string(i) + ".tar"),
               tiny_rootfs_tar("par" + std::to_string(i)));
  }
  // Starts on a store nobody has initialised yet: the first writes race too.
  auto results = in_parallel(kProcesses, [&](int i) {
    std::string n = std::to_string(i);
    auto imp = sb().berth({"import", sb().work("t" + n + ".tar"), "par" + n + ":v1"});
    auto tag = sb().berth({"tag", "par" + n + ":v1", "alias" + n + ":v2"});
    return std::make_pair(imp, tag);
  });
  std::map<std::string, std::string> want;  // familiar name -> short ID
  for (int i = 0; i < kProcesses; ++i) {
    auto& [imp, tag] = results[i];
    ASSERT_TRUE(imp.ok()) << imp.describe();
    ASSERT_TRUE(tag.ok()) << tag.describe();
    ASSERT_TRUE(is_image_id(imp.out.substr(0, imp.out.size() - 1))) << imp.describe();
    std::string id = imp.out.substr(7, 12);
    want["par" + std::to_string(i) + ":v1"] = id;
    want["alias" + std::to_string(i) + ":v2"] = id;
  }
  auto listed = berth_ok({"images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"});
  std::map<std::string, std::string> got;
  for (const auto& line : split_lines(listed.out)) {
    got[line.substr(0, line.find(' '))] = line.substr(line.find(' ') + 1);
  }
  EXPECT_EQ(got, want) << listed.out;
  EXPECT_EQ(named_refs().size(), 2u * kProcesses);
  EXPECT_EQ(sb().store_problems(), "");
}

TEST_F(Concurrency, ParallelTagsOfOneImageAllLand) {
  std::string busybox = sb().make_busybox();
  ASSERT_FALSE(busybox.empty());
  auto results = in_parallel(kProcesses, [&](int i) {
    return sb().berth({"tag", "busybox", "t" + std::to_string(i) + ":x"});
  });
  for (const auto& r : results) {
    EXPECT_TRUE(r.ok()) << r.describe();
  }
  for (int i = 0; i < kProcesses; ++i) {
    EXPECT_EQ(inspect("t" + std::to_string(i) + ":x")["Id"], busybox);
  }
  EXPECT_EQ(named_refs().size(), kProcesses + 1u);
  EXPECT_EQ(sb().store_problems(), "");
}

TEST_F(Concurrency, ParallelImportsOfOneTarShareOneLayer) {
  std::string tar = tiny_rootfs_tar("same");
  write_file(sb().work("same.tar"), tar);
  auto results = in_parallel(kProcesses, [&](int i) {
    return sb().berth({"import", sb().work("same.tar"), "same" + std::to_string(i) + ":1"});
  });
  for (const auto& r : results) {
    EXPECT_TRUE(r.ok()) << r.describe();
  }
  std::set<std::string> layers;
  for (int i = 0; i < kProcesses; ++i) {
    Json m = sb().manifest("docker.io/library/same" + std::to_string(i) + ":1");
    ASSERT_TRUE(m.is_object());
    layers.insert(m["layers"][0]["digest"].get<std::string>());
  }
  EXPECT_EQ(layers, std::set<std::string>{"sha256:" + sha256_hex(tar)});
  EXPECT_EQ(sb().store_problems(), "");
  // One copy of the layer blob: each process ingested the same content.
  EXPECT_TRUE(path_exists(sb().root() + "/blobs/sha256/" + sha256_hex(tar)));
}

TEST_F(Concurrency, ParallelImportsAndRemovalsLeaveAConsistentStore) {
  const int n = kProcesses / 2;
  std::vector<std::string> old_layers;
  for (int i = 0; i < n; ++i) {
    std::string tar = tiny_rootfs_tar("old" + std::to_string(i));
    ASSERT_FALSE(sb().import_tar(tar, "old" + std::to_string(i) + ":1").empty());
    old_layers.push_back(sha256_hex(tar));
    write_file(sb().work("new" + std::to_string(i) + ".tar"),
               tiny_rootfs_tar("new" + std::to_string(i)));
  }
  auto results = in_parallel(2 * n, [&](int k) {
    std::string i = std::to_string(k / 2);
    return k % 2 == 0 ? sb().berth({"import", sb().work("new" + i + ".tar"), "new" + i + ":1"})
                      : sb().berth({"rmi", "old" + i + ":1"});
  });
  for (const auto& r : results) {
    EXPECT_TRUE(r.ok()) << r.describe();
  }
  std::set<std::string> want;
  for (int i = 0; i < n; ++i) {
    want.insert("docker.io/library/new" + std::to_string(i) + ":1");
    EXPECT_FALSE(path_exists(sb().root() + "/blobs/sha256/" + old_layers[i]))
        << "old" << i << ":1's layer is collected";
  }
  EXPECT_EQ(named_refs(), want);
  EXPECT_EQ(sb().store_problems(), "");
  for (int i = 0; i < n; ++i) {
    EXPECT_TRUE(inspect("new" + std::to_string(i) + ":1").is_object());
  }
}

// The first writers of a store race to create it (oci-layout, index.json, locks/): none of
// their names may be lost. Several rounds on fresh stores, because the window is small.
TEST_F(Concurrency, ParallelFirstImportsIntoAFreshStoreLoseNoName) {
  write_file(sb().work("fresh.tar"), tiny_rootfs_tar("fresh"));
  for (int round = 0; round < 10; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::string root = sb().new_root("fresh" + std::to_string(round));
    auto results = in_parallel(kProcesses, [&](int i) {
      return sb().berth_at(root, {"import", sb().work("fresh.tar"), "f" + std::to_string(i)});
    });
    for (const auto& r : results) {
      EXPECT_TRUE(r.ok()) << r.describe();
    }
    auto listed = sb().berth_at(root, {"images", "--format", "{{.Repository}}"});
    EXPECT_EQ(split_lines(listed.out).size(), static_cast<size_t>(kProcesses)) << listed.out;
    EXPECT_EQ(sb().store_problems(root), "");
  }
}

// Garbage collection of one image must not break a process working on another.
TEST_F(Concurrency, ParallelRemovalsOfDistinctImagesAllSucceed) {
  for (int i = 0; i < kProcesses; ++i) {
    ASSERT_FALSE(
        sb().import_tar(tiny_rootfs_tar("rm" + std::to_string(i)), "rm" + std::to_string(i) + ":1")
            .empty());
  }
  auto results = in_parallel(kProcesses, [&](int i) {
    return sb().berth({"rmi", "rm" + std::to_string(i) + ":1"});
  });
  for (const auto& r : results) {
    EXPECT_TRUE(r.ok()) << r.describe();
  }
  EXPECT_EQ(berth_ok({"images", "-q"}).out, "");
  EXPECT_EQ(list_tree(sb().root() + "/blobs"), std::vector<std::string>{});
  EXPECT_EQ(sb().store_problems(), "");
}

// Readers take no lock (index.json is replaced by rename): a listing that runs while images are
// removed shows each image or not, but never fails.
TEST_F(Concurrency, ListingWhileRemovingNeverFails) {
  for (int i = 0; i < kProcesses / 2; ++i) {
    ASSERT_FALSE(
        sb().import_tar(tiny_rootfs_tar("ls" + std::to_string(i)), "ls" + std::to_string(i) + ":1")
            .empty());
  }
  auto results = in_parallel(kProcesses, [&](int k) {
    return k % 2 == 0 ? sb().berth({"rmi", "ls" + std::to_string(k / 2) + ":1"})
                      : sb().berth({"images"});
  });
  for (const auto& r : results) {
    EXPECT_TRUE(r.ok()) << r.describe();
  }
  EXPECT_EQ(berth_ok({"images", "-q"}).out, "");
}

}  // namespace
}  // namespace berth::it
