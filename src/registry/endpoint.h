// Where a reference's repository lives: the registry host to talk to, the repository path on it,
// whether plain HTTP may be used, and the TLS material for it (docker's certs.d layout).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "oci/reference.h"

namespace berth::registry {

// docker.io's API host and the key docker uses for it in config.json.
inline constexpr std::string_view kDockerHubDomain = "docker.io";
inline constexpr std::string_view kDockerHubHost = "registry-1.docker.io";
inline constexpr std::string_view kDockerHubAuthKey = "https://index.docker.io/v1/";

// berth's registry settings, from <config dir>/registries.json:
//   {"insecure-registries": ["myregistry:5000", "10.0.0.0/8"],
//    "registry-mirrors": ["https://mirror.example", "http://10.0.0.5:5000"]}
// (the keys docker's daemon.json uses); and the directories searched for certs.d/<host>/.
struct RegistryConfig {
  std::vector<std::string> insecure;   // hosts (host or host:port) allowed plain HTTP
  std::vector<std::string> mirrors;    // docker.io pull-through mirrors, tried in order
  std::vector<std::string> cert_dirs;  // each holds <host>/ca.crt, *.crt, *.cert + *.key
};

// berth's configuration directory: $BERTH_CONFIG_DIR, else /etc/berth.
std::string config_dir();

// Reads <config_dir()>/registries.json (absent: defaults) and sets cert_dirs to
// <config dir>/certs.d then /etc/docker/certs.d. Corrupt naming the file when it is malformed.
Result<RegistryConfig> load_registry_config();
// The same from the text of registries.json ("" for none), for tests.
Result<RegistryConfig> parse_registry_config(std::string_view text, std::string_view what);

struct Endpoint {
  std::string domain;      // as in the reference: "docker.io", "localhost:5000"
  std::string host;        // what to connect to: "registry-1.docker.io", "localhost:5000"
  std::string repository;  // the path on the registry: "library/busybox"
  bool insecure = false;   // plain HTTP allowed (tried after HTTPS fails)
};

// The endpoint of a reference's repository. localhost, 127.0.0.0/8 and ::1 (any port) and the
// configured insecure hosts may use plain HTTP, as docker allows.
Endpoint resolve_endpoint(const oci::Reference& ref, const RegistryConfig& config);

// Where to pull a reference from, in order: for docker.io, each configured mirror (same
// repository path; plain HTTP when its URL says http:// or its host is insecure), then Docker
// Hub itself; for any other registry, its one endpoint.
std::vector<Endpoint> pull_endpoints(const oci::Reference& ref, const RegistryConfig& config);

// The registry host for a server name given to login/logout ("docker.io", "", "index.docker.io",
// "https://index.docker.io/v1/" → registry-1.docker.io; "https://host:5000/" → host:5000).
std::string host_of_server(std::string_view server);
// The config.json key for a server (docker's: kDockerHubAuthKey for Docker Hub, else the bare
// host[:port]).
std::string auth_key_of_server(std::string_view server);

bool is_insecure_host(std::string_view host, const RegistryConfig& config);

// The CA certificates (concatenated PEM) and client certificate files for `host` from the first
// certs.d directory that has a directory for it. Files that cannot be read are skipped.
struct HostTls {
  std::string ca_pem;
  std::string client_cert;
  std::string client_key;
};
HostTls host_tls(std::string_view host, const RegistryConfig& config);

}  // namespace berth::registry
