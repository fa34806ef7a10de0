// Ports the line parsers of BuildKit (parser/line_parsers.go, split_command.go) rule by rule; the
// byte-wise loops stay byte-wise where BuildKit's are (flags, HEALTHCHECK), because that decides
// what a non-ASCII byte does there (Go reads such a byte as a Latin-1 rune).
#include "build/dockerfile/instruction.h"

#include <algorithm>
#include <climits>
#include <optional>
#include <string>

#include "build/dockerfile/json.h"
#include "build/dockerfile/shell_words.h"
#include "build/dockerfile/unicode.h"

namespace berth::build {
namespace {

Error syntax(std::string message) { return Error(Code::kInvalidArgument, std::move(message)); }

// BuildKit's reWhitespace, [\t\v\f\r ].
bool ascii_blank(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r'; }

// Go's unicode.IsSpace of a single byte taken as a rune (U+0000..U+00FF).
bool latin1_space(unsigned char b) { return is_space(b); }

// Go's reWhitespace.Split(s, -1): pieces between runs of ASCII blanks (empty ones at the edges).
std::vector<std::string> split_blanks(std::string_view s) {
  std::vector<std::string> parts;
  size_t beg = 0;
  size_t i = 0;
  while (i < s.size()) {
    if (!ascii_blank(s[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < s.size() && ascii_blank(s[j])) {
      ++j;
    }
    parts.emplace_back(s.substr(beg, i - beg));
    beg = i = j;
  }
  if (beg < s.size() || parts.empty() || beg == s.size()) {
    parts.emplace_back(s.substr(beg));
  }
  return parts;
}

// Position and end of the first run of ASCII blanks, or npos.
std::pair<size_t, size_t> first_blank_run(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && !ascii_blank(s[i])) {
    ++i;
  }
  if (i == s.size()) {
    return {std::string_view::npos, std::string_view::npos};
  }
  size_t j = i;
  while (j < s.size() && ascii_blank(s[j])) {
    ++j;
  }
  return {i, j};
}

// Leading `--flag` words: quotes removed, the escape character applied (also inside quotes).
// Returns the text after the flags.
std::string_view extract_flags(std::string_view line, char escape, std::vector<std::string>* out) {
  enum { kSpaces, kWord, kQuote } phase = kSpaces;
  std::string word;
  unsigned char quote = 0;
  bool blank_ok = false;
  const size_t n = line.size();
  for (size_t pos = 0; pos <= n; ++pos) {
    unsigned char ch = pos < n ? static_cast<unsigned char>(line[pos]) : 0;
    if (phase == kSpaces) {
      if (pos == n) {
        break;
      }
      if (latin1_space(ch)) {
        continue;
      }
      if (ch != '-' || pos + 1 == n || line[pos + 1] != '-') {
        return line.substr(pos);
      }
      phase = kWord;
    }
    if (pos == n) {
      if (word != "--" && (blank_ok || !word.empty())) {
        out->push_back(word);
      }
      break;
    }
    if (phase == kWord) {
      if (latin1_space(ch)) {
        phase = kSpaces;
        if (word == "--") {
          return line.substr(pos);
        }
        if (blank_ok || !word.empty()) {
          out->push_back(word);
        }
        word.clear();
        blank_ok = false;
        continue;
      }
      if (ch == '\'' || ch == '"') {
        quote = ch;
        blank_ok = true;
        phase = kQuote;
        continue;
      }
    } else if (ch == quote) {
      phase = kWord;
      continue;
    }
    if (ch == static_cast<unsigned char>(escape)) {
      if (pos + 1 == n) {
        phase = kWord;  // a trailing escape is dropped (and ends an open quote)
        continue;
      }
      ch = static_cast<unsigned char>(line[++pos]);
    }
    append_utf8(word, ch);
  }
  return {};
}

// BuildKit's parseWords for ENV/LABEL/ARG: words at Unicode spaces outside quotes; quotes and
// escapes stay in the words.
std::vector<std::string> parse_words(std::string_view rest, char escape) {
  enum { kSpaces, kWord, kQuote } phase = kSpaces;
  std::vector<std::string> words;
  std::string word;
  char32_t quote = 0;
  bool blank_ok = false;
  const char32_t esc = static_cast<unsigned char>(escape);
  for (size_t pos = 0; pos <= rest.size();) {
    Rune r = pos < rest.size() ? decode_rune(rest.substr(pos)) : Rune{0, 0};
    char32_t ch = r.cp;
    if (phase == kSpaces) {
      if (pos == rest.size()) {
        break;
      }
      if (is_space(ch)) {
        pos += r.width;
        continue;
      }
      phase = kWord;
    }
    if (pos == rest.size()) {
      if (blank_ok || !word.empty()) {
        words.push_back(word);
      }
      break;
    }
    if (phase == kWord && is_space(ch)) {
      phase = kSpaces;
      if (blank_ok || !word.empty()) {
        words.push_back(word);
      }
      word.clear();
      blank_ok = false;
      pos += r.width;
      continue;
    }
    bool escapes = ch == esc && (phase == kWord || quote != '\'');
    if (phase == kWord && (ch == '\'' || ch == '"')) {
      quote = ch;
      blank_ok = true;
      phase = kQuote;
    } else if (phase == kQuote && ch == quote) {
      phase = kWord;
    }
    if (escapes) {
      if (pos + r.width == rest.size()) {
        phase = kWord;  // a trailing escape is dropped
        pos += r.width;
        continue;
      }
      append_utf8(word, ch);
      pos += r.width;
      r = decode_rune(rest.substr(pos));
      ch = r.cp;
    }
    append_utf8(word, ch);
    pos += r.width;
  }
  return words;
}

void set_string(std::string_view rest, Instruction* ins) {
  if (!rest.empty()) {
    ins->args.emplace_back(rest);
  }
}

void set_blank_split(std::string_view rest, Instruction* ins) {
  if (!rest.empty()) {
    ins->args = split_blanks(rest);
  }
}

// JSON if rest is a JSON array of strings; kNotJson otherwise; an error for non-strings.
Result<bool> try_json(std::string_view rest, Instruction* ins) {
  std::string_view t = trim_left_space(rest);
  switch (parse_json_string_array(t, &ins->args)) {
    case JsonArrayParse::kStrings:
      ins->json = true;
      return true;
    case JsonArrayParse::kNonString:
      return tl::unexpected(
          syntax("when using JSON array syntax, arrays must be comprised of strings only"));
    case JsonArrayParse::kNotJson:
      break;
  }
  return false;
}

Result<void> set_maybe_json(std::string_view rest, Instruction* ins) {
  if (rest.empty()) {
    return {};
  }
  if (!BERTH_TRY(try_json(rest, ins))) {
    ins->args = {std::string(rest)};
  }
  return {};
}

Result<void> set_maybe_json_list(std::string_view rest, Instruction* ins) {
  if (!BERTH_TRY(try_json(rest, ins))) {
    set_blank_split(rest, ins);
  }
  return {};
}

Result<void> set_name_val(std::string_view rest, std::string_view key, char escape,
                          Instruction* ins) {
  std::vector<std::string> words = parse_words(rest, escape);
  if (words.empty()) {
    return {};
  }
  if (words[0].find('=') == std::string::npos) {
    auto [i, j] = first_blank_run(rest);
    if (i == std::string_view::npos) {
      return tl::unexpected(syntax(std::string(key) + " must have two arguments"));
    }
    ins->args = {std::string(rest.substr(0, i)), std::string(rest.substr(j)), ""};
    return {};
  }
  for (const std::string& w : words) {
    size_t eq = w.find('=');
    if (eq == std::string::npos) {
      return tl::unexpected(syntax("Syntax error - can't find = in " + go_quote(w) +
                                   ". Must be of the form: name=value"));
    }
    ins->args.push_back(w.substr(0, eq));
    ins->args.push_back(w.substr(eq + 1));
    ins->args.emplace_back("=");
  }
  return {};
}

Result<void> set_health(std::string_view rest, Instruction* ins) {
  size_t sep = 0;
  while (sep < rest.size() && !latin1_space(static_cast<unsigned char>(rest[sep]))) {
    ++sep;
  }
  size_t next = sep;
  while (next < rest.size() && latin1_space(static_cast<unsigned char>(rest[next]))) {
    ++next;
  }
  if (sep == 0) {
    return {};
  }
  Instruction cmd;
  BERTH_CHECK(set_maybe_json(rest.substr(next), &cmd));
  ins->args.emplace_back(rest.substr(0, sep));
  ins->args.insert(ins->args.end(), cmd.args.begin(), cmd.args.end());
  ins->json = cmd.json;
  return {};
}

Result<void> set_args(const std::string& kw, std::string_view rest, char escape, Instruction* ins) {
  if (kw == "add" || kw == "copy" || kw == "volume") {
    return set_maybe_json_list(rest, ins);
  }
  if (kw == "run" || kw == "cmd" || kw == "entrypoint" || kw == "shell") {
    return set_maybe_json(rest, ins);
  }
  if (kw == "env" || kw == "label") {
    return set_name_val(rest, kw == "env" ? "ENV" : "LABEL", escape, ins);
  }
  if (kw == "arg") {
    ins->args = parse_words(rest, escape);
    return {};
  }
  if (kw == "from" || kw == "expose") {
    set_blank_split(rest, ins);
    return {};
  }
  if (kw == "user" || kw == "workdir" || kw == "maintainer" || kw == "stopsignal") {
    set_string(rest, ins);
    return {};
  }
  if (kw == "healthcheck") {
    return set_health(rest, ins);
  }
  if (kw == "onbuild") {
    if (!rest.empty()) {
      ins->onbuild.push_back(BERTH_TRY(parse_instruction_line(rest, escape)));
    }
    return {};
  }
  ins->args = {""};  // unknown instructions are the builder's to reject
  return {};
}

// BuildKit's reHeredoc, ^(\d*)<<(-?)\s*([^<]*)$, then the name lexed with and without quotes.
Result<std::optional<Heredoc>> parse_heredoc_word(std::string_view word) {
  size_t i = 0;
  while (i < word.size() && word[i] >= '0' && word[i] <= '9') {
    ++i;
  }
  if (word.substr(i, 2) != "<<") {
    return std::nullopt;
  }
  std::string_view digits = word.substr(0, i);
  i += 2;
  Heredoc doc;
  if (i < word.size() && word[i] == '-') {
    doc.chomp = true;
    ++i;
  }
  while (i < word.size() && std::string_view(" \t\n\f\r").find(word[i]) != std::string_view::npos) {
    ++i;
  }
  std::string_view rest = word.substr(i);
  if (rest.empty() || rest.find('<') != std::string_view::npos) {
    return std::nullopt;
  }
  ShellLexOptions opts;
  opts.skip_unset_env = true;
  std::vector<std::string> words = BERTH_TRY(shell_expand_words(rest, empty_shell_env(), opts));
  if (words.size() != 1) {
    return std::nullopt;
  }
  opts.raw_quotes = true;
  std::vector<std::string> raw = BERTH_TRY(shell_expand_words(rest, empty_shell_env(), opts));
  if (raw.size() != 1) {
    return tl::unexpected(
        syntax("internal lexing of heredoc produced inconsistent results: " + std::string(rest)));
  }
  auto quotes = [](const std::string& s) {
    return std::count(s.begin(), s.end(), '\'') + std::count(s.begin(), s.end(), '"');
  };
  doc.name = words[0];
  doc.expand = quotes(words[0]) == quotes(raw[0]);
  unsigned long long fd = 0;
  for (char c : digits) {
    fd = fd > UINT_MAX / 10 ? UINT_MAX : fd * 10 + static_cast<unsigned>(c - '0');
  }
  doc.fd = fd > UINT_MAX ? UINT_MAX : static_cast<unsigned>(fd);
  return doc;
}

}  // namespace

std::string Instruction::lower() const { return lower_string(keyword); }

Result<Instruction> parse_instruction_line(std::string_view line, char escape) {
  Instruction ins;
  ins.original = std::string(line);
  std::string_view t = trim_space(line);
  auto [i, j] = first_blank_run(t);
  std::string_view rest;
  if (i == std::string_view::npos) {
    ins.keyword = std::string(t);
  } else {
    ins.keyword = std::string(t.substr(0, i));
    rest = trim_space(extract_flags(t.substr(j), escape, &ins.flags));
  }
  BERTH_CHECK(set_args(ins.lower(), rest, escape, &ins));
  return ins;
}

bool can_contain_heredoc(const Instruction& ins) {
  const Instruction* node = &ins;
  if (ins.lower() == "onbuild" && !ins.onbuild.empty()) {
    node = &ins.onbuild[0];
  }
  std::string kw = node->lower();
  return (kw == "run" || kw == "copy" || kw == "add") && !node->json;
}

Result<std::vector<Heredoc>> heredocs_in_line(std::string_view line) {
  ShellLexOptions opts;
  opts.raw_quotes = true;
  opts.raw_escapes = true;
  opts.skip_unset_env = true;
  Result<std::vector<std::string>> words = shell_expand_words(line, empty_shell_env(), opts);
  std::vector<Heredoc> docs;
  if (!words) {
    return docs;  // BuildKit ignores a line that does not lex
  }
  for (const std::string& w : *words) {
    std::optional<Heredoc> doc = BERTH_TRY(parse_heredoc_word(w));
    if (doc) {
      docs.push_back(std::move(*doc));
    }
  }
  return docs;
}

}  // namespace berth::build
