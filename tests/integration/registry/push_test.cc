// `berth push` and `manifest inspect` against a real docker-registry on 127.0.0.1: images made
// here pushed, pulled back into a fresh store and run; blobs the registry has skipped, blobs of
// another repository mounted, Basic auth, zstd, skopeo's view of the pushed manifest, and a
// proxy that cuts a chunked upload in the middle.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <random>
#include <regex>
#include <thread>

#include "local_registry.h"

namespace berth::it {
namespace {

// A TCP proxy that, once, closes the connection that carries a PATCH after `cut_after` bytes of
// the request went through: a chunked upload cut in the middle. Everything else passes.
class PatchCutProxy {
 public:
  PatchCutProxy(int upstream_port, int64_t cut_after)
      : upstream_port_(upstream_port), cut_after_(cut_after) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(listen_fd_, 64);
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~PatchCutProxy() {
    stop_ = true;
    acceptor_.join();
    std::lock_guard<std::mutex> g(mu_);
    for (auto& t : conns_) {
      t.join();
    }
    ::close(listen_fd_);
  }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  bool cut_happened() const { return cut_done_; }
  int patches() const { return patches_; }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) {
        continue;
      }
      int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0) {
        std::lock_guard<std::mutex> g(mu_);
        conns_.emplace_back([this, c] { serve(c); });
      }
    }
  }
  void serve(int client) {
    int up = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(upstream_port_));
    if (::connect(up, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      pump(client, up);
    }
    ::close(up);
    ::close(client);
  }
  void pump(int client, int up) {
    int64_t patch_bytes = -1;  // counting once this connection carried a PATCH
    char buf[65536];
    while (!stop_) {
      pollfd p[2] = {{client, POLLIN, 0}, {up, POLLIN, 0}};
      if (::poll(p, 2, 50) <= 0) {
        continue;
      }
      for (int i = 0; i < 2; ++i) {
        if ((p[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
          continue;
        }
        ssize_t n = ::read(p[i].fd, buf, sizeof buf);
        if (n <= 0) {
          return;
        }
        if (i == 0) {
          std::string_view data(buf, static_cast<size_t>(n));
          if (data.find("PATCH /") != std::string_view::npos) {
            ++patches_;
            patch_bytes = 0;
          }
          if (patch_bytes >= 0 && !cut_done_) {
            patch_bytes += n;
            if (patch_bytes >= cut_after_) {
              cut_done_ = true;
              return;  // both ends are closed by serve()
            }
          }
        }
        if (::write(i == 0 ? up : client, buf, static_cast<size_t>(n)) != n) {
          return;
        }
      }
    }
  }

  int upstream_port_;
  int64_t cut_after_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> cut_done_{false};
  std::atomic<int> patches_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> conns_;
};

class Push : public RegistryTest {
 protected:
  std::unique_ptr<LocalRegistry> start(const RegistryOptions& o = {}) {
    auto reg = std::make_unique<LocalRegistry>(sb(), "registry", o);
    if (!reg->skip_reason().empty() || !reg->running()) {
      return nullptr;
    }
    return reg;
  }
  // Tags our busybox as <host>/<repo_tag>.
  void tag_as(const std::string& full) {
    auto t = sb().berth({"tag", "busybox:latest", full});
    ASSERT_TRUE(t.ok()) << t.describe();
  }
  // The "<tag>: digest: sha256:… size: N" line's digest; "" when absent.
  static std::string pushed_digest(const std::string& out, const std::string& tag) {
    std::smatch m;
    std::regex re(tag + ": digest: (sha256:[0-9a-f]{64}) size: [0-9]+");
    return std::regex_search(out, m, re) ? m[1].str() : "";
  }
  static bool every_layer_says(const std::string& out, const std::string& status) {
    int n = 0;
    for (const auto& l : split_lines(out)) {
      if (std::regex_match(l, std::regex("[0-9a-f]{12}: .*")) &&
          l.find(": Preparing") == std::string::npos) {
        if (l.substr(14) != status) {
          return false;
        }
        ++n;
      }
    }
    return n > 0;
  }
};

#define PUSH_REGISTRY_OR_SKIP(reg, ...)                \
  auto reg = start(__VA_ARGS__);                       \
  if (!reg) {                                          \
    LocalRegistry probe(sb(), "probe");                \
    if (!probe.skip_reason().empty()) {                \
      GTEST_SKIP() << probe.skip_reason();             \
    }                                                  \
    FAIL() << "the test registry could not be set up"; \
  }

TEST_F(Push, PushedImageIsPulledIntoAFreshStoreAndRuns) {
  PUSH_REGISTRY_OR_SKIP(reg);
  std::string ref = reg->host() + "/mybox:v1";
  tag_as(ref);
  auto push = berth_in(sb().root(), {"push", ref});
  ASSERT_TRUE(push.ok()) << push.describe();
  auto lines = split_lines(push.out);
  ASSERT_GE(lines.size(), 4u) << push.out;
  EXPECT_EQ(lines.front(), "The push refers to repository [" + reg->host() + "/mybox]");
  EXPECT_TRUE(std::regex_match(lines[1], std::regex("[0-9a-f]{12}: Preparing"))) << push.out;
  EXPECT_TRUE(every_layer_says(push.out, "Pushed")) << push.out;
  std::string digest = pushed_digest(push.out, "v1");
  ASSERT_FALSE(digest.empty()) << push.out;
  EXPECT_EQ(reg->skopeo_digest("mybox:v1"), digest) << "skopeo sees the digest berth printed";
  Json pushed = inspect(ref);
  ASSERT_TRUE(pushed.is_object());
  EXPECT_EQ(pushed["RepoDigests"], Json::array({reg->host() + "/mybox@" + digest}))
      << "the pushed image has its digest in that repository";

  std::string fresh = sb().new_root("fresh");
  auto pull = berth_in(fresh, {"pull", ref});
  ASSERT_TRUE(pull.ok()) << pull.describe();
  EXPECT_NE(pull.out.find("Digest: " + digest), std::string::npos) << pull.out;
  auto ins = berth_in(fresh, {"image", "inspect", "-f", "{{json .RepoDigests}}", ref});
  EXPECT_EQ(ins.out, "[\"" + reg->host() + "/mybox@" + digest + "\"]\n") << ins.describe();
  auto run = berth_in(fresh, {"run", "--rm", ref, "echo", "pushed and pulled"});
  EXPECT_EQ(run.out, "pushed and pulled\n") << run.describe();
}

TEST_F(Push, SecondPushFindsEveryLayerAndAnotherRepositoryMountsThem) {
  PUSH_REGISTRY_OR_SKIP(reg);
  std::string ref = reg->host() + "/mybox:v1";
  tag_as(ref);
  auto first = berth_in(sb().root(), {"push", ref});
  ASSERT_TRUE(first.ok()) << first.describe();
  auto again = berth_in(sb().root(), {"push", ref});
  ASSERT_TRUE(again.ok()) << again.describe();
  EXPECT_TRUE(every_layer_says(again.out, "Layer already exists")) << again.out;
  EXPECT_EQ(pushed_digest(again.out, "v1"), pushed_digest(first.out, "v1"))
      << "compression is deterministic: the same layer gives the same blob";

  std::string other = reg->host() + "/other:v2";
  tag_as(other);
  auto mounted = berth_in(sb().root(), {"push", other});
  ASSERT_TRUE(mounted.ok()) << mounted.describe();
  EXPECT_TRUE(every_layer_says(mounted.out, "Mounted from mybox")) << mounted.out;
  EXPECT_EQ(pushed_digest(mounted.out, "v2"), pushed_digest(first.out, "v1"));
  auto run = berth_in(sb().new_root("fresh"), {"run", "--rm", other, "echo", "mounted"});
  EXPECT_EQ(run.out, "mounted\n") << run.describe();
}

TEST_F(Push, BasicAuthPushNeedsLogin) {
  RegistryOptions o;
  o.user = "tester";
  o.password = "s3cret";
  PUSH_REGISTRY_OR_SKIP(reg, o);
  std::string ref = reg->host() + "/mybox:v1";
  tag_as(ref);
  auto before = snapshot_tree(sb().root());
  auto denied = berth_in(sb().root(), {"push", "-q", ref});
  EXPECT_EQ(denied.exit_code, 1) << denied.describe();
  EXPECT_TRUE(is_one_line(denied.err)) << denied.describe();
  EXPECT_NE(denied.err.find("401"), std::string::npos) << denied.describe();
  EXPECT_EQ(snapshot_tree(sb().root()).diff_from(before), "");

  auto login =
      berth_in(sb().root(), {"login", "-u", "tester", "--password-stdin", reg->host()}, "s3cret\n");
  ASSERT_TRUE(login.ok()) << login.describe();
  auto push = berth_in(sb().root(), {"push", "-q", ref});
  ASSERT_TRUE(push.ok()) << push.describe();
  EXPECT_EQ(push.out, ref + "\n");
  auto pull = berth_in(sb().new_root("fresh"), {"pull", ref});
  EXPECT_TRUE(pull.ok()) << pull.describe();
}

TEST_F(Push, ZstdImageIsPulledBack) {
  PUSH_REGISTRY_OR_SKIP(reg);
  std::string ref = reg->host() + "/zbox:v1";
  tag_as(ref);
  auto push = berth_in(sb().root(), {"push", "--compression-format", "zstd", ref});
  ASSERT_TRUE(push.ok()) << push.describe();
  Json m = reg->raw_manifest("zbox:v1");
  ASSERT_TRUE(m.is_object());
  EXPECT_EQ(m["layers"][0]["mediaType"], "application/vnd.oci.image.layer.v1.tar+zstd");
  std::string fresh = sb().new_root("fresh");
  auto run = berth_in(fresh, {"run", "--rm", ref, "echo", "zstd"});
  EXPECT_EQ(run.out, "zstd\n") << run.describe();
}

TEST_F(Push, ManifestInspectPrintsWhatTheRegistryServes) {
  PUSH_REGISTRY_OR_SKIP(reg);
  std::string ref = reg->host() + "/mybox:v1";
  tag_as(ref);
  ASSERT_TRUE(berth_in(sb().root(), {"push", ref}).ok());
  auto inspect = berth_in(sb().root(), {"manifest", "inspect", "--insecure", ref});
  ASSERT_TRUE(inspect.ok()) << inspect.describe();
  EXPECT_EQ(parse_json(inspect.out, "manifest inspect"), reg->raw_manifest("mybox:v1"));
  EXPECT_EQ(inspect.out.substr(0, 3), "{\n\t") << inspect.out;
  auto unknown = berth_in(sb().root(), {"manifest", "inspect", reg->host() + "/mybox:nope"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.describe();
  EXPECT_TRUE(is_one_line(unknown.err)) << unknown.describe();
  EXPECT_NE(unknown.err.find("no such manifest"), std::string::npos) << unknown.describe();
}

// A pulled image keeps its compressed blobs: pushed elsewhere it has the digest it was pulled
// with. -a pushes every local tag of the repository.
TEST_F(Push, PulledImageKeepsItsDigestAndAllTagsPushesEveryTag) {
  PUSH_REGISTRY_OR_SKIP(reg);
  ASSERT_TRUE(reg->push_from_store(sb().root(), std::string(kBusybox), "busybox:latest"));
  std::string original = reg->skopeo_digest("busybox:latest");
  ASSERT_FALSE(original.empty());
  std::string store = sb().new_root("pulled");
  ASSERT_TRUE(berth_in(store, {"pull", reg->host() + "/busybox:latest"}).ok());
  for (const char* tag : {"a", "b"}) {
    auto t =
        berth_in(store, {"tag", reg->host() + "/busybox:latest", reg->host() + "/copy:" + tag});
    ASSERT_TRUE(t.ok()) << t.describe();
  }
  auto push = berth_in(store, {"push", "-a", reg->host() + "/copy"});
  ASSERT_TRUE(push.ok()) << push.describe();
  EXPECT_EQ(pushed_digest(push.out, "a"), original) << push.out;
  EXPECT_EQ(pushed_digest(push.out, "b"), original) << push.out;
  EXPECT_EQ(reg->skopeo_digest("copy:b"), original);
  auto tagged = berth_in(store, {"push", "-a", reg->host() + "/copy:a"});
  EXPECT_EQ(tagged.exit_code, 1) << tagged.describe();
  EXPECT_TRUE(is_one_line(tagged.err)) << tagged.describe();
}

// A layer of ~12 MB of random bytes: too large for one PUT, so it goes in a chunked upload.
std::string big_layer_tar() {
  std::mt19937 rng(7);
  std::string data(12 << 20, '\0');
  for (auto& c : data) {
    c = static_cast<char>(rng());
  }
  TarWriter t;
  t.file("big.bin", data);
  return t.finish();
}

TEST_F(Push, CutChunkedUploadIsRetriedAndThePushCompletes) {
  PUSH_REGISTRY_OR_SKIP(reg);
  std::string tar = sb().work("big.tar");
  write_file(tar, big_layer_tar());
  PatchCutProxy proxy(reg->port(), 5 << 20);
  std::string ref = proxy.host() + "/big:v1";
  auto import = berth_in(sb().root(), {"import", tar, ref});
  ASSERT_TRUE(import.ok()) << import.describe();
  auto push = berth_in(sb().root(), {"push", ref});
  ASSERT_TRUE(push.ok()) << push.describe();
  EXPECT_TRUE(proxy.cut_happened()) << "the upload was cut";
  EXPECT_GE(proxy.patches(), 2) << "the chunk was sent again";
  std::string digest = pushed_digest(push.out, "v1");
  EXPECT_EQ(reg->skopeo_digest("big:v1"), digest);
  auto pull = berth_in(sb().new_root("fresh"), {"pull", reg->host() + "/big:v1"});
  EXPECT_TRUE(pull.ok()) << pull.describe();
}

}  // namespace
}  // namespace berth::it
