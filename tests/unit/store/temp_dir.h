// A private temporary directory for one test, removed with everything in it at the end.
#pragma once

#include <stdlib.h>

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

 private:
  std::string path_;
};

}  // namespace berth::testing
