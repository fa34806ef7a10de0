// The Dockerfile parser: text → a list of instructions, with BuildKit's behaviour
// (frontend/dockerfile/parser), described in ../shared/conformance/dockerfile-parser/FORMAT.md.
// It only structures the text: keywords are not checked (an unknown one is an instruction with
// one empty argument), variables are not expanded and quotes are kept in ENV/LABEL/ARG values;
// that is the builder's job. Pure computation: no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::build {

// A heredoc attached to RUN, COPY or ADD (`<<EOF`, `<<-EOF`, `3<<'EOF'`).
struct Heredoc {
  std::string name;     // also the terminator line
  unsigned fd = 0;      // the file descriptor written before <<, 0 by default
  bool expand = true;   // false when any part of the name was quoted: the body stays literal
  bool chomp = false;   // `<<-`: the builder strips leading tabs (the parser does not)
  std::string content;  // the body lines with their original line endings
};

// One instruction. Lines count from 1 in the original file; the range covers continuation lines,
// comments and blank lines inside it, and heredoc bodies with their terminators.
struct Instruction {
  std::string keyword;               // as written (the case is kept; compare with lower())
  std::vector<std::string> flags;    // "--from=build", quotes removed and escapes applied
  std::vector<std::string> args;     // the arguments by the keyword's rule (FORMAT.md section 6)
  bool json = false;                 // the arguments came from a JSON array (exec form)
  std::vector<Instruction> onbuild;  // ONBUILD: the nested instruction (none or one)
  std::vector<Heredoc> heredocs;     // in the order the line names them
  std::string original;              // the joined logical line
  int start_line = 0;
  int end_line = 0;

  // The keyword in lowercase ("run"); what the builder dispatches on.
  std::string lower() const;
};

// A parser directive from the top of the file (`# syntax=…`, `# escape=…`, `# check=…`).
struct Directive {
  std::string name;  // lowercase
  std::string value;
  int line = 0;
};

struct ParseWarning {
  std::string message;  // "Empty continuation line found in: RUN a   b"
  int line = 0;
};

struct Dockerfile {
  std::vector<Instruction> instructions;  // never empty
  std::vector<Directive> directives;
  std::vector<ParseWarning> warnings;
  char escape = '\\';  // '\\' or '`'
  int start_line = 0;  // first instruction's start
  int end_line = 0;    // last instruction's end
};

// Parses a whole Dockerfile. `source` names it in errors, which are InvalidArgument and one line:
//   "Dockerfile:7: Syntax error - can't find = in \"c\". Must be of the form: name=value"
// Errors: no instructions, a JSON array with a non-string element, ENV/LABEL without a value or
// with a word lacking '=', an invalid or repeated directive, an unterminated heredoc, a line
// longer than 65535 bytes.
Result<Dockerfile> parse_dockerfile(std::string_view text, std::string_view source = "Dockerfile");

// The conformance dump of one instruction, without the surrounding parentheses:
//   run ["--mount=type=cache,target=/x"] "make"      onbuild (copy ["--from=b"] "a" "b")
std::string dump_instruction(const Instruction& ins);
// BuildKit's Node.Dump of the whole file plus "\n": one "(" + dump_instruction + ")" per line.
std::string dump_dockerfile(const Dockerfile& df);
// The `nodes` form: "#<i> lines <start>-<end>: (<dump>)" per instruction, followed by one line
// "   heredoc name=… fd=… expand=… chomp=… content=…" per heredoc; each line ends in "\n".
std::string dump_nodes(const Dockerfile& df);

}  // namespace berth::build
