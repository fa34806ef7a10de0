// A tiny HTTP/1.1 server on 127.0.0.1 for unit tests: a thread accepts connections and answers
// each request with what the handler returns (a whole raw response: status line, headers, body).
// Keep-alive is honoured while responses carry Content-Length; each connection has its own
// thread; handler calls are serialised. Stopped and joined on destruction.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace berth::testing {

struct FakeRequest {
  std::string method, target;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
};

class FakeServer {
 public:
  // handler returns the raw response; an empty string closes the connection without answer.
  explicit FakeServer(std::function<std::string(const FakeRequest&)> handler)
      : handler_(std::move(handler)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    socklen_t len = sizeof(a);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 16);
    thread_ = std::thread([this] { loop(); });
  }
  ~FakeServer() {
    stop_ = true;
    thread_.join();
    for (auto& t : conns_) {
      t.join();
    }
    ::close(fd_);
  }
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  // Appended to a handler's response: the connection is closed once it is written (a cut).
  static constexpr std::string_view kClose = "<<close the connection>>";

  int port() const { return port_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int connections() const { return connections_; }
  std::vector<FakeRequest> requests() {
    std::lock_guard<std::mutex> g(mu_);
    return requests_;
  }

  static std::string response(int status, const std::string& body,
                              const std::vector<std::string>& headers = {}) {
    std::string out = "HTTP/1.1 " + std::to_string(status) + " X\r\n";
    for (const auto& h : headers) {
      out += h + "\r\n";
    }
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return out;
  }

 private:
  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) {
        continue;
      }
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) {
        continue;
      }
      ++connections_;
      conns_.emplace_back([this, c] {  // one thread per connection, as clients keep them open
        serve(c);
        ::close(c);
      });
    }
  }

  // Serves requests on one connection until the peer closes it or a handler says to.
  void serve(int c) {
    std::string buf;
    while (!stop_) {
      size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
        if (!read_more(c, buf)) {
          return;
        }
        if (buf[0] == 0x16) {  // a TLS handshake: answer as Go's servers do, in plain HTTP
          std::string bad = response(400, "Client sent an HTTP request to an HTTPS server.");
          (void)::write(c, bad.data(), bad.size());
          return;
        }
      }
      FakeRequest req = parse(buf.substr(0, end));
      buf.erase(0, end + 4);
      size_t want =
          req.headers.count("content-length") ? std::stoul(req.headers["content-length"]) : 0;
      while (buf.size() < want) {
        if (!read_more(c, buf)) {
          return;
        }
      }
      req.body = buf.substr(0, want);
      buf.erase(0, want);
      {
        std::lock_guard<std::mutex> g(mu_);
        requests_.push_back(req);
      }
      std::string resp;
      {
        std::lock_guard<std::mutex> g(handler_mu_);  // handlers keep plain state
        resp = handler_(req);
      }
      bool close_after = resp.size() >= kClose.size() &&
                         resp.compare(resp.size() - kClose.size(), kClose.size(), kClose) == 0;
      if (close_after) {
        resp.resize(resp.size() - kClose.size());
      }
      if (resp.empty() || ::write(c, resp.data(), resp.size()) < 0 || close_after) {
        return;
      }
    }
  }

  bool read_more(int c, std::string& buf) {
    pollfd p{c, POLLIN, 0};
    while (!stop_) {
      if (::poll(&p, 1, 50) > 0) {
        char tmp[8192];
        ssize_t n = ::read(c, tmp, sizeof(tmp));
        if (n <= 0) {
          return false;
        }
        buf.append(tmp, static_cast<size_t>(n));
        return true;
      }
    }
    return false;
  }

  static FakeRequest parse(const std::string& head) {
    FakeRequest r;
    size_t pos = head.find("\r\n");
    std::string line = head.substr(0, pos);
    size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
    r.method = line.substr(0, sp1);
    r.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    while (pos != std::string::npos && pos < head.size()) {
      size_t next = head.find("\r\n", pos + 2);
      std::string h =
          head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
      if (auto colon = h.find(':'); colon != std::string::npos) {
        std::string name = h.substr(0, colon);
        for (auto& ch : name) {
          ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        }
        size_t v = h.find_first_not_of(' ', colon + 1);
        r.headers[name] = v == std::string::npos ? "" : h.substr(v);
      }
      pos = next;
    }
    return r;
  }

  std::function<std::string(const FakeRequest&)> handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
  std::vector<std::thread> conns_;  // touched by the accept thread only, joined at the end
  std::mutex mu_;
  std::mutex handler_mu_;
  std::vector<FakeRequest> requests_;
};

}  // namespace berth::testing
