// The container record as JSON: config.json and state.json (docs/dev/runtime.md) and docker's
// inspect document. Config, HostConfig, Mounts and State use docker's member names and order (as
// dockerd 20.10 prints them), so config.json reads like docker's and inspect is a rendering of
// the same objects plus the members docker shows that berth does not model.
#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "base/strings.h"
#include "engine/container.h"
#include "engine/container_net_json.h"
#include "oci/json_fields.h"

namespace berth::engine {

namespace {

using oci::expect_object;
using oci::read_bool;
using oci::read_int;
using oci::read_string;
using oci::read_string_map;
using oci::read_strings;

Json strings_or_null(const std::vector<std::string>& v) {
  return v.empty() ? Json(nullptr) : Json(v);
}

// Go's map[string]struct{} ({"80/tcp":{}}), null when empty. Inspect sorts the keys as Go's
// encoder does; the record keeps them in the order they were given.
Json key_set(const std::vector<std::string>& keys, bool sorted) {
  if (keys.empty()) {
    return nullptr;
  }
  std::vector<std::string> k = keys;
  if (sorted) {
    std::sort(k.begin(), k.end());
  }
  Json j = Json::object();
  for (const auto& key : k) {
    j[key] = Json::object();
  }
  return j;
}

Json config_json(const ContainerConfig& c, bool sorted) {
  Json j = Json::object();
  j["Hostname"] = c.hostname;
  j["Domainname"] = c.domainname;
  j["User"] = c.user;
  j["AttachStdin"] = c.attach_stdin;
  j["AttachStdout"] = c.attach_stdout;
  j["AttachStderr"] = c.attach_stderr;
  if (!c.exposed_ports.empty()) {
    j["ExposedPorts"] = key_set(c.exposed_ports, sorted);
  }
  j["Tty"] = c.tty;
  j["OpenStdin"] = c.open_stdin;
  j["StdinOnce"] = c.stdin_once;
  j["Env"] = strings_or_null(c.env);
  j["Cmd"] = strings_or_null(c.cmd);
  if (c.healthcheck) {
    j["Healthcheck"] = c.healthcheck->to_json();
  }
  j["Image"] = c.image;
  j["Volumes"] = key_set(c.volumes, sorted);
  j["WorkingDir"] = c.working_dir;
  // nullopt (no entrypoint) is null; an explicitly empty one stays [] so that it reads back.
  j["Entrypoint"] = c.entrypoint ? Json(*c.entrypoint) : Json(nullptr);
  j["OnBuild"] = nullptr;
  j["Labels"] = Json(c.labels);
  if (!c.stop_signal.empty()) {
    j["StopSignal"] = c.stop_signal;
  }
  if (c.stop_timeout) {
    j["StopTimeout"] = *c.stop_timeout;
  }
  return j;
}

// docker's mount.Mount, with its omitempty members left out when empty.
Json mount_spec_json(const MountSpec& m) {
  Json j = Json::object();
  j["Type"] = m.type;
  if (!m.source.empty()) {
    j["Source"] = m.source;
  }
  j["Target"] = m.target;
  if (m.read_only) {
    j["ReadOnly"] = true;
  }
  if (!m.bind_propagation.empty() || m.bind_nonrecursive) {
    Json b = Json::object();
    if (!m.bind_propagation.empty()) {
      b["Propagation"] = m.bind_propagation;
    }
    if (m.bind_nonrecursive) {
      b["NonRecursive"] = true;
    }
    j["BindOptions"] = b;
  }
  if (m.volume_nocopy || !m.volume_labels.empty()) {
    Json v = Json::object();
    if (m.volume_nocopy) {
      v["NoCopy"] = true;
    }
    if (!m.volume_labels.empty()) {
      v["Labels"] = Json(m.volume_labels);
    }
    j["VolumeOptions"] = v;
  }
  if (m.tmpfs_size != 0 || m.tmpfs_mode != 0) {
    Json t = Json::object();
    if (m.tmpfs_size != 0) {
      t["SizeBytes"] = m.tmpfs_size;
    }
    if (m.tmpfs_mode != 0) {
      t["Mode"] = m.tmpfs_mode;
    }
    j["TmpfsOptions"] = t;
  }
  return j;
}

// dockerd 20.10's HostConfig: every member in its order, holding the values berth never changes
// (every container has its own cgroup and IPC namespaces). Tmpfs, Mounts and Init are omitempty
// and come in only when set; Binds, CapAdd … are null when empty, Dns … [] (as docker prints).
constexpr std::string_view kHostConfigShape = R"({
  "Binds": null, "ContainerIDFile": "", "LogConfig": null, "NetworkMode": "",
  "PortBindings": {}, "RestartPolicy": null, "AutoRemove": false, "VolumeDriver": "",
  "VolumesFrom": null, "CapAdd": null, "CapDrop": null, "CgroupnsMode": "private", "Dns": [],
  "DnsOptions": [], "DnsSearch": [], "ExtraHosts": null, "GroupAdd": null, "IpcMode": "private",
  "Cgroup": "", "Links": null, "OomScoreAdj": 0, "PidMode": "", "Privileged": false,
  "PublishAllPorts": false, "ReadonlyRootfs": false, "SecurityOpt": null, "Tmpfs": null,
  "UTSMode": "", "UsernsMode": "", "ShmSize": 0, "Runtime": "runc", "ConsoleSize": [0, 0],
  "Isolation": "", "CpuShares": 0, "Memory": 0, "NanoCpus": 0, "CgroupParent": "",
  "BlkioWeight": 0, "BlkioWeightDevice": [], "BlkioDeviceReadBps": [],
  "BlkioDeviceWriteBps": [], "BlkioDeviceReadIOps": [], "BlkioDeviceWriteIOps": [],
  "CpuPeriod": 0, "CpuQuota": 0, "CpuRealtimePeriod": 0, "CpuRealtimeRuntime": 0,
  "CpusetCpus": "", "CpusetMems": "", "Devices": [], "DeviceCgroupRules": null,
  "DeviceRequests": null, "KernelMemory": 0, "KernelMemoryTCP": 0, "MemoryReservation": 0,
  "MemorySwap": 0, "MemorySwappiness": null, "OomKillDisable": false, "PidsLimit": null,
  "Ulimits": [], "CpuCount": 0, "CpuPercent": 0, "IOMaximumIOps": 0, "IOMaximumBandwidth": 0,
  "Mounts": null, "MaskedPaths": null, "ReadonlyPaths": null, "Init": null})";

Json host_config_json(const HostConfig& h) {
  static const Json shape = Json::parse(kHostConfigShape);
  Json j = shape;  // assigning an existing member keeps its place
  j["Binds"] = strings_or_null(h.binds);
  j["LogConfig"] = Json{{"Type", h.log_config.type}, {"Config", Json(h.log_config.config)}};
  j["NetworkMode"] = h.network_mode;
  j["PortBindings"] = port_bindings_json(h.port_bindings);
  j["RestartPolicy"] = Json{{"Name", h.restart_policy.name},
                            {"MaximumRetryCount", h.restart_policy.maximum_retry_count}};
  j["AutoRemove"] = h.auto_remove;
  j["CapAdd"] = strings_or_null(h.cap_add);
  j["CapDrop"] = strings_or_null(h.cap_drop);
  j["Dns"] = Json(h.dns);
  j["DnsOptions"] = Json(h.dns_options);
  j["DnsSearch"] = Json(h.dns_search);
  j["ExtraHosts"] = strings_or_null(h.extra_hosts);
  j["GroupAdd"] = strings_or_null(h.group_add);
  j["Privileged"] = h.privileged;
  j["ReadonlyRootfs"] = h.readonly_rootfs;
  j["SecurityOpt"] = strings_or_null(h.security_opt);
  j["Tmpfs"] = Json(h.tmpfs);
  j["ShmSize"] = h.shm_size;
  j["CpuShares"] = h.cpu_shares;
  j["Memory"] = h.memory;
  j["NanoCpus"] = h.nano_cpus;
  j["CpuPeriod"] = h.cpu_period;
  j["CpuQuota"] = h.cpu_quota;
  j["MemorySwap"] = h.memory_swap;
  j["MemoryReservation"] = h.memory_reservation;
  j["PidsLimit"] = h.pids_limit ? Json(*h.pids_limit) : Json(nullptr);
  for (const auto& u : h.ulimits) {
    j["Ulimits"].push_back(Json{{"Name", u.name}, {"Hard", u.hard}, {"Soft", u.soft}});
  }
  for (const auto& m : h.mounts) {
    j["Mounts"].push_back(mount_spec_json(m));
  }
  j["MaskedPaths"] = strings_or_null(h.masked_paths);
  j["ReadonlyPaths"] = strings_or_null(h.readonly_paths);
  j["Init"] = h.init ? Json(*h.init) : Json(nullptr);
  for (const char* omitempty : {"Tmpfs", "Mounts", "Init"}) {
    if (j[omitempty].is_null() || j[omitempty].empty()) {
      j.erase(omitempty);
    }
  }
  return j;
}

Json mount_point_json(const MountPoint& m) {
  Json j = Json::object();
  j["Type"] = m.type;
  if (!m.name.empty()) {
    j["Name"] = m.name;
  }
  j["Source"] = m.source;
  j["Destination"] = m.destination;
  if (!m.driver.empty()) {
    j["Driver"] = m.driver;
  }
  j["Mode"] = m.mode;
  j["RW"] = m.rw;
  j["Propagation"] = m.propagation;
  return j;
}

Json mounts_json(const std::vector<MountPoint>& mounts) {
  Json j = Json::array();
  for (const auto& m : mounts) {
    j.push_back(mount_point_json(m));
  }
  return j;
}

Json health_json(const Health& h) {
  Json log = nullptr;  // docker's Log is null until the first check
  for (const auto& r : h.log) {
    log.push_back(
        Json{{"Start", r.start}, {"End", r.end}, {"ExitCode", r.exit_code}, {"Output", r.output}});
  }
  return Json{{"Status", h.status}, {"FailingStreak", h.failing_streak}, {"Log", log}};
}

// docker's State: the booleans follow from the status, as docker's State() derives the status
// from them.
Json docker_state_json(const ContainerState& s) {
  const std::string& st = s.status;
  Json j = Json::object();
  j["Status"] = st;
  j["Running"] = st == "running" || st == "paused" || st == "restarting";
  j["Paused"] = st == "paused";
  j["Restarting"] = st == "restarting";
  j["OOMKilled"] = s.oom_killed;
  j["Dead"] = st == "dead";
  j["Pid"] = s.pid;
  j["ExitCode"] = s.exit_code;
  j["Error"] = s.error;
  j["StartedAt"] = s.started_at;
  j["FinishedAt"] = s.finished_at;
  if (s.health) {
    j["Health"] = health_json(*s.health);
  }
  return j;
}

// ---- readers: absent or null members keep their defaults; a mistyped one is Corrupt ----

// The object at obj[key], or nullptr when it is absent or null.
Result<const Json*> object_member(const Json& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return nullptr;
  }
  if (!it->is_object()) {
    return fail(Code::kCorrupt, fmt::format("field '{}' must be an object", key));
  }
  return &*it;
}

Result<const Json*> array_member(const Json& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return nullptr;
  }
  if (!it->is_array()) {
    return fail(Code::kCorrupt, fmt::format("field '{}' must be an array", key));
  }
  return &*it;
}

template <typename T>
Result<void> read_number(const Json& obj, std::string_view key, T& out) {
  int64_t v = static_cast<int64_t>(out);
  BERTH_CHECK(read_int(obj, key, v));
  if (v < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
      (std::numeric_limits<T>::max() < std::numeric_limits<int64_t>::max() &&
       v > static_cast<int64_t>(std::numeric_limits<T>::max()))) {
    return fail(Code::kCorrupt, fmt::format("field '{}' is out of range", key));
  }
  out = static_cast<T>(v);
  return {};
}

Result<void> read_key_set(const Json& obj, std::string_view key, std::vector<std::string>& out) {
  const Json* v = BERTH_TRY(object_member(obj, key));
  out.clear();
  if (v != nullptr) {
    for (const auto& [k, e] : v->items()) {
      out.push_back(k);
    }
  }
  return {};
}

Result<ContainerConfig> read_config(const Json& j) {
  BERTH_CHECK(expect_object(j, "Config"));
  ContainerConfig c;
  BERTH_CHECK(read_string(j, "Hostname", c.hostname));
  BERTH_CHECK(read_string(j, "Domainname", c.domainname));
  BERTH_CHECK(read_string(j, "User", c.user));
  BERTH_CHECK(read_bool(j, "AttachStdin", c.attach_stdin));
  BERTH_CHECK(read_bool(j, "AttachStdout", c.attach_stdout));
  BERTH_CHECK(read_bool(j, "AttachStderr", c.attach_stderr));
  BERTH_CHECK(read_key_set(j, "ExposedPorts", c.exposed_ports));
  BERTH_CHECK(read_bool(j, "Tty", c.tty));
  BERTH_CHECK(read_bool(j, "OpenStdin", c.open_stdin));
  BERTH_CHECK(read_bool(j, "StdinOnce", c.stdin_once));
  BERTH_CHECK(read_strings(j, "Env", c.env));
  BERTH_CHECK(read_strings(j, "Cmd", c.cmd));
  if (const Json* h = BERTH_TRY(object_member(j, "Healthcheck")); h != nullptr) {
    c.healthcheck = BERTH_TRY(oci::HealthConfig::from_json(*h));
  }
  BERTH_CHECK(read_string(j, "Image", c.image));
  BERTH_CHECK(read_key_set(j, "Volumes", c.volumes));
  BERTH_CHECK(read_string(j, "WorkingDir", c.working_dir));
  if (BERTH_TRY(array_member(j, "Entrypoint")) != nullptr) {
    std::vector<std::string> ep;
    BERTH_CHECK(read_strings(j, "Entrypoint", ep));
    c.entrypoint = std::move(ep);
  }
  BERTH_CHECK(read_string_map(j, "Labels", c.labels));
  BERTH_CHECK(read_string(j, "StopSignal", c.stop_signal));
  if (auto it = j.find("StopTimeout"); it != j.end() && !it->is_null()) {
    int timeout = 0;
    BERTH_CHECK(read_number(j, "StopTimeout", timeout));
    c.stop_timeout = timeout;
  }
  return c;
}

Result<MountSpec> read_mount_spec(const Json& j) {
  BERTH_CHECK(expect_object(j, "Mounts entry"));
  MountSpec m;
  BERTH_CHECK(read_string(j, "Type", m.type));
  BERTH_CHECK(read_string(j, "Source", m.source));
  BERTH_CHECK(read_string(j, "Target", m.target));
  BERTH_CHECK(read_bool(j, "ReadOnly", m.read_only));
  if (const Json* b = BERTH_TRY(object_member(j, "BindOptions")); b != nullptr) {
    BERTH_CHECK(read_string(*b, "Propagation", m.bind_propagation));
    BERTH_CHECK(read_bool(*b, "NonRecursive", m.bind_nonrecursive));
  }
  if (const Json* v = BERTH_TRY(object_member(j, "VolumeOptions")); v != nullptr) {
    BERTH_CHECK(read_bool(*v, "NoCopy", m.volume_nocopy));
    BERTH_CHECK(read_string_map(*v, "Labels", m.volume_labels));
  }
  if (const Json* t = BERTH_TRY(object_member(j, "TmpfsOptions")); t != nullptr) {
    BERTH_CHECK(read_number(*t, "SizeBytes", m.tmpfs_size));
    BERTH_CHECK(read_number(*t, "Mode", m.tmpfs_mode));
  }
  return m;
}

Result<void> read_host_lists(const Json& j, HostConfig& h) {
  BERTH_CHECK(read_strings(j, "Binds", h.binds));
  BERTH_CHECK(read_strings(j, "CapAdd", h.cap_add));
  BERTH_CHECK(read_strings(j, "CapDrop", h.cap_drop));
  BERTH_CHECK(read_strings(j, "Dns", h.dns));
  BERTH_CHECK(read_strings(j, "DnsOptions", h.dns_options));
  BERTH_CHECK(read_strings(j, "DnsSearch", h.dns_search));
  BERTH_CHECK(read_strings(j, "ExtraHosts", h.extra_hosts));
  BERTH_CHECK(read_strings(j, "GroupAdd", h.group_add));
  BERTH_CHECK(read_strings(j, "SecurityOpt", h.security_opt));
  BERTH_CHECK(read_string_map(j, "Tmpfs", h.tmpfs));
  BERTH_CHECK(read_strings(j, "MaskedPaths", h.masked_paths));
  BERTH_CHECK(read_strings(j, "ReadonlyPaths", h.readonly_paths));
  if (const Json* ul = BERTH_TRY(array_member(j, "Ulimits")); ul != nullptr) {
    for (const auto& u : *ul) {
      BERTH_CHECK(expect_object(u, "Ulimits entry"));
      UlimitSpec s;
      BERTH_CHECK(read_string(u, "Name", s.name));
      BERTH_CHECK(read_int(u, "Hard", s.hard));
      BERTH_CHECK(read_int(u, "Soft", s.soft));
      h.ulimits.push_back(std::move(s));
    }
  }
  if (const Json* ms = BERTH_TRY(array_member(j, "Mounts")); ms != nullptr) {
    for (const auto& m : *ms) {
      h.mounts.push_back(BERTH_TRY(read_mount_spec(m)));
    }
  }
  return {};
}

Result<HostConfig> read_host_config(const Json& j) {
  BERTH_CHECK(expect_object(j, "HostConfig"));
  HostConfig h;
  if (const Json* lc = BERTH_TRY(object_member(j, "LogConfig")); lc != nullptr) {
    BERTH_CHECK(read_string(*lc, "Type", h.log_config.type));
    BERTH_CHECK(read_string_map(*lc, "Config", h.log_config.config));
  }
  BERTH_CHECK(read_string(j, "NetworkMode", h.network_mode));
  if (auto it = j.find("PortBindings"); it != j.end()) {
    h.port_bindings = BERTH_TRY_CTX(read_port_bindings(*it), "PortBindings");
  }
  if (const Json* rp = BERTH_TRY(object_member(j, "RestartPolicy")); rp != nullptr) {
    BERTH_CHECK(read_string(*rp, "Name", h.restart_policy.name));
    BERTH_CHECK(read_number(*rp, "MaximumRetryCount", h.restart_policy.maximum_retry_count));
  }
  BERTH_CHECK(read_bool(j, "AutoRemove", h.auto_remove));
  BERTH_CHECK(read_bool(j, "Privileged", h.privileged));
  BERTH_CHECK(read_bool(j, "ReadonlyRootfs", h.readonly_rootfs));
  BERTH_CHECK(read_int(j, "ShmSize", h.shm_size));
  BERTH_CHECK(read_int(j, "CpuShares", h.cpu_shares));
  BERTH_CHECK(read_int(j, "Memory", h.memory));
  BERTH_CHECK(read_int(j, "NanoCpus", h.nano_cpus));
  BERTH_CHECK(read_int(j, "CpuPeriod", h.cpu_period));
  BERTH_CHECK(read_int(j, "CpuQuota", h.cpu_quota));
  BERTH_CHECK(read_int(j, "MemorySwap", h.memory_swap));
  BERTH_CHECK(read_int(j, "MemoryReservation", h.memory_reservation));
  if (auto it = j.find("PidsLimit"); it != j.end() && !it->is_null()) {
    int64_t limit = 0;
    BERTH_CHECK(read_int(j, "PidsLimit", limit));
    h.pids_limit = limit;
  }
  if (auto it = j.find("Init"); it != j.end() && !it->is_null()) {
    bool init = false;
    BERTH_CHECK(read_bool(j, "Init", init));
    h.init = init;
  }
  BERTH_CHECK(read_host_lists(j, h));
  return h;
}

Result<MountPoint> read_mount_point(const Json& j) {
  BERTH_CHECK(expect_object(j, "Mounts entry"));
  MountPoint m;
  BERTH_CHECK(read_string(j, "Type", m.type));
  BERTH_CHECK(read_string(j, "Name", m.name));
  BERTH_CHECK(read_string(j, "Source", m.source));
  BERTH_CHECK(read_string(j, "Destination", m.destination));
  BERTH_CHECK(read_string(j, "Driver", m.driver));
  BERTH_CHECK(read_string(j, "Mode", m.mode));
  BERTH_CHECK(read_bool(j, "RW", m.rw));
  BERTH_CHECK(read_string(j, "Propagation", m.propagation));
  return m;
}

Result<Health> read_health(const Json& j) {
  Health h;
  BERTH_CHECK(read_string(j, "Status", h.status));
  BERTH_CHECK(read_number(j, "FailingStreak", h.failing_streak));
  if (const Json* log = BERTH_TRY(array_member(j, "Log")); log != nullptr) {
    for (const auto& e : *log) {
      BERTH_CHECK(expect_object(e, "Health.Log entry"));
      HealthResult r;
      BERTH_CHECK(read_string(e, "Start", r.start));
      BERTH_CHECK(read_string(e, "End", r.end));
      BERTH_CHECK(read_number(e, "ExitCode", r.exit_code));
      BERTH_CHECK(read_string(e, "Output", r.output));
      h.log.push_back(std::move(r));
    }
  }
  return h;
}

Result<ContainerState> read_state(const Json& j) {
  BERTH_CHECK(expect_object(j, "state"));
  ContainerState s;
  BERTH_CHECK(read_string(j, "Status", s.status));
  BERTH_CHECK(read_bool(j, "OOMKilled", s.oom_killed));
  BERTH_CHECK(read_number(j, "Pid", s.pid));
  BERTH_CHECK(read_number(j, "ExitCode", s.exit_code));
  BERTH_CHECK(read_string(j, "Error", s.error));
  BERTH_CHECK(read_string(j, "StartedAt", s.started_at));
  BERTH_CHECK(read_string(j, "FinishedAt", s.finished_at));
  if (const Json* h = BERTH_TRY(object_member(j, "Health")); h != nullptr) {
    s.health = BERTH_TRY_CTX(read_health(*h), "Health");
  }
  BERTH_CHECK(read_number(j, "RestartCount", s.restart_count));
  BERTH_CHECK(read_number(j, "MonitorPid", s.monitor_pid));
  BERTH_CHECK(read_number(j, "MonitorStartTime", s.monitor_start_time));
  BERTH_CHECK(read_number(j, "PidStartTime", s.pid_start_time));
  BERTH_CHECK(read_bool(j, "StoppedByUser", s.stopped_by_user));
  if (auto it = j.find("Ports"); it != j.end()) {
    s.ports = BERTH_TRY_CTX(read_port_bindings(*it), "Ports");
  }
  return s;
}

Result<Container> read_container(const Json& j) {
  BERTH_CHECK(expect_object(j, "container record"));
  Container c;
  c.id = BERTH_TRY(oci::require_string(j, "Id"));
  BERTH_CHECK(read_string(j, "Created", c.created));
  BERTH_CHECK(read_string(j, "Path", c.path));
  BERTH_CHECK(read_strings(j, "Args", c.args));
  BERTH_CHECK(read_string(j, "Image", c.image_id));
  BERTH_CHECK(read_string(j, "ResolvConfPath", c.resolv_conf_path));
  BERTH_CHECK(read_string(j, "HostnamePath", c.hostname_path));
  BERTH_CHECK(read_string(j, "HostsPath", c.hosts_path));
  BERTH_CHECK(read_string(j, "LogPath", c.log_path));
  BERTH_CHECK(read_string(j, "Name", c.name));
  if (const Json* h = BERTH_TRY(object_member(j, "HostConfig")); h != nullptr) {
    c.host_config = BERTH_TRY_CTX(read_host_config(*h), "HostConfig");
  }
  if (const Json* ms = BERTH_TRY(array_member(j, "Mounts")); ms != nullptr) {
    for (const auto& m : *ms) {
      c.mounts.push_back(BERTH_TRY_CTX(read_mount_point(m), "Mounts"));
    }
  }
  if (const Json* cfg = BERTH_TRY(object_member(j, "Config")); cfg != nullptr) {
    c.config = BERTH_TRY_CTX(read_config(*cfg), "Config");
  }
  if (const Json* b = BERTH_TRY(object_member(j, "Berth")); b != nullptr) {
    BERTH_CHECK_CTX(read_strings(*b, "LayerDirs", c.layer_dirs), "Berth");
    if (auto it = b->find("Networks"); it != b->end()) {
      c.networks = BERTH_TRY_CTX(read_attachments(*it), "Berth");
    }
  }
  return c;
}

// docker keeps `-v /path` (no source) as a volume in Config.Volumes, not in Binds.
void move_anonymous_binds(Json& host_config, Json& config) {
  Json binds = Json::array();
  std::vector<std::string> volumes;
  if (config["Volumes"].is_object()) {
    for (const auto& [k, v] : config["Volumes"].items()) {
      volumes.push_back(k);
    }
  }
  if (host_config["Binds"].is_array()) {
    for (const auto& b : host_config["Binds"]) {
      const std::string& s = b.get_ref<const std::string&>();
      if (s.find(':') != std::string::npos) {
        binds.push_back(s);
      } else if (std::find(volumes.begin(), volumes.end(), s) == volumes.end()) {
        volumes.push_back(s);
      }
    }
  }
  host_config["Binds"] = binds.empty() ? Json(nullptr) : binds;
  config["Volumes"] = key_set(volumes, true);
}

}  // namespace

Json container_to_json(const Container& c) {
  Json j = Json::object();
  j["Id"] = c.id;
  j["Created"] = c.created;
  j["Path"] = c.path;
  j["Args"] = Json(c.args);
  j["Image"] = c.image_id;
  j["ResolvConfPath"] = c.resolv_conf_path;
  j["HostnamePath"] = c.hostname_path;
  j["HostsPath"] = c.hosts_path;
  j["LogPath"] = c.log_path;
  j["Name"] = c.name;
  j["HostConfig"] = host_config_json(c.host_config);
  j["Mounts"] = mounts_json(c.mounts);
  j["Config"] = config_json(c.config, false);
  j["Berth"] = Json{{"LayerDirs", Json(c.layer_dirs)}};
  if (!c.networks.empty()) {
    j["Berth"]["Networks"] = attachments_json(c.networks);
  }
  return j;
}

Result<Container> container_from_json(const Json& j, std::string_view what) {
  return oci::within(read_container(j), what);
}

Json state_to_json(const ContainerState& s) {
  Json j = docker_state_json(s);
  j["RestartCount"] = s.restart_count;
  j["MonitorPid"] = s.monitor_pid;
  j["MonitorStartTime"] = s.monitor_start_time;
  j["PidStartTime"] = s.pid_start_time;
  j["StoppedByUser"] = s.stopped_by_user;
  if (!s.ports.empty()) {
    j["Ports"] = port_bindings_json(s.ports);
  }
  return j;
}

Result<ContainerState> state_from_json(const Json& j, std::string_view what) {
  return oci::within(read_state(j), what);
}

Json container_inspect_json(const Container& c) {
  Json j = Json::object();
  j["Id"] = c.id;
  j["Created"] = c.created;
  j["Path"] = c.path;
  j["Args"] = Json(c.args);
  j["State"] = docker_state_json(c.state);
  j["Image"] = c.image_id;
  j["ResolvConfPath"] = c.resolv_conf_path;
  j["HostnamePath"] = c.hostname_path;
  j["HostsPath"] = c.hosts_path;
  j["LogPath"] = c.log_path;
  j["Name"] = "/" + c.name;
  j["RestartCount"] = c.state.restart_count;
  j["Driver"] = "overlay2";
  j["Platform"] = "linux";
  j["MountLabel"] = "";
  j["ProcessLabel"] = "";
  j["AppArmorProfile"] = "";
  j["ExecIDs"] = nullptr;
  Json host_config = host_config_json(c.host_config);
  Json config = config_json(c.config, true);
  move_anonymous_binds(host_config, config);
  j["HostConfig"] = std::move(host_config);
  // The overlay's lower dirs are the record's; the per-container dirs are the caller's to fill.
  Json data = Json::object();
  data["LowerDir"] = join(c.layer_dirs, ":");
  data["MergedDir"] = "";
  data["UpperDir"] = "";
  data["WorkDir"] = "";
  j["GraphDriver"] = Json{{"Data", data}, {"Name", "overlay2"}};
  j["Mounts"] = mounts_json(c.mounts);
  j["Config"] = std::move(config);
  j["NetworkSettings"] = network_settings_json(c);
  return j;
}

}  // namespace berth::engine
