// The host's link names, for the network tests' leak checks.
#pragma once

#include <set>
#include <string>

#include "sandbox.h"

namespace berth::it {

// `ip -o link` names without veths: containers of tests running at the same time have veths
// on the default bridge, so each test checks its own bridges for those.
inline std::set<std::string> host_links() {
  auto r = run_process({"ip", "-o", "link"});
  std::set<std::string> out;
  for (const auto& line : split_lines(r.out)) {
    if (line.find(": veth") != std::string::npos) {
      continue;
    }
    auto a = line.find(": "), b = line.find(": ", a + 2);
    if (a != std::string::npos && b != std::string::npos) {
      std::string name = line.substr(a + 2, b - a - 2);
      out.insert(name.substr(0, name.find('@')));
    }
  }
  return out;
}

}  // namespace berth::it
