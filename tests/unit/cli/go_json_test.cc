#include "cli/format/go_json.h"

#include <limits>

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

TEST(GoJson, EscapesHtmlCharactersOnlyWhenAsked) {
  EXPECT_EQ(go_json("<a&b>", true), R"("\u003ca\u0026b\u003e")");
  EXPECT_EQ(go_json("<a&b>", false), R"("<a&b>")");
}

TEST(GoJson, EscapesStringsAsEncodingJsonDoes) {
  EXPECT_EQ(go_json("\x01\b\f\n\r\t\"\\/", false), R"("\u0001\b\f\n\r\t\"\\/")");
  EXPECT_EQ(go_json("line\xe2\x80\xa8sep", false), R"("line\u2028sep")");
  EXPECT_EQ(go_json("bad\xff byte", false), R"("bad\ufffd byte")");
  EXPECT_EQ(go_json("caf\xc3\xa9", false), "\"caf\xc3\xa9\"");
}

TEST(GoJson, WritesNumbersAsGoDoes) {
  EXPECT_EQ(go_json(1.0, true), "1");
  EXPECT_EQ(go_json(1.5, true), "1.5");
  EXPECT_EQ(go_json(-0.0, true), "-0");
  EXPECT_EQ(go_json(1e20, true), "100000000000000000000");
  EXPECT_EQ(go_json(1e21, true), "1e+21");
  EXPECT_EQ(go_json(0.000001, true), "0.000001");
  EXPECT_EQ(go_json(1e-7, true), "1e-7");
  EXPECT_EQ(go_json(std::numeric_limits<int64_t>::min(), true), "-9223372036854775808");
  EXPECT_EQ(go_json(std::numeric_limits<uint64_t>::max(), true), "18446744073709551615");
  EXPECT_EQ(go_json(std::numeric_limits<double>::quiet_NaN(), true), "null");
}

TEST(GoJson, CompactFormKeepsMemberOrder) {
  Json v = Json::parse(R"({"z": 1, "a": [true, null, {}], "m": {"k": []}})");
  EXPECT_EQ(go_json(v, true), R"({"z":1,"a":[true,null,{}],"m":{"k":[]}})");
}

TEST(GoJson, IndentedFormMatchesMarshalIndent) {
  Json v = Json::parse(R"({"Id": "x<y", "Empty": [], "Obj": {}, "List": [1, {"a": null}]})");
  EXPECT_EQ(go_json_indent(v, "    "),
            "{\n"
            "    \"Id\": \"x\\u003cy\",\n"
            "    \"Empty\": [],\n"
            "    \"Obj\": {},\n"
            "    \"List\": [\n"
            "        1,\n"
            "        {\n"
            "            \"a\": null\n"
            "        }\n"
            "    ]\n"
            "}");
  EXPECT_EQ(go_json_indent(Json::array(), "    "), "[]");
  EXPECT_EQ(go_json_indent("s", "  "), "\"s\"");
}

}  // namespace
}  // namespace berth::cli
