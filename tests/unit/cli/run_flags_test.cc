#include "cli/commands/run_flags.h"

#include <gtest/gtest.h>

#include <memory>

namespace berth::cli {
namespace {

// A root app set up as cli/app.cc sets up berth's, with `run` and `create` beneath it.
struct Parsed {
  RunFlags run, create;
  bool ran_run = false, ran_create = false;
};

std::unique_ptr<Parsed> parse(std::vector<std::string> args) {
  auto out = std::make_unique<Parsed>();
  CLI::App app{"berth", "berth"};
  app.require_subcommand(1);
  app.fallthrough();
  std::string root;
  app.add_option("--root", root);
  app.set_version_flag("-v,--version", "berth version 0");
  CLI::App* run = app.add_subcommand("run", "Create and run a new container from an image");
  add_container_create_flags(run, out->run, true);
  run->callback([&] { out->ran_run = true; });
  CLI::App* create = app.add_subcommand("create", "Create a new container");
  add_container_create_flags(create, out->create, false);
  create->callback([&] { out->ran_create = true; });
  std::reverse(args.begin(), args.end());
  app.parse(args);
  return out;
}

// The message of the CLI::ParseError that parsing throws, or "" when it does not throw.
std::string flags_parse_error(std::vector<std::string> args) {
  try {
    parse(std::move(args));
  } catch (const CLI::ParseError& e) {
    return e.what();
  }
  return "";
}

TEST(RunFlags, EverythingAfterTheImageGoesToTheContainer) {
  auto p = parse({"run", "busybox", "ls", "-l"});
  EXPECT_TRUE(p->ran_run);
  EXPECT_EQ(p->run.image, "busybox");
  EXPECT_EQ(p->run.args, (std::vector<std::string>{"ls", "-l"}));
  EXPECT_TRUE(p->run.labels.empty());  // -l is --label only before the image
}

TEST(RunFlags, FlagLikeWordsRightAfterTheImageAreTheContainers) {
  auto p = parse({"run", "-l", "a=b", "busybox", "-l", "--rm", "-e", "X=1", "--", "-d"});
  EXPECT_EQ(p->run.labels, (std::vector<std::string>{"a=b"}));
  EXPECT_FALSE(p->run.rm);
  EXPECT_TRUE(p->run.env.empty());
  EXPECT_EQ(p->run.args, (std::vector<std::string>{"-l", "--rm", "-e", "X=1", "--", "-d"}));
}

TEST(RunFlags, DoubleDashBeforeTheImageEndsTheFlags) {
  auto p = parse({"run", "--rm", "--", "busybox", "echo", "hi"});
  EXPECT_TRUE(p->run.rm);
  EXPECT_EQ(p->run.image, "busybox");
  EXPECT_EQ(p->run.args, (std::vector<std::string>{"echo", "hi"}));
}

TEST(RunFlags, DockersFlagSyntaxIsAccepted) {
  auto p = parse({"run",       "-it",       "--rm=false",    "-d",    "-e",
                  "A=1",       "--env=B=2", "-eC=3",         "-h",    "box",
                  "-m",        "64m",       "--memory",      "128m",  "-v",
                  "/a:/b",     "-v",        "/c:/d",         "--net", "host",
                  "--dns-opt", "ndots:1",   "--memory-swap", "-1",    "--init",
                  "busybox"});
  const RunFlags& f = p->run;
  EXPECT_TRUE(f.interactive);
  EXPECT_TRUE(f.tty);
  EXPECT_FALSE(f.rm);
  EXPECT_TRUE(f.detach);
  EXPECT_EQ(f.env, (std::vector<std::string>{"A=1", "B=2", "C=3"}));
  EXPECT_EQ(f.hostname, "box");
  EXPECT_EQ(f.memory, "128m");  // the last of a repeated flag
  EXPECT_EQ(f.volumes, (std::vector<std::string>{"/a:/b", "/c:/d"}));
  EXPECT_EQ(f.network, "host");
  EXPECT_EQ(f.dns_options, (std::vector<std::string>{"ndots:1"}));
  EXPECT_EQ(f.memory_swap, "-1");
  EXPECT_EQ(f.init, true);
  EXPECT_EQ(f.image, "busybox");
  EXPECT_TRUE(f.args.empty());
}

TEST(RunFlags, OptionalFlagsTellGivenFromAbsent) {
  auto p = parse({"run", "--init=false", "--entrypoint", "", "--stop-timeout", "0", "busybox"});
  EXPECT_EQ(p->run.init, false);
  EXPECT_EQ(p->run.entrypoint, "");
  EXPECT_EQ(p->run.stop_timeout, "0");
  auto q = parse({"run", "busybox"});
  EXPECT_FALSE(q->run.init);
  EXPECT_FALSE(q->run.entrypoint);
  EXPECT_FALSE(q->run.stop_timeout);
  EXPECT_FALSE(q->run.memory);
  EXPECT_EQ(q->run.restart, "no");
  EXPECT_EQ(q->run.pull, "missing");
  EXPECT_TRUE(q->run.sig_proxy);
}

TEST(RunFlags, UsageErrorsUseDockersWords) {
  EXPECT_EQ(flags_parse_error({"run", "--foo", "busybox"}), "unknown flag: --foo");
  EXPECT_EQ(flags_parse_error({"run", "--foo=1", "busybox"}), "unknown flag: --foo");
  EXPECT_EQ(flags_parse_error({"run", "-x", "busybox"}), "unknown shorthand flag: 'x' in -x");
  EXPECT_EQ(flags_parse_error({"run"}), "'berth run' requires at least 1 argument");
  EXPECT_EQ(flags_parse_error({"create", "--rm"}), "'berth create' requires at least 1 argument");
  EXPECT_EQ(flags_parse_error({"create", "-d", "busybox"}), "unknown shorthand flag: 'd' in -d");
  EXPECT_EQ(flags_parse_error({"create", "--sig-proxy", "busybox"}), "unknown flag: --sig-proxy");
}

TEST(RunFlags, HelpIsDoubleDashOnlyBecauseDashHIsTheHostname) {
  EXPECT_THROW(parse({"run", "--help"}), CLI::CallForHelp);
  auto p = parse({"create", "-h", "web", "busybox"});
  EXPECT_TRUE(p->ran_create);
  EXPECT_EQ(p->create.hostname, "web");
}

RunEnvironment test_env() {
  RunEnvironment env;
  env.cwd = "/work/dir";
  env.lookup = [](const std::string& key) -> std::optional<std::string> {
    if (key == "FROM_HOST") {
      return std::string("yes");
    }
    return std::nullopt;
  };
  env.online_cpus = 2;
  return env;
}

RunFlags flags(std::vector<std::string> args) {
  args.insert(args.begin(), "run");
  return parse(std::move(args))->run;
}

std::string request_error(std::vector<std::string> args) {
  auto r = to_create_request(flags(std::move(args)), test_env());
  EXPECT_FALSE(r);
  return r ? "" : r.error().str();
}

TEST(RunRequest, FlagsFillDockersConfigAndHostConfig) {
  auto r = to_create_request(flags({"--name",
                                    "/web",
                                    "-e",
                                    "A=1",
                                    "-e",
                                    "FROM_HOST",
                                    "-e",
                                    "NOT_SET",
                                    "-w",
                                    "/srv/./app",
                                    "-u",
                                    "1000:1000",
                                    "-h",
                                    "box",
                                    "-l",
                                    "tier=front",
                                    "--stop-signal",
                                    "SIGINT",
                                    "--stop-timeout",
                                    "5",
                                    "-m",
                                    "64m",
                                    "--memory-swap",
                                    "128m",
                                    "--cpus",
                                    "1.5",
                                    "-c",
                                    "512",
                                    "--pids-limit",
                                    "100",
                                    "--ulimit",
                                    "nofile=100:200",
                                    "--restart",
                                    "on-failure:3",
                                    "--cap-add",
                                    "NET_ADMIN",
                                    "--cap-drop",
                                    "MKNOD",
                                    "--security-opt",
                                    "no-new-privileges",
                                    "--read-only",
                                    "--tmpfs",
                                    "/run:size=1m",
                                    "-v",
                                    "./d:/d:ro",
                                    "--mount",
                                    "type=volume,dst=/v",
                                    "--log-opt",
                                    "max-size=1m",
                                    "--shm-size",
                                    "1g",
                                    "--dns",
                                    "1.1.1.1",
                                    "--add-host",
                                    "db=10.0.0.2",
                                    "--expose",
                                    "80",
                                    "-p",
                                    "53:53/udp",
                                    "--platform",
                                    "linux/amd64",
                                    "busybox",
                                    "sh",
                                    "-c",
                                    "echo hi"}),
                             test_env());
  ASSERT_TRUE(r) << r.error().str();
  const auto& c = r->config;
  const auto& h = r->host_config;
  EXPECT_EQ(r->name, "web");
  EXPECT_EQ(r->platform, "linux/amd64");
  EXPECT_EQ(c.image, "busybox");
  EXPECT_TRUE(r->cmd_set);
  EXPECT_EQ(c.cmd, (std::vector<std::string>{"sh", "-c", "echo hi"}));
  EXPECT_FALSE(r->entrypoint_set);
  EXPECT_EQ(c.env, (std::vector<std::string>{"A=1", "FROM_HOST=yes"}));
  EXPECT_EQ(c.working_dir, "/srv/app");
  EXPECT_EQ(c.user, "1000:1000");
  EXPECT_EQ(c.hostname, "box");
  EXPECT_EQ(c.labels, (std::map<std::string, std::string>{{"tier", "front"}}));
  EXPECT_EQ(c.stop_signal, "SIGINT");
  EXPECT_EQ(c.stop_timeout, 5);
  EXPECT_EQ(c.exposed_ports, (std::vector<std::string>{"53/udp", "80/tcp"}));
  EXPECT_TRUE(c.attach_stdout && c.attach_stderr);
  EXPECT_FALSE(c.attach_stdin || c.open_stdin || c.stdin_once || c.tty);
  EXPECT_EQ(h.memory, 64 << 20);
  EXPECT_EQ(h.memory_swap, 128 << 20);
  EXPECT_EQ(h.nano_cpus, 1500000000);
  EXPECT_EQ(h.cpu_shares, 512);
  EXPECT_EQ(h.pids_limit, 100);
  ASSERT_EQ(h.ulimits.size(), 1u);
  EXPECT_EQ(h.ulimits[0].hard, 200);
  EXPECT_EQ(h.restart_policy.name, "on-failure");
  EXPECT_EQ(h.restart_policy.maximum_retry_count, 3);
  EXPECT_EQ(h.cap_add, (std::vector<std::string>{"NET_ADMIN"}));
  EXPECT_EQ(h.cap_drop, (std::vector<std::string>{"MKNOD"}));
  EXPECT_EQ(h.security_opt, (std::vector<std::string>{"no-new-privileges"}));
  EXPECT_TRUE(h.readonly_rootfs);
  EXPECT_EQ(h.tmpfs, (std::map<std::string, std::string>{{"/run", "size=1m"}}));
  EXPECT_EQ(h.binds, (std::vector<std::string>{"/work/dir/d:/d:ro"}));
  ASSERT_EQ(h.mounts.size(), 1u);
  EXPECT_EQ(h.mounts[0].target, "/v");
  EXPECT_EQ(h.log_config.type, "json-file");
  EXPECT_EQ(h.log_config.config.at("max-size"), "1m");
  EXPECT_EQ(h.shm_size, int64_t{1} << 30);
  EXPECT_EQ(h.dns, (std::vector<std::string>{"1.1.1.1"}));
  EXPECT_EQ(h.extra_hosts, (std::vector<std::string>{"db:10.0.0.2"}));
  EXPECT_EQ(h.network_mode, "bridge");
  EXPECT_FALSE(h.init);
  EXPECT_FALSE(h.auto_remove);
}

TEST(RunRequest, DefaultsAreDockers) {
  auto r = to_create_request(flags({"busybox"}), test_env());
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_FALSE(r->cmd_set);
  EXPECT_TRUE(r->config.cmd.empty());
  EXPECT_FALSE(r->config.healthcheck);
  EXPECT_FALSE(r->no_healthcheck);
  EXPECT_EQ(r->host_config.network_mode, "bridge");
  EXPECT_EQ(r->host_config.restart_policy.name, "no");
  EXPECT_EQ(r->host_config.shm_size, 64 << 20);
  EXPECT_FALSE(r->host_config.pids_limit);
  EXPECT_FALSE(r->config.stop_timeout);
}

TEST(RunRequest, EntrypointEmptyClearsTheImages) {
  auto r = to_create_request(flags({"--entrypoint", "", "busybox"}), test_env());
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(r->entrypoint_set);
  ASSERT_TRUE(r->config.entrypoint);
  EXPECT_TRUE(r->config.entrypoint->empty());
  auto e =
      to_create_request(flags({"--entrypoint", "/bin/sh", "busybox", "-c", "true"}), test_env());
  ASSERT_TRUE(e) << e.error().str();
  EXPECT_EQ(*e->config.entrypoint, (std::vector<std::string>{"/bin/sh"}));
  EXPECT_EQ(e->config.cmd, (std::vector<std::string>{"-c", "true"}));
}

TEST(RunRequest, HealthFlagsBuildAShellHealthcheck) {
  auto r = to_create_request(
      flags({"--health-cmd", "wget -q localhost", "--health-interval", "5s", "--health-timeout",
             "2s", "--health-retries", "3", "--health-start-period", "1m",
             "--health-start-interval", "500ms", "busybox"}),
      test_env());
  ASSERT_TRUE(r) << r.error().str();
  ASSERT_TRUE(r->config.healthcheck);
  const auto& h = *r->config.healthcheck;
  EXPECT_EQ(h.test, (std::vector<std::string>{"CMD-SHELL", "wget -q localhost"}));
  EXPECT_EQ(h.interval, 5000000000);
  EXPECT_EQ(h.timeout, 2000000000);
  EXPECT_EQ(h.retries, 3);
  EXPECT_EQ(h.start_period, 60000000000);
  EXPECT_EQ(h.start_interval, 500000000);
  auto only_retries = to_create_request(flags({"--health-retries", "2", "busybox"}), test_env());
  ASSERT_TRUE(only_retries);
  EXPECT_TRUE(only_retries->config.healthcheck->test.empty());  // the image's test stays
  auto none = to_create_request(flags({"--no-healthcheck", "busybox"}), test_env());
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->no_healthcheck);
  EXPECT_EQ(none->config.healthcheck->test, (std::vector<std::string>{"NONE"}));
}

TEST(RunRequest, AttachAndStdinFollowDocker) {
  auto it = to_create_request(flags({"-it", "busybox"}), test_env());
  ASSERT_TRUE(it);
  EXPECT_TRUE(it->config.attach_stdin && it->config.open_stdin && it->config.stdin_once);
  EXPECT_TRUE(it->config.tty);
  auto detached = to_create_request(flags({"-d", "-i", "busybox"}), test_env());
  ASSERT_TRUE(detached);
  EXPECT_TRUE(detached->config.open_stdin);
  EXPECT_FALSE(detached->config.attach_stdin || detached->config.attach_stdout ||
               detached->config.stdin_once);
  auto err_only = to_create_request(flags({"-a", "STDERR", "busybox"}), test_env());
  ASSERT_TRUE(err_only);
  EXPECT_TRUE(err_only->config.attach_stderr);
  EXPECT_FALSE(err_only->config.attach_stdout);
}

TEST(RunRequest, DockersConflictsAreRefused) {
  EXPECT_EQ(request_error({"--rm", "--restart", "always", "busybox"}),
            "conflicting options: cannot specify both --restart and --rm");
  EXPECT_EQ(request_error({"--no-healthcheck", "--health-cmd", "true", "busybox"}),
            "--no-healthcheck conflicts with --health-* options");
  EXPECT_EQ(request_error({"-d", "-a", "stdout", "busybox"}),
            "conflicting options: cannot specify both --attach and --detach");
  EXPECT_EQ(request_error({"-m", "64m", "--memory-swap", "32m", "busybox"}),
            "Minimum memoryswap limit should be larger than memory limit, see usage");
  EXPECT_EQ(request_error({"--memory-swap", "32m", "busybox"}),
            "You should always set the Memory limit when using Memoryswap limit, see usage");
  EXPECT_EQ(request_error({"--cpus", "1", "--cpu-period", "100000", "busybox"}),
            "Conflicting options: Nano CPUs and CPU Period cannot both be set");
  EXPECT_EQ(request_error({"-v", "/a:/data", "--tmpfs", "/data", "busybox"}),
            "Duplicate mount point: /data");
  EXPECT_TRUE(to_create_request(flags({"--rm", "--restart", "no", "busybox"}), test_env()));
}

TEST(RunRequest, BadValuesGiveDockersErrors) {
  EXPECT_EQ(request_error({"--memory", "12q", "busybox"}),
            "invalid argument \"12q\" for \"-m, --memory\" flag: invalid suffix: 'q'");
  EXPECT_EQ(request_error({"-m", "1k", "busybox"}), "Minimum memory limit allowed is 6MB");
  EXPECT_EQ(request_error({"--cpus", "3", "busybox"}),
            "range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available");
  EXPECT_EQ(request_error({"--pids-limit", "x", "busybox"}),
            "invalid argument \"x\" for \"--pids-limit\" flag: strconv.ParseInt: parsing \"x\": "
            "invalid syntax");
  EXPECT_EQ(request_error({"--health-interval", "-1s", "busybox"}),
            "--health-interval cannot be negative");
  EXPECT_EQ(request_error({"--health-interval", "10us", "busybox"}),
            "Interval in Healthcheck cannot be less than 1ms");
  EXPECT_EQ(request_error({"--stop-signal", "FOO", "busybox"}), "invalid signal: FOO");
  EXPECT_EQ(request_error({"--name", "a b", "busybox"}),
            "Invalid container name (a b), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  EXPECT_EQ(request_error({"-w", "rel", "busybox"}),
            "the working directory 'rel' is invalid, it needs to be an absolute path");
  EXPECT_EQ(request_error({"-a", "foo", "busybox"}),
            "invalid argument \"foo\" for \"-a, --attach\" flag: valid streams are STDIN, STDOUT "
            "and STDERR");
  EXPECT_EQ(request_error({"--pull", "sometimes", "busybox"}),
            "invalid pull option: 'sometimes': must be one of \"always\", \"missing\" or "
            "\"never\"");
  EXPECT_EQ(request_error({"--log-driver", "none", "--log-opt", "max-size=1m", "busybox"}),
            "invalid logging opts for driver none");
  EXPECT_EQ(request_error({"--cap-add", "FOO", "busybox"}),
            "invalid CapAdd: unknown capability: \"CAP_FOO\"");
  EXPECT_EQ(request_error({"--cpu-shares", "-2", "busybox"}),
            "invalid CPU shares (-2): value must be a positive integer");
  EXPECT_EQ(request_error({"--network", "container:web", "-p", "80:80", "busybox"}),
            "conflicting options: port publishing and the container type network mode");
}

TEST(RunRequest, PidsLimitOfZeroOrLessIsUnlimited) {
  auto r = to_create_request(flags({"--pids-limit", "-1", "busybox"}), test_env());
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_FALSE(r->host_config.pids_limit);
}

TEST(RunRequest, EnvFilesComeBeforeEnvFlags) {
  char tmpl[] = "/tmp/berth-run-flags-XXXXXX";
  int fd = ::mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  std::string text = "A=file\nB=file\nFROM_HOST\n";
  ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(fd);
  auto r = to_create_request(flags({"--env-file", tmpl, "-e", "B=flag", "busybox"}), test_env());
  ::unlink(tmpl);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->config.env,
            (std::vector<std::string>{"A=file", "B=file", "FROM_HOST=yes", "B=flag"}));
}

}  // namespace
}  // namespace berth::cli
