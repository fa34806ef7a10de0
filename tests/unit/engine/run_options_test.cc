#include "engine/run_options.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "base/fs.h"
#include "unit/engine/error_of.h"
#include "unit/store/temp_dir.h"

namespace berth::engine {
namespace {

using testing::TempDir;

EnvLookup fake_env() {
  return [](const std::string& key) -> std::optional<std::string> {
    if (key == "HOME_DIR") {
      return std::string("/home/me");
    }
    if (key == "EMPTY") {
      return std::string();
    }
    return std::nullopt;
  };
}

TEST(RunOptions, BytesUseBinaryUnitsLikeDockersRamInBytes) {
  EXPECT_EQ(*parse_bytes("12m", "-m, --memory"), 12 * 1024 * 1024);
  EXPECT_EQ(*parse_bytes("1g", "-m, --memory"), int64_t{1} << 30);
  EXPECT_EQ(*parse_bytes("512k", "-m, --memory"), 512 * 1024);
  EXPECT_EQ(*parse_bytes("100b", "-m, --memory"), 100);
  EXPECT_EQ(*parse_bytes("4096", "-m, --memory"), 4096);
  EXPECT_EQ(*parse_bytes("1.5G", "-m, --memory"), int64_t{3} << 29);
  EXPECT_EQ(*parse_bytes("2 GiB", "-m, --memory"), int64_t{2} << 30);
  EXPECT_EQ(*parse_bytes("64MB", "-m, --memory"), 64 << 20);
  EXPECT_EQ(*parse_decimal_bytes("10m"), 10000000);
  EXPECT_EQ(*parse_memory_swap("-1"), -1);
  EXPECT_EQ(*parse_memory_swap("1g"), int64_t{1} << 30);
}

TEST(RunOptions, BadSizesGiveDockersFlagErrorText) {
  EXPECT_EQ(error_of(parse_bytes("12q", "-m, --memory")),
            "invalid argument \"12q\" for \"-m, --memory\" flag: invalid suffix: 'q'");
  EXPECT_EQ(error_of(parse_bytes("-1", "-m, --memory")),
            "invalid argument \"-1\" for \"-m, --memory\" flag: invalid size: '-1'");
  EXPECT_EQ(error_of(parse_bytes("abc", "--shm-size")),
            "invalid argument \"abc\" for \"--shm-size\" flag: invalid size: 'abc'");
  EXPECT_EQ(error_of(parse_bytes("", "--shm-size")),
            "invalid argument \"\" for \"--shm-size\" flag: invalid size: ''");
  EXPECT_EQ(error_of(parse_bytes("1.2.3", "-m, --memory")),
            "invalid argument \"1.2.3\" for \"-m, --memory\" flag: strconv.ParseFloat: parsing "
            "\"1.2.3\": invalid syntax");
  EXPECT_EQ(error_of(parse_bytes("1kbb", "-m, --memory")),
            "invalid argument \"1kbb\" for \"-m, --memory\" flag: invalid suffix: 'kbb'");
  EXPECT_EQ(error_of(parse_memory_swap("1q")),
            "invalid argument \"1q\" for \"--memory-swap\" flag: invalid suffix: 'q'");
}

TEST(RunOptions, CpusBecomeNanoCpus) {
  EXPECT_EQ(*parse_cpus("1.5"), 1500000000);
  EXPECT_EQ(*parse_cpus("2"), 2000000000);
  EXPECT_EQ(*parse_cpus("0.000000001"), 1);
  EXPECT_EQ(*parse_cpus("3/2"), 1500000000);
  EXPECT_EQ(*parse_cpus("1e-3"), 1000000);
  EXPECT_EQ(*parse_cpus(".5"), 500000000);
  EXPECT_EQ(*parse_cpus("0"), 0);
  EXPECT_EQ(*parse_cpus("1.50000000000"), 1500000000);
  EXPECT_EQ(error_of(parse_cpus("abc")),
            "invalid argument \"abc\" for \"--cpus\" flag: failed to parse abc as a rational "
            "number");
  EXPECT_EQ(error_of(parse_cpus("0.0000000001")),
            "invalid argument \"0.0000000001\" for \"--cpus\" flag: value is too precise");
  EXPECT_EQ(error_of(parse_cpus("1/3")),
            "invalid argument \"1/3\" for \"--cpus\" flag: value is too precise");
  EXPECT_FALSE(parse_cpus("1/0"));
  EXPECT_FALSE(parse_cpus(""));
}

TEST(RunOptions, IntegersFollowGoParseIntWithBaseZero) {
  EXPECT_EQ(*parse_int_flag("10", "--pids-limit"), 10);
  EXPECT_EQ(*parse_int_flag("-1", "--pids-limit"), -1);
  EXPECT_EQ(*parse_int_flag("0x10", "--pids-limit"), 16);
  EXPECT_EQ(*parse_int_flag("010", "--pids-limit"), 8);
  EXPECT_EQ(*parse_int_flag("9223372036854775807", "--pids-limit"), INT64_MAX);
  EXPECT_EQ(*parse_int_flag("-9223372036854775808", "--pids-limit"), INT64_MIN);
  EXPECT_EQ(error_of(parse_int_flag("x", "--pids-limit")),
            "invalid argument \"x\" for \"--pids-limit\" flag: strconv.ParseInt: parsing \"x\": "
            "invalid syntax");
  EXPECT_EQ(error_of(parse_int_flag("9223372036854775808", "--stop-timeout")),
            "invalid argument \"9223372036854775808\" for \"--stop-timeout\" flag: "
            "strconv.ParseInt: parsing \"9223372036854775808\": value out of range");
  EXPECT_FALSE(parse_int_flag("", "--stop-timeout"));
  EXPECT_FALSE(parse_int_flag("08", "--stop-timeout"));
}

TEST(RunOptions, DurationsFollowGoParseDuration) {
  const int64_t s = 1000000000;
  EXPECT_EQ(*parse_go_duration("1m30s", "--health-interval"), 90 * s);
  EXPECT_EQ(*parse_go_duration("500ms", "--health-interval"), s / 2);
  EXPECT_EQ(*parse_go_duration("2h", "--health-interval"), 7200 * s);
  EXPECT_EQ(*parse_go_duration("0s", "--health-interval"), 0);
  EXPECT_EQ(*parse_go_duration("0", "--health-interval"), 0);
  EXPECT_EQ(*parse_go_duration("1.5h", "--health-interval"), 5400 * s);
  EXPECT_EQ(*parse_go_duration("-2s", "--health-interval"), -2 * s);
  EXPECT_EQ(*parse_go_duration("1h2m3s4ms5us6ns", "--health-interval"),
            3723 * s + 4000000 + 5000 + 6);
  EXPECT_EQ(*parse_go_duration("3\xc2\xb5s", "--health-interval"), 3000);
  EXPECT_EQ(*parse_go_duration(".5s", "--health-interval"), s / 2);
  EXPECT_EQ(error_of(parse_go_duration("5x", "--health-interval")),
            "invalid argument \"5x\" for \"--health-interval\" flag: time: unknown unit \"x\" in "
            "duration \"5x\"");
  EXPECT_EQ(error_of(parse_go_duration("5", "--health-timeout")),
            "invalid argument \"5\" for \"--health-timeout\" flag: time: missing unit in duration "
            "\"5\"");
  EXPECT_EQ(error_of(parse_go_duration("", "--health-timeout")),
            "invalid argument \"\" for \"--health-timeout\" flag: time: invalid duration \"\"");
  EXPECT_FALSE(parse_go_duration(".s", "--health-timeout"));
  EXPECT_FALSE(parse_go_duration("s", "--health-timeout"));
  EXPECT_FALSE(parse_go_duration("3000000h", "--health-timeout"));
}

TEST(RunOptions, SignalsAreReadByNameOrNumber) {
  EXPECT_EQ(*parse_signal("SIGTERM"), 15);
  EXPECT_EQ(*parse_signal("TERM"), 15);
  EXPECT_EQ(*parse_signal("term"), 15);
  EXPECT_EQ(*parse_signal("15"), 15);
  EXPECT_EQ(*parse_signal("sigkill"), 9);
  EXPECT_EQ(*parse_signal("SIGRTMIN+3"), 37);
  EXPECT_EQ(*parse_signal("RTMIN"), 34);
  EXPECT_EQ(*parse_signal("RTMAX-2"), 62);
  EXPECT_EQ(*parse_signal("SIGIOT"), 6);
  for (const char* bad : {"FOO", "0", "65", "SIGRTMIN+16", "RTMAX-15", "", "SIG", "-3"}) {
    EXPECT_EQ(error_of(parse_signal(bad)), std::string("invalid signal: ") + bad) << bad;
  }
}

TEST(RunOptions, SignalNamesRoundTrip) {
  EXPECT_EQ(signal_name(15), "SIGTERM");
  EXPECT_EQ(signal_name(6), "SIGABRT");
  EXPECT_EQ(signal_name(17), "SIGCHLD");
  EXPECT_EQ(signal_name(37), "SIGRTMIN+3");
  EXPECT_EQ(signal_name(62), "SIGRTMAX-2");
  EXPECT_EQ(signal_name(64), "SIGRTMAX");
  EXPECT_EQ(signal_name(99), "99");
  for (int sig = 1; sig <= 64; ++sig) {
    if (sig == 32 || sig == 33) {
      continue;  // glibc's own real-time signals, which docker does not name
    }
    auto back = parse_signal(signal_name(sig));
    ASSERT_TRUE(back) << sig;
    EXPECT_EQ(*back, sig);
  }
}

TEST(RunOptions, RestartPoliciesAreDockers) {
  EXPECT_EQ(parse_restart_policy("no")->name, "no");
  EXPECT_EQ(parse_restart_policy("")->name, "no");
  EXPECT_EQ(parse_restart_policy("always")->name, "always");
  EXPECT_EQ(parse_restart_policy("unless-stopped")->name, "unless-stopped");
  auto of = parse_restart_policy("on-failure");
  EXPECT_EQ(of->name, "on-failure");
  EXPECT_EQ(of->maximum_retry_count, 0);
  EXPECT_EQ(parse_restart_policy("on-failure:3")->maximum_retry_count, 3);
  EXPECT_EQ(error_of(parse_restart_policy("on-failure:x")),
            "invalid restart policy format: maximum retry count must be an integer");
  EXPECT_EQ(error_of(parse_restart_policy(":3")),
            "invalid restart policy format: no policy provided before colon");
  EXPECT_EQ(error_of(parse_restart_policy("always:3")),
            "invalid restart policy: maximum retry count can only be used with 'on-failure'");
  EXPECT_EQ(error_of(parse_restart_policy("no:-1")),
            "invalid restart policy: maximum retry count can only be used with 'on-failure' and "
            "cannot be negative");
  EXPECT_EQ(error_of(parse_restart_policy("on-failure:-2")),
            "invalid restart policy: maximum retry count cannot be negative");
  EXPECT_EQ(error_of(parse_restart_policy("sometimes")),
            "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', "
            "'on-failure', or 'unless-stopped'");
}

TEST(RunOptions, ContainerNamesAndHostnamesAreCheckedAsDockerDoes) {
  EXPECT_EQ(*validate_container_name("web-1.a_b"), "web-1.a_b");
  EXPECT_EQ(*validate_container_name("/web"), "web");
  EXPECT_EQ(error_of(validate_container_name("x y")),
            "Invalid container name (x y), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  EXPECT_EQ(error_of(validate_container_name("a")),
            "Invalid container name (a), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  EXPECT_FALSE(validate_container_name("-web"));
  EXPECT_FALSE(validate_container_name("/"));
  EXPECT_TRUE(validate_hostname(std::string(64, 'h')));
  EXPECT_TRUE(validate_hostname(""));
  std::string long_name(65, 'h');
  EXPECT_EQ(error_of(validate_hostname(long_name)),
            "hostname \"" + long_name + "\" is too long (maximum 64 bytes)");
}

TEST(RunOptions, EnvFilesFollowDockersRules) {
  std::string text =
      "\xef\xbb\xbf# comment\n"
      "A=1\n"
      "\n"
      "   B=two words  \n"
      "C=\"quoted\"\r\n"
      "HOME_DIR\n"
      "UNSET_ONE\n"
      "EMPTY\n"
      "D=\n"
      "\t# indented comment\n"
      "E=x=y";
  auto env = parse_env_text(text, "f.env", fake_env());
  ASSERT_TRUE(env) << env.error().str();
  EXPECT_EQ(*env, (std::vector<std::string>{"A=1", "B=two words  ", "C=\"quoted\"",
                                            "HOME_DIR=/home/me", "EMPTY=", "D=", "E=x=y"}));
}

TEST(RunOptions, EnvFileErrorsNameTheFile) {
  EXPECT_EQ(error_of(parse_env_text("A=1\na b=2\n", "f.env", fake_env())),
            "invalid env file (f.env): variable 'a b' contains whitespaces");
  EXPECT_EQ(error_of(parse_env_text("=x\n", "f.env", fake_env())),
            "invalid env file (f.env): no variable name on line '=x'");
  EXPECT_EQ(error_of(parse_env_text("A=1\nB=\xff\n", "f.env", fake_env())),
            "invalid env file (f.env): invalid utf8 bytes at line 2: [66 61 255]");
  auto missing = parse_env_file("/nonexistent/berth.env", fake_env());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Code::kNotFound);
  EXPECT_EQ(missing.error().str(), "open /nonexistent/berth.env: no such file or directory");
}

TEST(RunOptions, EnvFileIsReadFromDisk) {
  TempDir dir;
  std::string path = dir.write("vars.env", "A=1\nHOME_DIR\n");
  auto env = parse_env_file(path, fake_env());
  ASSERT_TRUE(env) << env.error().str();
  EXPECT_EQ(*env, (std::vector<std::string>{"A=1", "HOME_DIR=/home/me"}));
}

TEST(RunOptions, EnvFlagTakesBareKeysFromOurEnvironment) {
  EXPECT_EQ(**expand_env_flag("K=v", fake_env()), "K=v");
  EXPECT_EQ(**expand_env_flag("K=", fake_env()), "K=");
  EXPECT_EQ(**expand_env_flag("HOME_DIR", fake_env()), "HOME_DIR=/home/me");
  EXPECT_FALSE(*expand_env_flag("UNSET_ONE", fake_env()));
  EXPECT_EQ(error_of(expand_env_flag("=x", fake_env())),
            "invalid argument \"=x\" for \"-e, --env\" flag: invalid environment variable: =x");
  ::setenv("BERTH_RUN_OPTIONS_TEST", "42", 1);
  EXPECT_EQ(**expand_env_flag("BERTH_RUN_OPTIONS_TEST"), "BERTH_RUN_OPTIONS_TEST=42");
  ::unsetenv("BERTH_RUN_OPTIONS_TEST");
  EXPECT_FALSE(*expand_env_flag("BERTH_RUN_OPTIONS_TEST"));
}

TEST(RunOptions, LabelsComeFromFilesThenFlags) {
  TempDir dir;
  std::string file = dir.write("labels", "# labels\na=file\nb=file\nbare\n");
  auto labels = parse_label_flags({"b=flag", "c", "d=x=y"}, {file});
  ASSERT_TRUE(labels) << labels.error().str();
  EXPECT_EQ(*labels, (std::map<std::string, std::string>{
                         {"a", "file"}, {"b", "flag"}, {"c", ""}, {"d", "x=y"}}));
  EXPECT_EQ(error_of(parse_label_flags({"a b=1"}, {})),
            "invalid argument \"a b=1\" for \"-l, --label\" flag: label 'a b' contains "
            "whitespaces");
  EXPECT_EQ(error_of(parse_label_flags({"=x"}, {})),
            "invalid argument \"=x\" for \"-l, --label\" flag: invalid label '=x': empty name");
  std::string bad = dir.write("bad", "x y=1\n");
  EXPECT_EQ(error_of(parse_label_flags({}, {bad})),
            "invalid env file (" + bad + "): variable 'x y' contains whitespaces");
}

TEST(RunOptions, CapabilitiesAndUlimitsAreValidated) {
  EXPECT_TRUE(validate_capabilities({"NET_ADMIN", "cap_sys_admin", "ALL"}, {"all", "CHOWN"}));
  EXPECT_EQ(error_of(validate_capabilities({"FOO"}, {})),
            "invalid CapAdd: unknown capability: \"CAP_FOO\"");
  EXPECT_EQ(error_of(validate_capabilities({}, {"cap_bar"})),
            "invalid CapDrop: unknown capability: \"CAP_BAR\"");
  auto u = parse_ulimit_flags({"nofile=1024:2048", "nproc=512", "nofile=10"});
  ASSERT_TRUE(u) << u.error().str();
  ASSERT_EQ(u->size(), 2u);
  EXPECT_EQ((*u)[0].name, "nofile");
  EXPECT_EQ((*u)[0].soft, 10);
  EXPECT_EQ((*u)[0].hard, 10);
  EXPECT_EQ((*u)[1].name, "nproc");
  EXPECT_EQ((*u)[1].hard, 512);
  EXPECT_FALSE(parse_ulimit_flags({"nofile"}));
  EXPECT_FALSE(parse_ulimit_flags({"foo=1"}));
}

TEST(RunOptions, JsonFileLogOptionsAreDockers) {
  auto map = parse_log_opt_flags("json-file", {"max-size=10m", "max-file=3", "tag"});
  ASSERT_TRUE(map);
  EXPECT_EQ(*map, (std::map<std::string, std::string>{
                      {"max-size", "10m"}, {"max-file", "3"}, {"tag", ""}}));
  EXPECT_EQ(error_of(parse_log_opt_flags("none", {"max-size=1m"})),
            "invalid logging opts for driver none");
  LogConfig c;
  c.config = {{"max-size", "10m"}, {"max-file", "3"}, {"compress", "true"}, {"labels", "a"}};
  auto o = parse_log_opts(c);
  ASSERT_TRUE(o) << o.error().str();
  EXPECT_EQ(o->max_size, 10000000);
  EXPECT_EQ(o->max_file, 3);
  EXPECT_TRUE(o->compress);
  c.config = {{"max-file", "5"}};
  EXPECT_EQ(parse_log_opts(c)->max_size, -1);  // docker keeps one growing file then
  EXPECT_EQ(parse_log_opts(LogConfig{})->max_file, 1);
  EXPECT_EQ(parse_log_opts(LogConfig{"none", {}})->max_size, -1);
}

TEST(RunOptions, BadLogOptionsGiveDockersErrors) {
  auto err = [](std::string type, std::map<std::string, std::string> cfg) {
    return error_of(parse_log_opts(LogConfig{std::move(type), std::move(cfg)}));
  };
  EXPECT_EQ(err("json-file", {{"x", "1"}}), "unknown log opt 'x' for json-file log driver");
  EXPECT_EQ(err("syslog", {}), "logger: no log driver named 'syslog' is registered");
  EXPECT_EQ(err("json-file", {{"max-file", "0"}}), "max-file cannot be less than 1");
  EXPECT_EQ(err("json-file", {{"max-file", "x"}}), "strconv.Atoi: parsing \"x\": invalid syntax");
  EXPECT_EQ(err("json-file", {{"max-size", "0"}}), "max-size must be a positive number");
  EXPECT_EQ(err("json-file", {{"max-size", "-1"}}), "invalid size: '-1'");
  EXPECT_EQ(err("json-file", {{"max-size", "1q"}}), "invalid suffix: 'q'");
  EXPECT_EQ(err("json-file", {{"compress", "true"}}),
            "compress cannot be true when max-file is less than 2 or max-size is not set");
  EXPECT_EQ(err("json-file", {{"compress", "maybe"}}),
            "strconv.ParseBool: parsing \"maybe\": invalid syntax");
  EXPECT_EQ(err("json-file", {{"mode", "fast"}}), "logger: logging mode not supported: fast");
  EXPECT_EQ(err("json-file", {{"max-buffer-size", "1m"}}),
            "logger: max-buffer-size option is only supported with 'mode=non-blocking'");
}

TEST(RunOptions, SecurityOptionsAreKeptAsGiven) {
  auto opts =
      parse_security_opts({"no-new-privileges", "no-new-privileges=true", "no-new-privileges:false",
                           "seccomp=unconfined", "apparmor=unconfined", "label=disable",
                           "label:level:s0", "systempaths=unconfined"});
  ASSERT_TRUE(opts) << opts.error().str();
  EXPECT_EQ(opts->size(), 8u);
  EXPECT_EQ((*opts)[2], "no-new-privileges:false");
  EXPECT_EQ(error_of(parse_security_opts({"seccomp"})), "Invalid --security-opt: \"seccomp\"");
  EXPECT_EQ(error_of(parse_security_opts({"foo=bar"})), "invalid --security-opt 2: \"foo=bar\"");
  EXPECT_EQ(error_of(parse_security_opts({"no-new-privileges=maybe"})),
            "invalid --security-opt 2: \"no-new-privileges=maybe\"");
}

TEST(RunOptions, SeccompProfileFileIsSentAsCompactJson) {
  TempDir dir;
  std::string path = dir.write(
      "profile.json", "{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"syscalls\": []\n}\n");
  auto opts = parse_security_opts({"seccomp=" + path});
  ASSERT_TRUE(opts) << opts.error().str();
  EXPECT_EQ(opts->at(0), "seccomp={\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[]}");
  EXPECT_EQ(error_of(parse_security_opts({"seccomp=/nonexistent/p.json"})),
            "opening seccomp profile (/nonexistent/p.json) failed: open /nonexistent/p.json: no "
            "such file or directory");
  std::string bad = dir.write("bad.json", "not json");
  std::string e = error_of(parse_security_opts({"seccomp=" + bad}));
  EXPECT_EQ(e.rfind("compacting json for seccomp profile (" + bad + ") failed: ", 0), 0u) << e;
}

}  // namespace
}  // namespace berth::engine
