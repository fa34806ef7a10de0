// probe: a static helper that berth's runtime tests copy into test images. It reports what a
// process inside a container sees and plays misbehaving workloads (see tests/helpers/README.md).
// It links only libc and libstdc++ so that it runs in any image, busybox or scratch.
#include <algorithm>
#include <map>
#include <string>

#include "probe.h"

namespace probe {
namespace {

const char kUsage[] =
    "usage: probe VERB [ARGS] [OPTIONS]\n"
    "  report [--probe-file PATH]   JSON report of what this process sees (README.md)\n"
    "  exit N                       exit with code N\n"
    "  sleep SECONDS [--trap]       sleep; with --trap, print \"got SIGTERM\" on it and exit 0\n"
    "  signals [--count N] [--ignore SIG]...  print pid, then each signal received\n"
    "  oom MB                       allocate and touch MB MiB, sleep 1 s\n"
    "  forkbomb N                   fork N sleeping children, report successes\n"
    "  write PATH TEXT              write TEXT to PATH (exit 1 on failure)\n"
    "  cat PATH                     print PATH (exit 1 on failure)\n"
    "  spin SECONDS                 busy loop\n"
    "  tree N [SECONDS]             N children each with a grandchild, all sleeping\n"
    "  zombies N [--orphan]         make N zombies, count them after 2 s\n"
    "  health FILE                  exit 0 if FILE exists, else 1\n"
    "  log N SIZE [--stderr]        write N lines of SIZE bytes (newline included)\n";

Args parse_args(int argc, char** argv) {
  static const char* const kValued[] = {"--probe-file", "--count", "--ignore"};
  static const char* const kFlags[] = {"--trap", "--orphan", "--stderr"};
  auto in = [](const auto& list, const std::string& s) {
    return std::find_if(std::begin(list), std::end(list), [&](const char* k) { return s == k; }) !=
           std::end(list);
  };
  Args a;
  a.verb = argc > 1 ? argv[1] : "";
  bool options = true;
  for (int i = 2; i < argc; ++i) {
    std::string s = argv[i];
    if (options && s == "--") {
      options = false;
    } else if (options && in(kValued, s) && i + 1 < argc) {
      a.opts.emplace(s, argv[++i]);
    } else if (options && in(kFlags, s)) {
      a.opts.emplace(s, "");
    } else if (options && s.rfind("--", 0) == 0) {
      die(2, a.verb + ": unknown option or missing value: " + s);
    } else {
      a.pos.push_back(s);
    }
  }
  return a;
}

}  // namespace
}  // namespace probe

int main(int argc, char** argv) {
  using namespace probe;
  static const std::map<std::string, int (*)(const Args&)> kVerbs = {
      {"report", verb_report},   {"exit", verb_exit},       {"sleep", verb_sleep},
      {"signals", verb_signals}, {"oom", verb_oom},         {"forkbomb", verb_forkbomb},
      {"write", verb_write},     {"cat", verb_cat},         {"spin", verb_spin},
      {"tree", verb_tree},       {"zombies", verb_zombies}, {"health", verb_health},
      {"log", verb_log}};
  Args a = parse_args(argc, argv);
  auto it = kVerbs.find(a.verb);
  if (it == kVerbs.end()) {
    bool help = a.verb == "--help" || a.verb == "-h" || a.verb == "help";
    write_all(help ? 1 : 2, kUsage);
    return help ? 0 : 2;
  }
  return it->second(a);
}
