#include "local_registry.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace berth::it {

namespace {

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool accepts_connections(int port) {
  int fd = connect_to(port);
  if (fd >= 0) {
    ::close(fd);
  }
  return fd >= 0;
}

bool write_all_fd(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w <= 0) {
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

std::string registry_config(const std::string& dir, int port, const RegistryOptions& o,
                            const TestCa& ca) {
  std::string c = "version: 0.1\nlog:\n  level: warn\n";
  c += "storage:\n  filesystem:\n    rootdirectory: " + dir + "/storage\n";
  c += "  delete:\n    enabled: true\n";
  c += "http:\n  addr: 127.0.0.1:" + std::to_string(port) + "\n";
  if (o.tls) {
    c += "  tls:\n    certificate: " + ca.server_crt + "\n    key: " + ca.server_key + "\n";
  }
  if (!o.user.empty()) {
    c += "auth:\n  htpasswd:\n    realm: berth-test\n    path: " + dir + "/htpasswd\n";
  }
  return c;
}

}  // namespace

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

TestCa make_test_ca(const std::string& dir) {
  fs::create_directories(dir);
  TestCa ca{dir + "/ca.crt", dir + "/server.crt", dir + "/server.key"};
  write_file(dir + "/ext.cnf", "subjectAltName=IP:127.0.0.1\n");
  std::vector<std::vector<std::string>> steps = {
      {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir + "/ca.key",
       "-out", ca.ca_crt, "-days", "2", "-subj", "/CN=berth test CA"},
      {"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", ca.server_key, "-out",
       dir + "/server.csr", "-subj", "/CN=127.0.0.1"},
      {"openssl", "x509", "-req", "-in", dir + "/server.csr", "-CA", ca.ca_crt, "-CAkey",
       dir + "/ca.key", "-CAcreateserial", "-out", ca.server_crt, "-days", "2", "-extfile",
       dir + "/ext.cnf"},
  };
  for (const auto& argv : steps) {
    auto r = run_process(argv);
    if (!r.ok()) {
      ADD_FAILURE() << "making the test CA: " << r.describe();
      return {};
    }
  }
  return ca;
}

LocalRegistry::LocalRegistry(const Sandbox& sb, const std::string& name,
                             const RegistryOptions& options)
    : options_(options), dir_(sb.dir() + "/" + name) {
  for (const char* tool : {"docker-registry", "skopeo", "openssl"}) {
    if (!find_program(tool)) {
      skip_ = missing_tool_message(tool);
      return;
    }
  }
  if (!options.user.empty() && !find_program("htpasswd")) {
    skip_ =
        "required tool 'htpasswd' is not installed: install apache2-utils "
        "(scripts/install-deps.sh installs it)";
    return;
  }
  fs::create_directories(dir_ + "/storage");
  if (options.tls) {
    ca_ = make_test_ca(dir_ + "/ca");
  }
  if (!options.user.empty()) {
    auto r = run_process({"htpasswd", "-Bbn", options.user, options.password});
    EXPECT_TRUE(r.ok()) << r.describe();
    write_file(dir_ + "/htpasswd", r.out);
  }
  port_ = free_port();
  std::string config = dir_ + "/config.yml";
  write_file(config, registry_config(dir_, port_, options, ca_));
  std::string log_path = dir_ + "/registry.log";
  std::string binary = *find_program("docker-registry");
  pid_ = ::fork();
  if (pid_ == 0) {
    int null = ::open("/dev/null", O_RDONLY);
    int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(null, 0);
    ::dup2(log, 1);
    ::dup2(log, 2);
    ::execl(binary.c_str(), binary.c_str(), "serve", config.c_str(), nullptr);
    ::_exit(127);
  }
  if (pid_ < 0) {
    ADD_FAILURE() << "fork failed";
    return;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!accepts_connections(port_)) {
    if (std::chrono::steady_clock::now() > deadline || ::waitpid(pid_, nullptr, WNOHANG) != 0) {
      ADD_FAILURE() << "docker-registry did not start on port " << port_ << ": " << log();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

LocalRegistry::~LocalRegistry() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

std::string LocalRegistry::log() const {
  std::ifstream in(dir_ + "/registry.log");
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::vector<std::string> LocalRegistry::skopeo_tls_args(bool dest) const {
  std::vector<std::string> args = {dest ? "--dest-tls-verify=false" : "--tls-verify=false"};
  if (!options_.user.empty()) {
    args.push_back((dest ? "--dest-creds=" : "--creds=") + options_.user + ":" + options_.password);
  }
  return args;
}

bool LocalRegistry::push_from_store(const std::string& store_root, const std::string& full_ref,
                                    const std::string& repo_tag) const {
  std::vector<std::string> argv = {"skopeo", "copy", "--quiet"};
  for (const auto& a : skopeo_tls_args(true)) {
    argv.push_back(a);
  }
  argv.push_back("oci:" + store_root + ":" + full_ref);
  argv.push_back("docker://" + host() + "/" + repo_tag);
  auto r = run_process(argv);
  EXPECT_TRUE(r.ok()) << r.describe();
  return r.ok();
}

std::string LocalRegistry::skopeo_digest(const std::string& repo_tag) const {
  std::vector<std::string> argv = {"skopeo", "inspect"};
  for (const auto& a : skopeo_tls_args(false)) {
    argv.push_back(a);
  }
  argv.push_back("docker://" + host() + "/" + repo_tag);
  auto r = run_process(argv);
  EXPECT_TRUE(r.ok()) << r.describe();
  Json j = parse_json(r.out, "skopeo inspect");
  return j.is_object() ? j.value("Digest", "") : "";
}

Json LocalRegistry::raw_manifest(const std::string& repo_tag) const {
  std::vector<std::string> argv = {"skopeo", "inspect", "--raw"};
  for (const auto& a : skopeo_tls_args(false)) {
    argv.push_back(a);
  }
  argv.push_back("docker://" + host() + "/" + repo_tag);
  auto r = run_process(argv);
  EXPECT_TRUE(r.ok()) << r.describe();
  return parse_json(r.out, "skopeo inspect --raw");
}

// ---- FaultProxy ----

FaultProxy::FaultProxy(int upstream_port) : upstream_port_(upstream_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  ::listen(listen_fd_, 64);
  acceptor_ = std::thread([this] { accept_loop(); });
}

FaultProxy::~FaultProxy() {
  stop_ = true;
  acceptor_.join();
  {
    std::lock_guard<std::mutex> g(mu_);
    for (int fd : open_fds_) {
      ::shutdown(fd, SHUT_RDWR);
    }
  }
  for (auto& t : conns_) {
    t.join();
  }
  for (int fd : open_fds_) {
    ::close(fd);
  }
  ::close(listen_fd_);
}

void FaultProxy::arm(const std::string& digest, int64_t cut_after, Fault fault) {
  std::lock_guard<std::mutex> g(mu_);
  armed_digest_ = digest;
  cut_after_ = cut_after;
  fault_ = fault;
  cut_done_ = false;
  released_ = false;
}

void FaultProxy::release() {
  std::lock_guard<std::mutex> g(mu_);
  armed_digest_.clear();
  refusing_ = false;
  released_ = true;
}

std::vector<std::string> FaultProxy::requests() {
  std::lock_guard<std::mutex> g(mu_);
  return requests_;
}

int64_t FaultProxy::blob_bytes(const std::string& digest) {
  std::lock_guard<std::mutex> g(mu_);
  int64_t n = 0;
  for (const auto& [d, c] : counts_) {
    n += d == digest ? c : 0;
  }
  return n;
}

void FaultProxy::reset_counts() {
  std::lock_guard<std::mutex> g(mu_);
  counts_.clear();
  requests_.clear();
}

void FaultProxy::accept_loop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) {
      continue;
    }
    int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) {
      continue;
    }
    if (refusing_) {
      ::close(c);
      continue;
    }
    std::lock_guard<std::mutex> g(mu_);
    open_fds_.push_back(c);
    conns_.emplace_back([this, c] { serve(c); });
  }
}

// Forwards one connection both ways with poll, watching request heads going up and counting
// the response bytes of blob GETs coming down.
void FaultProxy::serve(int client) {
  int up = connect_to(upstream_port_);
  if (up < 0) {
    ::shutdown(client, SHUT_RDWR);
    return;
  }
  std::string head_buf, blob;  // blob: the digest the current response is for, if any
  int64_t sent = 0;
  char buf[65536];
  while (!stop_) {
    pollfd p[2] = {{client, POLLIN, 0}, {up, POLLIN, 0}};
    if (::poll(p, 2, 100) <= 0) {
      continue;
    }
    if (p[0].revents != 0) {
      ssize_t n = ::read(client, buf, sizeof(buf));
      if (n <= 0 || !write_all_fd(up, buf, static_cast<size_t>(n))) {
        break;
      }
      head_buf.append(buf, static_cast<size_t>(n));
      for (size_t end; (end = head_buf.find("\r\n\r\n")) != std::string::npos;) {
        std::string head = head_buf.substr(0, end);
        head_buf.erase(0, end + 4);
        std::string line = head.substr(0, head.find("\r\n"));
        std::string range;
        if (auto r = head.find("\r\nRange: "); r != std::string::npos) {
          range = " " + head.substr(r + 2, head.find("\r\n", r + 2) - r - 2);
        }
        std::lock_guard<std::mutex> g(mu_);
        requests_.push_back(line.substr(0, line.rfind(' ')) + range);
        auto b = line.find("/blobs/");
        blob = line.rfind("GET ", 0) == 0 && b != std::string::npos
                   ? line.substr(b + 7, line.find(' ', b) - b - 7)
                   : "";
        sent = 0;
      }
    }
    if (p[1].revents != 0) {
      ssize_t n = ::read(up, buf, sizeof(buf));
      if (n <= 0) {
        break;
      }
      size_t pass = static_cast<size_t>(n);
      bool cut = false;
      Fault fault = Fault::kCut;
      {
        std::lock_guard<std::mutex> g(mu_);
        if (!blob.empty() && blob == armed_digest_ && !cut_done_ && sent + n > cut_after_) {
          size_t at = static_cast<size_t>(std::max<int64_t>(0, cut_after_ - sent));
          if (fault_ == Fault::kCorrupt) {
            buf[at] = static_cast<char>(buf[at] ^ 0x5a);  // one wrong byte, the rest goes on
            cut_done_ = true;
          } else {
            pass = at;
            cut = true;
            fault = fault_;
          }
        }
        if (!blob.empty()) {
          counts_.emplace_back(blob, static_cast<int64_t>(pass));
        }
        sent += static_cast<int64_t>(pass);
      }
      if (!write_all_fd(client, buf, pass)) {
        break;
      }
      if (cut && fault == Fault::kStall) {
        cut_done_ = true;
        while (!stop_ && !released_) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        break;
      }
      if (cut) {
        // Every other connection goes too: a kept-alive one would let the retry through.
        refusing_ = true;
        cut_done_ = true;
        std::lock_guard<std::mutex> g(mu_);
        for (int fd : open_fds_) {
          ::shutdown(fd, SHUT_RDWR);
        }
        break;
      }
    }
  }
  ::shutdown(client, SHUT_RDWR);
  ::close(up);
}

}  // namespace berth::it
