// The sandbox: a private store root per test, berth runs against it, cleanup by path and PID.
#include "sandbox.h"

#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace fs = std::filesystem;

namespace berth::it {

namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_mount_path(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Mount points at or under dir, deepest first.
std::vector<std::string> mounts_under(const std::string& dir) {
  std::vector<std::string> out;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mount_point;
    fields >> id >> parent >> devno >> root >> mount_point;
    mount_point = unescape_mount_path(mount_point);
    if (mount_point == dir || mount_point.starts_with(dir + "/")) {
      out.push_back(mount_point);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string blob_path(const std::string& root, const std::string& digest) {
  auto colon = digest.find(':');
  return root + "/blobs/" + digest.substr(0, colon) + "/" + digest.substr(colon + 1);
}

// Checks a descriptor's blob; returns its content (empty when it has problems).
std::string check_blob(const std::string& root, const Json& desc, const std::string& what,
                       std::string& problems) {
  if (!desc.is_object() || !desc.contains("digest") || !desc["digest"].is_string() ||
      !desc.contains("size")) {
    problems += what + ": malformed descriptor " + desc.dump() + "\n";
    return "";
  }
  std::string digest = desc["digest"];
  std::string path = blob_path(root, digest);
  if (!path_exists(path)) {
    problems += what + ": blob " + digest + " is missing\n";
    return "";
  }
  std::ifstream in(path, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if ("sha256:" + sha256_hex(data) != digest) {
    problems += what + ": blob " + digest + " does not match its digest\n";
  }
  if (desc["size"] != data.size()) {
    problems += what + ": blob " + digest + " has size " + std::to_string(data.size()) +
                ", descriptor says " + desc["size"].dump() + "\n";
  }
  return data;
}

void remove_sandbox(const std::string& dir) {
  // Containers of later issues leave overlay mounts under the store: detach them first.
  for (const auto& m : mounts_under(dir)) {
    ::umount2(m.c_str(), MNT_DETACH);
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) {
    std::fprintf(stderr, "warning: could not remove sandbox %s: %s\n", dir.c_str(),
                 ec.message().c_str());
  }
}

// A test process killed mid-test (a ctest timeout) cannot clean up: the next sandbox removes
// the sandboxes whose owner process (by PID, in owner.pid) is gone.
void sweep_orphaned_sandboxes() {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/tmp", ec)) {
    std::string name = e.path().filename().string();
    if (!name.starts_with("berth-it-")) {
      continue;
    }
    std::ifstream in(e.path() / "owner.pid");
    long pid = 0;
    if (!(in >> pid) || pid <= 0) {
      continue;  // not ours, or being set up
    }
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      remove_sandbox(e.path().string());
    }
  }
}

}  // namespace

Sandbox::Sandbox() {
  sweep_orphaned_sandboxes();
  std::string templ = "/tmp/berth-it-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed";
  }
  dir_ = templ;
  root_ = dir_ + "/root";
  work_ = dir_ + "/work";
  fs::create_directories(work_);
  std::ofstream(dir_ + "/owner.pid") << ::getpid() << "\n";
}

Sandbox::~Sandbox() { remove_sandbox(dir_); }

std::string Sandbox::work(const std::string& name) const {
  return name.empty() ? work_ : work_ + "/" + name;
}

std::string Sandbox::new_root(const std::string& name) {
  std::string r = dir_ + "/" + name;
  fs::create_directories(r);
  return r;
}

ProcResult Sandbox::berth(const std::vector<std::string>& args, const RunOptions& options) const {
  return berth_at(root_, args, options);
}

ProcResult Sandbox::berth_at(const std::string& root, const std::vector<std::string>& args,
                             const RunOptions& options) const {
  // Run state (monitors' sockets, rootfs mounts) beside the store, never the host's /run/berth.
  std::vector<std::string> argv = {berth_binary(), "--root", root, "--runroot", root + "-run"};
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions o = options;
  if (o.cwd.empty()) {
    o.cwd = work_;
  }
  // The store is chosen by --root alone: an inherited BERTH_ROOT must not matter.
  o.unset_env.push_back("BERTH_ROOT");
  o.unset_env.push_back("BERTH_RUNROOT");
  return run_process(argv, o);
}

std::string Sandbox::make_busybox(const std::string& name, std::string root) const {
  if (root.empty()) {
    root = root_;
  }
  std::string script = source_dir() + "/scripts/make-busybox-image.sh";
  if (!path_exists(script)) {
    ADD_FAILURE() << script << " is missing: the busybox test image cannot be made";
    return "";
  }
  RunOptions o;
  o.env = {"BERTH=" + berth_binary(), "BERTH_ROOT=" + root};
  o.cwd = work_;
  auto r = run_process({"bash", script, name}, o);
  if (!r.ok()) {
    ADD_FAILURE() << "making the busybox image: " << r.describe();
    return "";
  }
  auto ins = berth_at(root, {"image", "inspect", "--format", "{{.Id}}", name});
  std::string id = ins.out.empty() ? "" : ins.out.substr(0, ins.out.size() - 1);
  if (!ins.ok() || !is_image_id(id)) {
    ADD_FAILURE() << "the busybox image is not in the store after " << r.cmdline << ": "
                  << ins.describe();
    return "";
  }
  return id;
}

bool Sandbox::make_busybox_rootfs(const std::string& dir) const {
  std::string script = source_dir() + "/scripts/make-busybox-rootfs.sh";
  if (!path_exists(script)) {
    ADD_FAILURE() << script << " is missing: the busybox rootfs cannot be made";
    return false;
  }
  auto r = run_process({"bash", script, dir});
  if (!r.ok()) {
    ADD_FAILURE() << "making the busybox rootfs: " << r.describe();
    return false;
  }
  return true;
}

std::string Sandbox::import_tar(const std::string& tar, const std::string& ref,
                                const std::vector<std::string>& extra_args) const {
  static std::atomic<int> counter{0};
  std::string path = work("import-" + std::to_string(++counter) + ".tar");
  write_file(path, tar);
  std::vector<std::string> args = {"import"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  args.push_back(path);
  if (!ref.empty()) {
    args.push_back(ref);
  }
  auto r = berth(args);
  std::string id = r.out.empty() ? "" : r.out.substr(0, r.out.size() - 1);
  if (!r.ok() || !is_image_id(id)) {
    ADD_FAILURE() << "import should print the image ID: " << r.describe();
    return "";
  }
  return id;
}

Json Sandbox::index(const std::string& root) const {
  std::string r = root.empty() ? root_ : root;
  return parse_json(read_file(r + "/index.json"), r + "/index.json");
}

Json Sandbox::index_entry(const std::string& full_ref, const std::string& root) const {
  Json idx = index(root);
  if (idx.is_object() && idx.contains("manifests") && idx["manifests"].is_array()) {
    for (const auto& m : idx["manifests"]) {
      if (m.contains("annotations") && m["annotations"].is_object() &&
          m["annotations"].value("org.opencontainers.image.ref.name", "") == full_ref) {
        return m;
      }
    }
  }
  return nullptr;
}

std::string Sandbox::blob(const std::string& digest, const std::string& root) const {
  return read_file(blob_path(root.empty() ? root_ : root, digest));
}

Json Sandbox::manifest(const std::string& full_ref, const std::string& root) const {
  Json entry = index_entry(full_ref, root);
  if (!entry.is_object()) {
    ADD_FAILURE() << "index.json has no manifest named " << full_ref << ":\n"
                  << index(root).dump(2);
    return nullptr;
  }
  return parse_json(blob(entry["digest"], root), "manifest of " + full_ref);
}

std::string Sandbox::store_problems(const std::string& root) const {
  std::string r = root.empty() ? root_ : root;
  std::string problems;
  Json layout = Json::parse(path_exists(r + "/oci-layout") ? read_file(r + "/oci-layout") : "",
                            nullptr, false);
  if (layout.is_discarded() || !layout.is_object() ||
      layout.value("imageLayoutVersion", "") != "1.0.0") {
    problems += "oci-layout is missing or has no imageLayoutVersion 1.0.0\n";
  }
  Json idx = Json::parse(path_exists(r + "/index.json") ? read_file(r + "/index.json") : "",
                         nullptr, false);
  if (idx.is_discarded() || !idx.is_object() || idx.value("schemaVersion", 0) != 2 ||
      !idx.contains("manifests") || !idx["manifests"].is_array()) {
    return problems + "index.json is missing, malformed or not an OCI index\n";
  }
  for (const auto& desc : idx["manifests"]) {
    std::string text = check_blob(r, desc, "index.json manifest", problems);
    if (text.empty()) {
      continue;
    }
    Json manifest = Json::parse(text, nullptr, false);
    if (manifest.is_discarded() || !manifest.contains("config") || !manifest.contains("layers")) {
      problems += "manifest " + desc["digest"].get<std::string>() + " is malformed\n";
      continue;
    }
    check_blob(r, manifest["config"], "config of " + desc["digest"].get<std::string>(), problems);
    for (const auto& layer : manifest["layers"]) {
      check_blob(r, layer, "layer of " + desc["digest"].get<std::string>(), problems);
    }
  }
  return problems;
}

void SandboxTest::SetUp() {
  sandbox_ = std::make_unique<Sandbox>();
  ASSERT_TRUE(path_exists(berth_binary()))
      << "the berth binary " << berth_binary()
      << " does not exist: build it (cmake --build build) or set BERTH_BINARY";
}

void SandboxTest::TearDown() { sandbox_.reset(); }

ProcResult SandboxTest::berth_ok(const std::vector<std::string>& args, const RunOptions& options) {
  auto r = sandbox_->berth(args, options);
  EXPECT_TRUE(r.ok()) << r.describe();
  return r;
}

Json SandboxTest::inspect(const std::string& name) {
  auto r = berth_ok({"image", "inspect", name});
  Json j = parse_json(r.out, "`berth image inspect " + name + "` output");
  if (!j.is_array() || j.size() != 1) {
    ADD_FAILURE() << "image inspect should print a JSON array of one object, got:\n" << r.out;
    return nullptr;
  }
  return j[0];
}

void expect_refused(const ProcResult& r, const std::vector<std::string>& mentions,
                    const TreeSnapshot& before, const TreeSnapshot& after) {
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_TRUE(is_one_line(r.err)) << "the error should be one line on stderr: " << r.describe();
  for (const auto& m : mentions) {
    EXPECT_NE(lower(r.err).find(lower(m)), std::string::npos)
        << "the error should mention '" << m << "': " << r.describe();
  }
  EXPECT_TRUE(after == before) << "the store changed:\n" << after.diff_from(before);
}

}  // namespace berth::it
