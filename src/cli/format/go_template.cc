// Execution of the Go text/template subset (parsing is in template_lex.cc and template_parse.cc,
// functions in template_funcs.cc).
#include "cli/format/go_template.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "cli/format/go_fmt.h"
#include "cli/format/template_ast.h"

namespace berth::cli {
namespace {

using tmpl::Arg;
using tmpl::ArgKind;
using tmpl::Command;
using tmpl::Node;
using tmpl::NodeKind;
using tmpl::Pipeline;

class Exec {
 public:
  Exec(const tmpl::Tree& tree, bool header) : tree_(tree), header_(header) {}

  Result<void> run(const Json& dot) {
    vars_.emplace_back("$", dot);
    return walk(dot, tree_.root);
  }

  std::string& out() { return out_; }

 private:
  // "template: :LINE:COL: executing "" at <TEXT>: MSG", COL counted in bytes from 0 as Go does.
  tl::unexpected<Error> fail_at(size_t pos, std::string_view text, std::string_view msg) const {
    std::string_view src = tree_.source;
    pos = std::min(pos, src.size());
    size_t line = 1 + static_cast<size_t>(std::count(src.begin(), src.begin() + pos, '\n'));
    size_t line_start = src.rfind('\n', pos == 0 ? 0 : pos - 1);
    size_t col = (line_start == std::string_view::npos || pos == 0) ? pos : pos - line_start - 1;
    return fail(Code::kInvalidArgument,
                fmt::format("template: :{}:{}: executing \"\" at <{}>: {}", line, col, text, msg));
  }

  Json* find_var(std::string_view name) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->first == name) {
        return &it->second;
      }
    }
    return nullptr;
  }

  Result<void> walk(const Json& dot, const std::vector<Node>& list) {
    for (const Node& node : list) {
      BERTH_CHECK(walk_node(dot, node));
    }
    return {};
  }

  Result<void> walk_node(const Json& dot, const Node& node) {
    switch (node.kind) {
      case NodeKind::kText:
        out_ += node.text;
        return {};
      case NodeKind::kAction: {
        Json v = BERTH_TRY(eval_pipeline(dot, node.pipe));
        if (node.pipe.decl.empty()) {
          out_ += v.is_null() ? "<no value>" : go_print(v);
        }
        return {};
      }
      case NodeKind::kIf:
      case NodeKind::kWith:
        return walk_if_with(dot, node);
      case NodeKind::kRange:
        return walk_range(dot, node);
    }
    return {};
  }

  Result<void> walk_if_with(const Json& dot, const Node& node) {
    size_t mark = vars_.size();
    Json v = BERTH_TRY(eval_pipeline(dot, node.pipe));
    Result<void> r;
    if (tmpl::truth(v)) {
      r = walk(node.kind == NodeKind::kWith ? v : dot, node.list);
    } else {
      r = walk(dot, node.else_list);
    }
    vars_.resize(mark);
    return r;
  }

  Result<void> iterate(const Node& node, const Json& key, const Json& elem) {
    // One variable takes the element; two take the key (or index) and the element.
    const auto& decl = node.pipe.decl;
    for (size_t k = 0; k < decl.size(); ++k) {
      if (Json* var = find_var(decl[k]); var != nullptr) {
        *var = (decl.size() == 2 && k == 0) ? key : elem;
      }
    }
    size_t mark = vars_.size();
    Result<void> r = walk(elem, node.list);
    vars_.resize(mark);
    return r;
  }

  Result<void> range_items(const Node& node, const Json& v) {
    if (v.is_array()) {
      for (size_t i = 0; i < v.size(); ++i) {
        BERTH_CHECK(iterate(node, Json(static_cast<int64_t>(i)), v[i]));
      }
    } else if (v.is_object()) {
      std::vector<std::pair<std::string, const Json*>> items;
      for (auto it = v.begin(); it != v.end(); ++it) {
        items.emplace_back(it.key(), &it.value());
      }
      std::sort(items.begin(), items.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      for (const auto& [key, elem] : items) {
        BERTH_CHECK(iterate(node, Json(key), *elem));
      }
    } else {
      for (int64_t i = 0; i < v.get<int64_t>(); ++i) {
        BERTH_CHECK(iterate(node, Json(i), Json(i)));
      }
    }
    return {};
  }

  Result<void> walk_range(const Json& dot, const Node& node) {
    size_t mark = vars_.size();
    Json v = BERTH_TRY(eval_commands(dot, node.pipe));
    if (!node.pipe.is_assign) {
      for (const std::string& name : node.pipe.decl) {
        vars_.emplace_back(name, nullptr);
      }
    }
    bool iterable = v.is_array() || v.is_object() || v.is_number_integer() || v.is_null();
    if (!iterable) {
      return fail_at(node.pipe.pos, node.pipe.text,
                     fmt::format("range can't iterate over {}", go_print(v)));
    }
    Result<void> r;
    if (tmpl::truth(v)) {
      r = range_items(node, v);
    } else {
      r = walk(dot, node.else_list);
    }
    vars_.resize(mark);
    return r;
  }

  Result<Json> eval_commands(const Json& dot, const Pipeline& pipe) {
    Json value;
    for (size_t i = 0; i < pipe.cmds.size(); ++i) {
      Json next = BERTH_TRY(eval_command(dot, pipe.cmds[i], i > 0 ? &value : nullptr));
      value = std::move(next);
    }
    return value;
  }

  Result<Json> eval_pipeline(const Json& dot, const Pipeline& pipe) {
    Json value = BERTH_TRY(eval_commands(dot, pipe));
    for (const std::string& name : pipe.decl) {
      if (pipe.is_assign) {
        Json* var = find_var(name);
        if (var == nullptr) {
          return fail_at(pipe.pos, pipe.text, fmt::format("undefined variable: {}", name));
        }
        *var = value;
      } else {
        vars_.emplace_back(name, value);
      }
    }
    return value;
  }

  Result<Json> eval_command(const Json& dot, const Command& cmd, const Json* final) {
    const Arg& first = cmd.args[0];
    if (first.kind == ArgKind::kFunction) {
      return call(dot, cmd, final);
    }
    if (first.kind == ArgKind::kNil) {
      return fail_at(first.pos, "nil", "nil is not a command");
    }
    if (cmd.args.size() > 1 || final != nullptr) {
      return fail_at(first.pos, first.text,
                     fmt::format("can't give argument to non-function {}", first.text));
    }
    return eval_arg(dot, first);
  }

  Result<Json> eval_arg(const Json& dot, const Arg& arg) {
    switch (arg.kind) {
      case ArgKind::kDot:
        return dot;
      case ArgKind::kNil:
        return Json(nullptr);
      case ArgKind::kLiteral:
        return arg.literal;
      case ArgKind::kField:
        return eval_fields(dot, arg);
      case ArgKind::kVariable: {
        Json* var = find_var(arg.name);
        if (var == nullptr) {
          return fail_at(arg.pos, arg.text, fmt::format("undefined variable: {}", arg.name));
        }
        return eval_fields(*var, arg);
      }
      case ArgKind::kPipeline: {
        Json v = BERTH_TRY(eval_pipeline(dot, *arg.pipe));
        return eval_fields(v, arg);
      }
      case ArgKind::kFunction: {
        Command niladic{{arg}, arg.pos, arg.text};
        return call(dot, niladic, nullptr);
      }
    }
    return Json(nullptr);
  }

  // Follows arg.fields from receiver. A field of null is null (Go's missing-key value); a field
  // of a scalar or an array is an error. In header mode a string receiver is the header itself.
  Result<Json> eval_fields(const Json& receiver, const Arg& arg) {
    const Json* p = &receiver;
    for (const std::string& name : arg.fields) {
      if (header_ && p->is_string()) {
        return *p;
      }
      if (p->is_null()) {
        return Json(nullptr);
      }
      if (!p->is_object()) {
        return fail_at(arg.pos, arg.text,
                       fmt::format("can't evaluate field {} in type {}", name, go_type_name(*p)));
      }
      auto it = p->find(name);
      if (it == p->end()) {
        return header_ ? Json(default_header(name)) : Json(nullptr);
      }
      p = &*it;
    }
    return *p;
  }

  Result<Json> call(const Json& dot, const Command& cmd, const Json* final) {
    const std::string& name = cmd.args[0].name;
    if (tmpl::is_lazy_function(name)) {
      return call_lazy(dot, cmd, final);
    }
    std::vector<Json> args;
    for (size_t i = 1; i < cmd.args.size(); ++i) {
      args.push_back(BERTH_TRY(eval_arg(dot, cmd.args[i])));
    }
    if (final != nullptr) {
      args.push_back(*final);
    }
    auto r = tmpl::call_function(name, args, final != nullptr, header_);
    if (!r) {
      return fail_at(cmd.pos, cmd.text, r.error().message());
    }
    return r;
  }

  // and/or evaluate their arguments in order and stop at the first that decides the result.
  Result<Json> call_lazy(const Json& dot, const Command& cmd, const Json* final) {
    const std::string& name = cmd.args[0].name;
    bool is_and = name == "and";
    size_t n = cmd.args.size() - 1 + (final != nullptr ? 1 : 0);
    if (n == 0) {
      return fail_at(cmd.pos, cmd.text,
                     fmt::format("wrong number of args for {}: want at least 1 got 0", name));
    }
    Json v;
    for (size_t i = 1; i <= n; ++i) {
      v = i < cmd.args.size() ? BERTH_TRY(eval_arg(dot, cmd.args[i])) : *final;
      if (tmpl::truth(v) != is_and) {
        return v;
      }
    }
    return v;
  }

  const tmpl::Tree& tree_;
  bool header_;
  std::vector<std::pair<std::string, Json>> vars_;  // innermost last
  std::string out_;
};

}  // namespace

Result<Template> Template::parse(std::string_view text) {
  auto tree = tmpl::parse_tree(text);
  if (!tree) {
    return tl::unexpected(std::move(tree.error()).context("template parsing error"));
  }
  return Template(std::make_shared<const tmpl::Tree>(std::move(*tree)));
}

Result<std::string> Template::execute(const Json& dot) const {
  Exec exec(*tree_, false);
  BERTH_CHECK(exec.run(dot));
  return std::move(exec.out());
}

std::string Template::execute_header(const std::map<std::string, std::string>& headers) const {
  Json dot = Json::object();
  for (const auto& [field, header] : headers) {
    dot[field] = header;
  }
  Exec exec(*tree_, true);
  (void)exec.run(dot);
  return std::move(exec.out());
}

const std::string& Template::source() const { return tree_->source; }

std::string default_header(std::string_view field) {
  std::string out;
  auto upper = [](char c) { return std::isupper(static_cast<unsigned char>(c)) != 0; };
  auto lower = [](char c) {
    return std::islower(static_cast<unsigned char>(c)) != 0 ||
           std::isdigit(static_cast<unsigned char>(c)) != 0;
  };
  for (size_t i = 0; i < field.size(); ++i) {
    char c = field[i];
    bool boundary = i > 0 && upper(c) &&
                    (lower(field[i - 1]) ||
                     (upper(field[i - 1]) && i + 1 < field.size() && lower(field[i + 1])));
    if (boundary || (c == '_' && i > 0)) {
      out += ' ';
    }
    if (c != '_') {
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

}  // namespace berth::cli
