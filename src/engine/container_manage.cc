// rename, pause/unpause, top, stats and container prune (container_manage.h). State changes
// happen under the container's lock, as the monitor's do, so neither overwrites the other.
#include "engine/container_manage.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "base/command.h"
#include "base/fs.h"
#include "base/strings.h"
#include "engine/container_hooks.h"
#include "engine/container_logs.h"
#include "engine/container_prepare.h"
#include "engine/container_store.h"
#include "sys/cgroup.h"

namespace berth::engine {

namespace {

ContainerStore store_of(const Engine& eng) {
  return ContainerStore(eng.options().root, eng.options().runroot);
}

bool valid_name(std::string_view n) {
  auto ok = [](char c, bool first) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           (!first && (c == '_' || c == '.' || c == '-'));
  };
  if (n.size() < 2 || !ok(n[0], true)) {
    return false;
  }
  return std::all_of(n.begin() + 1, n.end(), [&](char c) { return ok(c, false); });
}

// Reads the state under the held lock, made truthful.
Result<ContainerState> locked_state(const ContainerStore& cs, const std::string& id) {
  return truthful_state(BERTH_TRY(cs.read_state(id)));
}

}  // namespace

Result<void> rename_container(const Engine& eng, std::string_view name_or_id,
                              std::string_view new_name) {
  ContainerStore cs = store_of(eng);
  std::string id = BERTH_TRY(cs.resolve(name_or_id));
  std::string name(new_name);
  if (!name.empty() && name[0] == '/') {
    name.erase(0, 1);
  }
  if (name.empty()) {
    return fail(Code::kInvalidArgument, "Neither old nor new names may be empty");
  }
  if (!valid_name(name)) {
    return fail(Code::kInvalidArgument,
                fmt::format("Invalid container name ({}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
                            "allowed",
                            name));
  }
  auto c = BERTH_TRY(cs.read(id));
  if (c.name == name) {
    return fail(Code::kInvalidArgument,
                "Renaming a container with the same name as its current name");
  }
  BERTH_CHECK(cs.claim_name(name, id));
  std::string old_name;
  auto written = [&]() -> Result<void> {
    auto lock = BERTH_TRY(cs.lock(id));
    auto now = BERTH_TRY(cs.read(id));
    old_name = now.name;
    now.name = name;
    return cs.write_config(now);
  }();
  if (!written) {
    cs.release_name(name, id);
    return written;
  }
  cs.release_name(old_name, id);
  return {};
}

Result<void> pause_container(const Engine& eng, std::string_view name_or_id) {
  ContainerStore cs = store_of(eng);
  std::string id = BERTH_TRY(cs.resolve(name_or_id));
  auto lock = BERTH_TRY(cs.lock(id));
  auto s = BERTH_TRY(locked_state(cs, id));
  if (s.status == "paused") {
    return fail(Code::kConflict, fmt::format("Container {} is already paused", id));
  }
  if (s.status != "running" || !same_process(s.pid, s.pid_start_time)) {
    return fail(Code::kConflict, fmt::format("Container {} is not running", id));
  }
  auto cg = BERTH_TRY_CTX(sys::Cgroup::open(cs.cgroup_path(id)), "pausing " + id);
  BERTH_CHECK(cg.freeze());
  s.status = "paused";
  return cs.write_state(id, s);
}

Result<void> unpause_container(const Engine& eng, std::string_view name_or_id) {
  ContainerStore cs = store_of(eng);
  std::string id = BERTH_TRY(cs.resolve(name_or_id));
  auto lock = BERTH_TRY(cs.lock(id));
  auto s = BERTH_TRY(locked_state(cs, id));
  if (s.status != "paused") {
    return fail(Code::kConflict, fmt::format("Container {} is not paused", id));
  }
  auto cg = BERTH_TRY_CTX(sys::Cgroup::open(cs.cgroup_path(id)), "unpausing " + id);
  BERTH_CHECK(cg.thaw());
  s.status = "running";
  return cs.write_state(id, s);
}

// ---- top ----

Result<TopResult> filter_ps_output(std::string_view ps_output, const std::vector<pid_t>& pids) {
  auto lines = split(ps_output, '\n');
  TopResult r;
  if (lines.empty()) {
    return fail(Code::kInvalidArgument, "Couldn't find PID field in ps output");
  }
  auto words = [](std::string_view line) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i])) != 0) {
        ++i;
      }
      size_t start = i;
      while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i])) == 0) {
        ++i;
      }
      if (i > start) {
        out.emplace_back(line.substr(start, i - start));
      }
    }
    return out;
  };
  r.titles = words(lines[0]);
  auto pid_col = std::find(r.titles.begin(), r.titles.end(), "PID");
  if (pid_col == r.titles.end()) {
    return fail(Code::kInvalidArgument, "Couldn't find PID field in ps output");
  }
  size_t pid_index = static_cast<size_t>(pid_col - r.titles.begin());
  std::set<pid_t> wanted(pids.begin(), pids.end());
  for (size_t i = 1; i < lines.size(); ++i) {
    auto fields = words(lines[i]);
    if (fields.empty()) {
      continue;
    }
    if (fields.size() <= pid_index) {
      return fail(Code::kCorrupt, fmt::format("Unexpected pid in ps output: {}", lines[i]));
    }
    auto pid = parse_uint(fields[pid_index]);
    if (!pid) {
      return fail(Code::kCorrupt,
                  fmt::format("Unexpected pid '{}': invalid syntax", fields[pid_index]));
    }
    if (wanted.count(static_cast<pid_t>(*pid)) == 0) {
      continue;
    }
    // Columns past the titles belong to the last one (a command line with spaces).
    if (fields.size() > r.titles.size()) {
      std::vector<std::string> tail(fields.begin() + static_cast<long>(r.titles.size()) - 1,
                                    fields.end());
      fields.resize(r.titles.size() - 1);
      fields.push_back(join(tail, " "));
    }
    r.processes.push_back(std::move(fields));
  }
  return r;
}

namespace {

// Runs argv and returns its stdout; stderr is passed on. Fails naming the program when it
// cannot run or exits non-zero.
Result<std::string> run_capture(const std::vector<std::string>& argv) {
  auto r = BERTH_TRY(run_command(argv, "", true));
  if (r.exit_code != 0) {
    return fail(Code::kInternal, fmt::format("Error running ps: exit status {}", r.exit_code));
  }
  return std::move(r.out);
}

}  // namespace

Result<TopResult> top_container(const Engine& eng, std::string_view name_or_id,
                                const std::vector<std::string>& ps_args) {
  auto c = BERTH_TRY(eng.find_container(name_or_id));
  ContainerStore cs = store_of(eng);
  if ((c.state.status != "running" && c.state.status != "paused") ||
      !same_process(c.state.pid, c.state.pid_start_time)) {
    return fail(Code::kConflict, fmt::format("Container {} is not running", c.id));
  }
  auto cg = BERTH_TRY(sys::Cgroup::open(cs.cgroup_path(c.id)));
  auto pids = BERTH_TRY(cg.processes());
  std::vector<std::string> argv{"ps"};
  if (ps_args.empty()) {
    argv.push_back("-ef");
  } else {
    argv.insert(argv.end(), ps_args.begin(), ps_args.end());
  }
  auto out = BERTH_TRY(run_capture(argv));
  return filter_ps_output(out, pids);
}

// ---- stats ----

namespace {

uint64_t host_cpu_ns() {
  auto text = read_file("/proc/stat");
  if (!text) {
    return 0;
  }
  auto line = std::string_view(*text).substr(0, text->find('\n'));
  auto fields = split(line, ' ');
  uint64_t ticks = 0;
  int taken = 0;
  for (size_t i = 1; i < fields.size() && taken < 7; ++i) {
    if (auto v = parse_uint(fields[i])) {
      ticks += *v;
      ++taken;
    }
  }
  long hz = ::sysconf(_SC_CLK_TCK);
  return ticks * (1000000000ULL / static_cast<uint64_t>(hz > 0 ? hz : 100));
}

int64_t host_memory() {
  auto text = read_file("/proc/meminfo");
  if (!text) {
    return 0;
  }
  for (auto line : split(*text, '\n')) {
    if (line.rfind("MemTotal:", 0) == 0) {
      auto kb = parse_uint(trim(std::string_view(line).substr(9, line.size() - 9 - 3)));
      return kb ? static_cast<int64_t>(*kb) * 1024 : 0;
    }
  }
  return 0;
}

// Bytes read and written by the cgroup's tasks: v2 io.stat, else v1 blkio service bytes.
void block_io(const sys::Cgroup& cg, StatsSample& s) {
  for (const auto& [h, dir] : cg.directories()) {
    if (h.v2) {
      auto text = read_file(dir + "/io.stat");
      if (!text) {
        continue;
      }
      for (const auto& line : split(*text, '\n')) {
        for (const auto& word : split(line, ' ')) {
          auto [k, v] = cut(word, '=');
          if (k == "rbytes") {
            s.blk_read += parse_uint(v).value_or(0);
          } else if (k == "wbytes") {
            s.blk_write += parse_uint(v).value_or(0);
          }
        }
      }
    } else if (std::find(h.controllers.begin(), h.controllers.end(), "blkio") !=
               h.controllers.end()) {
      auto text = read_file(dir + "/blkio.throttle.io_service_bytes");
      if (!text) {
        continue;
      }
      for (const auto& line : split(*text, '\n')) {
        auto f = split(line, ' ');
        if (f.size() == 3 && f[1] == "Read") {
          s.blk_read += parse_uint(f[2]).value_or(0);
        } else if (f.size() == 3 && f[1] == "Write") {
          s.blk_write += parse_uint(f[2]).value_or(0);
        }
      }
    }
  }
}

}  // namespace

Result<StatsSample> sample_stats(const Engine& eng, const Container& c) {
  StatsSample s;
  s.system_ns = host_cpu_ns();
  s.online_cpus = std::max(1U, std::thread::hardware_concurrency());
  if (c.state.status != "running" && c.state.status != "paused") {
    return s;
  }
  ContainerStore cs = store_of(eng);
  auto cg = sys::Cgroup::open(cs.cgroup_path(c.id));
  if (!cg) {
    return s;  // stopped in the meantime
  }
  auto st = BERTH_TRY(cg->stats());
  s.running = true;
  s.cpu_ns = st.cpu_usage_ns;
  s.mem_usage = std::max<int64_t>(0, st.memory_usage - st.memory_inactive_file);
  s.mem_limit = st.memory_limit > 0 ? st.memory_limit : host_memory();
  s.pids = st.pids_current;
  block_io(*cg, s);
  return s;
}

StatsRow stats_row(const StatsSample& before, const StatsSample& after) {
  StatsRow r;
  if (!after.running) {
    return r;
  }
  double cpu_delta = static_cast<double>(after.cpu_ns) - static_cast<double>(before.cpu_ns);
  double sys_delta = static_cast<double>(after.system_ns) - static_cast<double>(before.system_ns);
  if (before.running && cpu_delta > 0 && sys_delta > 0) {
    r.cpu_percent = cpu_delta / sys_delta * after.online_cpus * 100.0;
  }
  r.mem_usage = after.mem_usage;
  r.mem_limit = after.mem_limit;
  if (after.mem_limit > 0) {
    r.mem_percent =
        static_cast<double>(after.mem_usage) / static_cast<double>(after.mem_limit) * 100.0;
  }
  r.blk_read = after.blk_read;
  r.blk_write = after.blk_write;
  r.pids = after.pids;
  return r;
}

std::string bytes_size(double bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  size_t i = 0;
  while (bytes >= 1024.0 && i + 1 < std::size(kUnits)) {
    bytes /= 1024.0;
    ++i;
  }
  return fmt::format("{:.4g}{}", bytes, kUnits[i]);
}

// ---- prune ----

namespace {

struct PruneFilters {
  std::optional<int64_t> until;                      // unix nanos
  std::vector<std::pair<std::string, bool>> labels;  // "k" or "k=v", wanted (true) or not
};

Result<PruneFilters> parse_prune_filters(const std::vector<std::string>& filters) {
  PruneFilters f;
  for (const auto& raw : filters) {
    auto [key, value] = cut(raw, '=');
    if (raw.find('=') == std::string::npos) {
      return fail(Code::kInvalidArgument, "bad format of filter (expected name=value)");
    }
    if (key == "until") {
      f.until = BERTH_TRY(parse_log_time(std::string(value), now_nanos()));
    } else if (key == "label") {
      f.labels.emplace_back(std::string(value), true);
    } else if (key == "label!") {
      f.labels.emplace_back(std::string(value), false);
    } else {
      return fail(Code::kInvalidArgument, fmt::format("invalid filter '{}'", key));
    }
  }
  return f;
}

bool label_matches(const Container& c, const std::string& spec) {
  auto [k, v] = cut(spec, '=');
  auto it = c.config.labels.find(std::string(k));
  if (it == c.config.labels.end()) {
    return false;
  }
  return spec.find('=') == std::string::npos || it->second == v;
}

bool passes(const Container& c, const PruneFilters& f) {
  if (f.until) {
    auto created = parse_rfc3339(c.created);
    if (!created || *created >= *f.until) {
      return false;
    }
  }
  return std::all_of(f.labels.begin(), f.labels.end(),
                     [&](const auto& l) { return label_matches(c, l.first) == l.second; });
}

int64_t tree_size(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return 0;
  }
  if (!S_ISDIR(st.st_mode)) {
    return S_ISREG(st.st_mode) || S_ISLNK(st.st_mode) ? st.st_size : 0;
  }
  int64_t total = 0;
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) {
    return 0;
  }
  while (struct dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") {
      total += tree_size(path + "/" + n);
    }
  }
  ::closedir(d);
  return total;
}

}  // namespace

Result<ContainerPruneResult> prune_containers(Engine& eng,
                                              const std::vector<std::string>& filters) {
  auto f = BERTH_TRY(parse_prune_filters(filters));
  ContainerStore cs = store_of(eng);
  ContainerPruneResult res;
  for (const auto& c : BERTH_TRY(eng.list_containers())) {
    const auto& st = c.state.status;
    if (st == "running" || st == "paused" || st == "restarting" || !passes(c, f)) {
      continue;
    }
    int64_t size = tree_size(cs.dir(c.id) + "/upper");
    auto removed = eng.remove_container(c.id, false, false);
    if (!removed) {
      if (removed.error().code() == Code::kNotFound || removed.error().code() == Code::kConflict) {
        continue;  // removed or started by someone else meanwhile
      }
      return tl::unexpected(std::move(removed.error()));
    }
    res.ids.push_back(c.id);
    res.reclaimed += size;
  }
  return res;
}

}  // namespace berth::engine
