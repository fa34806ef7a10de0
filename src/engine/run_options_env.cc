// docker's flag value parsers for the environment (-e, --env-file), labels, logging options and
// security options, with docker's error texts.
#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/strings.h"
#include "engine/run_options.h"
#include "engine/run_options_go.h"

namespace berth::engine {

using go::invalid;

// --- environment and labels ---------------------------------------------------------------

std::optional<std::string> lookup_process_env(const std::string& key) {
  const char* v = std::getenv(key.c_str());
  if (v == nullptr) {
    return std::nullopt;
  }
  return std::string(v);
}

namespace {

bool valid_utf8(std::string_view s) {
  static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xe ? 2 : (c >> 3) == 0x1e ? 3 : 4;
    if (n == 4 || i + n >= s.size()) {
      return false;
    }
    uint32_t cp = n == 0 ? c : c & (0x3fu >> n);
    for (size_t k = 1; k <= n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

// Go's %v of a byte slice: "[97 32 98]".
std::string go_bytes(std::string_view s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    out += fmt::format("{}{}", i > 0 ? " " : "", static_cast<unsigned>(static_cast<uint8_t>(s[i])));
  }
  return out + "]";
}

}  // namespace

Result<std::vector<std::string>> parse_env_text(std::string_view text, std::string_view file,
                                                const EnvLookup& lookup) {
  auto bad = [&](const std::string& why) {
    return invalid(fmt::format("invalid env file ({}): {}", file, why));
  };
  std::vector<std::string> out;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (!valid_utf8(line)) {
      return bad(fmt::format("invalid utf8 bytes at line {}: {}", line_no, go_bytes(line)));
    }
    if (line_no == 1 && line.substr(0, 3) == "\xef\xbb\xbf") {
      line.remove_prefix(3);
    }
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) {
      line.remove_prefix(1);
    }
    if (line.empty() || line[0] == '#') {
      continue;
    }
    bool has_value = false;
    auto [key, value] = cut(line, '=', &has_value);
    if (key.empty()) {
      return bad(fmt::format("no variable name on line '{}'", line));
    }
    if (key.find_first_of(" \t") != std::string_view::npos) {
      return bad(fmt::format("variable '{}' contains whitespaces", key));
    }
    if (has_value) {
      out.emplace_back(line);
    } else if (lookup) {
      if (auto v = lookup(std::string(key))) {
        out.push_back(fmt::format("{}={}", key, *v));
      }
    }
  }
  return out;
}

Result<std::vector<std::string>> parse_env_file(const std::string& path, const EnvLookup& lookup) {
  auto text = read_file(path);
  if (!text) {
    return tl::unexpected(go::open_error(path, text.error()));
  }
  return parse_env_text(*text, path, lookup);
}

Result<std::optional<std::string>> expand_env_flag(std::string_view value,
                                                   const EnvLookup& lookup) {
  bool has_value = false;
  auto [key, rest] = cut(value, '=', &has_value);
  if (key.empty()) {
    return bad_flag("-e, --env", value, fmt::format("invalid environment variable: {}", value));
  }
  if (has_value) {
    return std::optional<std::string>(std::string(value));
  }
  if (lookup) {
    if (auto v = lookup(std::string(key))) {
      return std::optional<std::string>(fmt::format("{}={}", key, *v));
    }
  }
  return std::optional<std::string>();
}

Result<std::map<std::string, std::string>> parse_label_flags(
    const std::vector<std::string>& labels, const std::vector<std::string>& label_files) {
  std::vector<std::string> all;
  for (const auto& file : label_files) {
    auto lines = BERTH_TRY(parse_env_file(file, EnvLookup{}));
    all.insert(all.end(), lines.begin(), lines.end());
  }
  for (const auto& l : labels) {
    std::string_view key = cut(l, '=').first;
    while (!key.empty() && (key.front() == ' ' || key.front() == '\t')) {
      key.remove_prefix(1);
    }
    if (key.empty()) {
      return bad_flag("-l, --label", l, fmt::format("invalid label '{}': empty name", l));
    }
    if (key.find_first_of(" \t") != std::string_view::npos) {
      return bad_flag("-l, --label", l, fmt::format("label '{}' contains whitespaces", key));
    }
    all.push_back(l);
  }
  std::map<std::string, std::string> out;
  for (const auto& kv : all) {
    auto [k, v] = cut(kv, '=');
    out[std::string(k)] = std::string(v);
  }
  return out;
}

// --- logging ------------------------------------------------------------------------------

Result<std::map<std::string, std::string>> parse_log_opt_flags(
    std::string_view driver, const std::vector<std::string>& values) {
  if (driver == "none" && !values.empty()) {
    return invalid("invalid logging opts for driver none");
  }
  std::map<std::string, std::string> out;
  for (const auto& v : values) {
    auto [k, val] = cut(v, '=');
    out[std::string(k)] = std::string(val);
  }
  return out;
}

namespace {

Result<void> check_log_mode(const std::map<std::string, std::string>& cfg) {
  auto mode = cfg.find("mode");
  std::string m = mode == cfg.end() ? "" : mode->second;
  if (m != "" && m != "blocking" && m != "non-blocking") {
    return invalid(fmt::format("logger: logging mode not supported: {}", m));
  }
  if (auto buf = cfg.find("max-buffer-size"); buf != cfg.end()) {
    if (m != "non-blocking") {
      return invalid("logger: max-buffer-size option is only supported with 'mode=non-blocking'");
    }
    auto size = go::parse_size(buf->second, 1024);
    if (!size) {
      return invalid("error parsing option max-buffer-size: " + size.error().message());
    }
  }
  return {};
}

}  // namespace

Result<JsonFileLogOptions> parse_log_opts(const LogConfig& config) {
  JsonFileLogOptions o;
  const auto& cfg = config.config;
  if (config.type == "none") {
    return o;
  }
  if (!config.type.empty() && config.type != "json-file") {
    return invalid(fmt::format("logger: no log driver named '{}' is registered", config.type));
  }
  BERTH_CHECK(check_log_mode(cfg));
  static constexpr std::string_view kKnown[] = {
      "max-file", "max-size",  "compress", "labels", "labels-regex",
      "env",      "env-regex", "tag",      "mode",   "max-buffer-size"};
  for (const auto& [key, value] : cfg) {
    if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown)) {
      return invalid(fmt::format("unknown log opt '{}' for json-file log driver", key));
    }
  }
  if (auto it = cfg.find("max-size"); it != cfg.end()) {
    o.max_size = BERTH_TRY(parse_decimal_bytes(it->second));
    if (o.max_size <= 0) {
      return invalid("max-size must be a positive number");
    }
  }
  if (auto it = cfg.find("max-file"); it != cfg.end()) {
    auto n = go::parse_int(it->second);
    if (!n || it->second.find_first_not_of("+-0123456789") != std::string::npos || *n > INT32_MAX ||
        *n < INT32_MIN) {
      return invalid(fmt::format("strconv.Atoi: parsing \"{}\": invalid syntax", it->second));
    }
    if (*n < 1) {
      return invalid("max-file cannot be less than 1");
    }
    o.max_file = static_cast<int>(*n);
  }
  if (auto it = cfg.find("compress"); it != cfg.end()) {
    auto b = go::parse_bool(it->second);
    if (!b) {
      return invalid(fmt::format("strconv.ParseBool: parsing \"{}\": invalid syntax", it->second));
    }
    if (*b && (o.max_file == 1 || o.max_size == -1)) {
      return invalid("compress cannot be true when max-file is less than 2 or max-size is not set");
    }
    o.compress = *b;
  }
  return o;
}

// --- security options ---------------------------------------------------------------------

namespace {

// Reads a seccomp profile and returns it as compact JSON, as docker's CLI sends it.
Result<std::string> read_seccomp_profile(const std::string& path) {
  auto text = read_file(path);
  if (!text) {
    return invalid(fmt::format("opening seccomp profile ({}) failed: {}", path,
                               go::open_error(path, text.error()).message()));
  }
  auto j = parse_json(*text, path);
  if (!j) {
    return invalid(fmt::format("compacting json for seccomp profile ({}) failed: {}", path,
                               j.error().message()));
  }
  return j->dump();
}

// The daemon's check of one option (moby's parseSecurityOpt).
Result<void> check_security_opt(const std::string& opt) {
  if (opt == "no-new-privileges" || opt == "disable" || opt == "systempaths=unconfined") {
    return {};
  }
  char sep = opt.find('=') != std::string::npos ? '=' : ':';
  bool found = false;
  auto [key, value] = cut(opt, sep, &found);
  if (!found) {
    return invalid(fmt::format("invalid --security-opt 1: \"{}\"", opt));
  }
  if (key == "label" || key == "apparmor" || key == "seccomp") {
    return {};
  }
  if (key == "no-new-privileges" && go::parse_bool(value)) {
    return {};
  }
  return invalid(fmt::format("invalid --security-opt 2: \"{}\"", opt));
}

}  // namespace

Result<std::vector<std::string>> parse_security_opts(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& opt : values) {
    // docker's CLI first: every option but no-new-privileges needs a value after = or :.
    bool found = false;
    auto [key, value] = cut(opt, '=', &found);
    if (!found && key != "no-new-privileges") {
      std::tie(key, value) = cut(opt, ':', &found);
    }
    if ((!found || value.empty()) && key != "no-new-privileges") {
      return invalid(fmt::format("Invalid --security-opt: \"{}\"", opt));
    }
    std::string kept = opt;
    if (key == "seccomp" && value != "unconfined" && value != "builtin") {
      kept = "seccomp=" + BERTH_TRY(read_seccomp_profile(std::string(value)));
    }
    BERTH_CHECK(check_security_opt(kept));
    out.push_back(std::move(kept));
  }
  return out;
}

}  // namespace berth::engine
