#include "oci/json_fields.h"

#include <array>

#include <gtest/gtest.h>

namespace berth::oci {
namespace {

Json parse(std::string_view s) { return *parse_json(s, "test"); }

TEST(JsonFields, ReadersLeaveAbsentAndNullMembersAlone) {
  Json j = parse(R"({"n":null})");
  std::string s = "keep";
  std::vector<std::string> v{"keep"};
  int64_t i = 7;
  bool b = true;
  ASSERT_TRUE(read_string(j, "n", s));
  ASSERT_TRUE(read_strings(j, "missing", v));
  ASSERT_TRUE(read_int(j, "n", i));
  ASSERT_TRUE(read_bool(j, "missing", b));
  EXPECT_EQ(s, "keep");
  EXPECT_EQ(v, std::vector<std::string>{"keep"});
  EXPECT_EQ(i, 7);
  EXPECT_TRUE(b);
}

TEST(JsonFields, WrongTypesAreCorruptNamingTheMember) {
  Json j = parse(R"({"s":1,"a":[1],"i":1.5,"m":{"k":2},"b":"yes","big":18446744073709551615})");
  std::string s;
  std::vector<std::string> v;
  int64_t i = 0;
  bool b = false;
  std::map<std::string, std::string> m;
  for (auto r : {read_string(j, "s", s), read_strings(j, "a", v), read_int(j, "i", i),
                 read_string_map(j, "m", m), read_bool(j, "b", b), read_int(j, "big", i)}) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), Code::kCorrupt);
    EXPECT_NE(r.error().message().find("field '"), std::string::npos) << r.error().str();
  }
}

TEST(JsonFields, KeySetJsonSortsLikeGoMaps) {
  EXPECT_EQ(to_go_json(key_set_json({"80/tcp", "443/tcp", "53/udp"})),
            R"({"443/tcp":{},"53/udp":{},"80/tcp":{}})");
}

TEST(JsonFields, EmptyValuesAreThoseOmitemptyDrops) {
  for (const char* e : {"null", "\"\"", "false", "0", "[]", "{}"}) {
    EXPECT_TRUE(is_empty_value(parse(e))) << e;
  }
  for (const char* e : {"\"x\"", "true", "1", "[0]", "{\"a\":1}"}) {
    EXPECT_FALSE(is_empty_value(parse(e))) << e;
  }
}

TEST(JsonFields, FollowOriginalKeepsOrderAndEmptyValuesOfKnownMembers) {
  constexpr std::array<std::string_view, 3> kKnown = {"a", "b", "c"};
  Json original = parse(R"({"c":null,"x":1,"b":"old","a":[]})");
  Json fresh = parse(R"({"a":[],"b":"new","x":1,"d":4})");
  EXPECT_EQ(to_go_json(follow_original(fresh, original, kKnown)),
            R"({"c":null,"x":1,"b":"new","a":[],"d":4})");
}

TEST(JsonFields, FollowOriginalDropsClearedAndRemovedMembers) {
  constexpr std::array<std::string_view, 1> kKnown = {"a"};
  Json original = parse(R"({"a":"set","x":null})");
  Json fresh = Json::object();
  EXPECT_EQ(to_go_json(follow_original(fresh, original, kKnown)), "{}");
  EXPECT_EQ(to_go_json(follow_original(parse(R"({"z":1})"), Json(), kKnown)), R"({"z":1})");
}

}  // namespace
}  // namespace berth::oci
