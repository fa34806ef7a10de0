// Matching is a memoised backtracking search that tries star lengths in the order a Perl-style
// engine does (longest first when greedy, shortest first otherwise); Go's RE2 promises that same
// "leftmost-first" answer, so the results agree without building a regular expression.
#include "build/dockerfile/shell_pattern.h"

#include <vector>

#include "build/dockerfile/unicode.h"

namespace berth::build {
namespace {

struct Tok {
  enum Kind { kLit, kAny, kStar } kind;
  char32_t cp = 0;
};

// Decoded text: code points and the byte offset where each starts (plus the end offset).
struct Text {
  std::vector<char32_t> cps;
  std::vector<size_t> offs;
};

Text decode(std::string_view s) {
  Text t;
  for (size_t i = 0; i < s.size();) {
    Rune r = decode_rune(s.substr(i));
    t.cps.push_back(r.cp);
    t.offs.push_back(i);
    i += r.width;
  }
  t.offs.push_back(s.size());
  return t;
}

std::string encode(const std::vector<char32_t>& cps) {
  std::string out;
  for (char32_t c : cps) {
    append_utf8(out, c);
  }
  return out;
}

Result<std::vector<Tok>> compile(std::string_view pattern) {
  std::vector<char32_t> p = decode(pattern).cps;
  std::vector<Tok> toks;
  for (size_t i = 0; i < p.size(); ++i) {
    char32_t c = p[i];
    if (c == '*') {
      toks.push_back({Tok::kStar});
    } else if (c == '?') {
      toks.push_back({Tok::kAny});
    } else if (c == '\\') {
      if (i + 1 < p.size() && (p[i + 1] == '}' || p[i + 1] == '/')) {
        continue;  // escaped only for ${}'s sake; the next character is a plain literal
      }
      char32_t e = i + 1 < p.size() ? p[++i] : kReplacementChar;
      if (i + 1 > p.size() || (e != '*' && e != '?' && e != '\\')) {
        std::string shown;
        append_utf8(shown, e);
        return fail(Code::kInvalidArgument, "invalid pattern (" + std::string(pattern) +
                                                ") in substitution: invalid escape '\\" + shown +
                                                "'");
      }
      toks.push_back({Tok::kLit, e});
    } else {
      toks.push_back({Tok::kLit, c});
    }
  }
  return toks;
}

class Matcher {
 public:
  Matcher(const std::vector<Tok>& toks, const std::vector<char32_t>& s, bool greedy)
      : toks_(toks), s_(s), greedy_(greedy), memo_((toks.size() + 1) * (s.size() + 1), -2) {}

  // End index of the preferred match of toks[ti..] starting at s[si], or -1.
  long match(size_t ti, size_t si) {
    long& m = memo_[ti * (s_.size() + 1) + si];
    if (m == -2) {
      m = compute(ti, si);
    }
    return m;
  }

 private:
  long compute(size_t ti, size_t si) {
    if (ti == toks_.size()) {
      return static_cast<long>(si);
    }
    const Tok& t = toks_[ti];
    if (t.kind != Tok::kStar) {
      bool ok = si < s_.size() && (t.kind == Tok::kAny ? s_[si] != '\n' : s_[si] == t.cp);
      return ok ? match(ti + 1, si + 1) : -1;
    }
    size_t max = si;
    while (max < s_.size() && s_[max] != '\n') {
      ++max;
    }
    for (size_t k = 0; k <= max - si; ++k) {
      long r = match(ti + 1, greedy_ ? max - k : si + k);
      if (r >= 0) {
        return r;
      }
    }
    return -1;
  }

  const std::vector<Tok>& toks_;
  const std::vector<char32_t>& s_;
  bool greedy_;
  std::vector<long> memo_;
};

std::vector<char32_t> reverse_pattern(const std::vector<char32_t>& p) {
  std::vector<char32_t> out(p.size());
  size_t last = p.empty() ? 0 : p.size() - 1;
  for (size_t i = 0; i < p.size();) {
    size_t o = last - i;
    if (p[i] == '\\' && i != last) {
      out[o - 1] = p[i];
      out[o] = p[i + 1];
      i += 2;
    } else {
      out[o] = p[i];
      ++i;
    }
  }
  return out;
}

// Go's Regexp.Expand of a ReplaceAllString template, for a regexp without groups.
std::string expand_template(std::string_view repl, std::string_view match) {
  std::string out;
  for (size_t i = 0; i < repl.size(); ++i) {
    if (repl[i] != '$' || i + 1 >= repl.size()) {
      out += repl[i];
      continue;
    }
    if (repl[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    bool brace = repl[i + 1] == '{';
    size_t j = i + (brace ? 2 : 1);
    size_t start = j;
    while (j < repl.size()) {
      Rune r = decode_rune(repl.substr(j));
      if (!is_letter(r.cp) && !is_digit(r.cp) && r.cp != '_') {
        break;
      }
      j += r.width;
    }
    std::string_view name = repl.substr(start, j - start);
    if (name.empty() || (brace && (j >= repl.size() || repl[j] != '}'))) {
      out += '$';  // malformed: the dollar is literal
      continue;
    }
    if (name == "0") {
      out += match;
    }
    i = brace ? j : j - 1;
  }
  return out;
}

}  // namespace

Result<std::string> shell_trim_prefix(std::string_view pattern, std::string_view value,
                                      bool greedy) {
  std::vector<Tok> toks = BERTH_TRY(compile(pattern));
  Text v = decode(value);
  long end = Matcher(toks, v.cps, greedy).match(0, 0);
  if (end < 0) {
    return std::string(value);
  }
  return std::string(value.substr(v.offs[static_cast<size_t>(end)]));
}

Result<std::string> shell_trim_suffix(std::string_view pattern, std::string_view value,
                                      bool greedy) {
  // As BuildKit: reverse both (as code points, so invalid bytes become U+FFFD) and trim a prefix.
  std::vector<char32_t> p = reverse_pattern(decode(pattern).cps);
  std::vector<char32_t> v = decode(value).cps;
  std::vector<char32_t> rv(v.rbegin(), v.rend());
  std::string trimmed = BERTH_TRY(shell_trim_prefix(encode(p), encode(rv), greedy));
  std::vector<char32_t> t = decode(trimmed).cps;
  return encode(std::vector<char32_t>(t.rbegin(), t.rend()));
}

Result<std::string> shell_replace(std::string_view pattern, std::string_view repl,
                                  std::string_view value, bool all) {
  std::vector<Tok> toks = BERTH_TRY(compile(pattern));
  Text v = decode(value);
  Matcher m(toks, v.cps, true);
  size_t n = v.cps.size();
  auto find_from = [&](size_t from, size_t* a0, size_t* a1) {
    for (size_t s = from; s <= n; ++s) {
      long e = m.match(0, s);
      if (e >= 0) {
        *a0 = s;
        *a1 = static_cast<size_t>(e);
        return true;
      }
    }
    return false;
  };
  auto bytes = [&](size_t a, size_t b) { return value.substr(v.offs[a], v.offs[b] - v.offs[a]); };
  size_t a0 = 0;
  size_t a1 = 0;
  if (!all) {
    if (!find_from(0, &a0, &a1)) {
      return std::string(value);
    }
    return std::string(bytes(0, a0)) + std::string(repl) + std::string(bytes(a1, n));
  }
  std::string out;
  size_t last_end = 0;
  for (size_t search = 0; search <= n && find_from(search, &a0, &a1);) {
    out += bytes(last_end, a0);
    if (a1 > last_end || a0 == 0) {
      out += expand_template(repl, bytes(a0, a1));
    }
    last_end = a1;
    search = a1 <= search ? search + 1 : a1;
  }
  out += bytes(last_end, n);
  return out;
}

}  // namespace berth::build
