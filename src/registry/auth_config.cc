#include "registry/auth_config.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"
#include "registry/cred_helper.h"
#include "registry/endpoint.h"

namespace berth::registry {

namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Whether a config.json key names `key`'s registry: docker matches keys after dropping the
// scheme and any path.
bool same_server(std::string_view stored, std::string_view key) {
  return stored == key || auth_key_of_server(stored) == key;
}

}  // namespace

std::string docker_config_path() {
  if (const char* d = std::getenv("DOCKER_CONFIG"); d != nullptr && *d != '\0') {
    return fmt::format("{}/config.json", d);
  }
  std::string home;
  if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0') {
    home = h;
  } else if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr) {
    home = pw->pw_dir;
  } else {
    home = "/root";
  }
  return home + "/.docker/config.json";
}

std::string base64_encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    uint32_t v = (uint8_t(data[i]) << 16) | (uint8_t(data[i + 1]) << 8) | uint8_t(data[i + 2]);
    for (int s = 18; s >= 0; s -= 6) {
      out.push_back(kAlphabet[(v >> s) & 63]);
    }
  }
  if (size_t rest = data.size() - i; rest > 0) {
    uint32_t v = uint8_t(data[i]) << 16;
    if (rest == 2) {
      v |= uint8_t(data[i + 1]) << 8;
    }
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  size_t pad = 0;
  for (char c : text) {
    if (c == '=') {
      ++pad;
      continue;
    }
    auto pos = kAlphabet.find(c);
    if (pos == std::string_view::npos || pad > 0) {
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<uint32_t>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (pad > 2 || bits >= 6) {
    return std::nullopt;
  }
  return out;
}

Result<std::optional<Credentials>> find_credentials(const Json& config, std::string_view key,
                                                    std::string_view what) {
  auto auths = config.find("auths");
  if (!config.is_object() || auths == config.end() || !auths->is_object()) {
    return std::optional<Credentials>();
  }
  for (const auto& [stored, entry] : auths->items()) {
    if (!same_server(stored, key) || !entry.is_object()) {
      continue;
    }
    auto auth = entry.find("auth");
    if (auth == entry.end() || !auth->is_string() || auth->get<std::string>().empty()) {
      continue;
    }
    auto decoded = base64_decode(auth->get<std::string>());
    bool found = false;
    auto [user, pass] =
        decoded ? cut(*decoded, ':', &found) : std::pair<std::string_view, std::string_view>();
    if (!decoded || !found) {
      return fail(
          Code::kCorrupt,
          fmt::format("{}: auths[\"{}\"].auth is not base64 of user:password", what, stored));
    }
    return std::optional<Credentials>(Credentials{std::string(user), std::string(pass)});
  }
  return std::optional<Credentials>();
}

void set_credentials(Json& config, std::string_view key, const Credentials& creds) {
  if (!config.is_object()) {
    config = Json::object();
  }
  erase_credentials(config, key);
  if (!config.contains("auths") || !config["auths"].is_object()) {
    config["auths"] = Json::object();
  }
  config["auths"][std::string(key)] = {
      {"auth", base64_encode(creds.username + ":" + creds.password)}};
}

bool erase_credentials(Json& config, std::string_view key) {
  if (!config.is_object() || !config.contains("auths") || !config["auths"].is_object()) {
    return false;
  }
  Json& auths = config["auths"];
  std::vector<std::string> gone;
  for (const auto& [stored, entry] : auths.items()) {
    if (same_server(stored, key)) {
      gone.push_back(stored);
    }
  }
  for (const auto& k : gone) {
    auths.erase(k);
  }
  return !gone.empty();
}

Result<Json> read_docker_config(const std::string& path) {
  auto text = read_file(path);
  if (!text) {
    if (text.error().code() == Code::kNotFound) {
      return Json::object();
    }
    return tl::unexpected(std::move(text.error()));
  }
  if (trim(*text).empty()) {
    return Json::object();
  }
  Json j = BERTH_TRY(parse_json(*text, path));
  if (!j.is_object()) {
    return fail(Code::kCorrupt, fmt::format("{}: not a JSON object", path));
  }
  return j;
}

Result<void> write_docker_config(const std::string& path, const Json& config) {
  BERTH_CHECK(mkdir_p(dir_name(path), 0700));
  return with_context(write_file_atomic(path, config.dump(1, '\t') + "\n", 0600),
                      fmt::format("writing {}", path));
}

Result<std::optional<Credentials>> credentials_for_host(std::string_view host) {
  std::string path = docker_config_path();
  Json config = BERTH_TRY(read_docker_config(path));
  std::string key = auth_key_of_server(host);
  if (auto helper = credential_helper(config, key)) {
    return helper_get(*helper, key);
  }
  return find_credentials(config, key, path);
}

}  // namespace berth::registry
