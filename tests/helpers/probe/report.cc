// probe report: one JSON object describing what this process sees, and the outcome of
// operations a container should forbid.
#include <dirent.h>
#include <fcntl.h>
#include <linux/reboot.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>

#include "probe.h"

extern char** environ;

namespace probe {
namespace {

void add_identity(Obj& o) {
  o["pid"] = jn(getpid());
  o["ppid"] = jn(getppid());
  o["uid"] = jn(getuid());
  o["gid"] = jn(getgid());
  o["euid"] = jn(geteuid());
  o["egid"] = jn(getegid());
  std::vector<gid_t> groups(static_cast<size_t>(std::max(getgroups(0, nullptr), 0)));
  int n = getgroups(static_cast<int>(groups.size()), groups.data());
  std::vector<std::string> gs;
  for (int i = 0; i < n; ++i) {
    gs.push_back(jn(groups[static_cast<size_t>(i)]));
  }
  o["groups"] = ja(gs);
  utsname u{};
  uname(&u);
  o["hostname"] = js(u.nodename);
  o["domainname"] = js(u.domainname);
  char cwd[4096];
  o["cwd"] = getcwd(cwd, sizeof cwd) != nullptr ? js(cwd) : "null";
  mode_t mask = umask(0);
  umask(mask);
  char buf[8];
  snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mask));
  o["umask"] = js(buf);
  o["tty"] = jo({{"stdin", jb(isatty(0))}, {"stdout", jb(isatty(1))}, {"stderr", jb(isatty(2))}});
  std::string adj;
  o["oom_score_adj"] = read_file("/proc/self/oom_score_adj", &adj) ? trim(adj) : "null";
  Obj env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    size_t eq = kv.find('=');
    env.emplace(kv.substr(0, eq), js(eq == kv.npos ? "" : kv.substr(eq + 1)));
  }
  o["env"] = jo(env);
}

std::string status_lines() {
  static const char* const kKeys[] = {"NoNewPrivs", "Seccomp", "Seccomp_filters",
                                      "Cpus_allowed_list", "Mems_allowed_list"};
  std::string text;
  if (!read_file("/proc/self/status", &text)) {
    return "null";
  }
  Obj o;
  for (const auto& line : split(text, '\n')) {
    std::string key = line.substr(0, line.find(':'));
    bool wanted = key.rfind("Cap", 0) == 0 ||
                  std::find_if(std::begin(kKeys), std::end(kKeys),
                               [&](const char* k) { return key == k; }) != std::end(kKeys);
    if (wanted && key.size() < line.size()) {
      o[key] = js(trim(line.substr(key.size() + 1)));
    }
  }
  return jo(o);
}

std::string rlimits() {
  static const std::pair<const char*, __rlimit_resource> kLimits[] = {
      {"as", RLIMIT_AS},           {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
      {"data", RLIMIT_DATA},       {"fsize", RLIMIT_FSIZE},       {"locks", RLIMIT_LOCKS},
      {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
      {"nofile", RLIMIT_NOFILE},   {"nproc", RLIMIT_NPROC},       {"rss", RLIMIT_RSS},
      {"rtprio", RLIMIT_RTPRIO},   {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
      {"stack", RLIMIT_STACK}};
  auto value = [](rlim_t v) { return v == RLIM_INFINITY ? jn(-1) : jn(static_cast<long long>(v)); };
  Obj o;
  for (const auto& [name, res] : kLimits) {
    rlimit rl{};
    if (getrlimit(res, &rl) == 0) {
      o[name] = jo({{"soft", value(rl.rlim_cur)}, {"hard", value(rl.rlim_max)}});
    }
  }
  return jo(o);
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_octal(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      out +=
          static_cast<char>(((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string mounts() {
  std::string text;
  if (!read_file("/proc/self/mountinfo", &text)) {
    return "null";
  }
  std::vector<std::string> out;
  for (const auto& line : split(text, '\n')) {
    std::vector<std::string> f = split(line, ' ');
    auto dash = f.size() < 7 ? f.end() : std::find(f.begin() + 6, f.end(), "-");
    if (dash == f.end() || f.end() - dash < 4) {
      continue;
    }
    out.push_back(jo({{"target", js(unescape_octal(f[4]))},
                      {"options", js(f[5])},
                      {"fstype", js(dash[1])},
                      {"source", js(unescape_octal(dash[2]))},
                      {"super_options", js(dash[3])}}));
  }
  return ja(out);
}

void walk_devices(const std::string& dir, const std::string& prefix, int depth,
                  std::vector<std::pair<std::string, std::string>>& out) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    return;
  }
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    struct stat st {};
    if (name == "." || name == ".." || lstat((dir + "/" + name).c_str(), &st) != 0) {
      continue;
    }
    if (S_ISDIR(st.st_mode) && depth > 0) {
      walk_devices(dir + "/" + name, prefix + name + "/", depth - 1, out);
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      char mode[8];
      snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
      std::string dev = std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev));
      out.emplace_back(prefix + name, jo({{"name", js(prefix + name)},
                                          {"type", js(S_ISCHR(st.st_mode) ? "c" : "b")},
                                          {"dev", js(dev)},
                                          {"mode", js(mode)}}));
    }
  }
  closedir(d);
}

std::string devices() {
  std::vector<std::pair<std::string, std::string>> found;
  walk_devices("/dev", "", 3, found);
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (auto& f : found) {
    out.push_back(f.second);
  }
  return ja(out);
}

long long count_pids() {
  long long n = 0;
  DIR* d = opendir("/proc");
  if (d == nullptr) {
    return -1;
  }
  while (dirent* e = readdir(d)) {
    n += std::string_view(e->d_name).find_first_not_of("0123456789") == std::string_view::npos;
  }
  closedir(d);
  return n;
}

// The trimmed content of path, or "" when it cannot be read.
std::string read_trimmed(const char* path) {
  std::string text;
  return read_file(path, &text) ? trim(text) : "";
}

std::string json_or_null(const std::string& v) { return v.empty() ? "null" : js(v); }

// Limits of the cgroup mounted at /sys/fs/cgroup, cgroup v1 values translated to v2's format
// ("max", "QUOTA PERIOD") so that tests read one format.
void add_cgroup_limits(Obj& o) {
  std::string v = read_trimmed("/sys/fs/cgroup/memory.max");
  if (v.empty()) {
    v = read_trimmed("/sys/fs/cgroup/memory/memory.limit_in_bytes");
    v = !v.empty() && strtoull(v.c_str(), nullptr, 10) >= (1ULL << 62) ? "max" : v;
  }
  o["memory_max"] = json_or_null(v);
  v = read_trimmed("/sys/fs/cgroup/pids.max");
  o["pids_max"] = json_or_null(v.empty() ? read_trimmed("/sys/fs/cgroup/pids/pids.max") : v);
  v = read_trimmed("/sys/fs/cgroup/cpu.max");
  if (v.empty()) {
    std::string quota = read_trimmed("/sys/fs/cgroup/cpu/cpu.cfs_quota_us");
    std::string period = read_trimmed("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
    v = quota.empty() || period.empty() ? "" : (quota == "-1" ? "max" : quota) + " " + period;
  }
  o["cpu_max"] = json_or_null(v);
}

void add_system(Obj& o, const std::string& probe_file) {
  int fd = open(probe_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  o["root_writable"] = js(fd >= 0 ? "ok" : errname(errno));
  if (fd >= 0) {
    close(fd);
    unlink(probe_file.c_str());
  }
  o["pids"] = jn(count_pids());
  std::string text;
  std::vector<std::string> cg;
  if (read_file("/proc/self/cgroup", &text)) {
    for (const auto& l : split(text, '\n')) {
      cg.push_back(js(l));
    }
  }
  o["cgroup"] = ja(cg);
  add_cgroup_limits(o);
  Obj ns;
  for (const char* n : {"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"}) {
    char buf[256];
    ssize_t len = readlink((std::string("/proc/self/ns/") + n).c_str(), buf, sizeof buf);
    if (len > 0) {
      ns[n] = js(std::string_view(buf, static_cast<size_t>(len)));
    }
  }
  o["namespaces"] = jo(ns);
  std::vector<std::string> ifaces;
  if (read_file("/proc/self/net/dev", &text)) {
    std::vector<std::string> lines = split(text, '\n');
    for (size_t i = 2; i < lines.size(); ++i) {
      ifaces.push_back(js(trim(lines[i].substr(0, lines[i].find(':')))));
    }
  }
  o["net_ifaces"] = ja(ifaces);
  o["devices"] = devices();
}

// Runs one forbidden operation in a forked child, so whatever it changes (namespaces, root,
// keyrings) dies with the child and a seccomp kill shows up as "signal:SIGSYS" instead of
// ending the report. The child sends back its result as text through a pipe.
std::string in_child(const std::function<std::string()>& attempt) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) {
    return "pipe:" + errname(errno);
  }
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(p[0]);
    close(p[1]);
    return "fork:" + errname(e);
  }
  if (pid == 0) {
    close(p[0]);
    write_all(p[1], attempt());
    _exit(0);
  }
  close(p[1]);
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = read(p[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    out.append(buf, static_cast<size_t>(std::max<ssize_t>(n, 0)));
  }
  close(p[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFSIGNALED(status) ? "signal:" + signame(WTERMSIG(status)) : out;
}

// Mounts on a fresh directory so that nothing is hidden even for a moment; /mnt only when the
// root and /tmp are read-only.
std::string try_mount() {
  char tmpl[] = "/tmp/.probe-mnt-XXXXXX";
  bool temp = mkdtemp(tmpl) != nullptr;
  struct stat st {};
  if (!temp && (stat("/mnt", &st) != 0 || !S_ISDIR(st.st_mode))) {
    return "mkdtemp:" + errname(errno);
  }
  const char* target = temp ? tmpl : "/mnt";
  std::string r = result(mount("probe", target, "tmpfs", 0, "size=1m"));
  if (r == "ok" && umount2(target, 0) != 0) {
    umount2(target, MNT_DETACH);
  }
  if (temp) {
    rmdir(target);
  }
  return r;
}

// "MKNOD OPEN": the results of mknod(2) and of opening the node, which the devices cgroup
// decides; OPEN is "skipped" when mknod failed.
std::string try_mknod() {
  std::string path = "/tmp/.probe-null-" + std::to_string(getpid());
  std::string r = result(mknod(path.c_str(), S_IFCHR | 0600, makedev(1, 3)));
  if (r != "ok") {
    return r + " skipped";
  }
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  r += " " + result(fd);
  if (fd >= 0) {
    close(fd);
  }
  unlink(path.c_str());
  return r;
}

// Writes the current hostname back, so success changes nothing.
std::string try_proc_hostname() {
  utsname u{};
  uname(&u);
  int fd = open("/proc/sys/kernel/hostname", O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return errname(errno);
  }
  std::string name = u.nodename;
  ssize_t n = write(fd, name.data(), name.size());
  std::string r = n == static_cast<ssize_t>(name.size()) ? "ok" : errname(errno);
  close(fd);
  return r;
}

// Opening a sysfs attribute for writing is where read-only mounts and permissions are checked;
// nothing is written, so success changes nothing.
std::string try_sys_write() {
  for (const char* p : {"/sys/kernel/profiling", "/sys/kernel/mm/transparent_hugepage/enabled",
                        "/sys/kernel/rcu_expedited"}) {
    int fd = open(p, O_WRONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
      continue;
    }
    std::string r = fd >= 0 ? "ok" : errname(errno);
    if (fd >= 0) {
      close(fd);
    }
    return r;
  }
  return "ENOENT";
}

std::string attempts() {
  Obj o;
  o["mount_tmpfs"] = js(in_child(try_mount));
  o["unshare_mnt"] = js(in_child([] { return result(unshare(CLONE_NEWNS)); }));
  o["unshare_user"] = js(in_child([] { return result(unshare(CLONE_NEWUSER)); }));
  o["keyctl_join"] =
      js(in_child([] { return result(syscall(SYS_keyctl, 1 /*JOIN_SESSION_KEYRING*/, 0)); }));
  o["chroot"] = js(in_child([] { return result(chroot("/")); }));
  // A wrong magic makes an allowed reboot(2) fail with EINVAL: the capability check comes first.
  o["reboot"] = js(in_child(
      [] { return result(syscall(SYS_reboot, 0, 0, LINUX_REBOOT_CMD_CAD_OFF, nullptr)); }));
  o["raw_socket"] = js(in_child([] {
    int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
    std::string r = result(fd);
    if (fd >= 0) {
      close(fd);
    }
    return r;
  }));
  std::string mknod = in_child(try_mknod);
  size_t space = mknod.find(' ');
  o["mknod"] = js(mknod.substr(0, space));
  o["mknod_open"] = js(space == std::string::npos ? "skipped" : mknod.substr(space + 1));
  o["ptrace_traceme"] = js(in_child([] { return result(ptrace(PTRACE_TRACEME, 0, 0, 0)); }));
  o["sethostname"] = js(in_child([] {
    utsname u{};
    uname(&u);
    return result(sethostname(u.nodename, strlen(u.nodename)));
  }));
  o["write_proc_hostname"] = js(in_child(try_proc_hostname));
  o["write_sys"] = js(in_child(try_sys_write));
  int fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC);
  struct stat st {};
  o["kcore"] = js(fd >= 0 ? "ok" : errname(errno));
  o["kcore_size"] = jn(fd >= 0 && fstat(fd, &st) == 0 ? static_cast<long long>(st.st_size) : -1);
  if (fd >= 0) {
    close(fd);
  }
  return jo(o);
}

}  // namespace

int verb_report(const Args& a) {
  Obj o;
  add_identity(o);
  o["status"] = status_lines();
  o["rlimits"] = rlimits();
  o["mounts"] = mounts();
  add_system(o, a.get("--probe-file", "/.probe-write"));
  o["attempts"] = attempts();
  say(jo(o));
  return 0;
}

}  // namespace probe
