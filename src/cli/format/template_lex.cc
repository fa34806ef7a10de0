// The lexer of the Go text/template subset. It follows Go's lexer closely enough that the same
// templates split the same way: spaces inside actions are tokens (they separate arguments, while
// ".A.B" and "$x.A" are chains), trim markers need a space next to the dash ("{{-3}}" is the
// number -3), and comments must fill their whole action.
#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "cli/format/template_ast.h"
#include "cli/format/utf8.h"

namespace berth::cli::tmpl {
namespace {

constexpr std::string_view kLeft = "{{";
constexpr std::string_view kRight = "}}";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Go allows Unicode letters in identifiers; any non-ASCII byte is accepted as part of one.
bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (is_digit(c)) {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// Reads `count` digits of `base` from s at i; false if they are not there.
bool read_digits(std::string_view s, size_t& i, int count, int base, uint32_t& value) {
  value = 0;
  for (int k = 0; k < count; ++k, ++i) {
    int d = i < s.size() ? hex_value(s[i]) : -1;
    if (d < 0 || d >= base) {
      return false;
    }
    value = value * static_cast<uint32_t>(base) + static_cast<uint32_t>(d);
  }
  return true;
}

// strconv.Unquote's escapes for the body of a "…" or '…' literal.
bool unquote(std::string_view body, char quote, std::string& out) {
  for (size_t i = 0; i < body.size();) {
    char c = body[i++];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (i >= body.size()) {
      return false;
    }
    char e = body[i++];
    uint32_t v = 0;
    static constexpr std::string_view kFrom = "abfnrtv\\";
    static constexpr std::string_view kTo = "\a\b\f\n\r\t\v\\";
    if (size_t k = kFrom.find(e); k != std::string_view::npos) {
      out += kTo[k];
    } else if (e == quote) {
      out += e;
    } else if (e == 'x') {
      if (!read_digits(body, i, 2, 16, v)) {
        return false;
      }
      out += static_cast<char>(v);
    } else if (e >= '0' && e <= '7') {
      --i;
      if (!read_digits(body, i, 3, 8, v) || v > 255) {
        return false;
      }
      out += static_cast<char>(v);
    } else if (e == 'u' || e == 'U') {
      if (!read_digits(body, i, e == 'u' ? 4 : 8, 16, v) || v > 0x10FFFF ||
          (v >= 0xD800 && v <= 0xDFFF)) {
        return false;
      }
      utf8::append(out, v);
    } else {
      return false;
    }
  }
  return true;
}

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {}

  Result<std::vector<Token>> run() {
    while (true) {
      size_t open = src_.find(kLeft, pos_);
      size_t start = pos_;
      size_t end = open == std::string_view::npos ? src_.size() : open;
      if (trim_next_) {
        while (start < end && is_space(src_[start])) {
          ++start;
        }
        trim_next_ = false;
      }
      bool left_trim = open != std::string_view::npos && has_left_trim(open + kLeft.size());
      if (left_trim) {
        while (end > start && is_space(src_[end - 1])) {
          --end;
        }
      }
      if (end > start) {
        emit(Tok::kText, std::string(src_.substr(start, end - start)), start);
      }
      if (open == std::string_view::npos) {
        break;
      }
      pos_ = open + kLeft.size() + (left_trim ? 2 : 0);
      if (src_.substr(pos_).starts_with("/*")) {
        BERTH_CHECK(lex_comment(open));
        continue;
      }
      emit(Tok::kLeftDelim, std::string(kLeft), open);
      BERTH_CHECK(lex_action(open));
    }
    emit(Tok::kEof, "", src_.size());
    return std::move(toks_);
  }

 private:
  bool has_left_trim(size_t i) const {
    return i + 1 < src_.size() && src_[i] == '-' && is_space(src_[i + 1]);
  }

  // " -}}" at i.
  bool has_right_trim(size_t i) const {
    return i + 1 < src_.size() && is_space(src_[i]) && src_[i + 1] == '-' &&
           src_.substr(i + 2).starts_with(kRight);
  }

  void emit(Tok type, std::string val, size_t pos) {
    toks_.push_back(Token{type, std::move(val), pos});
  }

  tl::unexpected<Error> error(size_t pos, std::string_view msg) const {
    return tl::unexpected(parse_error(src_, pos, msg));
  }

  Result<void> lex_comment(size_t open) {
    size_t close = src_.find("*/", pos_ + 2);
    if (close == std::string_view::npos) {
      return error(open, "unclosed comment");
    }
    size_t after = close + 2;
    if (has_right_trim(after)) {
      trim_next_ = true;
      pos_ = after + 2 + kRight.size();
    } else if (src_.substr(after).starts_with(kRight)) {
      pos_ = after + kRight.size();
    } else {
      return error(open, "comment ends before closing delimiter");
    }
    return {};
  }

  Result<void> lex_action(size_t open) {
    int depth = 0;
    while (true) {
      bool trim = has_right_trim(pos_);
      if (trim || src_.substr(pos_).starts_with(kRight)) {
        if (depth > 0) {
          return error(pos_, "unclosed left paren");
        }
        emit(Tok::kRightDelim, std::string(kRight), pos_ + (trim ? 2 : 0));
        pos_ += kRight.size() + (trim ? 2 : 0);
        trim_next_ = trim;
        return {};
      }
      if (pos_ >= src_.size()) {
        return error(open, "unclosed action");
      }
      BERTH_CHECK(lex_one(depth));
    }
  }

  Result<void> lex_one(int& depth) {
    size_t start = pos_;
    char c = src_[pos_];
    static constexpr std::string_view kSingles = "|(),=";
    static constexpr Tok kSingleToks[] = {Tok::kPipe, Tok::kLeftParen, Tok::kRightParen,
                                          Tok::kComma, Tok::kAssign};
    if (is_space(c)) {
      lex_space();
    } else if (size_t k = kSingles.find(c); k != std::string_view::npos) {
      depth += c == '(' ? 1 : c == ')' ? -1 : 0;
      if (depth < 0) {
        return error(start, "unexpected right paren");
      }
      emit(kSingleToks[k], std::string(1, c), pos_++);
    } else if (c == ':') {
      if (!src_.substr(pos_).starts_with(":=")) {
        return error(start, "expected :=");
      }
      pos_ += 2;
      emit(Tok::kDeclare, ":=", start);
    } else if (c == '"' || c == '\'') {
      return lex_quote(c);
    } else if (c == '`') {
      return lex_raw_string();
    } else if (c == '$') {
      ++pos_;
      scan_word();
      emit(Tok::kVariable, std::string(src_.substr(start, pos_ - start)), start);
    } else if (c == '.' && !(pos_ + 1 < src_.size() && is_digit(src_[pos_ + 1]))) {
      ++pos_;
      scan_word();
      if (pos_ == start + 1) {
        emit(Tok::kDot, ".", start);
      } else {
        emit(Tok::kField, std::string(src_.substr(start + 1, pos_ - start - 1)), start);
      }
    } else if (is_digit(c) || c == '.' ||
               ((c == '+' || c == '-') && pos_ + 1 < src_.size() &&
                (is_digit(src_[pos_ + 1]) || src_[pos_ + 1] == '.'))) {
      return lex_number();
    } else if (is_alnum(c)) {
      lex_word();
    } else {
      size_t i = pos_;
      char32_t cp = utf8::decode(src_, i);
      std::string ch;
      utf8::append(ch, cp);
      return error(start, fmt::format("unrecognized character in action: U+{:04X} '{}'",
                                      static_cast<uint32_t>(cp), ch));
    }
    return {};
  }

  void lex_space() {
    size_t start = pos_;
    size_t q = pos_;
    while (q < src_.size() && is_space(src_[q])) {
      ++q;
    }
    // Leave the last space to a following "-}}" trim marker.
    pos_ = (q < src_.size() && has_right_trim(q - 1)) ? q - 1 : q;
    if (pos_ > start) {
      emit(Tok::kSpace, std::string(src_.substr(start, pos_ - start)), start);
    }
  }

  Result<void> lex_raw_string() {
    size_t close = src_.find('`', pos_ + 1);
    if (close == std::string_view::npos) {
      return error(pos_, "unterminated raw quoted string");
    }
    emit(Tok::kString, std::string(src_.substr(pos_ + 1, close - pos_ - 1)), pos_);
    pos_ = close + 1;
    return {};
  }

  void scan_word() {
    while (pos_ < src_.size() && is_alnum(src_[pos_])) {
      ++pos_;
    }
  }

  void lex_word() {
    size_t start = pos_;
    scan_word();
    std::string word(src_.substr(start, pos_ - start));
    static constexpr std::string_view kKeywords[] = {
        "if", "else", "end", "range", "with", "define", "template", "block", "break", "continue"};
    Tok type = Tok::kIdentifier;
    if (std::find(std::begin(kKeywords), std::end(kKeywords), word) != std::end(kKeywords)) {
      type = Tok::kKeyword;
    } else if (word == "true" || word == "false") {
      type = Tok::kBool;
    } else if (word == "nil") {
      type = Tok::kNil;
    }
    emit(type, std::move(word), start);
  }

  // "…" strings and '…' character constants (which become numbers, as in Go).
  Result<void> lex_quote(char quote) {
    size_t start = pos_++;
    while (true) {
      if (pos_ >= src_.size() || src_[pos_] == '\n') {
        return error(
            start, quote == '"' ? "unterminated quoted string" : "unterminated character constant");
      }
      char c = src_[pos_++];
      if (c == '\\' && pos_ < src_.size() && src_[pos_] != '\n') {
        ++pos_;
      } else if (c == quote) {
        break;
      }
    }
    std::string value;
    std::string_view body = src_.substr(start + 1, pos_ - start - 2);
    if (!unquote(body, quote, value)) {
      return error(start, "invalid syntax");
    }
    if (quote == '"') {
      emit(Tok::kString, std::move(value), start);
      return {};
    }
    size_t i = 0;
    char32_t cp = value.empty() ? 0 : utf8::decode(value, i);
    if (value.empty() || i != value.size()) {
      return error(
          start, fmt::format("malformed character constant: {}", src_.substr(start, pos_ - start)));
    }
    emit(Tok::kNumber, std::to_string(static_cast<uint32_t>(cp)), start);
    return {};
  }

  // Go's scanNumber, without imaginary numbers: sign, 0x/0o/0b prefixes, '_' separators,
  // a fraction and an exponent. A letter right after the number is an error.
  Result<void> lex_number() {
    size_t start = pos_;
    if (src_[pos_] == '+' || src_[pos_] == '-') {
      ++pos_;
    }
    std::string_view digits = "0123456789_";
    if (src_.substr(pos_).starts_with("0x") || src_.substr(pos_).starts_with("0X")) {
      pos_ += 2;
      digits = "0123456789abcdefABCDEF_";
    }
    auto run = [&](std::string_view set) {
      while (pos_ < src_.size() && set.find(src_[pos_]) != std::string_view::npos) {
        ++pos_;
      }
    };
    run(digits);
    if (pos_ < src_.size() && src_[pos_] == '.' && digits.size() == 11) {
      ++pos_;
      run(digits);
    }
    if (pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E') && digits.size() == 11) {
      ++pos_;
      run("+-");
      run("0123456789_");
    }
    if (pos_ < src_.size() && (is_alnum(src_[pos_]) || src_[pos_] == '.')) {
      scan_word();
      return error(start,
                   fmt::format("bad number syntax: \"{}\"", src_.substr(start, pos_ - start)));
    }
    emit(Tok::kNumber, std::string(src_.substr(start, pos_ - start)), start);
    return {};
  }

  std::string_view src_;
  size_t pos_ = 0;
  bool trim_next_ = false;  // a " -}}" was seen: trim the spaces that start the next text
  std::vector<Token> toks_;
};

}  // namespace

Error parse_error(std::string_view source, size_t pos, std::string_view msg) {
  pos = std::min(pos, source.size());
  size_t line = 1 + static_cast<size_t>(std::count(source.begin(), source.begin() + pos, '\n'));
  return Error(Code::kInvalidArgument, fmt::format("template: :{}: {}", line, msg));
}

Result<std::vector<Token>> lex(std::string_view source) { return Lexer(source).run(); }

}  // namespace berth::cli::tmpl
