// Credentials in a docker-compatible config.json ($DOCKER_CONFIG/config.json, else
// ~/.docker/config.json), the file `docker login` writes, so berth and docker share logins:
//   {"auths": {"https://index.docker.io/v1/": {"auth": "<base64 user:password>"},
//              "myregistry:5000": {"auth": "…"}}}
// Members berth does not use (psFormat, …) are kept as they are. A registry whose key has a
// credential helper (credHelpers, credsStore) keeps its password there (registry/cred_helper.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/json.h"

namespace berth::registry {

struct Credentials {
  std::string username;
  std::string password;

  friend bool operator==(const Credentials&, const Credentials&) = default;
};

// The path of config.json: $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json (the
// passwd entry's home when HOME is unset).
std::string docker_config_path();

std::string base64_encode(std::string_view data);
// nullopt when `text` is not valid base64.
std::optional<std::string> base64_decode(std::string_view text);

// The credentials for a config.json key (auth_key_of_server) in the document `config`; also
// matches keys written with a scheme or a path ("https://host:5000", "host:5000/v2/"), as
// docker does. nullopt when there are none. Corrupt naming `what` for an entry whose "auth" is
// not base64 of "user:password".
Result<std::optional<Credentials>> find_credentials(const Json& config, std::string_view key,
                                                    std::string_view what);
// Sets auths[key] = {"auth": base64("user:password")}, replacing other forms of the same key.
void set_credentials(Json& config, std::string_view key, const Credentials& creds);
// Removes every entry of key; false when there was none.
bool erase_credentials(Json& config, std::string_view key);

// File forms. Reading a missing file gives an empty object; writing is atomic with mode 0600
// (the directory is created 0700 when missing).
Result<Json> read_docker_config(const std::string& path);
Result<void> write_docker_config(const std::string& path, const Json& config);

// Credentials for a registry host from the config file at docker_config_path(), or from the
// credential helper it names for the host; none when the file or the entry is missing.
Result<std::optional<Credentials>> credentials_for_host(std::string_view host);

}  // namespace berth::registry
