#include "registry/endpoint.h"

#include <dirent.h>

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/strings.h"

namespace berth::registry {

namespace {

// "host:port" → "host"; "[::1]:5000" → "::1".
std::string strip_port(std::string_view host) {
  if (!host.empty() && host[0] == '[') {
    auto close = host.find(']');
    return std::string(host.substr(1, close == std::string_view::npos ? host.npos : close - 1));
  }
  auto colon = host.rfind(':');
  if (colon != std::string_view::npos && host.find(':') == colon) {
    return std::string(host.substr(0, colon));
  }
  return std::string(host);
}

bool is_loopback(std::string_view host) {
  std::string h = strip_port(host);
  return h == "localhost" || h == "::1" || h.rfind("127.", 0) == 0;
}

std::vector<std::string> sorted_dir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    return names;
  }
  while (dirent* e = ::readdir(d)) {
    names.emplace_back(e->d_name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string config_dir() {
  const char* v = std::getenv("BERTH_CONFIG_DIR");
  return v != nullptr && *v != '\0' ? std::string(v) : std::string("/etc/berth");
}

namespace {

// A list of strings under key, or Corrupt naming the file and the key.
Result<std::vector<std::string>> string_list(const Json& j, const char* key,
                                             std::string_view what) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end()) {
    return out;
  }
  if (!it->is_array()) {
    return fail(Code::kCorrupt, fmt::format("{}: {}: not an array", what, key));
  }
  for (const auto& v : *it) {
    if (!v.is_string()) {
      return fail(Code::kCorrupt, fmt::format("{}: {}: not a list of strings", what, key));
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

// docker's checks of a mirror: an http or https URL naming a host, with no path beyond "/".
Result<void> check_mirror(std::string_view url, std::string_view what) {
  std::string_view rest = url;
  if (rest.rfind("https://", 0) == 0) {
    rest.remove_prefix(8);
  } else if (rest.rfind("http://", 0) == 0) {
    rest.remove_prefix(7);
  } else {
    return fail(Code::kCorrupt,
                fmt::format("{}: invalid mirror: unsupported scheme \"{}\" in \"{}\"", what,
                            url.substr(0, url.find(':')), url));
  }
  auto slash = rest.find('/');
  if (rest.empty() || slash == 0 || (slash != std::string_view::npos && slash + 1 < rest.size())) {
    return fail(Code::kCorrupt,
                fmt::format("{}: invalid mirror: path or host not allowed in \"{}\"", what, url));
  }
  return {};
}

}  // namespace

Result<RegistryConfig> parse_registry_config(std::string_view text, std::string_view what) {
  RegistryConfig out;
  if (trim(text).empty()) {
    return out;
  }
  Json j = BERTH_TRY(parse_json(text, what));
  if (!j.is_object()) {
    return fail(Code::kCorrupt, fmt::format("{}: not a JSON object", what));
  }
  out.insecure = BERTH_TRY(string_list(j, "insecure-registries", what));
  out.mirrors = BERTH_TRY(string_list(j, "registry-mirrors", what));
  for (const auto& m : out.mirrors) {
    BERTH_CHECK(check_mirror(m, what));
  }
  return out;
}

Result<RegistryConfig> load_registry_config() {
  std::string dir = config_dir();
  std::string path = dir + "/registries.json";
  std::string text;
  if (auto r = read_file(path); r) {
    text = std::move(*r);
  } else if (r.error().code() != Code::kNotFound) {
    return tl::unexpected(std::move(r.error()));
  }
  auto cfg = BERTH_TRY(parse_registry_config(text, path));
  cfg.cert_dirs = {dir + "/certs.d", "/etc/docker/certs.d"};
  return cfg;
}

Endpoint resolve_endpoint(const oci::Reference& ref, const RegistryConfig& config) {
  Endpoint e;
  e.domain = ref.domain.empty() ? std::string(kDockerHubDomain) : ref.domain;
  e.host = e.domain == kDockerHubDomain ? std::string(kDockerHubHost) : e.domain;
  e.repository = ref.path;
  if (e.domain == kDockerHubDomain && e.repository.find('/') == std::string::npos) {
    e.repository = "library/" + e.repository;
  }
  e.insecure = is_insecure_host(e.host, config);
  return e;
}

std::vector<Endpoint> pull_endpoints(const oci::Reference& ref, const RegistryConfig& config) {
  Endpoint hub = resolve_endpoint(ref, config);
  std::vector<Endpoint> out;
  if (hub.domain == kDockerHubDomain) {
    for (const auto& url : config.mirrors) {
      Endpoint m = hub;
      m.host = host_of_server(url);
      m.insecure = url.rfind("http://", 0) == 0 || is_insecure_host(m.host, config);
      out.push_back(std::move(m));
    }
  }
  out.push_back(std::move(hub));
  return out;
}

std::string host_of_server(std::string_view server) {
  std::string_view s = trim(server);
  for (std::string_view scheme : {"https://", "http://"}) {
    if (s.rfind(scheme, 0) == 0) {
      s.remove_prefix(scheme.size());
    }
  }
  s = s.substr(0, s.find('/'));
  if (s.empty() || s == "docker.io" || s == "index.docker.io" || s == kDockerHubHost) {
    return std::string(kDockerHubHost);
  }
  return std::string(s);
}

std::string auth_key_of_server(std::string_view server) {
  std::string host = host_of_server(server);
  return host == kDockerHubHost ? std::string(kDockerHubAuthKey) : host;
}

bool is_insecure_host(std::string_view host, const RegistryConfig& config) {
  if (is_loopback(host)) {
    return true;
  }
  return std::any_of(config.insecure.begin(), config.insecure.end(), [&](const std::string& h) {
    return h == host || (h.find(':') == std::string::npos && h == strip_port(host));
  });
}

HostTls host_tls(std::string_view host, const RegistryConfig& config) {
  HostTls out;
  for (const auto& base : config.cert_dirs) {
    std::string dir = fmt::format("{}/{}", base, host);
    auto names = sorted_dir(dir);
    if (names.empty()) {
      continue;
    }
    for (const auto& n : names) {
      std::string path = dir + "/" + n;
      if (ends_with(n, ".crt")) {
        if (auto pem = read_file(path); pem) {
          out.ca_pem += *pem + "\n";
        }
      } else if (ends_with(n, ".cert")) {
        std::string key = path.substr(0, path.size() - 5) + ".key";
        if (path_exists(key)) {
          out.client_cert = path;
          out.client_key = key;
        }
      }
    }
    return out;
  }
  return out;
}

}  // namespace berth::registry
