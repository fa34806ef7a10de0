// The integration sandbox: runs the real berth binary (black box) against a private store root
// under /tmp, and the helpers the integration and interop tests share: processes with a timeout,
// store snapshots, sha256, tar archives written byte by byte, docker's tables and sizes.
//
// Nothing here links berth code: what berth does is only ever seen through its command line,
// its output and the files it leaves in the store.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace berth::it {

using Json = nlohmann::json;

// ---------------------------------------------------------------------------------------------
// Processes

struct RunOptions {
  std::string input;                   // written to the child's stdin, then stdin is closed
  std::vector<std::string> env;        // "KEY=VALUE" added to (or replacing in) our environment
  std::vector<std::string> unset_env;  // names removed from the child's environment
  std::string cwd;                     // working directory of the child; ours when empty
  std::chrono::milliseconds timeout{std::chrono::seconds(180)};
};

struct ProcResult {
  std::string cmdline;  // for messages
  int exit_code = -1;   // the exit status, or 128 + signal number when killed
  bool timed_out = false;
  std::string out;
  std::string err;

  bool ok() const { return exit_code == 0 && !timed_out; }
  // "`berth images` exited 125 / stdout: … / stderr: …", for assertion messages.
  std::string describe() const;
};

// Runs argv[0] (looked up in PATH when it has no '/') with fork/exec, no shell. The child is
// killed by its PID (SIGKILL) when the timeout passes. Thread-safe: concurrency tests call it
// from several threads.
ProcResult run_process(const std::vector<std::string>& argv, const RunOptions& options = {});

// The berth binary under test: env BERTH_BINARY, else the build's (compile definition).
std::string berth_binary();
// The source tree (for scripts/).
std::string source_dir();
// The full path of a program in PATH, or nullopt.
std::optional<std::string> find_program(const std::string& name);
// A message for a missing tool: which one, and how to get it.
std::string missing_tool_message(const std::string& name);

// ---------------------------------------------------------------------------------------------
// Files and digests

std::string sha256_hex(std::string_view data);
std::string read_file(const std::string& path);  // "" and a test failure when unreadable
void write_file(const std::string& path, std::string_view data, int mode = 0644);
bool path_exists(const std::string& path);  // lstat: a dangling symlink exists
// Recursively lists regular files and symlinks under dir (relative paths, sorted).
std::vector<std::string> list_tree(const std::string& dir);
// Finds every path (relative to dir) whose last component is `name`.
std::vector<std::string> find_named(const std::string& dir, const std::string& name);
// Parses JSON; on malformed input records a test failure naming `what` and returns null.
Json parse_json(const std::string& text, const std::string& what);

// Every path under a tree with its type, permission bits, size and content hash (files) or
// target (symlinks). Directory sizes and times are left out: they are not content.
struct TreeSnapshot {
  std::map<std::string, std::string> entries;

  bool operator==(const TreeSnapshot& other) const { return entries == other.entries; }
  // Added, removed and changed paths relative to `before`, one per line.
  std::string diff_from(const TreeSnapshot& before) const;
};
TreeSnapshot snapshot_tree(const std::string& root);

// ---------------------------------------------------------------------------------------------
// Tar archives

// Writes a ustar archive entry by entry, with whatever names it is given ("../evil", "/abs"):
// a host tar would refuse to write those. Deterministic (fixed mtime, uid 0).
class TarWriter {
 public:
  TarWriter& file(const std::string& name, std::string_view data, int mode = 0644);
  TarWriter& dir(const std::string& name, int mode = 0755);
  TarWriter& symlink(const std::string& name, const std::string& target);
  TarWriter& hardlink(const std::string& name, const std::string& target);
  // The archive with its two end blocks.
  std::string finish() const;

 private:
  void header(const std::string& name, char type, const std::string& link, size_t size, int mode);
  std::string data_;
};

struct TarEntry {
  std::string name;
  char type = '0';  // '0' file, '5' dir, '2' symlink, '1' hardlink, ...
  std::string link;
  std::string data;
  int mode = 0;
};
// Reads ustar, pax ('x' path/linkpath/size) and GNU long-name entries. Records a test failure
// naming `what` on malformed input.
std::vector<TarEntry> read_tar(std::string_view data, const std::string& what = "archive");
const TarEntry* find_entry(const std::vector<TarEntry>& entries, const std::string& name);
// Packs the files under dir (names relative, no "./", directories first, sorted).
std::string tar_directory(const std::string& dir);
// Extracts a tar into dir with the host tar (for archives berth wrote).
void extract_tar(const std::string& archive_path, const std::string& dir);
// Compresses with the host gzip or zstd ("gzip" or "zstd"); fails the test if missing.
std::string compress(const std::string& data, const std::string& tool);

// A tiny root filesystem tar with one file whose content makes each `seed` a distinct layer.
std::string tiny_rootfs_tar(const std::string& seed);

// An image archive built by hand around one layer tar, so tests control every byte.
struct HandmadeImage {
  std::string layer_tar;  // uncompressed layer
  std::string layer_media_type = "application/vnd.oci.image.layer.v1.tar";
  std::string ref;  // "evil:latest" (docker RepoTags) / "docker.io/library/evil:latest" (OCI)
};
std::string handmade_docker_archive(const HandmadeImage& image);
std::string handmade_oci_archive(const HandmadeImage& image);

// ---------------------------------------------------------------------------------------------
// Docker's output conventions

std::vector<std::string> split_lines(const std::string& text);  // without empty last line
// A docker table (tabwriter output): the header must list exactly `columns`, in order, with at
// least two spaces between them; every row is cut at the header's column starts (in characters,
// not bytes). Records a test failure and returns no rows when the header differs.
std::vector<std::map<std::string, std::string>> parse_table(
    const std::string& text, const std::vector<std::string>& columns);
// docker's units.HumanSizeWithPrecision(size, 3): "4.86MB", "512B", "0B".
std::string docker_size(double bytes);
// "12 seconds ago", "Less than a second ago", "About a minute ago".
bool is_recent_created_since(const std::string& text);
// `text` with every recent "… ago" replaced by "<since>" and runs of spaces cut to two, so two
// listings taken a moment apart (across a second's boundary) compare equal.
std::string mask_created_since(const std::string& text);
bool is_image_id(const std::string& text);        // "sha256:" + 64 lowercase hex
bool is_short_image_id(const std::string& text);  // 12 lowercase hex
// True when stderr is exactly one line (ending in '\n').
bool is_one_line(const std::string& text);

// ---------------------------------------------------------------------------------------------
// The sandbox

class Sandbox {
 public:
  Sandbox();   // mkdtemp /tmp/berth-it-XXXXXX with root/ (the store) and work/ (scratch)
  ~Sandbox();  // unmounts anything under the sandbox (deepest first), then removes it
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  const std::string& dir() const { return dir_; }
  const std::string& root() const { return root_; }
  // A path in the scratch directory.
  std::string work(const std::string& name = "") const;
  // Another empty store root inside the sandbox (for load round trips).
  std::string new_root(const std::string& name);

  // berth --root <root> args...
  ProcResult berth(const std::vector<std::string>& args, const RunOptions& options = {}) const;
  ProcResult berth_at(const std::string& root, const std::vector<std::string>& args,
                      const RunOptions& options = {}) const;

  // scripts/make-busybox-image.sh into `root` (default: ours); returns the image ID
  // ("sha256:…"), or "" after recording a failure.
  std::string make_busybox(const std::string& name = "busybox:latest", std::string root = "") const;
  // scripts/make-busybox-rootfs.sh DIR; false after recording a failure.
  bool make_busybox_rootfs(const std::string& dir) const;

  // Imports `tar` (written to the scratch dir) as `ref` ("" for none); returns the printed ID or
  // "" after recording a failure.
  std::string import_tar(const std::string& tar, const std::string& ref,
                         const std::vector<std::string>& extra_args = {}) const;

  TreeSnapshot snapshot() const { return snapshot_tree(root_); }
  // The store's index.json, parsed.
  Json index(const std::string& root = "") const;
  // The manifest descriptor in index.json whose ref.name annotation is `full_ref`.
  Json index_entry(const std::string& full_ref, const std::string& root = "") const;
  // The content of a blob of the store ("sha256:…"); "" after recording a failure.
  std::string blob(const std::string& digest, const std::string& root = "") const;
  // The manifest named `full_ref` in index.json, parsed (null after recording a failure).
  Json manifest(const std::string& full_ref, const std::string& root = "") const;
  // Checks the store is a consistent OCI layout: index.json parses, every manifest, config and
  // layer it reaches exists with its digest and size. Returns the problems, one per line.
  std::string store_problems(const std::string& root = "") const;

 private:
  std::string dir_;
  std::string root_;
  std::string work_;
};

// Base fixture: a fresh sandbox per test.
class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  Sandbox& sb() { return *sandbox_; }
  ProcResult berth(const std::vector<std::string>& args, const RunOptions& options = {}) {
    return sandbox_->berth(args, options);
  }
  // Runs berth and records a failure (with the full output) unless it exits 0.
  ProcResult berth_ok(const std::vector<std::string>& args, const RunOptions& options = {});
  // `berth image inspect NAME`, the one object of the array (null after a failure).
  Json inspect(const std::string& name);

 private:
  std::unique_ptr<Sandbox> sandbox_;
};

// A sandbox whose store holds busybox:latest (scripts/make-busybox-image.sh); busybox_ is its ID.
class BusyboxTest : public SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    busybox_ = sb().make_busybox();
    ASSERT_FALSE(busybox_.empty());
  }
  std::string busybox_;
};

// Asserts the common shape of a refused operation: exit 1 (what docker's CLI exits when its
// daemon refuses), a one-line error on stderr that contains every one of `mentions`, and the
// store unchanged since `before`.
void expect_refused(const ProcResult& r, const std::vector<std::string>& mentions,
                    const TreeSnapshot& before, const TreeSnapshot& after);

}  // namespace berth::it
