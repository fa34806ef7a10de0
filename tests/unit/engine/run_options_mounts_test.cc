// -v, --mount, --tmpfs and the network flags of engine/run_options.h.
#include <gtest/gtest.h>

#include "engine/run_options.h"
#include "unit/engine/error_of.h"

namespace berth::engine {
namespace {

TEST(VolumeFlag, BindsNamedAndAnonymousVolumesAreTold) {
  auto bind = parse_volume_flag("/host/data/:/data");
  ASSERT_TRUE(bind) << bind.error().str();
  EXPECT_EQ(bind->type, "bind");
  EXPECT_EQ(bind->source, "/host/data");
  EXPECT_EQ(bind->target, "/data");
  EXPECT_FALSE(bind->read_only);
  auto ro = parse_volume_flag("/h:/c:ro,rshared");
  ASSERT_TRUE(ro) << ro.error().str();
  EXPECT_TRUE(ro->read_only);
  EXPECT_EQ(ro->mode, "ro,rshared");
  EXPECT_EQ(ro->propagation, "rshared");
  auto named = parse_volume_flag("cache_1.x:/var/cache:ro,nocopy");
  ASSERT_TRUE(named) << named.error().str();
  EXPECT_EQ(named->type, "volume");
  EXPECT_EQ(named->source, "cache_1.x");
  EXPECT_TRUE(named->read_only);
  EXPECT_TRUE(named->nocopy);
  auto anon = parse_volume_flag("/scratch");
  ASSERT_TRUE(anon) << anon.error().str();
  EXPECT_EQ(anon->type, "volume");
  EXPECT_EQ(anon->source, "");
  EXPECT_EQ(anon->target, "/scratch");
}

TEST(VolumeFlag, RelativeHostPathsAreMadeAbsoluteAgainstTheWorkingDirectory) {
  auto v = parse_volume_flag("./data:/data", "/home/me/project");
  ASSERT_TRUE(v) << v.error().str();
  EXPECT_EQ(v->type, "bind");
  EXPECT_EQ(v->source, "/home/me/project/data");
  auto up = parse_volume_flag("../x:/x", "/home/me/project");
  ASSERT_TRUE(up) << up.error().str();
  EXPECT_EQ(up->source, "/home/me/x");
}

TEST(VolumeFlag, BadSpecsGiveDockersErrors) {
  EXPECT_EQ(error_of(parse_volume_flag("")), "invalid empty volume spec");
  EXPECT_EQ(error_of(parse_volume_flag(":/x")), "invalid spec: :/x: empty section between colons");
  EXPECT_EQ(error_of(parse_volume_flag("/a:/b:/c:d")), "invalid spec: /a:/b:/c:d: too many colons");
  EXPECT_EQ(error_of(parse_volume_flag("/data:ro")), "invalid volume specification: '/data:ro'");
  EXPECT_EQ(error_of(parse_volume_flag("/a:/b:xyz")), "invalid mode: xyz");
  EXPECT_EQ(error_of(parse_volume_flag("/a:/b:ro,rw")), "invalid mode: ro,rw");
  EXPECT_EQ(error_of(parse_volume_flag("/a:/")),
            "invalid volume specification: '/a:/': invalid mount config for type \"bind\": "
            "invalid specification: destination can't be '/'");
  EXPECT_EQ(error_of(parse_volume_flag("/a:b")),
            "invalid volume specification: '/a:b': invalid mount config for type \"bind\": "
            "invalid mount path: 'b' mount path must be absolute");
  EXPECT_EQ(error_of(parse_volume_flag("data")),
            "invalid volume specification: 'data': invalid mount config for type \"volume\": "
            "invalid mount path: 'data' mount path must be absolute");
  EXPECT_EQ(error_of(parse_volume_flag("name:/x:rshared")),
            "invalid volume specification: 'name:/x:rshared': invalid mount config for type "
            "\"volume\": field BindOptions must not be specified");
  EXPECT_EQ(error_of(parse_volume_flag("/a:/x:nocopy")),
            "invalid volume specification: '/a:/x:nocopy': invalid mount config for type "
            "\"bind\": field VolumeOptions must not be specified");
  EXPECT_EQ(error_of(parse_volume_flag("a b:/x")),
            "create a b: \"a b\" includes invalid characters for a local volume name, only "
            "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host "
            "directory, use absolute path");
  EXPECT_EQ(error_of(parse_volume_flag("a:/x")),
            "create a: volume name is too short, names should be at least two alphanumeric "
            "characters");
  EXPECT_FALSE(parse_volume_flag("./rel:/x"));  // no working directory given
}

TEST(MountFlag, BindVolumeAndTmpfsMountsAreParsed) {
  auto bind = parse_mount_flag("type=bind,src=/h/,dst=/c,ro,bind-propagation=rshared");
  ASSERT_TRUE(bind) << bind.error().str();
  EXPECT_EQ(bind->type, "bind");
  EXPECT_EQ(bind->source, "/h");
  EXPECT_EQ(bind->target, "/c");
  EXPECT_TRUE(bind->read_only);
  EXPECT_EQ(bind->bind_propagation, "rshared");
  auto nonrec =
      parse_mount_flag("type=bind,source=/h,target=/c,readonly=false,bind-recursive=disabled");
  ASSERT_TRUE(nonrec) << nonrec.error().str();
  EXPECT_FALSE(nonrec->read_only);
  EXPECT_TRUE(nonrec->bind_nonrecursive);
  auto vol = parse_mount_flag("source=data,destination=/d,volume-nocopy,volume-label=a=b");
  ASSERT_TRUE(vol) << vol.error().str();
  EXPECT_EQ(vol->type, "volume");
  EXPECT_EQ(vol->source, "data");
  EXPECT_TRUE(vol->volume_nocopy);
  EXPECT_EQ(vol->volume_labels, (std::map<std::string, std::string>{{"a", "b"}}));
  auto anon = parse_mount_flag("type=volume,dst=/anon");
  ASSERT_TRUE(anon) << anon.error().str();
  EXPECT_EQ(anon->source, "");
  auto tmp = parse_mount_flag("type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1770");
  ASSERT_TRUE(tmp) << tmp.error().str();
  EXPECT_EQ(tmp->tmpfs_size, 64 << 20);
  EXPECT_EQ(tmp->tmpfs_mode, 01770u);
  auto quoted = parse_mount_flag("type=bind,\"src=/a,b\",dst=/x");
  ASSERT_TRUE(quoted) << quoted.error().str();
  EXPECT_EQ(quoted->source, "/a,b");
  auto rel = parse_mount_flag("type=bind,src=./d,dst=/d", "/w");
  ASSERT_TRUE(rel) << rel.error().str();
  EXPECT_EQ(rel->source, "/w/d");
  auto rro = parse_mount_flag(
      "type=bind,src=/a,dst=/b,ro,bind-propagation=rprivate,bind-recursive=readonly");
  EXPECT_TRUE(rro) << rro.error().str();
}

TEST(MountFlag, BadMountsGiveDockersCliErrors) {
  auto cli = [](std::string_view v, std::string_view why) {
    return "invalid argument \"" + std::string(v) + "\" for \"--mount\" flag: " + std::string(why);
  };
  for (const auto& [value, why] : std::vector<std::pair<std::string, std::string>>{
           {"", "EOF"},
           {"foo", "invalid field 'foo' must be a key=value pair"},
           {"foo=bar", "unexpected key 'foo' in 'foo=bar'"},
           {"type=tmpfs,dst=/x,bind-propagation=rshared",
            "cannot mix 'bind-*' options with mount type 'tmpfs'"},
           {"type=bind,src=/a,dst=/x,volume-nocopy",
            "cannot mix 'volume-*' options with mount type 'bind'"},
           {"dst=/x,tmpfs-size=1q", "invalid value for tmpfs-size: 1q"},
           {"type=tmpfs,dst=/x,tmpfs-mode=999", "invalid value for tmpfs-mode: 999"},
           {"ro=maybe,dst=/x", "invalid value for ro: maybe"},
           {"type=bind,src=/a,dst=/b,bind-recursive=x",
            "invalid value for bind-recursive: x (must be \"enabled\", \"disabled\", "
            "\"writable\", or \"readonly\")"},
           {"type=bind,src=/a,dst=/b,bind-recursive=readonly",
            "option 'bind-recursive=readonly' requires 'readonly' to be specified in conjunction"},
           {"src=/a", "target is required"},
           {"type=,dst=/a", "type is required"},
           {"dst=/a,volume-subpath=x", "volume-subpath is not supported by berth yet"},
       }) {
    EXPECT_EQ(error_of(parse_mount_flag(value)), cli(value, why)) << value;
  }
}

TEST(MountFlag, BadMountsGiveDockersDaemonErrors) {
  EXPECT_EQ(error_of(parse_mount_flag("type=bind,dst=/x")),
            "invalid mount config for type \"bind\": field Source must not be empty");
  EXPECT_EQ(error_of(parse_mount_flag("type=bind,src=rel,dst=/x")),
            "invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must "
            "be absolute");
  EXPECT_EQ(error_of(parse_mount_flag("type=bind,src=/a,dst=/x,bind-propagation=odd")),
            "invalid mount config for type \"bind\": invalid propagation mode: odd");
  EXPECT_EQ(error_of(parse_mount_flag("type=tmpfs,src=/a,dst=/x")),
            "invalid mount config for type \"tmpfs\": field Source must not be specified");
  EXPECT_EQ(error_of(parse_mount_flag("type=foo,dst=/x")),
            "invalid mount config for type \"foo\": mount type unknown");
  EXPECT_EQ(error_of(parse_mount_flag("type=volume,dst=/")),
            "invalid mount config for type \"volume\": invalid specification: destination can't "
            "be '/'");
  EXPECT_EQ(error_of(parse_mount_flag("type=volume,src=a b,dst=/x")).rfind("create a b: ", 0), 0u);
}

TEST(TmpfsFlag, PathAndOptionsAreSplitAndChecked) {
  auto t = parse_tmpfs_flag("/run:size=64m,mode=755,noexec");
  ASSERT_TRUE(t) << t.error().str();
  EXPECT_EQ(t->first, "/run");
  EXPECT_EQ(t->second, "size=64m,mode=755,noexec");
  auto bare = parse_tmpfs_flag("/tmp");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->second, "");
  EXPECT_EQ(error_of(parse_tmpfs_flag("run")),
            "invalid mount path: 'run' mount path must be absolute");
  EXPECT_EQ(error_of(parse_tmpfs_flag("/")), "invalid specification: destination can't be '/'");
  EXPECT_EQ(error_of(parse_tmpfs_flag("/x:foo")), "invalid tmpfs option \"foo\"");
  EXPECT_EQ(error_of(parse_tmpfs_flag("/x:size")), "invalid tmpfs option \"size\"");
  EXPECT_EQ(error_of(parse_tmpfs_flag("/x:colour=red")), "invalid tmpfs option \"colour\"");
}

TEST(NetworkFlags, TheDefaultIsDockersBridge) {
  EXPECT_EQ(*parse_network_mode(""), "bridge");
  EXPECT_EQ(*parse_network_mode("default"), "bridge");
  EXPECT_EQ(*parse_network_mode("none"), "none");
  EXPECT_EQ(*parse_network_mode("host"), "host");
  EXPECT_EQ(*parse_network_mode("backend"), "backend");
  EXPECT_EQ(*parse_network_mode("container:abc"), "container:abc");
  EXPECT_EQ(error_of(parse_network_mode("container:")),
            "invalid container format container:<name|id>");
}

TEST(NetworkFlags, DnsSearchDomainsAndExtraHostsAreValidated) {
  EXPECT_EQ(*parse_dns("8.8.8.8"), "8.8.8.8");
  EXPECT_EQ(*parse_dns(" 0:0::1 "), "::1");
  EXPECT_EQ(error_of(parse_dns("x")),
            "invalid argument \"x\" for \"--dns\" flag: IP address is not correctly formatted: x");
  EXPECT_EQ(*parse_dns_search("example.com."), "example.com");
  EXPECT_EQ(*parse_dns_search("."), ".");
  EXPECT_EQ(error_of(parse_dns_search("-x")),
            "invalid argument \"-x\" for \"--dns-search\" flag: -x is not a valid domain");
  EXPECT_FALSE(parse_dns_search("123"));
  EXPECT_EQ(*parse_add_host("db:10.0.0.2"), "db:10.0.0.2");
  EXPECT_EQ(*parse_add_host("db=::1"), "db:::1");
  EXPECT_EQ(*parse_add_host("db:[::1]"), "db:::1");
  EXPECT_EQ(*parse_add_host("gw:host-gateway"), "gw:host-gateway");
  EXPECT_EQ(error_of(parse_add_host("foo")),
            "invalid argument \"foo\" for \"--add-host\" flag: bad format for add-host: \"foo\"");
  EXPECT_EQ(error_of(parse_add_host("db:nope")),
            "invalid argument \"db:nope\" for \"--add-host\" flag: invalid IP address in "
            "add-host: \"nope\"");
}

TEST(NetworkFlags, ExposedAndPublishedPortsBecomeExposedPorts) {
  EXPECT_EQ(*parse_expose("80"), (std::vector<std::string>{"80/tcp"}));
  EXPECT_EQ(*parse_expose("53/udp"), (std::vector<std::string>{"53/udp"}));
  EXPECT_EQ(*parse_expose("8000-8002/tcp"),
            (std::vector<std::string>{"8000/tcp", "8001/tcp", "8002/tcp"}));
  EXPECT_EQ(error_of(parse_expose("80:90")), "invalid port format for --expose: 80:90");
  EXPECT_EQ(error_of(parse_expose("70000")),
            "invalid range format for --expose: 70000, error: strconv.ParseUint: parsing "
            "\"70000\": value out of range");
  EXPECT_EQ(error_of(parse_expose("abc")),
            "invalid range format for --expose: abc, error: strconv.ParseUint: parsing \"abc\": "
            "invalid syntax");
  EXPECT_EQ(*parse_publish("8080:80"), (std::vector<std::string>{"80/tcp"}));
  EXPECT_EQ(*parse_publish("127.0.0.1:8080:80/UDP"), (std::vector<std::string>{"80/udp"}));
  EXPECT_EQ(*parse_publish("[::1]:53:53/udp"), (std::vector<std::string>{"53/udp"}));
  EXPECT_EQ(*parse_publish("published=8080,target=80,protocol=sctp"),
            (std::vector<std::string>{"80/sctp"}));
  EXPECT_EQ(error_of(parse_publish("abc")), "invalid containerPort: abc");
  EXPECT_EQ(error_of(parse_publish("1.2.3.4:80")), "invalid hostPort: 1.2.3.4");
  EXPECT_EQ(error_of(parse_publish("99999")), "invalid containerPort: 99999");
  EXPECT_EQ(error_of(parse_publish("80/foo")), "invalid proto: foo");
  EXPECT_EQ(error_of(parse_publish("8080-8081:80-82")),
            "invalid ranges specified for container and host Ports: 80-82 and 8080-8081");
}

TEST(RunOptionsNet, PublishGivesDockersPortBindings) {
  using B = std::vector<PortBinding>;
  EXPECT_EQ(*parse_port_bindings("8080:80"), (B{{"80/tcp", "", "8080"}}));
  EXPECT_EQ(*parse_port_bindings("127.0.0.1::53/udp"), (B{{"53/udp", "127.0.0.1", ""}}));
  EXPECT_EQ(*parse_port_bindings("80"), (B{{"80/tcp", "", ""}}));
  EXPECT_EQ(*parse_port_bindings("8000-8001:80-81"),
            (B{{"80/tcp", "", "8000"}, {"81/tcp", "", "8001"}}));
  EXPECT_EQ(*parse_port_bindings("8000-8010:80"), (B{{"80/tcp", "", "8000-8010"}}))
      << "one container port, a host range to pick a free port from";
  EXPECT_EQ(error_of(parse_port_bindings("abc")), "invalid containerPort: abc");
}

}  // namespace
}  // namespace berth::engine
