// A private docker-registry (Debian's distribution 2.8) for the registry tests: on 127.0.0.1 and
// a free port, with its storage and config in the sandbox, plain HTTP, TLS with a test CA made
// by openssl, or htpasswd Basic auth. Killed by its PID (and reaped) on destruction; its files
// go with the sandbox. And a fault proxy that cuts a blob's transfer in the middle.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sandbox.h"

namespace berth::it {

// The name make_busybox gives the test image in a sandbox's store.
inline constexpr char kBusybox[] = "docker.io/library/busybox:latest";

struct RegistryOptions {
  bool tls = false;            // serve HTTPS with a certificate of make_test_ca's CA
  std::string user, password;  // non-empty: htpasswd Basic auth with this one user
};

// Files of a test CA and a server certificate for 127.0.0.1 (subjectAltName IP:127.0.0.1).
struct TestCa {
  std::string ca_crt, server_crt, server_key;
};
// Makes them with openssl under dir; empty paths after recording a failure.
TestCa make_test_ca(const std::string& dir);

// A free TCP port on 127.0.0.1 (bound and released: good enough for a test).
int free_port();

// The registry tests' fixture: berth runs with DOCKER_CONFIG and BERTH_CONFIG_DIR inside the
// sandbox, so no test reads or writes /root/.docker or /etc/berth.
class RegistryTest : public BusyboxTest {
 protected:
  std::string docker_config() { return sb().dir() + "/docker"; }
  std::string berth_config() { return sb().dir() + "/berth-config"; }
  ProcResult berth_in(const std::string& root, const std::vector<std::string>& args,
                      const std::string& input = "", const std::vector<std::string>& env = {}) {
    RunOptions o;
    o.env = {"DOCKER_CONFIG=" + docker_config(), "BERTH_CONFIG_DIR=" + berth_config()};
    o.env.insert(o.env.end(), env.begin(), env.end());
    o.input = input;
    return sb().berth_at(root, args, o);
  }
};

class LocalRegistry {
 public:
  // Starts the registry under <sandbox>/<name>/ and waits until it accepts connections. When
  // something is missing, skip_reason() says what (the caller skips).
  LocalRegistry(const Sandbox& sb, const std::string& name, const RegistryOptions& options = {});
  ~LocalRegistry();
  LocalRegistry(const LocalRegistry&) = delete;
  LocalRegistry& operator=(const LocalRegistry&) = delete;

  const std::string& skip_reason() const { return skip_; }
  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  const TestCa& ca() const { return ca_; }
  std::string log() const;

  // skopeo copy oci:<store>:<full ref> docker://<host>/<repo_tag>; false after a failure.
  bool push_from_store(const std::string& store_root, const std::string& full_ref,
                       const std::string& repo_tag) const;
  // skopeo inspect's "Digest" of docker://<host>/<repo_tag>.
  std::string skopeo_digest(const std::string& repo_tag) const;
  // The manifest the registry serves (skopeo inspect --raw); skopeo compresses layers on push,
  // so its layers are not the store's.
  Json raw_manifest(const std::string& repo_tag) const;

 private:
  std::vector<std::string> skopeo_tls_args(bool dest) const;

  RegistryOptions options_;
  std::string dir_;
  std::string skip_;
  TestCa ca_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// A TCP proxy in front of a plain-HTTP registry. Once armed, the response to the first GET of
// the blob `digest` is cut after `cut_after` bytes (response headers included), and from then
// on every connection is closed at once until release() (so the pull that saw the cut fails
// instead of resuming at once); or, with kStall, that response just stops there.
// It records every request line with its Range header, and counts the bytes of each blob
// response it passed on.
class FaultProxy {
 public:
  explicit FaultProxy(int upstream_port);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  int port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  // kCut closes the connection at the cut (and refuses new ones until release()); kStall holds
  // it open without passing anything more until release(), like a link that went silent;
  // kCorrupt changes the byte at that offset and passes everything.
  enum class Fault { kCut, kStall, kCorrupt };
  void arm(const std::string& digest, int64_t cut_after, Fault fault = Fault::kCut);
  void release();  // forwards everything again
  bool cut_happened() const { return cut_done_; }
  // "GET /v2/x/blobs/sha256:… [Range: bytes=N-]" for every request seen.
  std::vector<std::string> requests();
  // Response bytes (headers included) passed on for GETs of the blob since the last reset.
  int64_t blob_bytes(const std::string& digest);
  void reset_counts();

 private:
  void accept_loop();
  void serve(int client);

  int upstream_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> refusing_{false};
  std::atomic<bool> cut_done_{false};
  std::atomic<bool> released_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> conns_;
  std::vector<int> open_fds_;
  std::string armed_digest_;
  int64_t cut_after_ = 0;
  Fault fault_ = Fault::kCut;
  std::vector<std::string> requests_;
  std::vector<std::pair<std::string, int64_t>> counts_;
};

}  // namespace berth::it
