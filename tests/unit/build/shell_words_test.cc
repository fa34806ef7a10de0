// BuildKit's shell-word expansion: the cases of its lex_test.go/envVarTest/wordsTest that the
// builder relies on, written out by hand, plus the options the parser uses for heredocs.
#include "build/dockerfile/shell_words.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "build/dockerfile/unicode.h"

namespace berth::build {
namespace {

ShellEnv env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

const ShellEnv& env() {
  static const ShellEnv e =
      env_of({{"v", "val"}, {"empty", ""}, {"sp", "ab  c"}, {"p", "a/b/c.tar.gz"}});
  return e;
}

std::string word(std::string_view w, const ShellLexOptions& opts = {}) {
  Result<std::string> r = shell_expand_word(w, env(), opts);
  EXPECT_TRUE(r.has_value()) << w << ": " << r.error().str();
  return r ? *r : "<error>";
}

std::string words(std::string_view w, const ShellLexOptions& opts = {}) {
  Result<std::vector<std::string>> r = shell_expand_words(w, env(), opts);
  EXPECT_TRUE(r.has_value()) << w << ": " << r.error().str();
  std::string out;
  for (const std::string& s : r.value_or(std::vector<std::string>{})) {
    out += (out.empty() ? "" : ",") + s;
  }
  return out;
}

std::string error(std::string_view w) {
  Result<std::string> r = shell_expand_word(w, env());
  EXPECT_FALSE(r.has_value()) << w << " expanded to " << *r;
  return r ? "" : r.error().message();
}

TEST(ShellWords, PlainAndBracedVariablesExpand) {
  EXPECT_EQ(word("$v"), "val");
  EXPECT_EQ(word("${v}x"), "valx");
  EXPECT_EQ(word("a$unset-b"), "a-b");
  EXPECT_EQ(word("$"), "$");
  EXPECT_EQ(word("$1x"), "x");
}

TEST(ShellWords, DefaultAndAlternativeModifiersFollowColonRules) {
  EXPECT_EQ(word("${unset:-def}"), "def");
  EXPECT_EQ(word("${empty:-def}"), "def");
  EXPECT_EQ(word("${empty-def}"), "");
  EXPECT_EQ(word("${unset-def}"), "def");
  EXPECT_EQ(word("${v:-def}"), "val");
  EXPECT_EQ(word("${v:+alt}"), "alt");
  EXPECT_EQ(word("${empty:+alt}"), "");
  EXPECT_EQ(word("${empty+alt}"), "alt");
  EXPECT_EQ(word("${unset+alt}"), "");
  EXPECT_EQ(word("${unset:-$v}"), "val");
}

TEST(ShellWords, RequiredModifierFailsWithTheVariableAndMessage) {
  EXPECT_EQ(error("${unset:?must be set}"),
            "failed to process \"${unset:?must be set}\": unset: must be set");
  EXPECT_EQ(error("${unset?}"),
            "failed to process \"${unset?}\": unset: is not allowed to be unset");
  EXPECT_EQ(error("${empty:?}"),
            "failed to process \"${empty:?}\": empty: is not allowed to be empty");
  EXPECT_EQ(word("${empty?}"), "");
  EXPECT_EQ(word("${v:?x}"), "val");
}

TEST(ShellWords, PrefixAndSuffixTrimmingAreShortestOrLongest) {
  EXPECT_EQ(word("${p#*/}"), "b/c.tar.gz");
  EXPECT_EQ(word("${p##*/}"), "c.tar.gz");
  EXPECT_EQ(word("${p%.*}"), "a/b/c.tar");
  EXPECT_EQ(word("${p%%.*}"), "a/b/c");
  EXPECT_EQ(word("${p#x}"), "a/b/c.tar.gz");
  EXPECT_EQ(word("${unset#x}"), "");
}

TEST(ShellWords, SubstitutionReplacesFirstOrEveryMatch) {
  EXPECT_EQ(word("${p/\\//-}"), "a-b/c.tar.gz");
  EXPECT_EQ(word("${p//\\//-}"), "a-b-c.tar.gz");
  EXPECT_EQ(word("${v/a?/X}"), "vX");
}

TEST(ShellWords, SyntaxErrorsAreReported) {
  EXPECT_EQ(error("${v:-x"), "failed to process \"${v:-x\": syntax error: missing '}'");
  // BuildKit reads the end of input as the modifier character U+FFFD here.
  EXPECT_EQ(error("${v"),
            "failed to process \"${v\": unsupported modifier (\xEF\xBF\xBD) in substitution");
  EXPECT_EQ(error("${}"), "failed to process \"${}\": syntax error: bad substitution");
  EXPECT_EQ(error("${v:#x}"),
            "failed to process \"${v:#x}\": unsupported modifier (:#) in substitution");
  EXPECT_EQ(error("a\"b"),
            "failed to process \"a\\\"b\": unexpected end of statement while looking for matching "
            "double-quote");
  EXPECT_EQ(error("'a"),
            "failed to process \"'a\": unexpected end of statement while looking for matching "
            "single-quote");
}

TEST(ShellWords, QuotesGroupAndEscapesFollowShellRules) {
  EXPECT_EQ(word("'$v'"), "$v");
  EXPECT_EQ(word("\"$v\""), "val");
  EXPECT_EQ(word("\\$v"), "$v");
  EXPECT_EQ(word("\"a\\\"b\\c\""), "a\"b\\c");
  EXPECT_EQ(word("hello\\ there"), "hello there");
}

TEST(ShellWords, BacktickEscapeReplacesBackslash) {
  ShellLexOptions opts;
  opts.escape = '`';
  EXPECT_EQ(word("`$v\\n", opts), "$v\\n");
}

TEST(ShellWords, WordsSplitAfterExpansionButNotInsideQuotes) {
  EXPECT_EQ(words("hello${sp}bye"), "helloab,cbye");
  EXPECT_EQ(words("hello\"${sp}\"bye"), "helloab  cbye");
  EXPECT_EQ(words("hello there   "), "hello,there");
  EXPECT_EQ(words("a '' b"), "a,b");
  EXPECT_EQ(words("hello\\\" there"), "hello\",there");
}

TEST(ShellWords, TextBeforeANestedModifierIsDroppedFromWordsAsInBuildKit) {
  // BuildKit shares one word buffer with the ${...} it recurses into; the expanded text is whole.
  EXPECT_EQ(word("ab${unset:-y}c"), "abyc");
  EXPECT_EQ(words("ab${unset:-y}c"), "yc");
  EXPECT_EQ(words("ab ${unset:-y}"), "ab,y");
}

TEST(ShellWords, UsedVariablesAreReportedAsMatchedOrUnmatched) {
  Result<ShellExpansion> e = shell_expand("$v ${unset:-x} ${empty}", env());
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->matched, (std::set<std::string>{"v", "empty"}));
  EXPECT_EQ(e->unmatched, (std::set<std::string>{"unset"}));
}

TEST(ShellWords, RawOptionsKeepQuotesEscapesAndUnsetReferences) {
  ShellLexOptions opts;
  opts.raw_quotes = true;
  opts.raw_escapes = true;
  opts.skip_unset_env = true;
  EXPECT_EQ(words("RUN <<'EOF' \\x $unset ${u:-d}", opts), "RUN,<<'EOF',\\x,$unset,${u:-d}");
  EXPECT_EQ(words("cat <<  EOF", opts), "cat,<<  EOF");
}

}  // namespace
}  // namespace berth::build
