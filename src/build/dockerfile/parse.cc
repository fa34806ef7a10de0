// The line-level half of the parser (BuildKit's parser.Parse): directives, comments, line
// continuations and heredoc bodies; each logical line then goes to instruction.cc.
#include "build/dockerfile/parse.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>

#include "build/dockerfile/instruction.h"
#include "build/dockerfile/unicode.h"

namespace berth::build {
namespace {

// BuildKit reads lines through a bufio.Scanner with a 64 KiB buffer.
constexpr size_t kMaxLine = 65535;

// Physical lines, each with its '\n' (the last one may have none).
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    size_t len = nl == std::string_view::npos ? text.size() : nl + 1;
    lines.push_back(text.substr(0, len));
    text.remove_prefix(len);
  }
  return lines;
}

std::string_view trim_newline(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool is_comment(std::string_view line) {
  std::string_view t = trim_left_space(line);
  return !t.empty() && t[0] == '#';
}

bool regex_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; }

// The directive zone at the top of the file (BuildKit's DirectiveParser): it ends for good at the
// first line that is not "# name=value" with a known name.
class Directives {
 public:
  // A directive on this line, if any; an error for a repeated name.
  Result<std::optional<Directive>> parse(std::string_view line, int line_no) {
    if (done_) {
      return std::nullopt;
    }
    if (line.empty() || line[0] != '#') {
      done_ = true;
      return std::nullopt;
    }
    std::optional<Directive> d = match(trim_left_space(line.substr(1)));
    if (!d || (d->name != "syntax" && d->name != "escape" && d->name != "check")) {
      done_ = true;
      return std::nullopt;
    }
    if (!seen_.insert(d->name).second) {
      return fail(Code::kInvalidArgument, "only one " + d->name + " parser directive can be used");
    }
    d->line = line_no;
    return d;
  }

 private:
  // ^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$ with RE2's preferences.
  static std::optional<Directive> match(std::string_view s) {
    auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    size_t i = 0;
    if (s.empty() || !alpha(s[0])) {
      return std::nullopt;
    }
    while (i < s.size() && (alpha(s[i]) || (s[i] >= '0' && s[i] <= '9'))) {
      ++i;
    }
    std::string name = lower_string(s.substr(0, i));
    while (i < s.size() && regex_space(s[i])) {
      ++i;
    }
    if (i == s.size() || s[i] != '=') {
      return std::nullopt;
    }
    std::string_view rest = s.substr(i + 1);
    size_t lead = 0;
    while (lead < rest.size() && regex_space(rest[lead])) {
      ++lead;
    }
    size_t end = rest.size();
    while (end > lead && regex_space(rest[end - 1])) {
      --end;
    }
    if (rest.empty()) {
      return std::nullopt;
    }
    if (lead == rest.size()) {
      // Only blanks: the lazy value still needs one character, so it takes the last blank.
      return Directive{name, std::string(rest.substr(rest.size() - 1)), 0};
    }
    return Directive{name, std::string(rest.substr(lead, end - lead)), 0};
  }

  bool done_ = false;
  std::set<std::string> seen_;
};

// Removes a trailing escape character (and blanks after it) that continues the line; `ends` is
// false when it did. A line ending in two escape characters does not continue.
std::string_view trim_continuation(std::string_view line, char escape, bool* ends) {
  size_t e = line.size();
  while (e > 0 && (line[e - 1] == ' ' || line[e - 1] == '\t')) {
    --e;
  }
  *ends = true;
  if (e == 0 || line[e - 1] != escape || (e >= 2 && line[e - 2] == escape)) {
    return line;
  }
  *ends = false;
  return line.substr(0, e - 1);
}

class Parser {
 public:
  Parser(std::string_view text, std::string_view source)
      : lines_(split_lines(text)), source_(source) {}

  Result<Dockerfile> run();

 private:
  Error error_at(int line, const Error& e) const {
    return Error(Code::kInvalidArgument, fmt::format("{}:{}: {}", source_, line, e.message()));
  }
  Result<void> first_line(std::string_view* token);
  std::string join_continuations(std::string_view first, bool ends);
  Result<void> read_heredocs(Instruction* ins, int start);

  std::vector<std::string_view> lines_;
  std::string_view source_;
  size_t next_ = 0;  // index of the next physical line; also the number of lines consumed
  Directives directives_;
  Dockerfile df_;
};

// The first line of a possible instruction: newline and leading space trimmed, directives taken,
// comments blanked.
Result<void> Parser::first_line(std::string_view* token) {
  std::string_view raw = lines_[next_];
  if (next_ == 0 && raw.substr(0, 3) == "\xEF\xBB\xBF") {
    raw.remove_prefix(3);
  }
  int line_no = static_cast<int>(next_) + 1;
  std::string_view t = trim_left_space(trim_newline(raw));
  Result<std::optional<Directive>> d = directives_.parse(t, line_no);
  if (!d) {
    return tl::unexpected(error_at(line_no, d.error()));
  }
  if (*d && (*d)->name == "escape") {
    const std::string& v = (*d)->value;
    if (v != "`" && v != "\\") {
      return fail(Code::kInvalidArgument,
                  fmt::format("{}:{}: invalid escape token '{}' does not match ` or \\", source_,
                              line_no, v));
    }
    df_.escape = v[0];
  }
  if (*d) {
    df_.directives.push_back(std::move(**d));
  }
  ++next_;
  *token = is_comment(t) ? std::string_view() : t;
  return {};
}

// Appends continuation lines: comment lines and blank lines inside are skipped (the latter with a
// warning) and do not end the instruction.
std::string Parser::join_continuations(std::string_view first, bool ends) {
  std::string buf(first);
  bool empty_line = false;
  while (!ends && next_ < lines_.size()) {
    std::string_view raw = lines_[next_++];
    if (is_comment(raw)) {
      continue;
    }
    std::string_view t = trim_newline(raw);
    if (trim_left_space(t).empty()) {
      empty_line = true;
      continue;
    }
    buf += trim_continuation(t, df_.escape, &ends);
  }
  if (empty_line) {
    df_.warnings.push_back({"Empty continuation line found in: " + buf, static_cast<int>(next_)});
  }
  return buf;
}

Result<void> Parser::read_heredocs(Instruction* ins, int start) {
  Result<std::vector<Heredoc>> docs = heredocs_in_line(ins->original);
  if (!docs) {
    return tl::unexpected(error_at(start, docs.error()));
  }
  for (Heredoc& doc : *docs) {
    bool terminated = false;
    while (next_ < lines_.size()) {
      std::string_view raw = lines_[next_++];
      std::string_view candidate = trim_newline(raw);
      if (doc.chomp) {
        candidate.remove_prefix(std::min(candidate.find_first_not_of('\t'), candidate.size()));
      }
      if (candidate == doc.name) {
        terminated = true;
        break;
      }
      doc.content += raw;
    }
    if (!terminated) {
      return fail(Code::kInvalidArgument,
                  fmt::format("{}:{}: unterminated heredoc", source_, start));
    }
    ins->heredocs.push_back(std::move(doc));
  }
  return {};
}

Result<Dockerfile> Parser::run() {
  for (size_t i = 0; i < lines_.size(); ++i) {
    size_t len = lines_[i].size() - (lines_[i].back() == '\n' ? 1 : 0);
    if (len > kMaxLine) {
      return fail(Code::kInvalidArgument,
                  fmt::format("{}:{}: dockerfile line greater than max allowed size of {}", source_,
                              i + 1, kMaxLine));
    }
  }
  while (next_ < lines_.size()) {
    std::string_view token;
    BERTH_CHECK(first_line(&token));
    int start = static_cast<int>(next_);
    bool ends = true;
    std::string_view body = trim_continuation(token, df_.escape, &ends);
    if (ends && body.empty()) {
      continue;
    }
    std::string line = join_continuations(body, ends);
    Result<Instruction> ins = parse_instruction_line(line, df_.escape);
    if (!ins) {
      return tl::unexpected(error_at(start, ins.error()));
    }
    if (can_contain_heredoc(*ins) && line.find("<<") != std::string::npos) {
      BERTH_CHECK(read_heredocs(&*ins, start));
    }
    ins->start_line = start;
    ins->end_line = static_cast<int>(next_);
    for (Instruction& nested : ins->onbuild) {
      nested.start_line = ins->start_line;
      nested.end_line = ins->end_line;
    }
    df_.instructions.push_back(std::move(*ins));
  }
  if (df_.instructions.empty()) {
    int line = std::max<int>(1, static_cast<int>(lines_.size()));
    return fail(Code::kInvalidArgument,
                fmt::format("{}:{}: file with no instructions", source_, line));
  }
  df_.start_line = df_.instructions.front().start_line;
  df_.end_line = df_.instructions.back().end_line;
  return std::move(df_);
}

}  // namespace

Result<Dockerfile> parse_dockerfile(std::string_view text, std::string_view source) {
  return Parser(text, source).run();
}

}  // namespace berth::build
