// The run defaults of an image (the "config" member of an image config): Docker's container
// config as OCI's ImageConfig plus Docker's Healthcheck, OnBuild and Shell.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace berth::oci {

// HEALTHCHECK; durations in nanoseconds (Go's time.Duration).
struct HealthConfig {
  std::vector<std::string> test;  // ["NONE"], ["CMD", …] or ["CMD-SHELL", "…"]
  int64_t interval = 0;
  int64_t timeout = 0;
  int64_t start_period = 0;
  int64_t start_interval = 0;
  int retries = 0;

  // Test, Interval, Timeout, StartPeriod, StartInterval, Retries; zero members left out.
  Json to_json() const;
  // Corrupt (no context) for mistyped members.
  static Result<HealthConfig> from_json(const Json& j);

  friend bool operator==(const HealthConfig&, const HealthConfig&) = default;
};

struct ContainerConfig {
  std::string user;
  std::vector<std::string> exposed_ports;  // "80/tcp", "53/udp"
  std::vector<std::string> env;            // "KEY=value"
  // nullopt: not set (inherits nothing); an empty vector is an explicit empty list.
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  std::vector<std::string> volumes;  // container paths
  std::string working_dir;
  std::map<std::string, std::string> labels;
  std::string stop_signal;
  std::optional<HealthConfig> healthcheck;
  std::vector<std::string> on_build;
  std::vector<std::string> shell;
  bool args_escaped = false;
  // Members berth does not model (Docker's Hostname, Image, AttachStdin, …), in document order;
  // written back after the known ones.
  Json extra = Json::object();

  // The JSON object in the order of Go's structs (image-spec ImageConfig, then Docker's
  // extension): User, ExposedPorts, Env, Entrypoint, Cmd, Volumes, WorkingDir, Labels,
  // StopSignal, ArgsEscaped, Healthcheck, OnBuild, Shell, then `extra`. Empty members are left
  // out (Go's omitempty); ExposedPorts and Volumes are written as {"key":{}} with sorted keys.
  Json to_json() const;

  // Reads the object (null reads as an empty config). Entrypoint, Cmd and Shell may also be a
  // single string, as Docker's StrSlice allows. Corrupt (no context) for mistyped members.
  static Result<ContainerConfig> from_json(const Json& j);

  // The member names to_json writes, for callers that merge or reorder.
  static const std::vector<std::string_view>& known_keys();
};

}  // namespace berth::oci
