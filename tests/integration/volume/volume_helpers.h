// Shared pieces of the volume integration tests.
#pragma once

#include <string>
#include <vector>

#include "sandbox.h"

namespace berth::it {

inline const std::vector<std::string> kVolumeColumns = {"DRIVER", "VOLUME NAME"};

class VolumeTest : public SandboxTest {
 protected:
  // `volume create ARGS...`; returns the printed name ("" after recording a failure).
  std::string create(const std::vector<std::string>& args = {}) {
    std::vector<std::string> argv = {"volume", "create"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = berth_ok(argv);
    if (r.out.empty() || r.out.back() != '\n') {
      ADD_FAILURE() << "create should print the name and a newline: " << r.describe();
      return "";
    }
    return r.out.substr(0, r.out.size() - 1);
  }
  // The one object `volume inspect NAME` prints (null after recording a failure).
  Json inspect_volume(const std::string& name) {
    auto r = berth_ok({"volume", "inspect", name});
    Json j = parse_json(r.out, "volume inspect");
    if (!j.is_array() || j.size() != 1) {
      ADD_FAILURE() << "inspect should print an array of one: " << r.describe();
      return nullptr;
    }
    return j[0];
  }
  // `volume ls -q` as a list of names.
  std::vector<std::string> names() { return split_lines(berth_ok({"volume", "ls", "-q"}).out); }
  std::string data_dir(const std::string& name) {
    return sb().root() + "/volumes/" + name + "/_data";
  }
  // The store's tree without what merely opening the volumes makes (the volumes directory and
  // its lock file): a refused command may make those, as any first command does.
  TreeSnapshot store_state() {
    TreeSnapshot snap = sb().snapshot();
    snap.entries.erase("volumes");
    snap.entries.erase("volumes/.lock");
    return snap;
  }
  // A refusal as docker's CLI makes it for a daemon error: exit 1, one line on stderr that
  // contains `message`, nothing on stdout, and the store unchanged.
  void expect_daemon_error(const std::vector<std::string>& args, const std::string& message) {
    auto before = store_state();
    auto r = berth(args);
    EXPECT_EQ(r.exit_code, 1) << r.describe();
    EXPECT_TRUE(is_one_line(r.err)) << r.describe();
    EXPECT_NE(r.err.find(message), std::string::npos) << r.describe();
    EXPECT_EQ(r.out, "") << r.describe();
    EXPECT_TRUE(store_state() == before) << store_state().diff_from(before);
  }
};

}  // namespace berth::it
