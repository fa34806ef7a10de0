// BuildKit's shell-word lexer (frontend/dockerfile/shell): quotes, escapes and variable
// expansion as instructions apply them to their arguments, and the word splitting the parser uses
// to find heredocs. It mimics a POSIX shell only as far as BuildKit does: `$v`, `${v}`,
// `${v:-x}`, `${v-x}`, `${v:+x}`, `${v+x}`, `${v:?msg}`, `${v?msg}`, `${v#pat}`, `${v##pat}`,
// `${v%pat}`, `${v%%pat}`, `${v/pat/repl}`, `${v//pat/repl}`; no command substitution, no
// arithmetic, no globbing. Pure computation: no I/O, nothing shared between calls.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::build {

struct ShellLexOptions {
  // The escape character: '\\' or '`' (the Dockerfile's escape directive).
  char escape = '\\';
  // Keep quote characters in the output (the text inside is still treated as quoted).
  bool raw_quotes = false;
  // Keep escape characters in the output (the escaped character is still taken literally).
  bool raw_escapes = false;
  // Leave references to unset variables exactly as written ("$v", "${v:-x}").
  bool skip_unset_env = false;
  // Treat ' and " as ordinary characters.
  bool skip_process_quotes = false;
};

// Looks a variable up; nullopt when it is unset (an empty value is set).
using ShellEnv = std::function<std::optional<std::string>(std::string_view name)>;

// What one expansion produced.
struct ShellExpansion {
  std::string result;               // the expanded text, spaces kept (ProcessWord)
  std::vector<std::string> words;   // the same split into words (ProcessWords)
  std::set<std::string> matched;    // variables looked up that were set
  std::set<std::string> unmatched;  // variables looked up that were unset
};

// Expands `word`. Errors (InvalidArgument) are one line, as BuildKit words them:
//   failed to process "${v:?}": v: is not allowed to be unset
// An unterminated quote, a missing '}', a bad substitution, an unsupported modifier or an invalid
// pattern are errors; an unset variable is not (it expands to "" unless skip_unset_env).
Result<ShellExpansion> shell_expand(std::string_view word, const ShellEnv& env,
                                    const ShellLexOptions& opts = {});

// Convenience forms of shell_expand: the expanded text, or the words.
Result<std::string> shell_expand_word(std::string_view word, const ShellEnv& env,
                                      const ShellLexOptions& opts = {});
Result<std::vector<std::string>> shell_expand_words(std::string_view word, const ShellEnv& env,
                                                    const ShellLexOptions& opts = {});

// An environment with no variables set.
ShellEnv empty_shell_env();

}  // namespace berth::build
