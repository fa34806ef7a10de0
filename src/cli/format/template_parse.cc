// The parser of the Go text/template subset: tokens → Tree. It mirrors the grammar and the
// parse-time checks of Go's text/template/parse (functions must exist, variables must be declared,
// {{else if}} chains share one {{end}}), and words errors the same way.
#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <optional>

#include <fmt/format.h>

#include "cli/format/template_ast.h"

namespace berth::cli::tmpl {
namespace {

bool is_space_char(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string token_text(const Token& t) {
  switch (t.type) {
    case Tok::kEof:
      return "EOF";
    case Tok::kKeyword:
      return "<" + t.val + ">";
    case Tok::kRightDelim:
    case Tok::kLeftDelim:
      return "\"" + t.val + "\"";
    default:
      return t.val.size() > 10 ? fmt::format("\"{}\"...", t.val.substr(0, 10))
                               : fmt::format("\"{}\"", t.val);
  }
}

// A number constant: integers stay int64 (or uint64), anything with '.' or an exponent is a
// float64, as Go's idealConstant decides for an interface{} argument.
std::optional<Json> parse_number(std::string text) {
  std::erase(text, '_');
  bool neg = !text.empty() && text[0] == '-';
  std::string_view body(text);
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
    body.remove_prefix(1);
  }
  int base = 10;
  if (body.starts_with("0x") || body.starts_with("0X")) {
    body.remove_prefix(2);
    base = 16;
  }
  if (base == 10 && body.find_first_of(".eE") != std::string_view::npos) {
    char* end = nullptr;
    double d = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size()) {
      return std::nullopt;
    }
    return Json(d);
  }
  uint64_t mag = 0;
  auto res = std::from_chars(body.data(), body.data() + body.size(), mag, base);
  if (body.empty() || res.ec != std::errc() || res.ptr != body.data() + body.size()) {
    return std::nullopt;
  }
  if (!neg) {
    return mag <= static_cast<uint64_t>(INT64_MAX) ? Json(static_cast<int64_t>(mag)) : Json(mag);
  }
  if (mag > static_cast<uint64_t>(INT64_MAX) + 1) {
    return std::nullopt;
  }
  return Json(static_cast<int64_t>(0 - mag));
}

class Parser {
 public:
  Parser(std::string_view src, std::vector<Token> toks) : src_(src), toks_(std::move(toks)) {}

  Result<Tree> run() {
    Tree tree;
    tree.source = std::string(src_);
    Stop stop = Stop::kEof;
    tree.root = BERTH_TRY(parse_list(stop));
    if (stop == Stop::kEnd) {
      return error("unexpected {{end}}");
    }
    if (stop != Stop::kEof) {
      return error("unexpected {{else}}");
    }
    return tree;
  }

 private:
  enum class Stop { kEof, kEnd, kElse, kElseIf, kElseWith };

  // The token list always ends with kEof; reading past it keeps returning kEof.
  const Token& peek() const { return toks_[std::min(i_, toks_.size() - 1)]; }
  Token next() {
    Token t = peek();
    ++i_;
    return t;
  }
  void backup() { --i_; }
  // The token read last.
  const Token& last() const { return toks_[std::min(i_ > 0 ? i_ - 1 : 0, toks_.size() - 1)]; }
  Token next_non_space() {
    while (peek().type == Tok::kSpace) {
      next();
    }
    return next();
  }
  const Token& peek_non_space() {
    while (peek().type == Tok::kSpace) {
      next();
    }
    return peek();
  }

  tl::unexpected<Error> error(std::string_view msg) const {
    return tl::unexpected(parse_error(src_, last().pos, msg));
  }
  tl::unexpected<Error> unexpected(const Token& t, std::string_view context) const {
    return error(fmt::format("unexpected {} in {}", token_text(t), context));
  }

  // Source text from start up to the next unread token, for error messages.
  std::string text_from(size_t start) const {
    size_t end = std::max(start, peek().pos);
    std::string_view s = src_.substr(start, end - start);
    while (!s.empty() && is_space_char(s.back())) {
      s.remove_suffix(1);
    }
    return std::string(s);
  }

  Result<std::vector<Node>> parse_list(Stop& stop) {
    std::vector<Node> list;
    while (true) {
      Token t = next();
      if (t.type == Tok::kText) {
        list.push_back(Node{NodeKind::kText, t.val, {}, {}, {}});
      } else if (t.type == Tok::kLeftDelim) {
        auto node = BERTH_TRY(parse_action(stop));
        if (!node) {
          return list;
        }
        list.push_back(std::move(*node));
      } else if (t.type == Tok::kEof) {
        stop = Stop::kEof;
        return list;
      } else {
        return unexpected(t, "input");
      }
    }
  }

  Result<void> expect_right_delim(std::string_view context) {
    Token t = next_non_space();
    if (t.type != Tok::kRightDelim) {
      return unexpected(t, context);
    }
    return {};
  }

  // After "{{": a control structure, an {{end}} or {{else}} (reported through stop), or an
  // action printing a pipeline.
  Result<std::optional<Node>> parse_action(Stop& stop) {
    Token t = next_non_space();
    if (t.type == Tok::kKeyword) {
      if (t.val == "end") {
        BERTH_CHECK(expect_right_delim("end"));
        stop = Stop::kEnd;
        return std::nullopt;
      }
      if (t.val == "else") {
        const Token& p = peek_non_space();
        if (p.type == Tok::kKeyword && (p.val == "if" || p.val == "with")) {
          stop = next().val == "if" ? Stop::kElseIf : Stop::kElseWith;
          return std::nullopt;
        }
        BERTH_CHECK(expect_right_delim("else"));
        stop = Stop::kElse;
        return std::nullopt;
      }
      if (t.val == "if" || t.val == "range" || t.val == "with") {
        NodeKind kind = t.val == "if"      ? NodeKind::kIf
                        : t.val == "range" ? NodeKind::kRange
                                           : NodeKind::kWith;
        return parse_control(kind);
      }
      return error(fmt::format("{{{{{}}}}} is not supported", t.val));
    }
    backup();
    Node node;
    node.kind = NodeKind::kAction;
    node.pipe = BERTH_TRY(parse_pipeline("command", Tok::kRightDelim));
    return node;
  }

  // if/range/with after its keyword, through its {{end}}. Variables declared inside go out of
  // scope at the end.
  Result<Node> parse_control(NodeKind kind) {
    if (++depth_ > kMaxDepth) {
      return error("template nesting too deep");
    }
    std::string_view context = kind == NodeKind::kIf      ? "if"
                               : kind == NodeKind::kRange ? "range"
                                                          : "with";
    size_t mark = vars_.size();
    Node node;
    node.kind = kind;
    node.pipe = BERTH_TRY(parse_pipeline(context, Tok::kRightDelim));
    Stop stop = Stop::kEof;
    node.list = BERTH_TRY(parse_list(stop));
    if ((stop == Stop::kElseIf && kind == NodeKind::kIf) ||
        (stop == Stop::kElseWith && kind == NodeKind::kWith)) {
      // {{if a}}…{{else if b}}…{{end}} is {{if a}}…{{else}}{{if b}}…{{end}}{{end}}.
      node.else_list.push_back(BERTH_TRY(parse_control(kind)));
    } else if (stop == Stop::kElse) {
      node.else_list = BERTH_TRY(parse_list(stop));
      if (stop == Stop::kElse || stop == Stop::kElseIf || stop == Stop::kElseWith) {
        return error("expected end; found {{else}}");
      }
    } else if (stop == Stop::kElseIf || stop == Stop::kElseWith) {
      return error(fmt::format("unexpected <{}> in input", stop == Stop::kElseIf ? "if" : "with"));
    }
    if (stop == Stop::kEof) {
      return error("unexpected EOF");
    }
    vars_.resize(mark);
    --depth_;
    return node;
  }

  Result<void> declare(const std::string& name, bool assign) {
    if (!assign) {
      vars_.push_back(name);
    } else if (std::find(vars_.begin(), vars_.end(), name) == vars_.end()) {
      return error(fmt::format("undefined variable \"{}\"", name));
    }
    return {};
  }

  // "$x :=", "$x =", and in range "$k, $v :=".
  Result<void> parse_decl(Pipeline& pipe, std::string_view context) {
    if (peek_non_space().type != Tok::kVariable) {
      return {};
    }
    size_t save = i_;
    Token v = next();
    Token t = next_non_space();
    if (t.type == Tok::kComma) {
      if (context != "range") {
        return error(fmt::format("too many declarations in {}", context));
      }
      Token v2 = next_non_space();
      if (v2.type != Tok::kVariable) {
        return error("range can only initialize variables");
      }
      t = next_non_space();
      if (t.type != Tok::kDeclare && t.type != Tok::kAssign) {
        return unexpected(t, context);
      }
      pipe.decl = {v.val, v2.val};
    } else if (t.type == Tok::kDeclare || t.type == Tok::kAssign) {
      pipe.decl = {v.val};
    } else {
      i_ = save;
      return {};
    }
    pipe.is_assign = t.type == Tok::kAssign;
    for (const std::string& name : pipe.decl) {
      BERTH_CHECK(declare(name, pipe.is_assign));
    }
    return {};
  }

  Result<Pipeline> parse_pipeline(std::string_view context, Tok end) {
    // Parsing and execution recurse once per level; bound them well within the stack.
    if (++depth_ > kMaxDepth) {
      return error("template nesting too deep");
    }
    Pipeline pipe;
    pipe.pos = peek_non_space().pos;
    BERTH_CHECK(parse_decl(pipe, context));
    while (true) {
      Token t = next_non_space();
      if (t.type == end) {
        if (pipe.cmds.empty()) {
          return error(fmt::format("missing value for {}", context));
        }
        break;
      }
      static constexpr Tok kStarts[] = {Tok::kBool,       Tok::kDot,    Tok::kField,
                                        Tok::kIdentifier, Tok::kNil,    Tok::kNumber,
                                        Tok::kLeftParen,  Tok::kString, Tok::kVariable};
      if (std::find(std::begin(kStarts), std::end(kStarts), t.type) == std::end(kStarts)) {
        return unexpected(t, context);
      }
      backup();
      pipe.cmds.push_back(BERTH_TRY(parse_command()));
    }
    for (size_t k = 1; k < pipe.cmds.size(); ++k) {
      ArgKind first = pipe.cmds[k].args[0].kind;
      if (first == ArgKind::kLiteral || first == ArgKind::kDot || first == ArgKind::kNil) {
        return error(fmt::format("non executable command in pipeline stage {}", k + 1));
      }
    }
    size_t end_pos = last().pos;
    pipe.text = std::string(src_.substr(pipe.pos, end_pos > pipe.pos ? end_pos - pipe.pos : 0));
    while (!pipe.text.empty() && is_space_char(pipe.text.back())) {
      pipe.text.pop_back();
    }
    --depth_;
    return pipe;
  }

  Result<Command> parse_command() {
    Command cmd;
    cmd.pos = peek_non_space().pos;
    while (true) {
      auto arg = BERTH_TRY(parse_operand());
      if (arg) {
        cmd.args.push_back(std::move(*arg));
      }
      Token t = next();
      if (t.type == Tok::kSpace) {
        continue;
      }
      if (t.type == Tok::kRightDelim || t.type == Tok::kRightParen) {
        backup();
      } else if (t.type != Tok::kPipe) {
        return unexpected(t, "operand");
      }
      break;
    }
    if (cmd.args.empty()) {
      return error("empty command");
    }
    cmd.text = text_from(cmd.pos);
    if (size_t bar = cmd.text.rfind('|'); bar != std::string::npos && bar + 1 == cmd.text.size()) {
      cmd.text.pop_back();
      while (!cmd.text.empty() && is_space_char(cmd.text.back())) {
        cmd.text.pop_back();
      }
    }
    return cmd;
  }

  // A term followed by a field chain.
  Result<std::optional<Arg>> parse_operand() {
    auto term = BERTH_TRY(parse_term());
    if (!term || peek().type != Tok::kField) {
      return term;
    }
    if (term->kind != ArgKind::kField && term->kind != ArgKind::kVariable &&
        term->kind != ArgKind::kPipeline) {
      return error(fmt::format("unexpected . after term \"{}\"", term->text));
    }
    while (peek().type == Tok::kField) {
      term->fields.push_back(next().val);
    }
    term->text = text_from(term->pos);
    return term;
  }

  Result<std::optional<Arg>> parse_term() {
    Token t = next_non_space();
    Arg arg;
    arg.pos = t.pos;
    switch (t.type) {
      case Tok::kIdentifier:
        if (!is_function(t.val)) {
          return error(fmt::format("function \"{}\" not defined", t.val));
        }
        arg.kind = ArgKind::kFunction;
        arg.name = t.val;
        break;
      case Tok::kDot:
        arg.kind = ArgKind::kDot;
        break;
      case Tok::kNil:
        arg.kind = ArgKind::kNil;
        break;
      case Tok::kVariable:
        if (std::find(vars_.begin(), vars_.end(), t.val) == vars_.end()) {
          return error(fmt::format("undefined variable \"{}\"", t.val));
        }
        arg.kind = ArgKind::kVariable;
        arg.name = t.val;
        break;
      case Tok::kField:
        arg.kind = ArgKind::kField;
        arg.fields.push_back(t.val);
        break;
      case Tok::kBool:
        arg.kind = ArgKind::kLiteral;
        arg.literal = t.val == "true";
        break;
      case Tok::kNumber: {
        auto number = parse_number(t.val);
        if (!number) {
          return error(fmt::format("illegal number syntax: \"{}\"", t.val));
        }
        arg.kind = ArgKind::kLiteral;
        arg.literal = std::move(*number);
        break;
      }
      case Tok::kString:
        arg.kind = ArgKind::kLiteral;
        arg.literal = t.val;
        break;
      case Tok::kLeftParen:
        arg.kind = ArgKind::kPipeline;
        arg.pipe = std::make_shared<const Pipeline>(
            BERTH_TRY(parse_pipeline("parenthesized pipeline", Tok::kRightParen)));
        break;
      default:
        backup();
        return std::nullopt;
    }
    arg.text = text_from(arg.pos);
    return arg;
  }

  std::string_view src_;
  std::vector<Token> toks_;
  size_t i_ = 0;
  std::vector<std::string> vars_{"$"};  // variables in scope; "$" is always there
  int depth_ = 0;                       // nesting of controls and parenthesized pipelines
  static constexpr int kMaxDepth = 500;
};

}  // namespace

Result<Tree> parse_tree(std::string_view source) {
  auto toks = BERTH_TRY(lex(source));
  return Parser(source, std::move(toks)).run();
}

}  // namespace berth::cli::tmpl
