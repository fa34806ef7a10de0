// Shell patterns of ${v#pat}, ${v%pat} and ${v/pat/repl} (shell_words.h), matched as BuildKit
// matches them: it turns the pattern into a Go regular expression where `*` is `.*` (or `.*?`),
// `?` is `.`, and `\*`, `\?`, `\\` are literal; `.` never matches a newline. No bracket
// expressions. Pure functions.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::build {

// ${v#pat} (greedy false) and ${v##pat} (greedy true): value without the shortest / longest
// prefix that pat matches; value unchanged when none does. InvalidArgument for an escape other
// than \* \? \\ \} \/ ("invalid pattern (a\x) in substitution: invalid escape '\x'").
Result<std::string> shell_trim_prefix(std::string_view pattern, std::string_view value,
                                      bool greedy);
// ${v%pat} and ${v%%pat}: the same at the end of value.
Result<std::string> shell_trim_suffix(std::string_view pattern, std::string_view value,
                                      bool greedy);
// ${v/pat/repl} (all false) and ${v//pat/repl} (all true): the leftmost (every) longest match
// replaced. With all, `$0`/`${0}` in repl is the match, `$$` a dollar, other `$name` empty, as in
// Go's Regexp.ReplaceAllString.
Result<std::string> shell_replace(std::string_view pattern, std::string_view repl,
                                  std::string_view value, bool all);

}  // namespace berth::build
