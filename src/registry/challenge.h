// WWW-Authenticate challenges (RFC 7235) as registries send them:
//   Bearer
//   realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"
//   Basic realm="Registry Realm"
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace berth::registry {

struct Challenge {
  std::string scheme;                         // lowercased: "bearer", "basic"
  std::map<std::string, std::string> params;  // names lowercased, values unquoted
};

// Parses one header value, which may hold several challenges separated by commas. Never fails:
// what cannot be parsed is skipped (a registry's odd header must not stop a pull that may not
// need it).
std::vector<Challenge> parse_challenges(std::string_view header);

}  // namespace berth::registry
