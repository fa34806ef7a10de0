#include "cli/format/go_fmt.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

TEST(GoFmt, FloatsPrintInGoShortestForm) {
  EXPECT_EQ(go_format_float(1.0), "1");
  EXPECT_EQ(go_format_float(0.5), "0.5");
  EXPECT_EQ(go_format_float(-2.5), "-2.5");
  EXPECT_EQ(go_format_float(123456.0), "123456");
  EXPECT_EQ(go_format_float(1e6), "1e+06");
  EXPECT_EQ(go_format_float(1234567.0), "1.234567e+06");
  EXPECT_EQ(go_format_float(0.0001), "0.0001");
  EXPECT_EQ(go_format_float(0.00001), "1e-05");
  EXPECT_EQ(go_format_float(1.5e300), "1.5e+300");
  EXPECT_EQ(go_format_float(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(go_format_float(std::nan("")), "NaN");
  EXPECT_EQ(go_format_float(-std::numeric_limits<double>::infinity()), "-Inf");
}

TEST(GoFmt, PrintShowsNestedValuesAsGoDoes) {
  EXPECT_EQ(go_print(Json::parse(R"({"b": {"x": [1, 2.5]}, "a": "s", "n": null})")),
            "map[a:s b:map[x:[1 2.5]] n:<nil>]");
  EXPECT_EQ(go_print(Json(std::numeric_limits<uint64_t>::max())), "18446744073709551615");
  EXPECT_EQ(go_print(Json(nullptr)), "<nil>");
}

TEST(GoFmt, SprintAddsSpacesOnlyBetweenTwoNonStrings) {
  EXPECT_EQ(go_sprint({1, 2}), "1 2");
  EXPECT_EQ(go_sprint({"a", "b"}), "ab");
  EXPECT_EQ(go_sprint({"a", 1, 2, "b", true}), "a1 2btrue");
  EXPECT_EQ(go_sprintln({"a", "b", 1}), "a b 1\n");
  EXPECT_EQ(go_sprintln({}), "\n");
}

TEST(GoFmt, SprintfFormatsTheCommonVerbs) {
  EXPECT_EQ(go_sprintf("%s-%d", {"web", 42}), "web-42");
  EXPECT_EQ(go_sprintf("%5s|%-5s|%05d|%-05d|", {"ab", "ab", 42, 42}), "   ab|ab   |00042|42   |");
  EXPECT_EQ(go_sprintf("%x %X %x %o %b", {255, "hi", -255, 8, 5}), "ff 6869 -ff 10 101");
  EXPECT_EQ(go_sprintf("%q %q %t %c %T %%", {"q\"x", 65, true, 0x263A, 1.5}),
            "\"q\\\"x\" 'A' true \xe2\x98\xba float64 %");
  EXPECT_EQ(
      go_sprintf("%.2f|%5.1f|%08.3f|%e|%g|%+d", {3.14159, 3.14159, -3.14159, 1234.5678, 1e6, 7}),
      "3.14|  3.1|-003.142|1.234568e+03|1e+06|+7");
  EXPECT_EQ(go_sprintf("%v|%s|%5d|%.3s", {Json::array({1, "a"}), Json::array({"a", "b"}),
                                          Json::array({1, 2}), "abcdef"}),
            "[1 a]|[a b]|[    1     2]|abc");
}

TEST(GoFmt, SprintfReportsMismatchesAsGoDoes) {
  EXPECT_EQ(go_sprintf("%s %d", {"a"}), "a %!d(MISSING)");
  EXPECT_EQ(go_sprintf("x", {1, "a"}), "x%!(EXTRA int=1, string=a)");
  EXPECT_EQ(go_sprintf("%d", {"s"}), "%!d(string=s)");
  EXPECT_EQ(go_sprintf("%s", {5}), "%!s(int=5)");
  EXPECT_EQ(go_sprintf("%s|%v", {nullptr, nullptr}), "%!s(<nil>)|<nil>");
  EXPECT_EQ(go_sprintf("%d", {1.5}), "%!d(float64=1.5)");
  EXPECT_EQ(go_sprintf("100%", {}), "100%!(NOVERB)");
}

TEST(GoFmt, QuoteEscapesLikeStrconv) {
  EXPECT_EQ(go_quote("a\"b\\c\n\t\x01\x7f\xc3\xa9"), "\"a\\\"b\\\\c\\n\\t\\x01\\x7f\xc3\xa9\"");
  EXPECT_EQ(go_quote("\xff"), "\"\\xff\"");
  EXPECT_EQ(go_quote(""), "\"\"");
}

TEST(GoFmt, TypeNamesAreGoTypeNames) {
  EXPECT_EQ(go_type_name("s"), "string");
  EXPECT_EQ(go_type_name(1), "int");
  EXPECT_EQ(go_type_name(1.5), "float64");
  EXPECT_EQ(go_type_name(true), "bool");
  EXPECT_EQ(go_type_name(Json::array()), "[]interface {}");
  EXPECT_EQ(go_type_name(Json::object()), "map[string]interface {}");
  EXPECT_EQ(go_type_name(nullptr), "<nil>");
}

}  // namespace
}  // namespace berth::cli
