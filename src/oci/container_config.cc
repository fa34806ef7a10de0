#include "oci/container_config.h"

#include <algorithm>

#include <fmt/format.h>

#include "oci/json_fields.h"

namespace berth::oci {

namespace {

// Docker's StrSlice: an array of strings, or one string. Null or absent leaves nullopt.
Result<void> read_str_slice(const Json& obj, std::string_view key,
                            std::optional<std::vector<std::string>>& out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return {};
  }
  if (it->is_string()) {
    out = std::vector<std::string>{it->get<std::string>()};
    return {};
  }
  std::vector<std::string> v;
  BERTH_CHECK(read_strings(obj, key, v));
  out = std::move(v);
  return {};
}

}  // namespace

Json HealthConfig::to_json() const {
  Json j = Json::object();
  if (!test.empty()) {
    j["Test"] = test;
  }
  const std::pair<const char*, int64_t> numbers[] = {{"Interval", interval},
                                                     {"Timeout", timeout},
                                                     {"StartPeriod", start_period},
                                                     {"StartInterval", start_interval},
                                                     {"Retries", retries}};
  for (const auto& [key, value] : numbers) {
    if (value != 0) {
      j[key] = value;
    }
  }
  return j;
}

Result<HealthConfig> HealthConfig::from_json(const Json& j) {
  BERTH_CHECK(expect_object(j, "Healthcheck"));
  HealthConfig h;
  BERTH_CHECK(read_strings(j, "Test", h.test));
  BERTH_CHECK(read_int(j, "Interval", h.interval));
  BERTH_CHECK(read_int(j, "Timeout", h.timeout));
  BERTH_CHECK(read_int(j, "StartPeriod", h.start_period));
  BERTH_CHECK(read_int(j, "StartInterval", h.start_interval));
  int64_t retries = 0;
  BERTH_CHECK(read_int(j, "Retries", retries));
  if (retries < INT32_MIN || retries > INT32_MAX) {
    return fail(Code::kCorrupt, "field 'Retries' is out of range");
  }
  h.retries = static_cast<int>(retries);
  return h;
}

const std::vector<std::string_view>& ContainerConfig::known_keys() {
  static const std::vector<std::string_view> keys = {
      "User",   "ExposedPorts", "Env",         "Entrypoint",  "Cmd",     "Volumes", "WorkingDir",
      "Labels", "StopSignal",   "ArgsEscaped", "Healthcheck", "OnBuild", "Shell"};
  return keys;
}

Json ContainerConfig::to_json() const {
  Json j = Json::object();
  auto put_list = [&](const char* key, const std::vector<std::string>& v) {
    if (!v.empty()) {
      j[key] = v;
    }
  };
  if (!user.empty()) {
    j["User"] = user;
  }
  if (!exposed_ports.empty()) {
    j["ExposedPorts"] = key_set_json(exposed_ports);
  }
  put_list("Env", env);
  put_list("Entrypoint", entrypoint.value_or(std::vector<std::string>{}));
  put_list("Cmd", cmd.value_or(std::vector<std::string>{}));
  if (!volumes.empty()) {
    j["Volumes"] = key_set_json(volumes);
  }
  if (!working_dir.empty()) {
    j["WorkingDir"] = working_dir;
  }
  if (!labels.empty()) {
    j["Labels"] = labels;
  }
  if (!stop_signal.empty()) {
    j["StopSignal"] = stop_signal;
  }
  if (args_escaped) {
    j["ArgsEscaped"] = true;
  }
  if (healthcheck) {
    j["Healthcheck"] = healthcheck->to_json();
  }
  put_list("OnBuild", on_build);
  put_list("Shell", shell);
  if (extra.is_object()) {
    for (const auto& [k, v] : extra.items()) {
      const auto& known = known_keys();
      if (std::find(known.begin(), known.end(), k) == known.end()) {
        j[k] = v;
      }
    }
  }
  return j;
}

Result<ContainerConfig> ContainerConfig::from_json(const Json& j) {
  ContainerConfig c;
  if (j.is_null()) {
    return c;
  }
  BERTH_CHECK(expect_object(j, "config"));
  BERTH_CHECK(read_string(j, "User", c.user));
  BERTH_CHECK(read_key_set(j, "ExposedPorts", c.exposed_ports));
  BERTH_CHECK(read_strings(j, "Env", c.env));
  BERTH_CHECK(read_str_slice(j, "Entrypoint", c.entrypoint));
  BERTH_CHECK(read_str_slice(j, "Cmd", c.cmd));
  BERTH_CHECK(read_key_set(j, "Volumes", c.volumes));
  BERTH_CHECK(read_string(j, "WorkingDir", c.working_dir));
  BERTH_CHECK(read_string_map(j, "Labels", c.labels));
  BERTH_CHECK(read_string(j, "StopSignal", c.stop_signal));
  BERTH_CHECK(read_bool(j, "ArgsEscaped", c.args_escaped));
  if (auto it = j.find("Healthcheck"); it != j.end() && !it->is_null()) {
    c.healthcheck = BERTH_TRY_CTX(HealthConfig::from_json(*it), "Healthcheck");
  }
  BERTH_CHECK(read_strings(j, "OnBuild", c.on_build));
  std::optional<std::vector<std::string>> shell;
  BERTH_CHECK(read_str_slice(j, "Shell", shell));
  c.shell = shell.value_or(std::vector<std::string>{});
  const auto& known = known_keys();
  for (const auto& [k, v] : j.items()) {
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      c.extra[k] = v;
    }
  }
  return c;
}

}  // namespace berth::oci
