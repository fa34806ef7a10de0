// Shared helpers of the probe test binary (see tests/helpers/README.md). probe links only libc
// and libstdc++, so it runs in any image; it is a test tool, not berth code.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace probe {

// Writes all of s to fd with write(2), retrying on EINTR; gives up silently on other errors.
// Output is unbuffered so streaming verbs are seen line by line through pipes and log files,
// and forked children never flush a copy of the parent's buffer.
void write_all(int fd, std::string_view s);
// Writes line and a newline to stdout.
void say(std::string_view line);
// Prints "probe: msg" to stderr and exits with code.
[[noreturn]] void die(int code, const std::string& msg);

// "EROFS" for EROFS; "E<n>" for a number glibc has no name for.
std::string errname(int e);
// "ok" when a syscall succeeded (rc >= 0), else errname(errno): call it right after the call.
std::string result(long rc);
// "SIGTERM", "SIGRTMIN+2".
std::string signame(int sig);
// Accepts "SIGTERM", "TERM" or "15"; dies with code 2 on anything else.
int parse_signal(const std::string& s);
// A non-negative decimal; dies with code 2 naming what on anything else.
long long parse_int(const std::string& s, const char* what);
// Non-negative seconds, fractions allowed; dies with code 2 on anything else.
double parse_seconds(const std::string& s);
// Sleeps the whole time, across signal interruptions.
void sleep_for(double seconds);
// CLOCK_MONOTONIC in seconds.
double now();

// JSON values are kept as serialized text; objects are std::map so keys come out sorted.
using Obj = std::map<std::string, std::string>;
std::string js(std::string_view s);  // string, escaped
std::string jn(long long v);
std::string jb(bool b);
std::string jo(const Obj& o);
std::string ja(const std::vector<std::string>& items);

// Reads the whole file; false with errno set on failure.
bool read_file(const std::string& path, std::string* out);
// Splits on sep; a trailing separator gives no empty last item.
std::vector<std::string> split(std::string_view s, char sep);
std::string trim(std::string_view s);

// The command line: probe VERB [positional...] [--option value | --flag]...
struct Args {
  std::string verb;
  std::vector<std::string> pos;
  std::multimap<std::string, std::string> opts;  // flags map to ""

  // The i-th positional argument; dies with code 2 when it is missing.
  const std::string& arg(size_t i) const {
    if (i >= pos.size()) {
      die(2, verb + ": missing argument (see probe --help)");
    }
    return pos[i];
  }
  bool has(const std::string& k) const { return opts.count(k) > 0; }
  std::string get(const std::string& k, const std::string& def) const {
    auto it = opts.find(k);
    return it == opts.end() ? def : it->second;
  }
};

// Each verb returns the process exit code (README.md says what each prints).
int verb_report(const Args& a);
int verb_exit(const Args& a);
int verb_sleep(const Args& a);
int verb_signals(const Args& a);
int verb_oom(const Args& a);
int verb_forkbomb(const Args& a);
int verb_write(const Args& a);
int verb_cat(const Args& a);
int verb_spin(const Args& a);
int verb_tree(const Args& a);
int verb_zombies(const Args& a);
int verb_health(const Args& a);
int verb_log(const Args& a);

}  // namespace probe
