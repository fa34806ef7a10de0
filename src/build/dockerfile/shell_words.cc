// A port of BuildKit's shell lexer (frontend/dockerfile/shell/lex.go) with its quirks kept, since
// images must build the same as with docker: e.g. the word buffer is shared with nested ${...}
// processing, so text right before a ${v:-x} in the same word is dropped from the word list (not
// from the expanded text).
#include "build/dockerfile/shell_words.h"

#include <cstdint>

#include "build/dockerfile/shell_pattern.h"
#include "build/dockerfile/unicode.h"

namespace berth::build {
namespace {

constexpr int32_t kEof = -1;

std::string rune_text(int32_t ch) {
  std::string s;
  append_utf8(s, ch < 0 ? kReplacementChar : static_cast<char32_t>(ch));
  return s;
}

Error lex_error(std::string message) { return Error(Code::kInvalidArgument, std::move(message)); }

// The word list being built; `buf` is the lexer's shared buffer (see the file comment).
struct Words {
  std::string* buf = nullptr;
  std::vector<std::string> words;
  bool in_word = false;

  void add_char(int32_t ch) {
    bool space = is_space(static_cast<char32_t>(ch));
    if (space && in_word) {
      if (!buf->empty()) {
        words.push_back(*buf);
        buf->clear();
        in_word = false;
      }
    } else if (!space) {
      add_raw_char(ch);
    }
  }
  void add_raw_char(int32_t ch) {
    append_utf8(*buf, static_cast<char32_t>(ch));
    in_word = true;
  }
  void add_string(std::string_view s) {
    for (size_t i = 0; i < s.size();) {
      Rune r = decode_rune(s.substr(i));
      add_char(static_cast<int32_t>(r.cp));
      i += r.width;
    }
  }
  void add_raw_string(std::string_view s) {
    *buf += s;
    in_word = true;
  }
  std::vector<std::string> take() {
    if (!buf->empty()) {
      words.push_back(*buf);
      buf->clear();
      in_word = false;
    }
    return std::move(words);
  }
};

struct Piece {
  std::string text;
  std::vector<std::string> words;
};

class Lexer {
 public:
  Lexer(std::string_view src, const ShellEnv& env, const ShellLexOptions& opts, ShellExpansion& out)
      : src_(src), env_(env), opts_(opts), raw_escapes_(opts.raw_escapes), out_(out) {
    // Go's text/scanner skips a byte order mark at the very start.
    if (src_.substr(0, 3) == "\xEF\xBB\xBF") {
      pos_ = 3;
    }
  }

  Result<Piece> stop_on(int32_t stop, bool raw_escapes);

 private:
  int32_t peek() const {
    return pos_ >= src_.size() ? kEof : static_cast<int32_t>(decode_rune(src_.substr(pos_)).cp);
  }
  int32_t next() {
    if (pos_ >= src_.size()) {
      return kEof;
    }
    Rune r = decode_rune(src_.substr(pos_));
    pos_ += r.width;
    return static_cast<int32_t>(r.cp);
  }
  Result<std::string> special(int32_t ch);
  Result<std::string> single_quote();
  Result<std::string> double_quote();
  Result<std::string> dollar();
  Result<std::string> modifier(const std::string& name, int32_t ch, std::string chs, bool colon);
  Result<std::string> substitute(const std::string& name);
  std::string name();
  Result<std::string> possible_heredoc();
  std::optional<std::string> get_env(const std::string& name) {
    std::optional<std::string> v = env_(name);
    (v ? out_.matched : out_.unmatched).insert(name);
    return v;
  }

  std::string_view src_;
  size_t pos_ = 0;
  const ShellEnv& env_;
  const ShellLexOptions& opts_;
  bool raw_escapes_;
  std::string words_buffer_;
  ShellExpansion& out_;
};

Result<std::string> Lexer::special(int32_t ch) {
  switch (ch) {
    case '$':
      return dollar();
    case '<':
      return possible_heredoc();
    case '\'':
      return single_quote();
    default:
      return double_quote();
  }
}

Result<Piece> Lexer::stop_on(int32_t stop, bool raw_escapes) {
  std::string result;
  words_buffer_.clear();
  Words words;
  words.buf = &words_buffer_;
  bool saved = raw_escapes_;
  raw_escapes_ = raw_escapes;
  struct Restore {
    bool& flag;
    bool value;
    ~Restore() { flag = value; }
  } restore{raw_escapes_, saved};

  while (peek() != kEof) {
    int32_t ch = peek();
    if (stop != kEof && ch == stop) {
      next();
      return Piece{std::move(result), words.take()};
    }
    bool quote = !opts_.skip_process_quotes && (ch == '\'' || ch == '"');
    if (ch == '$' || ch == '<' || quote) {
      std::string tmp = BERTH_TRY(special(ch));
      result += tmp;
      if (ch == '$') {
        words.add_string(tmp);
      } else {
        words.add_raw_string(tmp);
      }
      continue;
    }
    ch = next();
    if (ch == static_cast<unsigned char>(opts_.escape)) {
      if (raw_escapes_) {
        words.add_raw_char(ch);
        append_utf8(result, static_cast<char32_t>(ch));
      }
      ch = next();
      if (ch == kEof) {
        break;
      }
      words.add_raw_char(ch);
    } else {
      words.add_char(ch);
    }
    append_utf8(result, static_cast<char32_t>(ch));
  }
  if (stop != kEof) {
    return tl::unexpected(
        lex_error("unexpected end of statement while looking for matching " + rune_text(stop)));
  }
  return Piece{std::move(result), words.take()};
}

Result<std::string> Lexer::single_quote() {
  std::string result;
  int32_t ch = next();
  if (opts_.raw_quotes) {
    append_utf8(result, static_cast<char32_t>(ch));
  }
  for (;;) {
    ch = next();
    if (ch == kEof) {
      return tl::unexpected(
          lex_error("unexpected end of statement while looking for matching single-quote"));
    }
    if (ch == '\'') {
      if (opts_.raw_quotes) {
        result += '\'';
      }
      return result;
    }
    append_utf8(result, static_cast<char32_t>(ch));
  }
}

Result<std::string> Lexer::double_quote() {
  std::string result;
  int32_t ch = next();
  if (opts_.raw_quotes) {
    append_utf8(result, static_cast<char32_t>(ch));
  }
  const int32_t escape = static_cast<unsigned char>(opts_.escape);
  for (;;) {
    int32_t p = peek();
    if (p == kEof) {
      return tl::unexpected(
          lex_error("unexpected end of statement while looking for matching double-quote"));
    }
    if (p == '"') {
      next();
      if (opts_.raw_quotes) {
        result += '"';
      }
      return result;
    }
    if (p == '$') {
      result += BERTH_TRY(dollar());
      continue;
    }
    ch = next();
    if (ch == escape) {
      if (raw_escapes_) {
        append_utf8(result, static_cast<char32_t>(ch));
      }
      int32_t after = peek();
      if (after == kEof) {
        continue;  // a lone escape at the end is dropped; the loop then reports the open quote
      }
      // Only these can be escaped; any other escape character stays as it is.
      if (after == '"' || after == '$' || after == escape) {
        ch = next();
      }
    }
    append_utf8(result, static_cast<char32_t>(ch));
  }
}

std::string Lexer::name() {
  std::string name;
  while (peek() != kEof) {
    int32_t ch = peek();
    auto cp = static_cast<char32_t>(ch);
    if (name.empty() && is_digit(cp)) {
      while (peek() != kEof && is_digit(static_cast<char32_t>(peek()))) {
        append_utf8(name, static_cast<char32_t>(next()));
      }
      return name;
    }
    if (name.empty() && (ch == '@' || ch == '*' || ch == '#' || ch == '?' || ch == '-' ||
                         ch == '$' || ch == '!' || ch == '0')) {
      return rune_text(next());
    }
    if (!is_letter(cp) && !is_digit(cp) && ch != '_') {
      break;
    }
    append_utf8(name, static_cast<char32_t>(next()));
  }
  return name;
}

Result<std::string> Lexer::dollar() {
  next();  // '$'
  if (peek() != '{') {
    std::string n = name();
    if (n.empty()) {
      return std::string("$");
    }
    std::optional<std::string> v = get_env(n);
    if (!v && opts_.skip_unset_env) {
      return "$" + n;
    }
    return v.value_or("");
  }
  next();  // '{'
  switch (peek()) {
    case kEof:
      return tl::unexpected(lex_error("syntax error: missing '}'"));
    case '{':
    case '}':
    case ':':
      return tl::unexpected(lex_error("syntax error: bad substitution"));
    default:
      break;
  }
  std::string n = name();
  int32_t ch = next();
  std::string chs = rune_text(ch);
  switch (ch) {
    case '}': {
      std::optional<std::string> v = get_env(n);
      if (!v && opts_.skip_unset_env) {
        return "${" + n + "}";
      }
      return v.value_or("");
    }
    case ':':
      ch = next();
      chs += rune_text(ch);
      return modifier(n, ch, chs, true);
    case '+':
    case '-':
    case '?':
    case '#':
    case '%':
      return modifier(n, ch, chs, false);
    case '/':
      return substitute(n);
    default:
      return tl::unexpected(lex_error("unsupported modifier (" + chs + ") in substitution"));
  }
}

Result<std::string> Lexer::modifier(const std::string& n, int32_t ch, std::string chs, bool colon) {
  bool pattern = ch == '#' || ch == '%';
  if (colon && pattern) {
    return tl::unexpected(lex_error("unsupported modifier (" + chs + ") in substitution"));
  }
  Result<Piece> piece = stop_on('}', pattern);
  if (!piece) {
    if (peek() == kEof) {
      return tl::unexpected(lex_error("syntax error: missing '}'"));
    }
    return tl::unexpected(piece.error());
  }
  std::string word = std::move(piece->text);
  std::optional<std::string> v = get_env(n);
  if (opts_.skip_unset_env && !v) {
    return "${" + n + chs + word + "}";
  }
  bool empty = !v || (colon && v->empty());
  switch (ch) {
    case '-':
      return empty ? word : *v;
    case '+':
      return empty ? std::string() : word;
    case '?':
      if (!v) {
        return tl::unexpected(
            lex_error(n + ": " + (word.empty() ? "is not allowed to be unset" : word)));
      }
      if (colon && v->empty()) {
        return tl::unexpected(
            lex_error(n + ": " + (word.empty() ? "is not allowed to be empty" : word)));
      }
      return *v;
    case '#':
    case '%': {
      bool greedy = !word.empty() && static_cast<unsigned char>(word[0]) == ch;
      if (greedy) {
        word.erase(0, 1);
      }
      return ch == '%' ? shell_trim_suffix(word, v.value_or(""), greedy)
                       : shell_trim_prefix(word, v.value_or(""), greedy);
    }
    default:
      return tl::unexpected(lex_error("unsupported modifier (" + chs + ") in substitution"));
  }
}

Result<std::string> Lexer::substitute(const std::string& n) {
  bool all = peek() == '/';
  if (all) {
    next();
  }
  Result<Piece> pattern = stop_on('/', true);
  if (!pattern) {
    if (peek() == kEof) {
      return tl::unexpected(lex_error("syntax error: missing '/' in ${}"));
    }
    return tl::unexpected(pattern.error());
  }
  Result<Piece> repl = stop_on('}', true);
  if (!repl) {
    if (peek() == kEof) {
      return tl::unexpected(lex_error("syntax error: missing '}'"));
    }
    return tl::unexpected(repl.error());
  }
  std::optional<std::string> v = get_env(n);
  if (opts_.skip_unset_env && !v) {
    // BuildKit writes one '/' back even for "//".
    return "${" + n + "/" + pattern->text + "/" + repl->text + "}";
  }
  return shell_replace(pattern->text, repl->text, v.value_or(""), all);
}

Result<std::string> Lexer::possible_heredoc() {
  next();
  if (peek() != '<') {
    return std::string("<");
  }
  next();
  std::string result = "<<";
  while (peek() == '\t' || peek() == '\r' || peek() == ' ') {
    result += static_cast<char>(next());
  }
  return result;
}

}  // namespace

Result<ShellExpansion> shell_expand(std::string_view word, const ShellEnv& env,
                                    const ShellLexOptions& opts) {
  ShellExpansion out;
  Lexer lexer(word, env, opts, out);
  Result<Piece> piece = lexer.stop_on(kEof, opts.raw_escapes);
  if (!piece) {
    return tl::unexpected(
        lex_error("failed to process " + go_quote(word) + ": " + piece.error().message()));
  }
  out.result = std::move(piece->text);
  out.words = std::move(piece->words);
  return out;
}

Result<std::string> shell_expand_word(std::string_view word, const ShellEnv& env,
                                      const ShellLexOptions& opts) {
  ShellExpansion e = BERTH_TRY(shell_expand(word, env, opts));
  return std::move(e.result);
}

Result<std::vector<std::string>> shell_expand_words(std::string_view word, const ShellEnv& env,
                                                    const ShellLexOptions& opts) {
  ShellExpansion e = BERTH_TRY(shell_expand(word, env, opts));
  return std::move(e.words);
}

ShellEnv empty_shell_env() {
  return [](std::string_view) { return std::optional<std::string>(); };
}

}  // namespace berth::build
