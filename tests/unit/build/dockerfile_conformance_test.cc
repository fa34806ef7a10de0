// The Dockerfile parser against BuildKit's corpus and the derived cases, read in place from
// ../shared/conformance/dockerfile-parser (FORMAT.md there). One test per case directory.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/fs.h"
#include "build/dockerfile/parse.h"

namespace berth::build {
namespace {

namespace fs = std::filesystem;

// Stands in for a case list whose directory is missing, so that a test exists and fails.
constexpr std::string_view kMissing = "shared_data_missing";

std::string data_dir() { return BERTH_SHARED_DIR "/conformance/dockerfile-parser"; }

// "testfiles/env" etc.: the case directories under `sub`, sorted.
std::vector<std::string> cases_in(const std::string& sub) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(data_dir() + "/" + sub, ec)) {
    if (e.is_directory()) {
      out.push_back(sub + "/" + e.path().filename().string());
    }
  }
  std::sort(out.begin(), out.end());
  if (out.empty()) {
    out.push_back(sub + "/" + std::string(kMissing));
  }
  return out;
}

std::vector<std::string> positive_cases() {
  std::vector<std::string> a = cases_in("testfiles");
  std::vector<std::string> b = cases_in("extra/testfiles");
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<std::string> negative_cases() {
  std::vector<std::string> a = cases_in("testfiles-negative");
  std::vector<std::string> b = cases_in("extra/testfiles-negative");
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::string test_name(const testing::TestParamInfo<std::string>& info) {
  std::string name;
  for (char c : info.param) {
    name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  }
  return name;
}

// The case's file, or nullopt when it has none. Fails the test when the data is missing.
std::optional<std::string> case_file(const std::string& c, const std::string& file) {
  std::string path = data_dir() + "/" + c + "/" + file;
  if (!path_exists(path)) {
    return std::nullopt;
  }
  Result<std::string> r = read_file(path);
  EXPECT_TRUE(r.has_value()) << path << ": " << r.error().str();
  return r ? std::optional<std::string>(*r) : std::nullopt;
}

bool data_missing(const std::string& c) {
  if (c.size() >= kMissing.size() &&
      c.compare(c.size() - kMissing.size(), kMissing.size(), kMissing) == 0) {
    ADD_FAILURE() << "conformance data not found at " << data_dir()
                  << " (the ../shared checkout next to the repository is part of CI)";
    return true;
  }
  return false;
}

class PositiveCase : public testing::TestWithParam<std::string> {};

TEST_P(PositiveCase, ParsesToTheExpectedDumpNodesAndWarnings) {
  const std::string& c = GetParam();
  if (data_missing(c)) {
    return;
  }
  std::optional<std::string> input = case_file(c, "Dockerfile");
  std::optional<std::string> result = case_file(c, "result");
  ASSERT_TRUE(input && result) << c << ": Dockerfile or result missing";
  Result<Dockerfile> df = parse_dockerfile(*input);
  ASSERT_TRUE(df.has_value()) << c << ": " << df.error().str();
  EXPECT_EQ(dump_dockerfile(*df), *result) << c;
  if (std::optional<std::string> nodes = case_file(c, "nodes")) {
    EXPECT_EQ(dump_nodes(*df), *nodes) << c;
  }
  // Derived cases list every warning; upstream ones have no warnings file to compare with.
  std::optional<std::string> warnings = case_file(c, "warnings");
  if (warnings || c.rfind("extra/", 0) == 0) {
    std::string got;
    for (const ParseWarning& w : df->warnings) {
      got += w.message + "\n";
    }
    EXPECT_EQ(got, warnings.value_or("")) << c;
  }
}

INSTANTIATE_TEST_SUITE_P(DockerfileConformance, PositiveCase, testing::ValuesIn(positive_cases()),
                         test_name);

class NegativeCase : public testing::TestWithParam<std::string> {};

TEST_P(NegativeCase, FailsWithOneLineNamingDockerfileAndTheReferenceMessage) {
  const std::string& c = GetParam();
  if (data_missing(c)) {
    return;
  }
  std::optional<std::string> input = case_file(c, "Dockerfile");
  ASSERT_TRUE(input) << c << ": Dockerfile missing";
  Result<Dockerfile> df = parse_dockerfile(*input);
  ASSERT_FALSE(df.has_value()) << c << " parsed as:\n" << dump_dockerfile(*df);
  std::string msg = df.error().str();
  EXPECT_EQ(msg.rfind("Dockerfile:", 0), 0u) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  if (std::optional<std::string> want = case_file(c, "error")) {
    while (!want->empty() && want->back() == '\n') {
      want->pop_back();
    }
    std::string tail = ": " + *want;
    EXPECT_TRUE(msg.size() >= tail.size() &&
                msg.compare(msg.size() - tail.size(), tail.size(), tail) == 0)
        << c << ": got \"" << msg << "\", want it to end in \"" << tail << "\"";
  }
}

INSTANTIATE_TEST_SUITE_P(DockerfileConformance, NegativeCase, testing::ValuesIn(negative_cases()),
                         test_name);

TEST(DockerfileConformance, UpstreamTestfileLineGivesTheRootAndInstructionLineRanges) {
  std::string path = data_dir() + "/testfile-line/Dockerfile";
  Result<std::string> input = read_file(path);
  ASSERT_TRUE(input.has_value())
      << "conformance data not found at " << path
      << " (the ../shared checkout next to the repository is part of CI)";
  Result<Dockerfile> df = parse_dockerfile(*input);
  ASSERT_TRUE(df.has_value()) << df.error().str();
  EXPECT_EQ(df->start_line, 5);
  EXPECT_EQ(df->end_line, 31);
  ASSERT_EQ(df->instructions.size(), 3u);
  std::vector<std::pair<int, int>> want = {{5, 5}, {11, 12}, {17, 31}};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(df->instructions[i].start_line, want[i].first) << "instruction " << i;
    EXPECT_EQ(df->instructions[i].end_line, want[i].second) << "instruction " << i;
  }
}

}  // namespace
}  // namespace berth::build
