#include "cli/format/table.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

// docker's volume formatter: its tests give the expected outputs used below.
constexpr std::string_view kVolumeTable = "table {{.Driver}}\\t{{.Name}}";
constexpr std::string_view kVolumeRaw = "name: {{.Name}}\\ndriver: {{.Driver}}\\n";

std::map<std::string, std::string> volume_headers() {
  return {{"Driver", "DRIVER"}, {"Name", "VOLUME NAME"}};
}

std::vector<Json> volumes() {
  return {{{"Name", "foobar_baz"}, {"Driver", "foo"}}, {{"Name", "foobar_bar"}, {"Driver", "bar"}}};
}

// Output of format over docker's two test volumes, or a marker with the error.
std::string render_volumes(std::string_view format, std::vector<Json> items = volumes()) {
  auto f = Formatter::create(format, kVolumeTable, volume_headers(), kVolumeRaw);
  if (!f) {
    return "<create error: " + f.error().str() + ">";
  }
  for (const Json& item : items) {
    f->add(item);
  }
  auto out = f->render();
  if (!out) {
    return "<render error: " + out.error().str() + ">";
  }
  return *out;
}

TEST(Tabwriter, PadsColumnsToTheWidestCellPlusThreeAndAtLeastTen) {
  EXPECT_EQ(tabwrite({{"DRIVER", "VOLUME NAME"}, {"foo", "foobar_baz"}}),
            "DRIVER    VOLUME NAME\n"
            "foo       foobar_baz\n");
  EXPECT_EQ(tabwrite({{"CONTAINER ID", "IMAGE", "NAMES"}, {"abc123def456", "nginx:latest", "web"}}),
            "CONTAINER ID   IMAGE          NAMES\n"
            "abc123def456   nginx:latest   web\n");
}

TEST(Tabwriter, NeverPadsTheLastCellOfALine) {
  EXPECT_EQ(tabwrite({{"a", "b"}, {"c", "a much longer last cell"}, {"d", ""}}),
            "a         b\n"
            "c         a much longer last cell\n"
            "d         \n");
}

TEST(Tabwriter, ALineWithoutTabsEndsEveryColumn) {
  EXPECT_EQ(tabwrite_text("a\tb\nlonger-cell-here\tc\nno tabs\nx\ty\n"),
            "a                  b\n"
            "longer-cell-here   c\n"
            "no tabs\n"
            "x         y\n");
}

TEST(Tabwriter, AColumnIsOnlyAsWideAsItsOwnRunOfLines) {
  // Go's documented example: the b and c cells are in different columns because the line "a\t"
  // has no second column between them.
  EXPECT_EQ(tabwrite_text("aaaa\tbbbbbbbbbbbb\td\naa\tb\tdd\na\t\naa\tcc\teee\n"),
            "aaaa      bbbbbbbbbbbb   d\n"
            "aa        b              dd\n"
            "a         \n"
            "aa        cc        eee\n");
}

TEST(Tabwriter, KeepsLineTerminatorsAsTheyAre) {
  EXPECT_EQ(tabwrite_text("a\tb\nc\td"), "a         b\nc         d");
  EXPECT_EQ(tabwrite_text(""), "");
  EXPECT_EQ(tabwrite_text("\n\n"), "\n\n");
  EXPECT_EQ(tabwrite_text("x\ty\fzz\tw\n"), "x         y\nzz        w\n");
}

TEST(Tabwriter, MeasuresCellsInTerminalColumns) {
  EXPECT_EQ(display_width("abc"), 3U);
  EXPECT_EQ(display_width("\xe5\x90\x8d\xe5\x89\x8d"), 4U);  // 名前
  EXPECT_EQ(display_width("e\xcc\x81"), 1U);                 // e + combining acute
  EXPECT_EQ(tabwrite({{"\xe5\x90\x8d\xe5\x89\x8d", "x"}, {"ab", "y"}}),
            "\xe5\x90\x8d\xe5\x89\x8d      x\n"
            "ab        y\n");
}

TEST(Formatter, EmptyFormatPrintsTheDefaultTable) {
  EXPECT_EQ(render_volumes(""),
            "DRIVER    VOLUME NAME\n"
            "foo       foobar_baz\n"
            "bar       foobar_bar\n");
  EXPECT_EQ(render_volumes("table"), render_volumes(""));
}

TEST(Formatter, ATableWithNoItemsStillPrintsItsHeader) {
  EXPECT_EQ(render_volumes("", {}), "DRIVER    VOLUME NAME\n");
}

TEST(Formatter, ACustomTableTakesHeadersFromItsFields) {
  EXPECT_EQ(render_volumes("table {{.Name}}"),
            "VOLUME NAME\n"
            "foobar_baz\n"
            "foobar_bar\n");
  EXPECT_EQ(render_volumes("table {{.Name}}\\t{{.Driver | upper}}\\t{{.Scope}}"),
            "VOLUME NAME   DRIVER    SCOPE\n"
            "foobar_baz    FOO       <no value>\n"
            "foobar_bar    BAR       <no value>\n");
  auto f = Formatter::create("table {{.Name}}", kVolumeTable, volume_headers());
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind(), FormatKind::kTable);
}

TEST(Formatter, ATemplatePrintsOneLinePerItem) {
  EXPECT_EQ(render_volumes("{{.Name}}"), "foobar_baz\nfoobar_bar\n");
  EXPECT_EQ(render_volumes("  {{.Driver}}:{{.Name}}  "), "foo:foobar_baz\nbar:foobar_bar\n");
  EXPECT_EQ(render_volumes("{{.Name}}\\t{{.Driver}}"), "foobar_baz\tfoo\nfoobar_bar\tbar\n");
  EXPECT_EQ(render_volumes("{{.Name}}", {}), "");
  auto f = Formatter::create("{{.Name}}", kVolumeTable);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind(), FormatKind::kTemplate);
}

TEST(Formatter, JsonPrintsOneCompactObjectPerLineWithSortedKeys) {
  EXPECT_EQ(render_volumes("json"),
            "{\"Driver\":\"foo\",\"Name\":\"foobar_baz\"}\n"
            "{\"Driver\":\"bar\",\"Name\":\"foobar_bar\"}\n");
  EXPECT_EQ(render_volumes("{{json .}}"), render_volumes("json"));
  EXPECT_EQ(render_volumes("json", {{{"Cmd", "a && b > c"}}}), "{\"Cmd\":\"a && b > c\"}\n");
  auto f = Formatter::create("json", kVolumeTable);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind(), FormatKind::kJson);
}

TEST(Formatter, RawUsesTheCommandsRawTemplate) {
  EXPECT_EQ(render_volumes("raw"),
            "name: foobar_baz\n"
            "driver: foo\n"
            "\n"
            "name: foobar_bar\n"
            "driver: bar\n"
            "\n");
  auto f = Formatter::create("raw", kVolumeTable, {}, kVolumeRaw);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind(), FormatKind::kRawTemplate);
  // Without a raw format, "raw" is an ordinary template, as in docker.
  auto plain = Formatter::create("raw", kVolumeTable);
  ASSERT_TRUE(plain);
  plain->add(Json::object());
  EXPECT_EQ(*plain->render(), "raw\n");
}

TEST(Formatter, DockerPsStyleTableAlignsEveryColumn) {
  std::map<std::string, std::string> headers = {
      {"ID", "CONTAINER ID"}, {"Image", "IMAGE"}, {"Status", "STATUS"}, {"Names", "NAMES"}};
  auto f = Formatter::create("", "table {{.ID}}\\t{{.Image}}\\t{{.Status}}\\t{{.Names}}", headers);
  ASSERT_TRUE(f);
  f->add({{"ID", "4f1e3b2c9a8d"},
          {"Image", "nginx:latest"},
          {"Status", "Up 2 hours"},
          {"Names", "web"}});
  f->add({{"ID", "0a1b2c3d4e5f"},
          {"Image", "redis"},
          {"Status", "Exited (0) 3 days ago"},
          {"Names", "cache"}});
  EXPECT_EQ(*f->render(),
            "CONTAINER ID   IMAGE          STATUS                  NAMES\n"
            "4f1e3b2c9a8d   nginx:latest   Up 2 hours              web\n"
            "0a1b2c3d4e5f   redis          Exited (0) 3 days ago   cache\n");
}

TEST(Formatter, DockerImagesStyleCustomTableUsesTheHeaderMap) {
  auto f = Formatter::create("table {{.ID}}\\t{{.Repository}}", "table {{.Repository}}",
                             {{"ID", "IMAGE ID"}, {"Repository", "REPOSITORY"}, {"Tag", "TAG"}});
  ASSERT_TRUE(f);
  f->add({{"ID", "a6bd71f48f68"}, {"Repository", "nginx"}, {"Tag", "latest"}});
  f->add({{"ID", "b2aa39c304c2"}, {"Repository", "<none>"}, {"Tag", "<none>"}});
  EXPECT_EQ(*f->render(),
            "IMAGE ID       REPOSITORY\n"
            "a6bd71f48f68   nginx\n"
            "b2aa39c304c2   <none>\n");
}

TEST(Formatter, PipedJoinWorksInRowsAndInTheHeader) {
  auto f = Formatter::create("table {{.Names | join \",\"}}\\t{{.ID}}", "",
                             {{"Names", "NAMES"}, {"ID", "CONTAINER ID"}});
  ASSERT_TRUE(f);
  f->add({{"Names", {"a", "b"}}, {"ID", "1"}});
  EXPECT_EQ(*f->render(),
            "NAMES     CONTAINER ID\n"
            "a,b       1\n");
}

TEST(Formatter, ErrorsAreWordedAsDockerWordsThem) {
  EXPECT_EQ(render_volumes("{{InvalidFunction}}"),
            "<create error: template parsing error: template: :1: function \"InvalidFunction\" "
            "not defined>");
  EXPECT_EQ(render_volumes("{{nil}}"),
            "<render error: template parsing error: template: :1:2: executing \"\" at <nil>: nil "
            "is not a command>");
}

}  // namespace
}  // namespace berth::cli
