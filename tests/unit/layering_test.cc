// DESIGN.md "Source layout": a module includes only itself and the modules src/MODULES says it
// uses, so dependencies point one way. This test reads every source file under src/.
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace fs = std::filesystem;

namespace {

std::map<std::string, std::set<std::string>> read_modules() {
  std::map<std::string, std::set<std::string>> out;
  std::ifstream in(std::string(BERTH_SOURCE_DIR) + "/src/MODULES");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    auto colon = line.find(':');
    std::string mod = line.substr(0, colon);
    std::istringstream deps(line.substr(colon + 1));
    std::string dep;
    out[mod];
    while (deps >> dep) {
      out[mod].insert(dep);
    }
  }
  return out;
}

}  // namespace

TEST(Layering, ModulesFileListsTheDesignTable) {
  auto mods = read_modules();
  EXPECT_EQ(mods.size(), 15u);
  EXPECT_TRUE(mods.at("base").empty());
  EXPECT_EQ(mods.at("store"), (std::set<std::string>{"base", "sys", "oci"}));
}

TEST(Layering, EveryIncludeEdgeIsAllowedByTheDesignTable) {
  auto mods = read_modules();
  std::regex include_re(R"re(^\s*#\s*include\s*"([a-z_]+)/[^"]+")re");
  int checked = 0;
  for (const auto& entry :
       fs::recursive_directory_iterator(std::string(BERTH_SOURCE_DIR) + "/src")) {
    if (!entry.is_regular_file()) {
      continue;
    }
    auto ext = entry.path().extension();
    if (ext != ".h" && ext != ".cc") {
      continue;
    }
    auto rel = fs::relative(entry.path(), std::string(BERTH_SOURCE_DIR) + "/src");
    std::string mod = rel.begin()->string();
    ASSERT_TRUE(mods.count(mod)) << rel << " is in a folder that src/MODULES does not name";
    std::ifstream in(entry.path());
    std::string line;
    int lineno = 0;
    while (std::getline(in, line)) {
      ++lineno;
      std::smatch m;
      if (!std::regex_search(line, m, include_re)) {
        continue;
      }
      std::string target = m[1];
      if (!mods.count(target)) {
        continue;  // not one of ours (e.g. "nlohmann/json.hpp" uses <>; this is defensive)
      }
      ++checked;
      EXPECT_TRUE(target == mod || mods.at(mod).count(target))
          << rel.string() << ":" << lineno << ": module " << mod << " may not include " << target
          << "/";
    }
  }
  EXPECT_GT(checked, 0);
}
