#include "engine/seccomp_cache.h"

#include <dirent.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "store/temp_dir.h"

namespace berth::engine {
namespace {

using berth::testing::TempDir;

sys::SeccompProgram program(uint32_t marker, size_t n) {
  sys::SeccompProgram p;
  p.flags = marker;
  for (size_t i = 0; i < n; ++i) {
    p.instructions.push_back(sock_filter{static_cast<uint16_t>(i), 1, 2, marker});
  }
  return p;
}

bool same(const sys::SeccompProgram& a, const sys::SeccompProgram& b) {
  if (a.flags != b.flags || a.instructions.size() != b.instructions.size()) {
    return false;
  }
  for (size_t i = 0; i < a.instructions.size(); ++i) {
    const auto &x = a.instructions[i], &y = b.instructions[i];
    if (x.code != y.code || x.jt != y.jt || x.jf != y.jf || x.k != y.k) {
      return false;
    }
  }
  return true;
}

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (auto* e = ::readdir(d)) {
      if (e->d_name[0] != '.') {
        out.push_back(dir + "/" + e->d_name);
      }
    }
    ::closedir(d);
  }
  return out;
}

TEST(SeccompCache, TheSecondLookupOfAKeyCompilesNothing) {
  TempDir tmp;
  std::string dir = tmp.path() + "/seccomp";
  int compiled = 0;
  auto compile = [&]() -> Result<sys::SeccompProgram> {
    ++compiled;
    return program(7, 300);
  };
  auto first = cached_seccomp(dir, "key-a", compile);
  ASSERT_TRUE(first) << first.error().str();
  auto second = cached_seccomp(dir, "key-a", compile);
  ASSERT_TRUE(second) << second.error().str();
  EXPECT_EQ(compiled, 1);
  EXPECT_TRUE(same(*first, *second));
  EXPECT_TRUE(same(*second, program(7, 300)));
}

TEST(SeccompCache, ADifferentKeyGetsItsOwnProgram) {
  TempDir tmp;
  std::string dir = tmp.path() + "/seccomp";
  ASSERT_TRUE(
      cached_seccomp(dir, "caps-1", [] { return Result<sys::SeccompProgram>(program(1, 5)); }));
  auto other =
      cached_seccomp(dir, "caps-2", [] { return Result<sys::SeccompProgram>(program(2, 9)); });
  ASSERT_TRUE(other);
  EXPECT_TRUE(same(*other, program(2, 9)));
  auto again = cached_seccomp(dir, "caps-1", []() -> Result<sys::SeccompProgram> {
    return fail(Code::kInternal, "must come from the cache");
  });
  ASSERT_TRUE(again) << again.error().str();
  EXPECT_TRUE(same(*again, program(1, 5)));
}

// A cache file is only trusted when it holds the very key asked for, whole: anything else is
// compiled afresh (and the file rewritten), never used.
TEST(SeccompCache, DamagedOrForeignFilesAreRecompiledNeverUsed) {
  TempDir tmp;
  std::string dir = tmp.path() + "/seccomp";
  ASSERT_TRUE(cached_seccomp(dir, "k", [] { return Result<sys::SeccompProgram>(program(3, 40)); }));
  auto files = files_in(dir);
  ASSERT_EQ(files.size(), 1U);
  auto data = read_file(files[0]);
  ASSERT_TRUE(data);
  std::vector<std::string> damaged = {data->substr(0, data->size() - 3), "", "garbage",
                                      *data + "x"};
  std::string foreign = *data;
  foreign[foreign.find('k', 12)] = 'j';  // the same length, another key
  damaged.push_back(foreign);
  for (const auto& bad : damaged) {
    ASSERT_TRUE(write_file_atomic(files[0], bad, 0600));
    int compiled = 0;
    auto p = cached_seccomp(dir, "k", [&]() -> Result<sys::SeccompProgram> {
      ++compiled;
      return program(4, 2);
    });
    ASSERT_TRUE(p);
    EXPECT_EQ(compiled, 1) << "size " << bad.size();
    EXPECT_TRUE(same(*p, program(4, 2)));
  }
}

TEST(SeccompCache, ACompileErrorIsReturnedAndNothingIsStored) {
  TempDir tmp;
  std::string dir = tmp.path() + "/seccomp";
  auto r = cached_seccomp(dir, "k", []() -> Result<sys::SeccompProgram> {
    return fail(Code::kInvalidArgument, "seccomp profile: bad action");
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "seccomp profile: bad action");
  EXPECT_TRUE(files_in(dir).empty());
}

TEST(SeccompCache, BinaryIdentityNamesThisExecutable) {
  std::string id = binary_identity();
  EXPECT_NE(id, "unknown");
  EXPECT_EQ(id, binary_identity());
}

}  // namespace
}  // namespace berth::engine
