// docker's credential helpers: programs named docker-credential-<name> that keep registry
// passwords somewhere safer than config.json. config.json's "credHelpers" names one per registry
// key ({"gcr.io": "gcloud"}), "credsStore" one for every other key. The protocol: the action
// ("get", "store", "erase") as the only argument; get and erase read the server URL on stdin,
// get prints {"ServerURL", "Username", "Secret"}; store reads that object.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/json.h"
#include "registry/auth_config.h"

namespace berth::registry {

// The helper config.json names for a config key (auth_key_of_server): credHelpers[key], else
// credsStore; nullopt when neither is set (credentials live in "auths").
std::optional<std::string> credential_helper(const Json& config, std::string_view key);

// Asks the helper for the key's credentials; nullopt when it has none ("credentials not found").
// Errors name the helper: it is missing, fails, or prints something that is not its JSON.
Result<std::optional<Credentials>> helper_get(const std::string& helper, std::string_view key);
Result<void> helper_store(const std::string& helper, std::string_view key,
                          const Credentials& creds);
// Forgetting credentials the helper does not have is not an error.
Result<void> helper_erase(const std::string& helper, std::string_view key);

}  // namespace berth::registry
