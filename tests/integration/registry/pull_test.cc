// `berth pull`, `login` and `logout` against a real docker-registry on 127.0.0.1: plain HTTP,
// TLS with a test CA in the per-registry CA directory, htpasswd Basic auth, and a proxy that
// cuts a layer's transfer in the middle.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <thread>

#include "local_registry.h"

namespace berth::it {
namespace {

class Pull : public RegistryTest {
 protected:
  // A registry holding our busybox:latest as busybox:latest; null after a skip or failure.
  std::unique_ptr<LocalRegistry> registry_with_busybox(const RegistryOptions& o = {}) {
    auto reg = std::make_unique<LocalRegistry>(sb(), "registry", o);
    if (!reg->skip_reason().empty() || !reg->running()) {
      return nullptr;
    }
    if (!reg->push_from_store(sb().root(), std::string(kBusybox), "busybox:latest")) {
      return nullptr;
    }
    return reg;
  }

  // The names index.json gives images.
  std::vector<std::string> index_names(const std::string& store) {
    std::vector<std::string> out;
    Json index = sb().index(store);
    for (const auto& m : index.value("manifests", Json::array())) {
      out.push_back(m.value("annotations", Json::object())
                        .value("org.opencontainers.image.ref.name", std::string()));
    }
    return out;
  }

  // After an interrupted pull that kept `kept` bytes of `layer` (of `size`): the next pull
  // through the released proxy completes, asks only for the rest with Range and transfers only
  // that, and leaves a consistent store.
  void expect_pull_resumes(FaultProxy& proxy, const std::string& store, const std::string& ref,
                           const std::string& layer, int64_t size, int64_t kept) {
    proxy.release();
    proxy.reset_counts();
    auto resumed = berth_in(store, {"pull", ref});
    ASSERT_TRUE(resumed.ok()) << resumed.describe();
    auto reqs = proxy.requests();
    std::string want =
        "GET /v2/busybox/blobs/" + layer + " Range: bytes=" + std::to_string(kept) + "-";
    EXPECT_NE(std::find(reqs.begin(), reqs.end(), want), reqs.end())
        << "asked only for the rest; requests:\n"
        << ::testing::PrintToString(reqs);
    EXPECT_LT(proxy.blob_bytes(layer), size - kept + 4096) << "transferred only the rest";
    EXPECT_EQ(sb().store_problems(store), "");
  }

  void expect_one_line_failure(const ProcResult& r, const std::string& mention) {
    EXPECT_EQ(r.exit_code, 1) << r.describe();
    EXPECT_TRUE(is_one_line(r.err)) << r.describe();
    EXPECT_NE(r.err.find(mention), std::string::npos) << r.describe();
  }
};

#define REGISTRY_OR_SKIP(reg, ...)                     \
  auto reg = registry_with_busybox(__VA_ARGS__);       \
  if (!reg) {                                          \
    LocalRegistry probe(sb(), "probe");                \
    if (!probe.skip_reason().empty()) {                \
      GTEST_SKIP() << probe.skip_reason();             \
    }                                                  \
    FAIL() << "the test registry could not be set up"; \
  }

TEST_F(Pull, PulledImageRunsFromAFreshStore) {
  REGISTRY_OR_SKIP(reg);
  std::string store = sb().new_root("fresh");
  std::string ref = reg->host() + "/busybox:latest";
  auto pull = berth_in(store, {"pull", ref});
  ASSERT_TRUE(pull.ok()) << pull.describe();
  EXPECT_EQ(sb().store_problems(store), "");
  auto run = berth_in(store, {"run", "--rm", ref, "echo", "hello from the registry"});
  EXPECT_EQ(run.exit_code, 0) << run.describe();
  EXPECT_EQ(run.out, "hello from the registry\n");
  auto images = berth_in(store, {"images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"});
  ASSERT_TRUE(images.ok()) << images.describe();
  EXPECT_EQ(images.out, ref + " " + busybox_.substr(7, 12) + "\n") << "same image ID as pushed";
}

// run (and create) pull what the store lacks, with docker's lines on stderr so that stdout is
// the container's alone; --pull never refuses instead, --pull always pulls even a stored image.
TEST_F(Pull, RunPullsAMissingImageUnlessToldNever) {
  REGISTRY_OR_SKIP(reg);
  std::string ref = reg->host() + "/busybox:latest";
  std::string never_store = sb().new_root("never");
  auto never = berth_in(never_store, {"run", "--rm", "--pull", "never", ref, "true"});
  EXPECT_EQ(never.exit_code, 125) << never.describe();
  EXPECT_NE(never.err.find("No such image"), std::string::npos) << never.describe();
  EXPECT_TRUE(index_names(never_store).empty());

  std::string store = sb().new_root("fresh");
  auto run = berth_in(store, {"run", "--rm", ref, "echo", "pulled by run"});
  EXPECT_EQ(run.exit_code, 0) << run.describe();
  EXPECT_EQ(run.out, "pulled by run\n");
  EXPECT_EQ(run.err.rfind("Unable to find image '" + ref + "' locally\n", 0), 0U) << run.err;
  EXPECT_NE(run.err.find("Status: Downloaded newer image for " + ref), std::string::npos)
      << run.err;
  auto again = berth_in(store, {"run", "--rm", "--pull", "always", ref, "true"});
  EXPECT_EQ(again.exit_code, 0) << again.describe();
  EXPECT_NE(again.err.find("Status: Image is up to date for " + ref), std::string::npos)
      << again.describe();
  auto quiet = berth_in(store, {"create", "-q", "--pull", "always", ref});
  EXPECT_EQ(quiet.exit_code, 0) << quiet.describe();
  EXPECT_EQ(quiet.err, "") << quiet.describe();
}

TEST_F(Pull, OutputIsDockersAndTheDigestIsTheOneSkopeoSees) {
  REGISTRY_OR_SKIP(reg);
  std::string store = sb().new_root("fresh");
  auto pull = berth_in(store, {"pull", reg->host() + "/busybox"});
  ASSERT_TRUE(pull.ok()) << pull.describe();
  std::string digest = reg->skopeo_digest("busybox:latest");
  ASSERT_FALSE(digest.empty());
  auto lines = split_lines(pull.out);
  ASSERT_GE(lines.size(), 5u) << pull.out;
  EXPECT_EQ(lines.front(), "Using default tag: latest");
  EXPECT_EQ(lines[1], "latest: Pulling from busybox");
  std::regex complete("[0-9a-f]{12}: Pull complete");
  EXPECT_TRUE(std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
    return std::regex_match(l, complete);
  })) << pull.out;
  EXPECT_NE(std::find(lines.begin(), lines.end(), "Digest: " + digest), lines.end()) << pull.out;
  EXPECT_EQ(lines[lines.size() - 2],
            "Status: Downloaded newer image for " + reg->host() + "/busybox:latest");
  EXPECT_EQ(lines.back(), reg->host() + "/busybox:latest");
  Json entry = sb().index_entry(reg->host() + "/busybox:latest", store);
  EXPECT_EQ(entry.value("digest", ""), digest) << "the store keeps the manifest byte for byte";

  // docker's RepoDigests, and the DIGEST column of `images --digests`.
  auto ins = berth_in(
      store, {"image", "inspect", "-f", "{{json .RepoDigests}}", reg->host() + "/busybox"});
  EXPECT_EQ(ins.out, "[\"" + reg->host() + "/busybox@" + digest + "\"]\n") << ins.describe();
  auto rows = berth_in(store, {"images", "--digests", "--format", "{{.Repository}} {{.Digest}}"});
  EXPECT_NE(rows.out.find(reg->host() + "/busybox " + digest + "\n"), std::string::npos)
      << rows.describe();

  // Pulled by digest into another store: no tag, but the repository and digest are listed.
  std::string by_digest = sb().new_root("by-digest");
  auto pulled = berth_in(by_digest, {"pull", reg->host() + "/busybox@" + digest});
  ASSERT_TRUE(pulled.ok()) << pulled.describe();
  rows = berth_in(by_digest,
                  {"images", "--digests", "--format", "{{.Repository}} {{.Tag}} {{.Digest}}"});
  EXPECT_EQ(rows.out, reg->host() + "/busybox <none> " + digest + "\n") << rows.describe();
}

TEST_F(Pull, DockerHubImagesComeFromTheFirstMirrorThatAnswers) {
  REGISTRY_OR_SKIP(reg);
  ASSERT_TRUE(reg->push_from_store(sb().root(), std::string(kBusybox), "library/busybox:latest"));
  std::string digest = reg->skopeo_digest("library/busybox:latest");
  ASSERT_FALSE(digest.empty());
  // The first mirror refuses connections; the second is the test's registry. Docker Hub itself
  // is never reached: the second mirror has the image.
  write_file(berth_config() + "/registries.json",
             R"({"registry-mirrors": ["http://127.0.0.1:1", "http://)" + reg->host() + "\"]}");
  std::string store = sb().new_root("fresh");
  auto pull = berth_in(store, {"pull", "busybox"});
  ASSERT_TRUE(pull.ok()) << pull.describe();
  EXPECT_NE(pull.out.find("Digest: " + digest + "\n"), std::string::npos) << pull.out;
  EXPECT_NE(pull.out.find("Status: Downloaded newer image for busybox:latest\n"), std::string::npos)
      << pull.out;
  auto ins = berth_in(store, {"image", "inspect", "-f", "{{json .RepoDigests}}", "busybox"});
  EXPECT_EQ(ins.out, "[\"busybox@" + digest + "\"]\n") << ins.describe();
  auto run = berth_in(store, {"run", "--rm", "--pull", "never", "busybox", "echo", "mirrored"});
  EXPECT_EQ(run.out, "mirrored\n") << run.describe();

  // A malformed mirror list is one line naming the file, and nothing is pulled.
  write_file(berth_config() + "/registries.json", R"({"registry-mirrors": ["mirror.lan"]})");
  std::string other = sb().new_root("other");
  auto bad = berth_in(other, {"pull", "busybox"});
  EXPECT_EQ(bad.exit_code, 1) << bad.describe();
  EXPECT_TRUE(is_one_line(bad.err)) << bad.describe();
  EXPECT_NE(bad.err.find("registries.json"), std::string::npos) << bad.describe();
}

TEST_F(Pull, OnATerminalEachLayerShowsItsBarBytesAndSpeed) {
  REGISTRY_OR_SKIP(reg);
  if (::access("/usr/bin/script", X_OK) != 0) {
    FAIL() << "script(1) from bsdutils is needed to give berth a terminal";
  }
  std::string store = sb().new_root("fresh");
  std::string cmd = "DOCKER_CONFIG=" + docker_config() + " BERTH_CONFIG_DIR=" + berth_config() +
                    " " + berth_binary() + " --root " + store + " pull " + reg->host() +
                    "/busybox:latest";
  ProcResult r = run_process({"/usr/bin/script", "-qec", cmd, "/dev/null"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  std::regex bar(R"(Downloading \[=+\]  [0-9.]+[kMG]?B/[0-9.]+[kMG]?B  [0-9.]+[kMG]?B/s)");
  EXPECT_TRUE(std::regex_search(r.out, bar)) << r.out;
  EXPECT_NE(r.out.find("\x1b[2K"), std::string::npos) << "lines are rewritten in place";
  EXPECT_NE(r.out.find("Pull complete"), std::string::npos) << r.out;
}

TEST_F(Pull, PullingTwiceSaysTheImageIsUpToDate) {
  REGISTRY_OR_SKIP(reg);
  std::string store = sb().new_root("fresh");
  std::string ref = reg->host() + "/busybox:latest";
  ASSERT_TRUE(berth_in(store, {"pull", ref}).ok());
  auto before = snapshot_tree(store);
  auto again = berth_in(store, {"pull", ref});
  ASSERT_TRUE(again.ok()) << again.describe();
  EXPECT_NE(again.out.find("Status: Image is up to date for " + ref + "\n"), std::string::npos)
      << again.out;
  EXPECT_EQ(again.out.find("Pull complete"), std::string::npos) << again.out;
  auto quiet = berth_in(store, {"pull", "-q", ref});
  ASSERT_TRUE(quiet.ok()) << quiet.describe();
  EXPECT_EQ(quiet.out, ref + "\n");
  EXPECT_EQ(snapshot_tree(store).diff_from(before), "");
}

TEST_F(Pull, UnknownTagIsOneLineExitOneAndTheStoreIsUnchanged) {
  REGISTRY_OR_SKIP(reg);
  std::string store = sb().new_root("fresh");
  ASSERT_TRUE(berth_in(store, {"images", "-q"}).ok());
  auto before = snapshot_tree(store);
  auto r = berth_in(store, {"pull", reg->host() + "/busybox:nope"});
  expect_one_line_failure(r, "manifest for " + reg->host() + "/busybox:nope not found");
  EXPECT_EQ(snapshot_tree(store).diff_from(before), "");
  auto repo = berth_in(store, {"pull", reg->host() + "/nosuchrepo"});
  EXPECT_EQ(repo.exit_code, 1) << repo.describe();
  EXPECT_TRUE(is_one_line(repo.err)) << repo.describe();
  EXPECT_EQ(snapshot_tree(store).diff_from(before), "");
}

TEST_F(Pull, UnreachableRegistryIsOneLine) {
  std::string store = sb().new_root("fresh");
  auto r = berth_in(store, {"pull", "127.0.0.1:" + std::to_string(free_port()) + "/busybox"});
  expect_one_line_failure(r, "pinging registry 127.0.0.1:");
}

TEST_F(Pull, TlsRegistryIsTrustedThroughItsCaDirectory) {
  RegistryOptions o;
  o.tls = true;
  REGISTRY_OR_SKIP(reg, o);
  std::string store = sb().new_root("fresh");
  std::string ref = reg->host() + "/busybox:latest";
  auto untrusted = berth_in(store, {"pull", ref});
  expect_one_line_failure(untrusted, "certificate");
  std::string ca_dir = berth_config() + "/certs.d/" + reg->host();
  std::filesystem::create_directories(ca_dir);
  write_file(ca_dir + "/ca.crt", read_file(reg->ca().ca_crt));
  auto pull = berth_in(store, {"pull", ref});
  ASSERT_TRUE(pull.ok()) << pull.describe();
  auto run = berth_in(store, {"run", "--rm", ref, "echo", "over tls"});
  EXPECT_EQ(run.out, "over tls\n") << run.describe();
}

TEST_F(Pull, BasicAuthNeedsLoginAndLogoutForgetsIt) {
  RegistryOptions o;
  o.user = "tester";
  o.password = "s3cret";
  REGISTRY_OR_SKIP(reg, o);
  std::string store = sb().new_root("fresh");
  std::string ref = reg->host() + "/busybox:latest";
  expect_one_line_failure(berth_in(store, {"pull", ref}), "401");

  auto wrong =
      berth_in(store, {"login", "-u", "tester", "--password-stdin", reg->host()}, "nope\n");
  expect_one_line_failure(wrong, "incorrect username or password");
  EXPECT_FALSE(path_exists(docker_config() + "/config.json"));

  auto login =
      berth_in(store, {"login", "-u", "tester", "--password-stdin", reg->host()}, "s3cret\n");
  ASSERT_TRUE(login.ok()) << login.describe();
  EXPECT_EQ(login.out, "Login Succeeded\n");
  struct stat st {};
  ASSERT_EQ(::stat((docker_config() + "/config.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  Json config = parse_json(read_file(docker_config() + "/config.json"), "config.json");
  EXPECT_EQ(config["auths"][reg->host()]["auth"], "dGVzdGVyOnMzY3JldA==");  // tester:s3cret

  auto pull = berth_in(store, {"pull", ref});
  ASSERT_TRUE(pull.ok()) << pull.describe();

  auto logout = berth_in(store, {"logout", reg->host()});
  ASSERT_TRUE(logout.ok()) << logout.describe();
  EXPECT_EQ(logout.out, "Removing login credentials for " + reg->host() + "\n");
  config = parse_json(read_file(docker_config() + "/config.json"), "config.json");
  EXPECT_FALSE(config["auths"].contains(reg->host()));
  auto again = berth_in(sb().new_root("other"), {"pull", ref});
  EXPECT_EQ(again.exit_code, 1) << again.describe();
}

// docker's credential-helper protocol, kept in a directory of files: enough to see what berth
// hands the helper and gets back (no helper from Debian runs without a desktop keyring or gpg).
constexpr const char* kFileCredentialHelper = R"SH(#!/bin/sh
dir=$(dirname "$0")/store
mkdir -p "$dir"
read -r input || true
case "$1" in
  store) key=$(printf '%s' "$input" | sed 's/.*"ServerURL":"\([^"]*\)".*/\1/')
         printf '%s' "$input" > "$dir/$(printf '%s' "$key" | tr '/:' '__')" ;;
  get) f="$dir/$(printf '%s' "$input" | tr '/:' '__')"
       if [ -f "$f" ]; then cat "$f"; else echo "credentials not found in native keychain"; exit 1; fi ;;
  erase) rm -f "$dir/$(printf '%s' "$input" | tr '/:' '__')" ;;
  *) exit 2 ;;
esac
)SH";

TEST_F(Pull, CredentialHelperNamedByCredsStoreKeepsThePassword) {
  RegistryOptions o;
  o.user = "tester";
  o.password = "s3cret";
  REGISTRY_OR_SKIP(reg, o);
  std::string bin = sb().dir() + "/helper-bin";
  write_file(bin + "/docker-credential-berthtest", kFileCredentialHelper, 0755);
  std::vector<std::string> env = {"PATH=" + bin + ":/usr/sbin:/usr/bin:/sbin:/bin"};
  write_file(docker_config() + "/config.json", R"({"credsStore": "berthtest"})");
  std::string store = sb().new_root("fresh");
  std::string ref = reg->host() + "/busybox:latest";

  auto login =
      berth_in(store, {"login", "-u", "tester", "--password-stdin", reg->host()}, "s3cret\n", env);
  ASSERT_TRUE(login.ok()) << login.describe();
  Json config = parse_json(read_file(docker_config() + "/config.json"), "config.json");
  EXPECT_EQ(config["auths"][reg->host()], Json::object()) << "no password in config.json";
  EXPECT_EQ(config["credsStore"], "berthtest");
  std::string kept = bin + "/store/" + std::regex_replace(reg->host(), std::regex("[:/]"), "_");
  Json stored = parse_json(read_file(kept), "the helper's record");
  EXPECT_EQ(stored,
            (Json{{"ServerURL", reg->host()}, {"Username", "tester"}, {"Secret", "s3cret"}}));

  auto pull = berth_in(store, {"pull", ref}, "", env);
  ASSERT_TRUE(pull.ok()) << "the credentials come from the helper: " << pull.describe();

  auto logout = berth_in(store, {"logout", reg->host()}, "", env);
  ASSERT_TRUE(logout.ok()) << logout.describe();
  EXPECT_FALSE(path_exists(kept)) << "logout erases the helper's copy";
  expect_one_line_failure(berth_in(sb().new_root("other"), {"pull", ref}, "", env), "401");

  // A helper that is not installed is one line naming it.
  write_file(docker_config() + "/config.json",
             R"({"credHelpers": {")" + reg->host() + R"(": "missing"}})");
  expect_one_line_failure(berth_in(sb().new_root("third"), {"pull", ref}, "", env),
                          "docker-credential-missing");
}

TEST_F(Pull, CutTransferIsResumedFromItsLastByteByTheNextPull) {
  REGISTRY_OR_SKIP(reg);
  Json manifest = reg->raw_manifest("busybox:latest");
  ASSERT_TRUE(manifest.is_object());
  std::string layer = manifest["layers"][0]["digest"];
  int64_t size = manifest["layers"][0]["size"];
  ASSERT_GT(size, 100000) << "the layer must be large enough to cut in the middle";
  // Response headers come before the body: the cut lands at about size/2 of the body.
  FaultProxy proxy(reg->port());
  proxy.arm(layer, size / 2);
  std::string store = sb().new_root("fresh");
  std::string ref = proxy.host() + "/busybox:latest";

  auto cut = berth_in(store, {"pull", ref});
  EXPECT_EQ(cut.exit_code, 1) << cut.describe();
  EXPECT_TRUE(proxy.cut_happened()) << ::testing::PrintToString(proxy.requests());
  std::string partial = store + "/ingest/pull-sha256-" + layer.substr(7);
  ASSERT_TRUE(path_exists(partial)) << "the partial download survives the failed pull";
  int64_t kept = static_cast<int64_t>(std::filesystem::file_size(partial));
  EXPECT_GT(kept, 0);
  EXPECT_LE(kept, size / 2);

  expect_pull_resumes(proxy, store, ref, layer, size, kept);
  EXPECT_FALSE(path_exists(partial));
  auto run = berth_in(store, {"run", "--rm", ref, "echo", "resumed"});
  EXPECT_EQ(run.out, "resumed\n") << run.describe();
}

TEST_F(Pull, PullKilledMidLayerIsResumedByTheNextPull) {
  REGISTRY_OR_SKIP(reg);
  Json manifest = reg->raw_manifest("busybox:latest");
  ASSERT_TRUE(manifest.is_object());
  std::string layer = manifest["layers"][0]["digest"];
  int64_t size = manifest["layers"][0]["size"];
  FaultProxy proxy(reg->port());
  proxy.arm(layer, size / 2, FaultProxy::Fault::kStall);
  std::string store = sb().new_root("fresh");
  std::string ref = proxy.host() + "/busybox:latest";
  std::string partial = store + "/ingest/pull-sha256-" + layer.substr(7);

  // berth pull in the background, killed by its PID with SIGKILL while the layer is stalled.
  std::vector<std::string> argv = {berth_binary(), "--root", store, "pull", ref};
  std::vector<char*> cargv;
  for (auto& a : argv) {
    cargv.push_back(a.data());
  }
  cargv.push_back(nullptr);
  std::string env_docker = "DOCKER_CONFIG=" + docker_config();
  std::string env_berth = "BERTH_CONFIG_DIR=" + berth_config();
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::putenv(env_docker.data());
    ::putenv(env_berth.data());
    ::execv(cargv[0], cargv.data());
    ::_exit(127);
  }
  // Kills and reaps the child by its own PID if an assertion leaves early. Never with pid <= 0:
  // kill(-1) would signal every process.
  struct Reaper {
    pid_t pid;
    ~Reaper() {
      if (pid > 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
      }
    }
  } reaper{pid};
  int64_t kept = 0;
  for (int i = 0; i < 600 && kept == 0; ++i) {  // until the stalled bytes reached the file
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::error_code ec;
    if (proxy.cut_happened()) {
      auto n = std::filesystem::file_size(partial, ec);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      kept = !ec && n > 0 && n == std::filesystem::file_size(partial, ec) ? static_cast<int64_t>(n)
                                                                          : 0;
    }
  }
  ASSERT_GT(kept, 0) << "the pull never stalled in the layer";
  ASSERT_GT(pid, 0);
  ::kill(pid, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  reaper.pid = 0;  // reaped: nothing left for the guard
  EXPECT_TRUE(WIFSIGNALED(status));

  expect_pull_resumes(proxy, store, ref, layer, size, kept);
}

TEST_F(Pull, CorruptedByteIsRefusedAndNothingOfTheBlobIsStored) {
  REGISTRY_OR_SKIP(reg);
  Json manifest = reg->raw_manifest("busybox:latest");
  ASSERT_TRUE(manifest.is_object());
  std::string layer = manifest["layers"][0]["digest"];
  int64_t size = manifest["layers"][0]["size"];
  FaultProxy proxy(reg->port());
  proxy.arm(layer, size / 3, FaultProxy::Fault::kCorrupt);
  std::string store = sb().new_root("fresh");
  std::string ref = proxy.host() + "/busybox:latest";
  auto bad = berth_in(store, {"pull", ref});
  expect_one_line_failure(bad, "digest mismatch");
  EXPECT_TRUE(proxy.cut_happened());
  EXPECT_FALSE(path_exists(store + "/blobs/sha256/" + layer.substr(7)));
  EXPECT_FALSE(path_exists(store + "/ingest/pull-sha256-" + layer.substr(7)))
      << "a partial file with a wrong byte would poison the next pull";
  EXPECT_TRUE(index_names(store).empty()) << "no image was named";

  proxy.release();
  auto good = berth_in(store, {"pull", ref});
  ASSERT_TRUE(good.ok()) << good.describe();
  EXPECT_EQ(sb().store_problems(store), "");
}

}  // namespace
}  // namespace berth::it
