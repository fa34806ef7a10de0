// .dockerignore matching against the table in ../shared/conformance/dockerfile-parser/dockerignore/
// cases.txt (its header explains the format), read in place. One test per row.
#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "base/fs.h"
#include "build/dockerfile/dockerignore.h"

namespace berth::build {
namespace {

std::string cases_path() {
  return BERTH_SHARED_DIR "/conformance/dockerfile-parser/dockerignore/cases.txt";
}

// One row: a path and what it must be ("excluded", "included", "error"), or "!error" with an
// empty path when the ignore file itself must be rejected.
struct Row {
  std::string case_name;
  std::string ignore_file;
  std::string path;
  std::string expect;
  int number = 0;
};

std::vector<Row> load_rows() {
  Result<std::string> text = read_file(cases_path());
  if (!text) {
    return {Row{"missing", "", "", "missing", 0}};
  }
  std::vector<Row> rows;
  std::string name;
  std::string content;
  bool in_content = false;
  bool started = false;
  size_t pos = 0;
  while (pos < text->size()) {
    size_t nl = text->find('\n', pos);
    std::string line = text->substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text->size() : nl + 1;
    if (line.rfind("=== ", 0) == 0) {
      name = line.substr(4);
      content.clear();
      in_content = started = true;
    } else if (!started) {
      continue;
    } else if (in_content && line == "---") {
      in_content = false;
    } else if (in_content) {
      content += line + "\n";
    } else if (line == "!error") {
      rows.push_back({name, content, "", "!error", static_cast<int>(rows.size()) + 1});
    } else if (size_t tab = line.find('\t'); tab != std::string::npos) {
      rows.push_back({name, content, line.substr(0, tab), line.substr(tab + 1),
                      static_cast<int>(rows.size()) + 1});
    }
  }
  return rows;
}

const std::vector<Row>& rows() {
  static const std::vector<Row> r = load_rows();
  return r;
}

std::vector<int> row_indices() {
  std::vector<int> out;
  for (size_t i = 0; i < rows().size(); ++i) {
    out.push_back(static_cast<int>(i));
  }
  return out;
}

std::string row_name(const testing::TestParamInfo<int>& info) {
  const Row& r = rows()[static_cast<size_t>(info.param)];
  std::string name = "row" + std::to_string(r.number) + "_";
  for (char c : r.path.empty() ? r.expect : r.path) {
    name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  }
  return name;
}

class DockerignoreRow : public testing::TestWithParam<int> {};

TEST_P(DockerignoreRow, MatchesTheReferenceResult) {
  const Row& r = rows()[static_cast<size_t>(GetParam())];
  ASSERT_NE(r.expect, "missing") << "conformance data not found at " << cases_path()
                                 << " (the ../shared checkout next to the repository is part of "
                                    "CI)";
  SCOPED_TRACE("case \"" + r.case_name + "\", ignore file:\n" + r.ignore_file);
  Result<DockerIgnore> di = DockerIgnore::parse(r.ignore_file);
  if (r.expect == "!error") {
    EXPECT_FALSE(di.has_value()) << "the ignore file was accepted";
    return;
  }
  ASSERT_TRUE(di.has_value()) << di.error().str();
  Result<bool> excluded = di->excluded(r.path);
  if (r.expect == "error") {
    EXPECT_FALSE(excluded.has_value()) << r.path << " gave no error";
    return;
  }
  ASSERT_TRUE(excluded.has_value()) << r.path << ": " << excluded.error().str();
  EXPECT_EQ(*excluded ? "excluded" : "included", r.expect) << r.path;
  // A re-included path below an excluded directory is only reachable if the walk enters it.
  if (!*excluded) {
    for (size_t slash = r.path.find('/'); slash != std::string::npos;
         slash = r.path.find('/', slash + 1)) {
      std::string dir = r.path.substr(0, slash);
      Result<bool> dir_excluded = di->excluded(dir);
      if (dir_excluded && *dir_excluded) {
        EXPECT_TRUE(di->must_walk_excluded_dir(dir)) << dir << " would not be walked";
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(DockerignoreConformance, DockerignoreRow, testing::ValuesIn(row_indices()),
                         row_name);

TEST(DockerignoreConformance, TheTableHasEveryRowFormatMd12Announces) {
  ASSERT_FALSE(rows().empty());
  ASSERT_NE(rows()[0].expect, "missing") << "conformance data not found at " << cases_path();
  EXPECT_EQ(rows().size(), 163u);
}

}  // namespace
}  // namespace berth::build
