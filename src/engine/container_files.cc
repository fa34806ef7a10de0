#include "engine/container_files.h"

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"

namespace berth::engine {

namespace {

std::string hosts_text(const Container& c) {
  const auto& hc = c.host_config;
  std::string out;
  if (hc.network_mode == "host") {
    auto host = read_file("/etc/hosts");
    out = host ? *host : "127.0.0.1\tlocalhost\n";
    if (!out.empty() && out.back() != '\n') {
      out += '\n';
    }
  } else {
    out =
        "127.0.0.1\tlocalhost\n"
        "::1\tlocalhost ip6-localhost ip6-loopback\n"
        "fe00::0\tip6-localnet\n"
        "ff00::0\tip6-mcastprefix\n"
        "ff02::1\tip6-allnodes\n"
        "ff02::2\tip6-allrouters\n";
  }
  for (const auto& h : hc.extra_hosts) {
    // docker's --add-host is name:ip (or name=ip); the file line is "ip\tname".
    size_t sep = h.find('=');
    if (sep == std::string::npos) {
      sep = h.find(':');
    }
    if (sep != std::string::npos) {
      out += fmt::format("{}\t{}\n", h.substr(sep + 1), h.substr(0, sep));
    }
  }
  return out;
}

bool loopback_nameserver(std::string_view line) {
  auto fields = split(std::string(trim(line)), ' ');
  if (fields.size() < 2 || fields[0] != "nameserver") {
    return false;
  }
  return fields[1].rfind("127.", 0) == 0 || fields[1] == "::1";
}

std::string resolv_text(const Container& c) {
  const auto& hc = c.host_config;
  auto host = read_file("/etc/resolv.conf");
  std::string base = host ? *host : "";
  std::string out;
  for (const auto& line : split(base, '\n')) {
    auto t = trim(line);
    bool ns = t.rfind("nameserver", 0) == 0;
    bool search = t.rfind("search", 0) == 0 || t.rfind("domain", 0) == 0;
    bool opts = t.rfind("options", 0) == 0;
    if ((ns && (!hc.dns.empty() || (hc.network_mode != "host" && loopback_nameserver(t)))) ||
        (search && !hc.dns_search.empty()) || (opts && !hc.dns_options.empty()) || t.empty()) {
      continue;
    }
    out += std::string(line) + "\n";
  }
  for (const auto& d : hc.dns) {
    out += "nameserver " + d + "\n";
  }
  if (!hc.dns_search.empty()) {
    out += "search " + join(hc.dns_search, " ") + "\n";
  }
  if (!hc.dns_options.empty()) {
    out += "options " + join(hc.dns_options, " ") + "\n";
  }
  return out;
}

}  // namespace

std::string container_hosts(const Container& c, const std::vector<HostsPeer>& peers) {
  std::string hosts = hosts_text(c);
  if (!c.networks.empty()) {
    hosts += fmt::format("{}\t{}\n", c.networks.front().ip, c.config.hostname);  // docker's line
  } else if (c.host_config.network_mode != "host") {
    hosts += fmt::format("127.0.1.1\t{}\n", c.config.hostname);
  }
  for (const auto& p : peers) {
    hosts += fmt::format("{}\t{}\n", p.ip, join(p.names, " "));
  }
  return hosts;
}

Result<void> write_container_files(Container& c, const std::string& dir) {
  c.hostname_path = dir + "/hostname";
  c.hosts_path = dir + "/hosts";
  c.resolv_conf_path = dir + "/resolv.conf";
  std::string hostname = c.host_config.network_mode == "host" ? "" : c.config.hostname;
  if (hostname.empty()) {
    char buf[256] = {};
    ::gethostname(buf, sizeof buf - 1);
    hostname = buf;
  }
  // Written before config.json, whose fsync of the directory makes them durable enough: docker
  // does not sync them at all.
  constexpr auto kFast = Durability::kAtomicOnly;
  BERTH_CHECK(write_file_atomic(c.hostname_path, hostname + "\n", 0644, kFast));
  BERTH_CHECK(write_file_atomic(c.hosts_path, container_hosts(c, {}), 0644, kFast));
  BERTH_CHECK(write_file_atomic(c.resolv_conf_path, resolv_text(c), 0644, kFast));
  return {};
}

}  // namespace berth::engine
