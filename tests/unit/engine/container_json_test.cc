#include <gtest/gtest.h>

#include "engine/container.h"

namespace berth::engine {
namespace {

std::vector<std::string> keys(const Json& j) {
  std::vector<std::string> out;
  for (const auto& [k, v] : j.items()) {
    out.push_back(k);
  }
  return out;
}

// A record with every member set to something other than its default.
Container full_container() {
  Container c;
  c.id = std::string(64, 'a');
  c.name = "web";
  c.created = "2024-01-02T03:04:05.123456789Z";
  c.path = "sh";
  c.args = {"-c", "exit 1"};
  c.image_id = "sha256:" + std::string(64, 'b');
  c.config.hostname = "aaaaaaaaaaaa";
  c.config.domainname = "example.org";
  c.config.user = "1000:1000";
  c.config.attach_stdin = c.config.attach_stdout = c.config.attach_stderr = true;
  c.config.tty = c.config.open_stdin = c.config.stdin_once = true;
  c.config.env = {"PATH=/bin", "A=b"};
  c.config.cmd = {"-c", "exit 1"};
  c.config.healthcheck = oci::HealthConfig{{"CMD-SHELL", "true"}, 1000000000, 2, 3, 4, 5};
  c.config.image = "busybox";
  c.config.volumes = {"/data", "/cache"};
  c.config.working_dir = "/tmp";
  c.config.entrypoint = std::vector<std::string>{"sh"};
  c.config.labels = {{"a", "b"}, {"x", "y"}};
  c.config.stop_signal = "SIGUSR1";
  c.config.stop_timeout = 7;
  c.config.exposed_ports = {"80/tcp", "53/udp"};
  auto& h = c.host_config;
  h.binds = {"/tmp:/hosttmp:ro", "vol1:/data"};
  h.log_config.config = {{"max-size", "1m"}};
  h.network_mode = "host";
  h.restart_policy = {"on-failure", 3};
  h.auto_remove = true;
  h.cap_add = {"NET_ADMIN"};
  h.cap_drop = {"MKNOD"};
  h.dns = {"1.1.1.1"};
  h.dns_search = {"x.y"};
  h.dns_options = {"ndots:2"};
  h.extra_hosts = {"a:1.2.3.4"};
  h.group_add = {"10"};
  h.privileged = h.readonly_rootfs = true;
  h.security_opt = {"no-new-privileges"};
  h.tmpfs = {{"/run", "size=64k"}};
  h.shm_size = 1 << 20;
  h.cpu_shares = 512;
  h.memory = 64 << 20;
  h.nano_cpus = 1500000000;
  h.cpu_period = 100000;
  h.cpu_quota = 50000;
  h.memory_swap = -1;
  h.pids_limit = 50;
  h.ulimits = {{"nofile", 100, 200}};
  MountSpec bind{"bind", "/src", "/dst", true, "rshared", true, false, {}, 0, 0};
  MountSpec vol{"volume", "v2", "/v2", false, "", false, true, {{"l", "v"}}, 0, 0};
  MountSpec tmp{"tmpfs", "", "/tt", false, "", false, false, {}, 1 << 20, 01777};
  h.mounts = {bind, vol, tmp};
  h.init = true;
  h.masked_paths = {"/proc/kcore"};
  h.readonly_paths = {"/proc/sys"};
  c.mounts = {
      {"volume", "vol1", "/var/lib/berth/volumes/vol1/_data", "/data", "local", "z", true, ""},
      {"bind", "", "/tmp", "/hosttmp", "", "ro", false, "rprivate"}};
  c.resolv_conf_path = "/r/resolv.conf";
  c.hostname_path = "/r/hostname";
  c.hosts_path = "/r/hosts";
  c.log_path = "/r/x-json.log";
  c.layer_dirs = {"/l/2", "/l/1"};
  return c;
}

ContainerState full_state() {
  ContainerState s;
  s.status = "running";
  s.oom_killed = true;
  s.pid = 1234;
  s.exit_code = 3;
  s.error = "boom";
  s.started_at = "2024-01-02T03:04:06Z";
  s.finished_at = "2024-01-02T03:04:07Z";
  s.health = Health{"healthy", 2, {{"2024-01-02T03:04:08Z", "2024-01-02T03:04:09Z", 1, "out"}}};
  s.restart_count = 4;
  s.monitor_pid = 1200;
  s.monitor_start_time = 987654321;
  s.pid_start_time = 987654399;
  s.stopped_by_user = true;
  return s;
}

TEST(ContainerJson, ConfigRoundTripKeepsEveryMember) {
  Container c = full_container();
  Json j = container_to_json(c);
  auto back = container_from_json(Json::parse(j.dump()), "config.json");
  ASSERT_TRUE(back) << back.error().str();
  EXPECT_EQ(container_to_json(*back), j);
  EXPECT_EQ(back->id, c.id);
  EXPECT_EQ(back->name, "web");
  EXPECT_EQ(back->args, c.args);
  EXPECT_EQ(back->config.exposed_ports, c.config.exposed_ports);  // the order as given
  EXPECT_EQ(back->config.volumes, c.config.volumes);
  EXPECT_EQ(back->config.healthcheck, c.config.healthcheck);
  EXPECT_EQ(back->config.entrypoint, c.config.entrypoint);
  EXPECT_EQ(back->config.stop_timeout, 7);
  EXPECT_EQ(back->host_config.pids_limit, 50);
  EXPECT_EQ(back->host_config.init, true);
  EXPECT_EQ(back->host_config.memory_swap, -1);
  ASSERT_EQ(back->host_config.mounts.size(), 3u);
  EXPECT_EQ(back->host_config.mounts[0].bind_propagation, "rshared");
  EXPECT_TRUE(back->host_config.mounts[0].bind_nonrecursive);
  EXPECT_TRUE(back->host_config.mounts[1].volume_nocopy);
  EXPECT_EQ(back->host_config.mounts[1].volume_labels.at("l"), "v");
  EXPECT_EQ(back->host_config.mounts[2].tmpfs_size, 1 << 20);
  EXPECT_EQ(back->host_config.mounts[2].tmpfs_mode, 01777u);
  ASSERT_EQ(back->host_config.ulimits.size(), 1u);
  EXPECT_EQ(back->host_config.ulimits[0].soft, 100);
  EXPECT_EQ(back->host_config.ulimits[0].hard, 200);
  EXPECT_EQ(back->mounts[1].propagation, "rprivate");
  EXPECT_FALSE(back->mounts[1].rw);
  EXPECT_EQ(back->layer_dirs, c.layer_dirs);
  EXPECT_EQ(back->log_path, c.log_path);
}

TEST(ContainerJson, PortBindingsNetworksAndPublishedPortsRoundTrip) {
  Container c = full_container();
  c.host_config.network_mode = "backend";
  c.host_config.port_bindings = {{"80/tcp", "", "8080"}, {"80/tcp", "127.0.0.1", ""}};
  c.networks = {{"n1", "backend", "br-n1", "172.18.0.2", "172.18.0.1", 16, {"db"}}};
  auto back = container_from_json(Json::parse(container_to_json(c).dump()), "config.json");
  ASSERT_TRUE(back) << back.error().str();
  EXPECT_EQ(back->host_config.port_bindings, c.host_config.port_bindings);
  ASSERT_EQ(back->networks.size(), 1u);
  EXPECT_EQ(back->networks[0].ip, "172.18.0.2");
  EXPECT_EQ(back->networks[0].prefix, 16);
  EXPECT_EQ(back->networks[0].aliases, std::vector<std::string>{"db"});
  EXPECT_EQ(container_to_json(c)["HostConfig"]["PortBindings"],
            Json::parse(R"({"80/tcp": [{"HostIp": "", "HostPort": "8080"},
                                       {"HostIp": "127.0.0.1", "HostPort": ""}]})"));

  ContainerState s;
  s.status = "running";
  s.ports = {{"80/tcp", "", "8080"}};
  auto sback = state_from_json(Json::parse(state_to_json(s).dump()), "state.json");
  ASSERT_TRUE(sback) << sback.error().str();
  EXPECT_EQ(sback->ports, s.ports);
  c.state = s;
  Json ns = container_inspect_json(c)["NetworkSettings"];
  EXPECT_EQ(ns["IPAddress"], "172.18.0.2");
  EXPECT_EQ(ns["Networks"]["backend"]["Aliases"], Json::array({"db"}));
  EXPECT_EQ(ns["Ports"]["80/tcp"][0]["HostPort"], "8080");
}

TEST(ContainerJson, DefaultsRoundTripAndUnsetOptionalsStayUnset) {
  Container c;
  c.id = std::string(64, 'c');
  auto back = container_from_json(Json::parse(container_to_json(c).dump()), "config.json");
  ASSERT_TRUE(back) << back.error().str();
  EXPECT_FALSE(back->config.entrypoint.has_value());
  EXPECT_FALSE(back->config.healthcheck.has_value());
  EXPECT_FALSE(back->config.stop_timeout.has_value());
  EXPECT_FALSE(back->host_config.pids_limit.has_value());
  EXPECT_FALSE(back->host_config.init.has_value());
  EXPECT_EQ(back->host_config.network_mode, "none");
  EXPECT_EQ(back->host_config.shm_size, 64 << 20);
  EXPECT_EQ(back->host_config.restart_policy.name, "no");
}

TEST(ContainerJson, AnExplicitlyEmptyEntrypointStaysEmptyNotUnset) {
  Container c;
  c.id = "x";
  c.config.entrypoint = std::vector<std::string>{};
  Json j = container_to_json(c);
  EXPECT_EQ(j["Config"]["Entrypoint"], Json::array());
  auto back = container_from_json(j, "config.json");
  ASSERT_TRUE(back);
  ASSERT_TRUE(back->config.entrypoint.has_value());
  EXPECT_TRUE(back->config.entrypoint->empty());
}

TEST(ContainerJson, ConfigJsonHoldsNoStateAndKeepsLayerDirsUnderBerth) {
  Json j = container_to_json(full_container());
  EXPECT_FALSE(j.contains("State"));
  EXPECT_EQ(j["Berth"], Json::parse(R"({"LayerDirs":["/l/2","/l/1"]})"));
  EXPECT_EQ(keys(j),
            (std::vector<std::string>{"Id", "Created", "Path", "Args", "Image", "ResolvConfPath",
                                      "HostnamePath", "HostsPath", "LogPath", "Name", "HostConfig",
                                      "Mounts", "Config", "Berth"}));
}

TEST(ContainerJson, StateRoundTripKeepsDockerAndBerthMembers) {
  ContainerState s = full_state();
  Json j = state_to_json(s);
  EXPECT_EQ(keys(j), (std::vector<std::string>{
                         "Status", "Running", "Paused", "Restarting", "OOMKilled", "Dead", "Pid",
                         "ExitCode", "Error", "StartedAt", "FinishedAt", "Health", "RestartCount",
                         "MonitorPid", "MonitorStartTime", "PidStartTime", "StoppedByUser"}));
  auto back = state_from_json(Json::parse(j.dump()), "state.json");
  ASSERT_TRUE(back) << back.error().str();
  EXPECT_EQ(state_to_json(*back), j);
  EXPECT_EQ(back->pid, 1234);
  EXPECT_EQ(back->monitor_start_time, 987654321u);
  EXPECT_TRUE(back->stopped_by_user);
  ASSERT_TRUE(back->health);
  ASSERT_EQ(back->health->log.size(), 1u);
  EXPECT_EQ(back->health->log[0].output, "out");
  EXPECT_EQ(back->health->failing_streak, 2);
}

TEST(ContainerJson, StateWithoutHealthLeavesHealthOut) {
  ContainerState s;
  Json j = state_to_json(s);
  EXPECT_FALSE(j.contains("Health"));
  auto back = state_from_json(j, "state.json");
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->health);
  EXPECT_EQ(back->status, "created");
  EXPECT_EQ(back->started_at, "0001-01-01T00:00:00Z");
}

TEST(ContainerJson, MistypedMembersAreCorruptAndNameTheDocumentAndMember) {
  Json j = container_to_json(full_container());
  j["HostConfig"]["Memory"] = "64m";
  auto r = container_from_json(j, "/x/config.json");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kCorrupt);
  EXPECT_EQ(r.error().str(), "/x/config.json: HostConfig: field 'Memory' must be an integer");

  j = container_to_json(full_container());
  j["Config"]["Env"] = "A=b";
  r = container_from_json(j, "config.json");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().str(), "config.json: Config: field 'Env' must be an array of strings");

  j = container_to_json(full_container());
  j.erase("Id");
  r = container_from_json(j, "config.json");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().str(), "config.json: missing field 'Id'");

  r = container_from_json(Json::array(), "config.json");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kCorrupt);

  Json s = state_to_json(full_state());
  s["Pid"] = "1234";
  auto rs = state_from_json(s, "state.json");
  ASSERT_FALSE(rs);
  EXPECT_EQ(rs.error().code(), Code::kCorrupt);
  EXPECT_EQ(rs.error().str(), "state.json: field 'Pid' must be an integer");

  s = state_to_json(full_state());
  s["Health"]["Log"] = Json::array({1});
  rs = state_from_json(s, "state.json");
  ASSERT_FALSE(rs);
  EXPECT_EQ(rs.error().str(), "state.json: Health: Health.Log entry is not a JSON object");

  s = state_to_json(full_state());
  s["Pid"] = int64_t{1} << 40;  // no pid_t holds it
  rs = state_from_json(s, "state.json");
  ASSERT_FALSE(rs);
  EXPECT_EQ(rs.error().str(), "state.json: field 'Pid' is out of range");
}

TEST(ContainerInspect, TopLevelMembersAreDockersInDockersOrder) {
  Container c = full_container();
  c.state = full_state();
  Json j = container_inspect_json(c);
  EXPECT_EQ(keys(j),
            (std::vector<std::string>{
                "Id",           "Created",         "Path",           "Args",       "State",
                "Image",        "ResolvConfPath",  "HostnamePath",   "HostsPath",  "LogPath",
                "Name",         "RestartCount",    "Driver",         "Platform",   "MountLabel",
                "ProcessLabel", "AppArmorProfile", "ExecIDs",        "HostConfig", "GraphDriver",
                "Mounts",       "Config",          "NetworkSettings"}));
  EXPECT_EQ(j["Name"], "/web");
  EXPECT_EQ(j["RestartCount"], 4);
  EXPECT_EQ(j["Driver"], "overlay2");
  EXPECT_EQ(j["Platform"], "linux");
  EXPECT_EQ(j["Image"], c.image_id);
  EXPECT_TRUE(j["ExecIDs"].is_null());
  EXPECT_EQ(j["GraphDriver"],
            Json::parse(R"({"Data":{"LowerDir":"/l/2:/l/1","MergedDir":"","UpperDir":"",)"
                        R"("WorkDir":""},"Name":"overlay2"})"));
  EXPECT_EQ(
      keys(j["State"]),
      (std::vector<std::string>{"Status", "Running", "Paused", "Restarting", "OOMKilled", "Dead",
                                "Pid", "ExitCode", "Error", "StartedAt", "FinishedAt", "Health"}));
  EXPECT_EQ(j["State"]["Health"],
            Json::parse(R"({"Status":"healthy","FailingStreak":2,"Log":[{"Start":)"
                        R"("2024-01-02T03:04:08Z","End":"2024-01-02T03:04:09Z","ExitCode":1,)"
                        R"("Output":"out"}]})"));
}

TEST(ContainerInspect, StateBooleansFollowTheStatus) {
  struct Case {
    const char* status;
    bool running, paused, restarting, dead;
  };
  for (const Case& k :
       {Case{"created", false, false, false, false}, Case{"running", true, false, false, false},
        Case{"paused", true, true, false, false}, Case{"restarting", true, false, true, false},
        Case{"removing", false, false, false, false}, Case{"exited", false, false, false, false},
        Case{"dead", false, false, false, true}}) {
    Container c;
    c.state.status = k.status;
    Json st = container_inspect_json(c)["State"];
    EXPECT_EQ(st["Status"], k.status);
    EXPECT_EQ(st["Running"], k.running) << k.status;
    EXPECT_EQ(st["Paused"], k.paused) << k.status;
    EXPECT_EQ(st["Restarting"], k.restarting) << k.status;
    EXPECT_EQ(st["Dead"], k.dead) << k.status;
    EXPECT_FALSE(st.contains("Health"));
    EXPECT_FALSE(st.contains("MonitorPid"));
  }
}

TEST(ContainerInspect, HostConfigHasDockersMembersInDockersOrder) {
  Json h = container_inspect_json(full_container())["HostConfig"];
  // dockerd 20.10's order; Tmpfs, Mounts and Init appear because they are set.
  EXPECT_EQ(keys(h), (std::vector<std::string>{"Binds",
                                               "ContainerIDFile",
                                               "LogConfig",
                                               "NetworkMode",
                                               "PortBindings",
                                               "RestartPolicy",
                                               "AutoRemove",
                                               "VolumeDriver",
                                               "VolumesFrom",
                                               "CapAdd",
                                               "CapDrop",
                                               "CgroupnsMode",
                                               "Dns",
                                               "DnsOptions",
                                               "DnsSearch",
                                               "ExtraHosts",
                                               "GroupAdd",
                                               "IpcMode",
                                               "Cgroup",
                                               "Links",
                                               "OomScoreAdj",
                                               "PidMode",
                                               "Privileged",
                                               "PublishAllPorts",
                                               "ReadonlyRootfs",
                                               "SecurityOpt",
                                               "Tmpfs",
                                               "UTSMode",
                                               "UsernsMode",
                                               "ShmSize",
                                               "Runtime",
                                               "ConsoleSize",
                                               "Isolation",
                                               "CpuShares",
                                               "Memory",
                                               "NanoCpus",
                                               "CgroupParent",
                                               "BlkioWeight",
                                               "BlkioWeightDevice",
                                               "BlkioDeviceReadBps",
                                               "BlkioDeviceWriteBps",
                                               "BlkioDeviceReadIOps",
                                               "BlkioDeviceWriteIOps",
                                               "CpuPeriod",
                                               "CpuQuota",
                                               "CpuRealtimePeriod",
                                               "CpuRealtimeRuntime",
                                               "CpusetCpus",
                                               "CpusetMems",
                                               "Devices",
                                               "DeviceCgroupRules",
                                               "DeviceRequests",
                                               "KernelMemory",
                                               "KernelMemoryTCP",
                                               "MemoryReservation",
                                               "MemorySwap",
                                               "MemorySwappiness",
                                               "OomKillDisable",
                                               "PidsLimit",
                                               "Ulimits",
                                               "CpuCount",
                                               "CpuPercent",
                                               "IOMaximumIOps",
                                               "IOMaximumBandwidth",
                                               "Mounts",
                                               "MaskedPaths",
                                               "ReadonlyPaths",
                                               "Init"}));
  EXPECT_EQ(h["LogConfig"], Json::parse(R"({"Type":"json-file","Config":{"max-size":"1m"}})"));
  EXPECT_EQ(h["RestartPolicy"], Json::parse(R"({"Name":"on-failure","MaximumRetryCount":3})"));
  EXPECT_EQ(h["Ulimits"], Json::parse(R"([{"Name":"nofile","Hard":200,"Soft":100}])"));
  EXPECT_EQ(h["Mounts"][0], Json::parse(R"({"Type":"bind","Source":"/src","Target":"/dst",)"
                                        R"("ReadOnly":true,"BindOptions":{"Propagation":)"
                                        R"("rshared","NonRecursive":true}})"));
  EXPECT_EQ(h["Mounts"][2],
            Json::parse(R"({"Type":"tmpfs","Target":"/tt","TmpfsOptions":{"SizeBytes":1048576,)"
                        R"("Mode":1023}})"));
  EXPECT_EQ(h["PidsLimit"], 50);
  EXPECT_EQ(h["ShmSize"], 1 << 20);
}

TEST(ContainerInspect, EmptyListsAreNullOrEmptyAsDockerPrintsThem) {
  Container c;
  Json j = container_inspect_json(c);
  const Json& h = j["HostConfig"];
  for (const char* k : {"Binds", "CapAdd", "CapDrop", "ExtraHosts", "GroupAdd", "SecurityOpt",
                        "VolumesFrom", "Links", "PidsLimit", "MaskedPaths", "ReadonlyPaths"}) {
    EXPECT_TRUE(h[k].is_null()) << k;
  }
  for (const char* k : {"Dns", "DnsOptions", "DnsSearch", "Ulimits", "Devices"}) {
    EXPECT_EQ(h[k], Json::array()) << k;
  }
  EXPECT_EQ(h["LogConfig"]["Config"], Json::object());
  EXPECT_EQ(h["PortBindings"], Json::object());
  for (const char* k : {"Tmpfs", "Mounts", "Init"}) {
    EXPECT_FALSE(h.contains(k)) << k;
  }
  EXPECT_EQ(j["Args"], Json::array());
  EXPECT_EQ(j["Mounts"], Json::array());
  EXPECT_EQ(j["Name"], "/");
}

TEST(ContainerInspect, ConfigHasDockersMembersInDockersOrder) {
  Json cfg = container_inspect_json(full_container())["Config"];
  EXPECT_EQ(
      keys(cfg),
      (std::vector<std::string>{
          "Hostname",     "Domainname", "User",       "AttachStdin", "AttachStdout", "AttachStderr",
          "ExposedPorts", "Tty",        "OpenStdin",  "StdinOnce",   "Env",          "Cmd",
          "Healthcheck",  "Image",      "Volumes",    "WorkingDir",  "Entrypoint",   "OnBuild",
          "Labels",       "StopSignal", "StopTimeout"}));
  // Sets are printed with sorted keys, as Go prints maps.
  EXPECT_EQ(cfg["ExposedPorts"].dump(), R"({"53/udp":{},"80/tcp":{}})");
  EXPECT_EQ(cfg["Volumes"].dump(), R"({"/cache":{},"/data":{}})");
  EXPECT_EQ(cfg["Healthcheck"], Json::parse(R"({"Test":["CMD-SHELL","true"],"Interval":1000000000,)"
                                            R"("Timeout":2,"StartPeriod":3,"StartInterval":4,)"
                                            R"("Retries":5})"));
  EXPECT_TRUE(cfg["OnBuild"].is_null());
  EXPECT_EQ(cfg["StopTimeout"], 7);

  Json empty = container_inspect_json(Container{})["Config"];
  EXPECT_EQ(keys(empty), (std::vector<std::string>{
                             "Hostname", "Domainname", "User", "AttachStdin", "AttachStdout",
                             "AttachStderr", "Tty", "OpenStdin", "StdinOnce", "Env", "Cmd", "Image",
                             "Volumes", "WorkingDir", "Entrypoint", "OnBuild", "Labels"}));
  EXPECT_TRUE(empty["Env"].is_null());
  EXPECT_TRUE(empty["Cmd"].is_null());
  EXPECT_TRUE(empty["Entrypoint"].is_null());
  EXPECT_TRUE(empty["Volumes"].is_null());
  EXPECT_EQ(empty["Labels"], Json::object());
}

TEST(ContainerInspect, AnonymousVolumeBindsShowAsConfigVolumesAsDockerKeepsThem) {
  Container c;
  c.host_config.binds = {"/anon", "/src:/dst"};
  c.config.volumes = {"/image-vol"};
  Json j = container_inspect_json(c);
  EXPECT_EQ(j["HostConfig"]["Binds"], Json::parse(R"(["/src:/dst"])"));
  EXPECT_EQ(j["Config"]["Volumes"].dump(), R"({"/anon":{},"/image-vol":{}})");

  c.host_config.binds = {"/anon"};
  j = container_inspect_json(c);
  EXPECT_TRUE(j["HostConfig"]["Binds"].is_null());
}

TEST(ContainerInspect, MountPointsLeaveOutEmptyNameAndDriver) {
  Json m = container_inspect_json(full_container())["Mounts"];
  EXPECT_EQ(keys(m[0]), (std::vector<std::string>{"Type", "Name", "Source", "Destination", "Driver",
                                                  "Mode", "RW", "Propagation"}));
  EXPECT_EQ(keys(m[1]), (std::vector<std::string>{"Type", "Source", "Destination", "Mode", "RW",
                                                  "Propagation"}));
}

TEST(ContainerInspect, NetworkSettingsListTheModeAsTheOnlyNetwork) {
  Container c;
  Json n = container_inspect_json(c)["NetworkSettings"];
  EXPECT_EQ(keys(n), (std::vector<std::string>{
                         "Bridge", "SandboxID", "HairpinMode", "LinkLocalIPv6Address",
                         "LinkLocalIPv6PrefixLen", "Ports", "SandboxKey", "SecondaryIPAddresses",
                         "SecondaryIPv6Addresses", "EndpointID", "Gateway", "GlobalIPv6Address",
                         "GlobalIPv6PrefixLen", "IPAddress", "IPPrefixLen", "IPv6Gateway",
                         "MacAddress", "Networks"}));
  EXPECT_EQ(keys(n["Networks"]), std::vector<std::string>{"none"});
  EXPECT_EQ(keys(n["Networks"]["none"]),
            (std::vector<std::string>{"IPAMConfig", "Links", "Aliases", "NetworkID", "EndpointID",
                                      "Gateway", "IPAddress", "IPPrefixLen", "IPv6Gateway",
                                      "GlobalIPv6Address", "GlobalIPv6PrefixLen", "MacAddress",
                                      "DriverOpts"}));
  EXPECT_EQ(n["Ports"], Json::object());

  c.host_config.network_mode = "host";
  EXPECT_EQ(keys(container_inspect_json(c)["NetworkSettings"]["Networks"]),
            std::vector<std::string>{"host"});
  c.host_config.network_mode = "container:abc";
  EXPECT_EQ(container_inspect_json(c)["NetworkSettings"]["Networks"], Json::object());
}

}  // namespace
}  // namespace berth::engine
