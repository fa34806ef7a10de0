// A private temporary directory for one test, removed with everything in it at the end.
#pragma once

#include <stdlib.h>

#include <fstream>
#include <string>

#include "base/fs.h"

namespace berth::testing {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/berth-unit-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { (void)remove_tree(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // Writes `content` to the file `name` inside the directory; returns the file's path.
  std::string write(const std::string& name, const std::string& content) const {
    std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }

 private:
  std::string path_;
};

}  // namespace berth::testing
