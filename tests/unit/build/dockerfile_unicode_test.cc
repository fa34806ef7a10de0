// Go's quoting, lowercasing and trimming as the dump needs them.
#include "build/dockerfile/unicode.h"

#include <gtest/gtest.h>

namespace berth::build {
namespace {

TEST(GoQuote, EscapesLikeStrconvQuote) {
  EXPECT_EQ(go_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(go_quote("\a\b\f\n\r\t\v"), "\"\\a\\b\\f\\n\\r\\t\\v\"");
  EXPECT_EQ(go_quote(std::string("\x00\x1b\x7f", 3)), "\"\\x00\\x1b\\x7f\"");
  EXPECT_EQ(go_quote("\xff"), "\"\\xff\"");
  EXPECT_EQ(go_quote("\xC2\xA0\xE2\x80\x8B\xE2\x80\xA8"), "\"\\u00a0\\u200b\\u2028\"");
  EXPECT_EQ(go_quote("\xC3\xA9\xE2\x99\xA5\xF0\x9F\x90\xB3"),
            "\"\xC3\xA9\xE2\x99\xA5\xF0\x9F\x90\xB3\"");
  EXPECT_EQ(go_quote("\xF3\xA0\x80\x81"), "\"\\U000e0001\"");  // a tag character (Cf)
  EXPECT_EQ(go_quote("\xED\xA0\x80"), "\"\\xed\\xa0\\x80\"");  // an encoded surrogate is invalid
}

TEST(GoStrings, LowerMapsUnicodeAndReplacesInvalidBytes) {
  EXPECT_EQ(lower_string("RuN"), "run");
  EXPECT_EQ(lower_string("\xC3\x89TAPE"), "\xC3\xA9tape");
  EXPECT_EQ(lower_string("\xC4\xB0"), "i");
  EXPECT_EQ(lower_string("A\xFF"), "a\xEF\xBF\xBD");
  EXPECT_EQ(lower_string("\xFF"), "\xEF\xBF\xBD");
}

TEST(GoStrings, TrimSpaceRemovesUnicodeWhitespaceOnly) {
  EXPECT_EQ(trim_space("\xC2\xA0 \t x y\xE3\x80\x80\n"), "x y");
  EXPECT_EQ(trim_space("\xE2\x80\x8Bx"), "\xE2\x80\x8Bx");  // U+200B is not White_Space
  EXPECT_EQ(trim_space("x\xA0"), "x\xA0");                  // a lone byte is not a space
}

}  // namespace
}  // namespace berth::build
