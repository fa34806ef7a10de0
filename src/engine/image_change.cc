#include "engine/image_change.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "base/json.h"
#include "base/strings.h"

namespace berth::engine {

namespace {

// One shell-like word: quotes removed, backslash escapes honoured.
Result<std::vector<std::string>> split_words(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < text.size()) {
        cur += text[++i];
      } else {
        cur += c;
      }
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word) {
        out.push_back(std::move(cur));
        cur.clear();
        in_word = false;
      }
      continue;
    }
    in_word = true;
    if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '\\' && i + 1 < text.size()) {
      cur += text[++i];
    } else {
      cur += c;
    }
  }
  if (quote != 0) {
    return fail(Code::kInvalidArgument, fmt::format("unterminated quote in '{}'", text));
  }
  if (in_word) {
    out.push_back(std::move(cur));
  }
  return out;
}

// The exec (JSON array of strings) or shell form of CMD/ENTRYPOINT/HEALTHCHECK-like values.
std::vector<std::string> command_form(std::string_view args) {
  if (!args.empty() && args.front() == '[') {
    auto j = parse_json(args, "instruction");
    if (j && j->is_array() &&
        std::all_of(j->begin(), j->end(), [](const Json& e) { return e.is_string(); })) {
      std::vector<std::string> out;
      for (const auto& e : *j) {
        out.push_back(e.get<std::string>());
      }
      return out;
    }
  }
  return {"/bin/sh", "-c", std::string(args)};
}

void set_env(std::vector<std::string>& env, const std::string& key, const std::string& value) {
  for (auto& e : env) {
    if (cut(e, '=').first == key) {
      e = key + "=" + value;
      return;
    }
  }
  env.push_back(key + "=" + value);
}

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> parse_key_values(std::string_view text,
                                                                          bool allow_legacy) {
  std::vector<std::pair<std::string, std::string>> out;
  auto words = BERTH_TRY(split_words(text));
  if (words.empty()) {
    return fail(Code::kInvalidArgument, "missing key=value");
  }
  bool has_eq = words[0].find('=') != std::string::npos;
  if (!has_eq) {
    if (!allow_legacy || words.size() < 2) {
      return fail(Code::kInvalidArgument, fmt::format("'{}' is not key=value", text));
    }
    // Legacy "ENV key value with spaces": the rest of the line, as written, is the value.
    std::string_view rest = trim(text.substr(text.find(words[0]) + words[0].size()));
    out.emplace_back(words[0], std::string(rest));
    return out;
  }
  for (const auto& w : words) {
    bool found = false;
    auto [k, v] = cut(w, '=', &found);
    if (!found || k.empty()) {
      return fail(Code::kInvalidArgument, fmt::format("'{}' is not key=value", w));
    }
    out.emplace_back(std::string(k), std::string(v));
  }
  return out;
}

Result<void> apply_change(oci::ContainerConfig& config, std::string_view instruction) {
  std::string_view line = trim(instruction);
  auto space = line.find_first_of(" \t");
  std::string op = to_lower(line.substr(0, space));
  std::string_view args = space == std::string_view::npos ? "" : trim(line.substr(space));
  auto bad = [&](std::string_view why) {
    return fail(Code::kInvalidArgument, fmt::format("invalid change '{}': {}", instruction, why));
  };
  if (args.empty()) {
    return bad(op.empty() ? "empty instruction" : "missing arguments");
  }
  if (op == "env" || op == "label") {
    auto kvs = parse_key_values(args, op == "env");
    if (!kvs) {
      return bad(kvs.error().message());
    }
    for (auto& [k, v] : *kvs) {
      if (op == "env") {
        set_env(config.env, k, v);
      } else {
        config.labels[k] = v;
      }
    }
  } else if (op == "cmd") {
    config.cmd = command_form(args);
  } else if (op == "entrypoint") {
    config.entrypoint = command_form(args);
  } else if (op == "workdir") {
    config.working_dir = std::string(args);
  } else if (op == "user") {
    config.user = std::string(args);
  } else if (op == "stopsignal") {
    config.stop_signal = std::string(args);
  } else if (op == "onbuild") {
    config.on_build.emplace_back(args);
  } else if (op == "expose") {
    for (auto& p : BERTH_TRY(split_words(args))) {
      auto [port, proto] = cut(p, '/');
      if (!parse_uint(port) || *parse_uint(port) == 0 || *parse_uint(port) > 65535) {
        return bad(fmt::format("invalid port '{}'", p));
      }
      std::string key = fmt::format("{}/{}", port, proto.empty() ? "tcp" : to_lower(proto));
      if (std::find(config.exposed_ports.begin(), config.exposed_ports.end(), key) ==
          config.exposed_ports.end()) {
        config.exposed_ports.push_back(key);
      }
    }
  } else if (op == "volume") {
    std::vector<std::string> vols;
    if (args.front() == '[') {
      vols = command_form(args);
      if (vols.size() == 3 && vols[0] == "/bin/sh") {
        return bad("VOLUME takes a JSON array of strings");
      }
    } else {
      vols = BERTH_TRY(split_words(args));
    }
    for (auto& v : vols) {
      if (std::find(config.volumes.begin(), config.volumes.end(), v) == config.volumes.end()) {
        config.volumes.push_back(v);
      }
    }
  } else {
    return bad(fmt::format("{} is not supported here", op.empty() ? "?" : to_lower(op)));
  }
  return {};
}

}  // namespace berth::engine
