#include "registry/cred_helper.h"

#include <fmt/format.h>

#include "base/command.h"
#include "base/strings.h"
#include "registry/endpoint.h"

namespace berth::registry {

namespace {

// What the helper said, for errors: its output's first line, else its stderr's.
std::string said(const CommandResult& r) {
  std::string text(trim(r.out).empty() ? trim(r.err) : trim(r.out));
  return text.substr(0, text.find('\n'));
}

bool says_not_found(const CommandResult& r) {
  return said(r).find("credentials not found") != std::string::npos;
}

Result<CommandResult> run_helper(const std::string& helper, const char* action,
                                 std::string_view input) {
  std::string program = "docker-credential-" + helper;
  auto r = BERTH_TRY(run_command({program, action}, input));
  if (r.exit_code == 127 && r.out.empty()) {
    return fail(Code::kNotFound,
                fmt::format("error getting credentials - err: exec: \"{}\": executable file not "
                            "found in $PATH",
                            program));
  }
  return r;
}

}  // namespace

std::optional<std::string> credential_helper(const Json& config, std::string_view key) {
  if (auto helpers = config.find("credHelpers"); helpers != config.end() && helpers->is_object()) {
    for (const auto& [k, v] : helpers->items()) {
      if (v.is_string() && auth_key_of_server(k) == key) {
        return v.get<std::string>();
      }
    }
  }
  if (auto store = config.find("credsStore");
      store != config.end() && store->is_string() && !store->get<std::string>().empty()) {
    return store->get<std::string>();
  }
  return std::nullopt;
}

Result<std::optional<Credentials>> helper_get(const std::string& helper, std::string_view key) {
  auto r = BERTH_TRY(run_helper(helper, "get", key));
  if (r.exit_code != 0) {
    if (says_not_found(r)) {
      return std::nullopt;
    }
    return fail(Code::kUnavailable,
                fmt::format("error getting credentials - err: docker-credential-{} get: exit "
                            "status {}, out: `{}`",
                            helper, r.exit_code, said(r)));
  }
  auto j = parse_json(r.out, fmt::format("docker-credential-{} get", helper));
  if (!j || !j->is_object() || !(*j)["Username"].is_string() || !(*j)["Secret"].is_string()) {
    return fail(Code::kCorrupt, fmt::format("docker-credential-{} get: not a credentials object: "
                                            "`{}`",
                                            helper, said(r)));
  }
  return Credentials{(*j)["Username"].get<std::string>(), (*j)["Secret"].get<std::string>()};
}

Result<void> helper_store(const std::string& helper, std::string_view key,
                          const Credentials& creds) {
  Json j = {
      {"ServerURL", std::string(key)}, {"Username", creds.username}, {"Secret", creds.password}};
  auto r = BERTH_TRY(run_helper(helper, "store", j.dump()));
  if (r.exit_code != 0) {
    return fail(Code::kUnavailable,
                fmt::format("error storing credentials - err: docker-credential-{} store: exit "
                            "status {}, out: `{}`",
                            helper, r.exit_code, said(r)));
  }
  return {};
}

Result<void> helper_erase(const std::string& helper, std::string_view key) {
  auto r = BERTH_TRY(run_helper(helper, "erase", key));
  if (r.exit_code != 0 && !says_not_found(r)) {
    return fail(Code::kUnavailable,
                fmt::format("error erasing credentials - err: docker-credential-{} erase: exit "
                            "status {}, out: `{}`",
                            helper, r.exit_code, said(r)));
  }
  return {};
}

}  // namespace berth::registry
