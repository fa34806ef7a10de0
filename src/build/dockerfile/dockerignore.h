// .dockerignore: reading the file and deciding which context paths it excludes, exactly as
// BuildKit does through moby/patternmatcher (ignorefile.ReadAll, New, MatchesUsingParentResults).
// Patterns are anchored at the context root, `*` and `?` stop at '/', `**` crosses it, a pattern
// also matches everything below a directory it matches, the last matching pattern wins, and
// `!pattern` re-includes. Pure computation: no I/O, safe to share between threads once built.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::build {

class DockerIgnore {
 public:
  // What a directory's match left for its children (one flag per pattern); start from {} at the
  // context root.
  struct ParentMatch {
    std::vector<bool> matched;
  };

  // Reads a .dockerignore: a BOM is dropped, lines starting with '#' in column 0 are comments,
  // lines are trimmed, blank lines skipped, `!` marks an exception, each pattern is cleaned like
  // a path and loses one leading '/'. InvalidArgument for a lone "!" ("illegal exclusion
  // pattern") and for a malformed glob ("syntax error in pattern: [a-"), naming the line.
  static Result<DockerIgnore> parse(std::string_view content);

  // The patterns as cleaned, exceptions with their leading '!'.
  std::vector<std::string> patterns() const;
  bool has_exceptions() const { return has_exceptions_; }

  // Whether `path` (context-relative, '/'-separated, no leading or trailing '/') is excluded,
  // given what its parent directory's call returned in *out (pass {} for a top-level entry and
  // for a path whose parents were not matched). Fills *out for the path's children. An error
  // (InvalidArgument) only for a pattern that passed the glob check but cannot be compiled, such
  // as the reversed range in "[Local-Only]".
  Result<bool> excluded(std::string_view path, const ParentMatch& parent, ParentMatch* out) const;

  // excluded() chained over every parent directory of path, as a walk would.
  Result<bool> excluded(std::string_view path) const;

  // For an excluded directory: whether it must still be walked because an exception pattern may
  // re-include something below it. Conservative: true unless no exception can apply below dir.
  bool must_walk_excluded_dir(std::string_view dir) const;

  // One compiled pattern (internal; public only for the implementation's helpers).
  struct Token {
    enum Kind {
      kLit,           // one code point
      kNotSlash,      // ?  : one code point other than '/'
      kStarNotSlash,  // *  : any run without '/'
      kDotStar,       // trailing ** after other wildcards: any run (not across '\n')
      kOptDirs,       // **/ : nothing, or any run ending in '/'
      kClass,         // [...] or \d \s \w and their negations
      kCaret,         // a '^' outside a class: BuildKit's regexp reads it as "start of text"
    } kind;
    char32_t cp = 0;
    bool negated = false;
    std::vector<std::pair<char32_t, char32_t>> ranges;
  };
  struct Pattern {
    enum Type { kExact, kPrefix, kSuffix, kRegexp, kBad } type = kExact;
    std::string cleaned;  // without the '!'
    bool exclusion = false;
    std::vector<Token> program;  // for kRegexp
  };

 private:
  std::vector<Pattern> patterns_;
  bool has_exceptions_ = false;
};

// Go's path.Clean: the shortest equivalent path ("a//b/./../c/" → "a/c", "" → ".").
std::string clean_path(std::string_view path);

}  // namespace berth::build
