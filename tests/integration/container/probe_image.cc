// The probe image and the host-side views of a container used by the container tests.
#include "container/probe_image.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;

namespace berth::it {

namespace {

// The busybox rootfs with /probe is made once per test process (the script takes a while) and
// imported into each test's private store.
class ProbeRootfs {
 public:
  ~ProbeRootfs() {
    if (!base_.empty()) {
      std::error_code ec;
      fs::remove_all(base_, ec);
    }
  }
  // The rootfs directory, or "" after recording a failure.
  const std::string& get(const Sandbox& sb) {
    if (!dir_.empty()) {
      return dir_;
    }
    std::string templ = "/tmp/berth-probe-rootfs-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
      return dir_;
    }
    base_ = templ;
    std::string rootfs = templ + "/rootfs";
    if (!sb.make_busybox_rootfs(rootfs)) {
      return dir_;
    }
    std::error_code ec;
    fs::copy_file(BERTH_PROBE, rootfs + "/probe", ec);
    if (ec) {
      ADD_FAILURE() << "copying " << BERTH_PROBE << ": " << ec.message();
      return dir_;
    }
    fs::permissions(rootfs + "/probe", fs::perms(0755));
    // A file that exists but cannot be executed (exit 126).
    write_file(rootfs + "/noexec.sh", "#!/bin/sh\necho never\n", 0644);
    dir_ = rootfs;
    return dir_;
  }

 private:
  std::string base_;
  std::string dir_;
};

ProbeRootfs& probe_rootfs() {
  static ProbeRootfs rootfs;
  return rootfs;
}

std::string trim_newline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) {
    s.pop_back();
  }
  return s;
}

}  // namespace

std::string HostTrace::describe() const {
  std::ostringstream out;
  for (const auto& m : mounts) {
    out << "mount: " << m << "\n";
  }
  for (const auto& c : cgroups) {
    out << "cgroup: " << c << "\n";
  }
  for (pid_t p : pids) {
    out << "process: " << p << "\n";
  }
  return out.str();
}

HostTrace host_trace(const std::string& id) {
  HostTrace t;
  if (id.empty()) {
    return t;
  }
  std::ifstream mi("/proc/self/mountinfo");
  for (std::string line; std::getline(mi, line);) {
    if (line.find(id) != std::string::npos) {
      t.mounts.push_back(line);
    }
  }
  std::error_code ec;
  std::vector<std::string> bases = {"/sys/fs/cgroup", "/sys/fs/cgroup/berth"};
  for (const auto& e : fs::directory_iterator("/sys/fs/cgroup", ec)) {
    bases.push_back(e.path().string());
    bases.push_back(e.path().string() + "/berth");
  }
  for (const auto& base : bases) {
    std::error_code ec2;
    for (const auto& e : fs::directory_iterator(base, ec2)) {
      if (e.path().filename().string().find(id) != std::string::npos) {
        t.cgroups.push_back(e.path().string());
      }
    }
  }
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    // A zombie has already given back everything but its PID; reaping it is its parent's job,
    // which for an init whose monitor was killed is the host's PID 1 (here a slow reaper).
    pid_t pid = static_cast<pid_t>(std::stol(name));
    if (!process_alive(pid)) {
      continue;
    }
    std::ifstream cg(e.path() / "cgroup");
    std::string text((std::istreambuf_iterator<char>(cg)), std::istreambuf_iterator<char>());
    if (text.find(id) != std::string::npos) {
      t.pids.push_back(pid);
    }
  }
  return t;
}

bool process_alive(pid_t pid) {
  if (pid <= 0) {
    return false;
  }
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(in, text)) {
    return false;
  }
  auto close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() && text[close + 2] != 'Z' &&
         text[close + 2] != 'X';
}

pid_t parent_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("PPid:", 0) == 0) {
      return static_cast<pid_t>(std::stol(line.substr(5)));
    }
  }
  return -1;
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (pred()) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

BackgroundBerth::BackgroundBerth(const Sandbox& sb, const std::vector<std::string>& args) {
  static int counter = 0;
  out_path_ = sb.work("background-" + std::to_string(++counter) + ".out");
  std::vector<std::string> argv = {berth_binary(), "--root", sb.root(), "--runroot",
                                   sb.root() + "-run"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (auto& a : argv) {
    cargv.push_back(a.data());
  }
  cargv.push_back(nullptr);
  int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  pid_ = ::fork();
  if (pid_ == 0) {
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::unsetenv("BERTH_ROOT");
    ::unsetenv("BERTH_RUNROOT");
    ::execv(cargv[0], cargv.data());
    ::_exit(127);
  }
  ::close(out);
  if (pid_ < 0) {
    ADD_FAILURE() << "fork failed";
  }
}

BackgroundBerth::~BackgroundBerth() { kill_and_reap(); }

int BackgroundBerth::kill_and_reap() {
  if (pid_ <= 0) {
    return -1;
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

std::string BackgroundBerth::out() const {
  std::ifstream in(out_path_);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void ContainerTest::SetUp() {
  SandboxTest::SetUp();
  probe_id_ = import_probe("probe:latest");
  ASSERT_FALSE(probe_id_.empty());
  auto t = berth({"tag", "probe:latest", "busybox:latest"});
  ASSERT_TRUE(t.ok()) << t.describe();
}

std::string ContainerTest::import_probe(const std::string& ref,
                                        const std::vector<std::string>& changes) {
  const std::string& rootfs = probe_rootfs().get(sb());
  if (rootfs.empty()) {
    ADD_FAILURE() << "the probe image's root filesystem could not be made";
    return "";
  }
  std::vector<std::string> args = {
      "import", "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "--change", "CMD [\"sh\"]"};
  for (const auto& c : changes) {
    args.insert(args.end(), {"--change", c});
  }
  args.insert(args.end(), {rootfs, ref});
  auto r = berth(args);
  if (!r.ok()) {
    ADD_FAILURE() << "importing the probe image: " << r.describe();
    return "";
  }
  return trim_newline(r.out);
}

void ContainerTest::TearDown() {
  auto ids = all_ids();
  if (!ids.empty()) {
    std::vector<std::string> args = {"rm", "-f"};
    args.insert(args.end(), ids.begin(), ids.end());
    berth(args);
  }
  // Containers ps does not list (a broken record) are still directories: remove them by ID.
  for (const auto& id : container_dirs()) {
    berth({"rm", "-f", id});
  }
  SandboxTest::TearDown();
}

ProcResult ContainerTest::run(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"run"};
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions o;
  o.timeout = std::chrono::seconds(60);
  return berth(argv, o);
}

std::string ContainerTest::run_detached(const std::vector<std::string>& flags,
                                        const std::vector<std::string>& cmd,
                                        const std::string& image) {
  std::vector<std::string> args = {"-d"};
  args.insert(args.end(), flags.begin(), flags.end());
  args.push_back(image);
  args.insert(args.end(), cmd.begin(), cmd.end());
  auto r = run(args);
  std::string id = trim_newline(r.out);
  if (!r.ok() || id.size() != 64 || id.find_first_not_of("0123456789abcdef") != std::string::npos) {
    ADD_FAILURE() << "run -d should print the full container ID: " << r.describe();
    return "";
  }
  return id;
}

Json ContainerTest::report(const std::vector<std::string>& flags) {
  std::vector<std::string> args = {"--rm"};
  args.insert(args.end(), flags.begin(), flags.end());
  args.insert(args.end(), {"probe:latest", "/probe", "report"});
  auto r = run(args);
  if (!r.ok()) {
    ADD_FAILURE() << "the probe report failed: " << r.describe();
    return nullptr;
  }
  Json j = parse_json(r.out, "probe report");
  return j.is_object() ? j : Json(nullptr);
}

Json ContainerTest::inspect_container(const std::string& name) {
  auto r = berth({"container", "inspect", name});
  Json j = Json::parse(r.out, nullptr, false);
  if (!r.ok() || j.is_discarded() || !j.is_array() || j.size() != 1) {
    ADD_FAILURE() << "container inspect should print an array of one object: " << r.describe();
    return nullptr;
  }
  return j[0];
}

std::string ContainerTest::status_of(const std::string& name) {
  auto r = berth({"container", "inspect", "--format", "{{.State.Status}}", name});
  return r.ok() ? trim_newline(r.out) : "";
}

bool ContainerTest::wait_status(const std::string& name, const std::string& status,
                                std::chrono::milliseconds timeout) {
  return eventually([&] { return status_of(name) == status; }, timeout);
}

int ContainerTest::wait_exit(const std::string& name) {
  RunOptions o;
  o.timeout = std::chrono::seconds(60);
  auto r = berth({"wait", name}, o);
  if (!r.ok()) {
    ADD_FAILURE() << r.describe();
    return -1;
  }
  try {
    return std::stoi(r.out);
  } catch (...) {
    ADD_FAILURE() << "wait should print the exit code: " << r.describe();
    return -1;
  }
}

std::vector<std::string> ContainerTest::all_ids() {
  return split_lines(berth({"ps", "-a", "-q", "--no-trunc"}).out);
}

std::vector<std::string> ContainerTest::container_dirs() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(sb().root() + "/containers", ec)) {
    if (e.is_directory()) {
      out.push_back(e.path().filename().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace berth::it
