// patternmatcher turns each pattern into a Go regular expression (or a plain prefix, suffix or
// equality test) and validates it first with filepath.Match. Here the same decisions are made,
// but the "regular expression" is kept as a token list matched by a memoised backtracking search,
// which gives RE2's answer for the few constructs patternmatcher emits.
#include "build/dockerfile/dockerignore.h"

#include <string>

#include "build/dockerfile/unicode.h"

namespace berth::build {
namespace {

using Token = DockerIgnore::Token;
using Pattern = DockerIgnore::Pattern;

Token tok(Token::Kind kind, char32_t cp = 0, bool negated = false,
          std::vector<std::pair<char32_t, char32_t>> ranges = {}) {
  Token t;
  t.kind = kind;
  t.cp = cp;
  t.negated = negated;
  t.ranges = std::move(ranges);
  return t;
}

Error bad(std::string message) { return Error(Code::kInvalidArgument, std::move(message)); }

// filepath.Match's getEsc: one class item, or false when malformed.
bool glob_class_item(std::string_view& s) {
  if (s.empty() || s[0] == '-' || s[0] == ']') {
    return false;
  }
  if (s[0] == '\\') {
    s.remove_prefix(1);
    if (s.empty()) {
      return false;
    }
  }
  Rune r = decode_rune(s);
  if (r.cp == kReplacementChar && r.width == 1) {
    return false;
  }
  s.remove_prefix(r.width);
  return !s.empty();
}

// Whether filepath.Match accepts the pattern's syntax (it checks the whole pattern).
bool glob_syntax_ok(std::string_view s) {
  while (!s.empty()) {
    char c = s[0];
    s.remove_prefix(1);
    if (c == '\\') {
      if (s.empty()) {
        return false;
      }
      s.remove_prefix(1);
    } else if (c == '[') {
      if (!s.empty() && s[0] == '^') {
        s.remove_prefix(1);
      }
      for (int n = 0;; ++n) {
        if (!s.empty() && s[0] == ']' && n > 0) {
          s.remove_prefix(1);
          break;
        }
        if (!glob_class_item(s)) {
          return false;
        }
        if (s[0] == '-') {
          s.remove_prefix(1);
          if (!glob_class_item(s)) {
            return false;
          }
        }
      }
    }
  }
  return true;
}

struct Scanner {
  std::string_view s;
  size_t pos = 0;
  bool eof() const { return pos >= s.size(); }
  char32_t peek() const { return eof() ? 0 : decode_rune(s.substr(pos)).cp; }
  char32_t next() {
    Rune r = decode_rune(s.substr(pos));
    pos += r.width;
    return r.cp;
  }
};

bool is_alnum(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// A regexp escape \c outside or inside a class: a literal, a Perl class, or false (RE2 would
// refuse to compile it).
bool escape_token(char32_t c, Token* t) {
  static const std::vector<std::pair<char32_t, char32_t>> kDigit = {{'0', '9'}};
  static const std::vector<std::pair<char32_t, char32_t>> kSpace = {
      {'\t', '\n'}, {'\f', '\r'}, {' ', ' '}};
  static const std::vector<std::pair<char32_t, char32_t>> kWord = {
      {'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
  if (!is_alnum(c)) {
    *t = tok(Token::kLit, c);
    return true;
  }
  switch (c) {
    case 'd':
    case 'D':
      *t = tok(Token::kClass, 0, c == 'D', kDigit);
      return true;
    case 's':
    case 'S':
      *t = tok(Token::kClass, 0, c == 'S', kSpace);
      return true;
    case 'w':
    case 'W':
      *t = tok(Token::kClass, 0, c == 'W', kWord);
      return true;
    case 'a':
      *t = tok(Token::kLit, '\a');
      return true;
    case 'f':
      *t = tok(Token::kLit, '\f');
      return true;
    case 't':
      *t = tok(Token::kLit, '\t');
      return true;
    case 'n':
      *t = tok(Token::kLit, '\n');
      return true;
    case 'r':
      *t = tok(Token::kLit, '\r');
      return true;
    case 'v':
      *t = tok(Token::kLit, '\v');
      return true;
    default:
      return false;
  }
}

// A bracket expression after its '[' (already validated by glob_syntax_ok). False when RE2 would
// reject it: a reversed range such as "l-O", or an unknown escape.
bool compile_class(Scanner& sc, Token* out) {
  *out = tok(Token::kClass);
  if (sc.peek() == '^') {
    sc.next();
    out->negated = true;
  }
  for (bool first = true; !sc.eof(); first = false) {
    char32_t c = sc.next();
    if (c == ']' && !first) {
      return true;
    }
    char32_t lo = c;
    if (c == '\\') {
      Token esc{};
      if (!escape_token(sc.next(), &esc)) {
        return false;
      }
      if (esc.kind == Token::kClass) {
        // A Perl class inside brackets: only its plain (non-negated) form is supported.
        if (esc.negated) {
          return false;
        }
        out->ranges.insert(out->ranges.end(), esc.ranges.begin(), esc.ranges.end());
        continue;
      }
      lo = esc.cp;
    }
    char32_t hi = lo;
    if (sc.peek() == '-' && sc.pos + 1 < sc.s.size() && sc.s[sc.pos + 1] != ']') {
      sc.next();
      hi = sc.next();
      if (hi == '\\') {
        Token esc{};
        if (!escape_token(sc.next(), &esc) || esc.kind != Token::kLit) {
          return false;
        }
        hi = esc.cp;
      }
      if (hi < lo) {
        return false;
      }
    }
    out->ranges.emplace_back(lo, hi);
  }
  return false;
}

// patternmatcher's Pattern.compile.
void compile(Pattern* p) {
  Scanner sc{p->cleaned};
  Pattern::Type type = Pattern::kExact;
  auto& prog = p->program;
  for (int i = 0; !sc.eof(); ++i) {
    char32_t ch = sc.next();
    if (ch == '*' && sc.peek() == '*') {
      sc.next();
      if (sc.peek() == '/') {
        sc.next();  // "**/" is "**"
      }
      if (sc.eof()) {
        if (type == Pattern::kExact) {
          type = Pattern::kPrefix;
        } else {
          prog.push_back(tok(Token::kDotStar));
          type = Pattern::kRegexp;
        }
      } else {
        prog.push_back(tok(Token::kOptDirs));
        type = Pattern::kRegexp;
      }
      if (i == 0) {
        type = Pattern::kSuffix;
      }
    } else if (ch == '*' || ch == '?') {
      prog.push_back(tok(ch == '*' ? Token::kStarNotSlash : Token::kNotSlash));
      type = Pattern::kRegexp;
    } else if (ch == '\\') {
      Token t{};
      if (sc.eof()) {
        t = tok(Token::kLit, '\\');
      } else if (!escape_token(sc.next(), &t)) {
        p->type = Pattern::kBad;
        return;
      }
      prog.push_back(t);
      type = Pattern::kRegexp;
    } else if (ch == '[') {
      Token t{};
      if (!compile_class(sc, &t)) {
        p->type = Pattern::kBad;
        return;
      }
      prog.push_back(std::move(t));
      type = Pattern::kRegexp;
    } else if (ch == ']') {
      prog.push_back(tok(Token::kLit, ']'));
      type = Pattern::kRegexp;
    } else {
      prog.push_back(tok(ch == '^' ? Token::kCaret : Token::kLit, ch));
    }
  }
  p->type = type;
}

bool class_has(const Token& t, char32_t c) {
  bool in = false;
  for (auto [lo, hi] : t.ranges) {
    in = in || (c >= lo && c <= hi);
  }
  return in != t.negated;
}

// Full match of a token program against a path (RE2's ^...$ semantics for these tokens).
class Matcher {
 public:
  Matcher(const std::vector<Token>& prog, std::string_view path) : prog_(prog) {
    for (size_t i = 0; i < path.size();) {
      Rune r = decode_rune(path.substr(i));
      s_.push_back(r.cp);
      i += r.width;
    }
    memo_.assign((prog.size() + 1) * (s_.size() + 1), -1);
  }

  bool match(size_t ti, size_t si) {
    signed char& m = memo_[ti * (s_.size() + 1) + si];
    if (m < 0) {
      m = compute(ti, si) ? 1 : 0;
    }
    return m == 1;
  }

 private:
  bool run(size_t ti, size_t si, size_t max) {
    for (size_t k = max + 1; k-- > si;) {
      if (match(ti + 1, k)) {
        return true;
      }
    }
    return false;
  }

  bool compute(size_t ti, size_t si) {
    if (ti == prog_.size()) {
      return si == s_.size();
    }
    const Token& t = prog_[ti];
    bool more = si < s_.size();
    switch (t.kind) {
      case Token::kLit:
        return more && s_[si] == t.cp && match(ti + 1, si + 1);
      case Token::kNotSlash:
        return more && s_[si] != '/' && match(ti + 1, si + 1);
      case Token::kClass:
        return more && class_has(t, s_[si]) && match(ti + 1, si + 1);
      case Token::kCaret:
        return si == 0 && match(ti + 1, si);
      case Token::kStarNotSlash:
      case Token::kDotStar: {
        size_t max = si;
        char32_t stop = t.kind == Token::kStarNotSlash ? U'/' : U'\n';
        while (max < s_.size() && s_[max] != stop) {
          ++max;
        }
        return run(ti, si, max);
      }
      case Token::kOptDirs: {
        // (.*/)? : any '/'-terminated run without '\n', or nothing.
        for (size_t k = si; k < s_.size() && s_[k] != '\n'; ++k) {
          if (s_[k] == '/' && match(ti + 1, k + 1)) {
            return true;
          }
        }
        return match(ti + 1, si);
      }
    }
    return false;
  }

  const std::vector<Token>& prog_;
  std::vector<char32_t> s_;
  std::vector<signed char> memo_;
};

Result<bool> pattern_matches(const Pattern& p, std::string_view path) {
  std::string_view c = p.cleaned;
  switch (p.type) {
    case Pattern::kExact:
      return path == c;
    case Pattern::kPrefix:
      return path.substr(0, c.size() - 2) == c.substr(0, c.size() - 2);
    case Pattern::kSuffix: {
      std::string_view suffix = c.substr(2);
      if (path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix) {
        return true;
      }
      return !suffix.empty() && suffix[0] == '/' && path == suffix.substr(1);
    }
    case Pattern::kRegexp:
      return Matcher(p.program, path).match(0, 0);
    case Pattern::kBad:
      break;
  }
  return tl::unexpected(bad("syntax error in pattern: " + p.cleaned));
}

// Lines as bufio.ScanLines gives them: split at '\n', one trailing '\r' dropped.
std::vector<std::string_view> scan_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    lines.push_back(line);
  }
  return lines;
}

// Whether one component (without "**") of an exception pattern may match one directory name. A
// pattern that cannot be compiled counts as a possible match (walking more is only slower, never
// wrong).
bool component_matches(std::string_view pc, std::string_view dc) {
  if (pc.find_first_of("*?[\\") == std::string_view::npos) {
    return pc == dc;
  }
  Pattern p;
  p.cleaned = std::string(pc);
  compile(&p);
  Result<bool> r = pattern_matches(p, dc);
  return !r || *r;
}

}  // namespace

std::string clean_path(std::string_view path) {
  if (path.empty()) {
    return ".";
  }
  bool rooted = path[0] == '/';
  std::vector<std::string_view> out;
  size_t dotdots = 0;  // leading ".." elements that cannot be removed
  for (size_t i = 0; i <= path.size();) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) {
      j = path.size();
    }
    std::string_view elem = path.substr(i, j - i);
    i = j + 1;
    if (elem.empty() || elem == ".") {
      continue;
    }
    if (elem == "..") {
      if (out.size() > dotdots) {
        out.pop_back();
      } else if (!rooted) {
        out.push_back(elem);
        ++dotdots;
      }
      continue;
    }
    out.push_back(elem);
  }
  std::string result = rooted ? "/" : "";
  for (size_t k = 0; k < out.size(); ++k) {
    result += (k == 0 ? "" : "/") + std::string(out[k]);
  }
  return result.empty() ? "." : result;
}

Result<DockerIgnore> DockerIgnore::parse(std::string_view content) {
  DockerIgnore di;
  std::vector<std::string_view> lines = scan_lines(content);
  for (size_t n = 0; n < lines.size(); ++n) {
    std::string_view line = lines[n];
    if (n == 0 && line.substr(0, 3) == "\xEF\xBB\xBF") {
      line.remove_prefix(3);
    }
    if (!line.empty() && line[0] == '#') {
      continue;
    }
    std::string_view t = trim_space(line);
    if (t.empty()) {
      continue;
    }
    bool invert = t[0] == '!';
    if (invert) {
      t = trim_space(t.substr(1));
    }
    std::string pat(t);
    if (!pat.empty()) {
      pat = clean_path(pat);
      if (pat.size() > 1 && pat[0] == '/') {
        pat.erase(0, 1);
      }
    }
    // patternmatcher.New trims and cleans again, '!' included ("!/" becomes "!").
    std::string again = std::string(trim_space((invert ? "!" : "") + pat));
    if (again.empty()) {
      continue;
    }
    std::string full = clean_path(again);
    Pattern p;
    if (full[0] == '!') {
      if (full.size() == 1) {
        return fail(Code::kInvalidArgument, ".dockerignore line " + std::to_string(n + 1) +
                                                ": illegal exclusion pattern: \"!\"");
      }
      p.exclusion = true;
      di.has_exceptions_ = true;
      full.erase(0, 1);
    }
    if (!glob_syntax_ok(full)) {
      return fail(Code::kInvalidArgument, ".dockerignore line " + std::to_string(n + 1) +
                                              ": syntax error in pattern: " + full);
    }
    p.cleaned = std::move(full);
    compile(&p);
    di.patterns_.push_back(std::move(p));
  }
  return di;
}

std::vector<std::string> DockerIgnore::patterns() const {
  std::vector<std::string> out;
  for (const Pattern& p : patterns_) {
    out.push_back((p.exclusion ? "!" : "") + p.cleaned);
  }
  return out;
}

Result<bool> DockerIgnore::excluded(std::string_view path, const ParentMatch& parent,
                                    ParentMatch* out) const {
  const std::vector<bool>& pm = parent.matched;
  if (!pm.empty() && pm.size() != patterns_.size()) {
    return fail(Code::kInternal, "dockerignore: wrong number of parent match results");
  }
  ParentMatch info;
  info.matched.assign(patterns_.size(), false);
  bool matched = false;
  for (size_t i = 0; i < patterns_.size(); ++i) {
    const Pattern& p = patterns_[i];
    bool m = !pm.empty() && pm[i];
    if (!m) {
      if (p.exclusion != matched) {
        continue;
      }
      m = BERTH_TRY(pattern_matches(p, path));
      if (!m && pm.empty()) {
        // No parent results: try every parent directory, as MatchesOrParentMatches does.
        for (size_t slash = path.find('/'); !m && slash != std::string_view::npos;
             slash = path.find('/', slash + 1)) {
          Result<bool> r = pattern_matches(p, path.substr(0, slash));
          m = r && *r;
        }
      }
    }
    info.matched[i] = m;
    if (m) {
      matched = !p.exclusion;
    }
  }
  *out = std::move(info);
  return matched;
}

Result<bool> DockerIgnore::excluded(std::string_view path) const {
  ParentMatch parent;
  ParentMatch next;
  for (size_t pos = 0;;) {
    size_t slash = path.find('/', pos);
    bool result = BERTH_TRY(excluded(path.substr(0, slash), parent, &next));
    if (slash == std::string_view::npos) {
      return result;
    }
    parent = std::move(next);
    pos = slash + 1;
  }
}

bool DockerIgnore::must_walk_excluded_dir(std::string_view dir) const {
  std::string d(dir);
  for (const Pattern& p : patterns_) {
    if (!p.exclusion) {
      continue;
    }
    // Compare component by component up to the first one with a wildcard (which might match).
    std::string_view pat = p.cleaned;
    std::string_view rest = d;
    for (;;) {
      size_t ps = pat.find('/');
      size_t ds = rest.find('/');
      std::string_view pc = pat.substr(0, ps);
      std::string_view dc = rest.substr(0, ds);
      if (pc.find("**") != std::string_view::npos) {
        return true;  // spans any number of directories
      }
      if (!component_matches(pc, dc)) {
        break;
      }
      if (ds == std::string_view::npos || ps == std::string_view::npos) {
        return true;  // the exception names dir, something below it, or one of its parents
      }
      pat.remove_prefix(ps + 1);
      rest.remove_prefix(ds + 1);
    }
  }
  return false;
}

}  // namespace berth::build
