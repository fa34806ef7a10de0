#include "cli/format/inspect.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

std::vector<Json> images() {
  return {Json::parse(R"({"Id": "sha256:aa", "RepoTags": ["a:1"], "Config": {"Labels": {"k": "v"},
                          "Cmd": ["sh", "-c", "a && b"]}, "Size": 10})"),
          Json::parse(R"({"Id": "sha256:bb", "RepoTags": [], "Config": {"Labels": null,
                          "Cmd": null}, "Size": 20})")};
}

TEST(Inspect, NoItemsPrintAnEmptyArray) {
  EXPECT_EQ(*render_inspect({}, ""), "[]\n");
  EXPECT_EQ(*render_inspect({}, "json"), "[]\n");
}

TEST(Inspect, DefaultOutputIsAnArrayIndentedByFourSpaces) {
  EXPECT_EQ(*render_inspect(images(), ""),
            "[\n"
            "    {\n"
            "        \"Id\": \"sha256:aa\",\n"
            "        \"RepoTags\": [\n"
            "            \"a:1\"\n"
            "        ],\n"
            "        \"Config\": {\n"
            "            \"Labels\": {\n"
            "                \"k\": \"v\"\n"
            "            },\n"
            "            \"Cmd\": [\n"
            "                \"sh\",\n"
            "                \"-c\",\n"
            "                \"a \\u0026\\u0026 b\"\n"
            "            ]\n"
            "        },\n"
            "        \"Size\": 10\n"
            "    },\n"
            "    {\n"
            "        \"Id\": \"sha256:bb\",\n"
            "        \"RepoTags\": [],\n"
            "        \"Config\": {\n"
            "            \"Labels\": null,\n"
            "            \"Cmd\": null\n"
            "        },\n"
            "        \"Size\": 20\n"
            "    }\n"
            "]\n");
}

TEST(Inspect, JsonFormatPrintsTheArrayOnOneLine) {
  EXPECT_EQ(*render_inspect({Json{{"Id", "x"}, {"Html", "<b>"}}}, "json"),
            "[{\"Id\":\"x\",\"Html\":\"\\u003cb\\u003e\"}]\n");
}

TEST(Inspect, ATemplateRunsOncePerItem) {
  EXPECT_EQ(*render_inspect(images(), "{{.Id}} {{.Size}}"), "sha256:aa 10\nsha256:bb 20\n");
  EXPECT_EQ(*render_inspect(images(), R"({{index .Config.Labels "k"}})"), "v\n\n");
  EXPECT_EQ(*render_inspect(images(), "{{range .RepoTags}}{{.}} {{end}}"), "a:1 \n\n");
  EXPECT_EQ(*render_inspect(images(), "{{json .Config.Cmd}}"),
            "[\"sh\",\"-c\",\"a && b\"]\nnull\n");
}

TEST(Inspect, ATemplateKeepsBackslashEscapesLiteral) {
  EXPECT_EQ(*render_inspect({Json{{"A", "x"}}}, "{{.A}}\\t"), "x\\t\n");
}

TEST(Inspect, ATemplateWithoutItemsPrintsAnEmptyLine) {
  EXPECT_EQ(*render_inspect({}, "{{.Id}}"), "\n");
}

TEST(Inspect, TemplateErrorsCarryDockersPrefix) {
  auto bad = render_inspect(images(), "{{.Id");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().str(), "template parsing error: template: :1: unclosed action");
  auto failing = render_inspect(images(), "{{.Id.X}}");
  ASSERT_FALSE(failing);
  EXPECT_EQ(failing.error().str(),
            "template parsing error: template: :1:2: executing \"\" at <.Id.X>: can't evaluate "
            "field X in type string");
}

}  // namespace
}  // namespace berth::cli
