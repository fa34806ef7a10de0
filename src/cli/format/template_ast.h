// Internals of the Go text/template subset (go_template.h): tokens, the parse tree, and the
// entry points of the lexer and parser. Only src/cli/format uses this header.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace berth::cli::tmpl {

enum class Tok {
  kText,
  kLeftDelim,
  kRightDelim,
  kSpace,
  kField,     // ".Name": val is "Name"
  kVariable,  // "$x" or "$"
  kDot,       // "."
  kString,    // val is the unquoted value
  kNumber,    // val is the source text
  kBool,      // "true" / "false"
  kNil,
  kIdentifier,  // a function name
  kKeyword,     // if else end range with, and unsupported ones (define template block …)
  kPipe,
  kLeftParen,
  kRightParen,
  kDeclare,  // :=
  kAssign,   // =
  kComma,
  kEof,
};

struct Token {
  Tok type = Tok::kEof;
  std::string val;
  size_t pos = 0;  // byte offset in the template source
};

// Splits a template into tokens, applying trim markers ("{{- ", " -}}") to the text around them
// and dropping comments. Errors are InvalidArgument "template: :LINE: …", as Go words them.
Result<std::vector<Token>> lex(std::string_view source);

// "template: :LINE: msg" for the byte offset pos of source.
Error parse_error(std::string_view source, size_t pos, std::string_view msg);

struct Pipeline;

enum class ArgKind { kDot, kField, kVariable, kLiteral, kNil, kFunction, kPipeline };

// One operand of a command: a term and the field chain after it (".A.B" is a kField with
// fields {"A", "B"}; "$x.A" a kVariable "$x" with fields {"A"}; "(…).A" a kPipeline).
struct Arg {
  ArgKind kind = ArgKind::kNil;
  std::string name;  // variable or function name
  Json literal;      // kLiteral: a string, number or bool constant
  std::vector<std::string> fields;
  std::shared_ptr<const Pipeline> pipe;  // kPipeline
  size_t pos = 0;
  std::string text;  // source text, for error messages
};

// A command: a function call ("join .Names \",\"") or a single operand.
struct Command {
  std::vector<Arg> args;
  size_t pos = 0;
  std::string text;
};

// "$x := cmd | cmd | …": commands chained by '|', each receiving the previous result as its last
// argument.
struct Pipeline {
  std::vector<std::string> decl;  // variables declared (":=") or assigned ("=")
  bool is_assign = false;
  std::vector<Command> cmds;
  size_t pos = 0;
  std::string text;
};

enum class NodeKind { kText, kAction, kIf, kRange, kWith };

struct Node {
  NodeKind kind = NodeKind::kText;
  std::string text;  // kText
  Pipeline pipe;     // every other kind
  std::vector<Node> list;
  std::vector<Node> else_list;
};

struct Tree {
  std::string source;
  std::vector<Node> root;
};

// Parses a whole template. Errors are InvalidArgument "template: :LINE: …" (no context added).
Result<Tree> parse_tree(std::string_view source);

// True if name is one of the template functions (builtins and docker's).
bool is_function(std::string_view name);

// True if name is "and" or "or", which the executor evaluates itself (lazily).
bool is_lazy_function(std::string_view name);

// Calls the function `name` (is_function, not lazy) on evaluated arguments; `piped` says the last
// one came from the previous command of a pipeline. With `header`, the text functions docker
// overrides for table headers (json split join title lower upper truncate) return their first
// argument unchanged (the piped one when piped: {{.Names | join ","}}). Errors are InvalidArgument
// with Go's wording
// ("wrong number of args for len: want 1 got 2", "error calling index: index out of range: 3");
// the executor adds where it happened.
Result<Json> call_function(std::string_view name, std::vector<Json>& args, bool piped, bool header);

// Go's truth of a value in if/with/and/or/not: false, 0, "", null, [] and {} are false.
bool truth(const Json& v);

}  // namespace berth::cli::tmpl
