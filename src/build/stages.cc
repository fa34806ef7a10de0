#include "build/stages.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "base/strings.h"
#include "build/dockerfile/shell_words.h"

namespace berth::build {

namespace {

std::string lowered(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// ARG's words: "name=default" or "name" (quotes in the default are processed on use).
std::pair<std::string, std::optional<std::string>> arg_word(const std::string& word) {
  auto eq = word.find('=');
  if (eq == std::string::npos) {
    return {word, std::nullopt};
  }
  return {word.substr(0, eq), word.substr(eq + 1)};
}

}  // namespace

std::string where(std::string_view source, const Instruction& ins) {
  return fmt::format("{}:{}: ", source, ins.start_line);
}

Result<StagePlan> plan_stages(const Dockerfile& df, std::string_view source,
                              const std::map<std::string, std::string>& build_args) {
  StagePlan plan;
  std::set<std::string> names;
  for (const auto& ins : df.instructions) {
    std::string kw = ins.lower();
    if (kw == "from") {
      // FROM [--platform=...] image [AS name]
      if (ins.args.size() != 1 && !(ins.args.size() == 3 && lowered(ins.args[1]) == "as")) {
        return fail(Code::kInvalidArgument,
                    where(source, ins) + "FROM requires either one or three arguments");
      }
      Stage st;
      st.index = static_cast<int>(plan.stages.size());
      st.from = ins;
      if (ins.args.size() == 3) {
        st.name = lowered(ins.args[2]);
        if (!names.insert(st.name).second) {
          return fail(Code::kInvalidArgument,
                      where(source, ins) + fmt::format("duplicate stage name \"{}\"", st.name));
        }
      }
      auto env = [&](std::string_view name) -> std::optional<std::string> {
        auto it = plan.meta_values.find(std::string(name));
        if (it == plan.meta_values.end()) {
          return std::nullopt;
        }
        return it->second;
      };
      auto base = shell_expand_word(ins.args[0], env, {.escape = df.escape});
      if (!base) {
        return fail(Code::kInvalidArgument, where(source, ins) + base.error().message());
      }
      st.base = *base;
      if (st.base.empty()) {
        return fail(Code::kInvalidArgument,
                    where(source, ins) + "base name (" + ins.args[0] + ") should not be blank");
      }
      plan.stages.push_back(std::move(st));
      continue;
    }
    if (plan.stages.empty()) {
      if (kw != "arg") {
        return fail(Code::kInvalidArgument, where(source, ins) +
                                                "no build stage in current context (an "
                                                "instruction before the first FROM)");
      }
      plan.meta_args.push_back(ins);
      for (const auto& word : ins.args) {
        auto [name, def] = arg_word(word);
        if (auto it = build_args.find(name); it != build_args.end()) {
          plan.meta_values[name] = it->second;
        } else if (def) {
          auto v = shell_expand_word(*def, empty_shell_env(), {.escape = df.escape});
          plan.meta_values[name] = v ? *v : *def;
        }
      }
      continue;
    }
    plan.stages.back().steps.push_back(ins);
  }
  if (plan.stages.empty()) {
    return fail(Code::kInvalidArgument, fmt::format("{}: no FROM instruction", source));
  }
  return plan;
}

std::optional<int> find_stage(const StagePlan& plan, std::string_view ref, int before) {
  int limit = before < 0 ? static_cast<int>(plan.stages.size()) : before;
  std::string key = lowered(ref);
  for (int i = 0; i < limit; ++i) {
    if (!plan.stages[i].name.empty() && plan.stages[i].name == key) {
      return i;
    }
  }
  if (!key.empty() && key.find_first_not_of("0123456789") == std::string::npos && key.size() < 6) {
    int n = std::stoi(key);
    if (n < limit) {
      return n;
    }
  }
  return std::nullopt;
}

Result<std::vector<int>> needed_stages(const StagePlan& plan, std::string_view target) {
  int last = static_cast<int>(plan.stages.size()) - 1;
  int t = last;
  if (!target.empty()) {
    auto found = find_stage(plan, target);
    if (!found || std::to_string(*found) == target) {  // --target takes names only
      return fail(Code::kInvalidArgument,
                  fmt::format("failed to reach build target {} in Dockerfile", target));
    }
    t = *found;
  }
  std::set<int> need;
  std::vector<int> todo = {t};
  while (!todo.empty()) {
    int i = todo.back();
    todo.pop_back();
    if (!need.insert(i).second) {
      continue;
    }
    const Stage& st = plan.stages[i];
    if (auto dep = find_stage(plan, st.base, i)) {
      todo.push_back(*dep);
    }
    for (const auto& ins : st.steps) {
      for (const auto& flag : ins.flags) {
        if (flag.starts_with("--from=")) {
          if (auto dep = find_stage(plan, flag.substr(7), i)) {
            todo.push_back(*dep);
          }
        }
      }
    }
  }
  return std::vector<int>(need.begin(), need.end());
}

}  // namespace berth::build
