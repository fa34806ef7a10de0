#include "cli/format/go_template.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

// A container as `docker inspect` shows it, trimmed.
Json container() {
  return Json::parse(R"({
    "Id": "abc123",
    "Name": "/web",
    "State": {"Status": "running", "Running": true, "Pid": 1234, "ExitCode": 0},
    "Config": {"Labels": {"com.example": "x", "a.b": "c"}, "Env": ["A=1", "B=2"],
               "Image": "nginx"},
    "RepoTags": ["nginx:latest", "nginx:1.25"],
    "Ports": [{"HostIp": "0.0.0.0", "HostPort": "8080"}],
    "Size": 1234567,
    "Ratio": 0.5,
    "Big": 1000000.0,
    "Empty": [],
    "EmptyMap": {},
    "Nothing": null,
    "Html": "a<b>&c"
  })");
}

// Output of text executed over dot, or a marker with the error.
std::string run(std::string_view text, const Json& dot = container()) {
  auto tmpl = Template::parse(text);
  if (!tmpl) {
    return "<parse error: " + tmpl.error().str() + ">";
  }
  auto out = tmpl->execute(dot);
  if (!out) {
    return "<exec error: " + out.error().str() + ">";
  }
  return *out;
}

std::string template_parse_error(std::string_view text) {
  auto tmpl = Template::parse(text);
  if (tmpl) {
    return "<parsed>";
  }
  EXPECT_EQ(tmpl.error().code(), Code::kInvalidArgument);
  return tmpl.error().str();
}

std::string exec_error(std::string_view text, const Json& dot = container()) {
  auto tmpl = Template::parse(text);
  if (!tmpl) {
    return "<parse error: " + tmpl.error().str() + ">";
  }
  auto out = tmpl->execute(dot);
  if (out) {
    return "<executed: " + *out + ">";
  }
  EXPECT_EQ(out.error().code(), Code::kInvalidArgument);
  return out.error().str();
}

TEST(GoTemplate, LiteralTextIsCopiedUnchanged) {
  EXPECT_EQ(run("plain text, no actions\n"), "plain text, no actions\n");
  EXPECT_EQ(run(""), "");
  EXPECT_EQ(run("a } b { c"), "a } b { c");
}

TEST(GoTemplate, FieldsAndNestedFieldChainsPrintTheirValues) {
  EXPECT_EQ(run("{{.Name}}"), "/web");
  EXPECT_EQ(run("{{.State.Status}}"), "running");
  EXPECT_EQ(run("{{.Config.Image}}:{{.State.Pid}}"), "nginx:1234");
  EXPECT_EQ(run("{{.}}", Json("just a string")), "just a string");
}

TEST(GoTemplate, DockerRepositoryTagFormatWorks) {
  Json image = {{"Repository", "nginx"}, {"Tag", "latest"}, {"ID", "sha256:1"}};
  EXPECT_EQ(run("{{.Repository}}:{{.Tag}}", image), "nginx:latest");
}

TEST(GoTemplate, MissingFieldsPrintNoValue) {
  EXPECT_EQ(run("{{.Missing}}"), "<no value>");
  EXPECT_EQ(run("{{.Missing.Deeper.Still}}"), "<no value>");
  EXPECT_EQ(run("{{.Nothing}}"), "<no value>");
  EXPECT_EQ(run("{{.Config.Labels.nope}}"), "<no value>");
}

TEST(GoTemplate, FieldOfANonObjectIsAnExecutionError) {
  EXPECT_EQ(exec_error("{{.Name.X}}"),
            "template: :1:2: executing \"\" at <.Name.X>: can't evaluate field X in type string");
  EXPECT_EQ(exec_error("{{.RepoTags.First}}"),
            "template: :1:2: executing \"\" at <.RepoTags.First>: can't evaluate field First in "
            "type []interface {}");
}

TEST(GoTemplate, ValuesPrintAsGoPrintsThem) {
  EXPECT_EQ(run("{{.Size}}"), "1234567");
  EXPECT_EQ(run("{{.Ratio}}"), "0.5");
  EXPECT_EQ(run("{{.Big}}"), "1e+06");
  EXPECT_EQ(run("{{.State.Running}} {{.State.ExitCode}}"), "true 0");
  EXPECT_EQ(run("{{.RepoTags}}"), "[nginx:latest nginx:1.25]");
  EXPECT_EQ(run("{{.Empty}} {{.EmptyMap}}"), "[] map[]");
  EXPECT_EQ(run("{{.Config.Labels}}"), "map[a.b:c com.example:x]");
  EXPECT_EQ(run("{{.Ports}}"), "[map[HostIp:0.0.0.0 HostPort:8080]]");
  EXPECT_EQ(run("{{.}}", Json::parse(R"([1, null, true, "s"])")), "[1 <nil> true s]");
}

TEST(GoTemplate, JsonPrintsCompactJsonWithoutEscapingHtml) {
  EXPECT_EQ(run("{{json .Config.Labels}}"), R"({"com.example":"x","a.b":"c"})");
  EXPECT_EQ(run("{{json .Html}}"), R"("a<b>&c")");
  EXPECT_EQ(run("{{json .Nothing}} {{json .Missing}}"), "null null");
  EXPECT_EQ(run("{{json .}}", Json{{"B", 1.0}, {"A", {1, 2}}}), R"({"B":1,"A":[1,2]})");
  EXPECT_EQ(run("{{.State | json}}"),
            R"({"Status":"running","Running":true,"Pid":1234,"ExitCode":0})");
}

TEST(GoTemplate, IndexLooksUpMapKeysAndListElements) {
  EXPECT_EQ(run(R"({{index .Config.Labels "a.b"}})"), "c");
  EXPECT_EQ(run("{{index .RepoTags 1}}"), "nginx:1.25");
  EXPECT_EQ(run("{{index .Ports 0 \"HostPort\"}}"), "8080");
  EXPECT_EQ(run("{{(index .Ports 0).HostPort}}"), "8080");
}

TEST(GoTemplate, IndexOfAMissingLabelIsEmptyAsForGoStringMaps) {
  EXPECT_EQ(run(R"([{{index .Config.Labels "missing"}}])"), "[]");
  EXPECT_EQ(run(R"([{{index .Nothing "missing"}}])"), "[]");
  EXPECT_EQ(run(R"([{{index .State "missing"}}])"), "[<no value>]");
}

TEST(GoTemplate, IndexOutOfRangeIsAnExecutionError) {
  EXPECT_EQ(exec_error("{{index .RepoTags 5}}"),
            "template: :1:2: executing \"\" at <index .RepoTags 5>: error calling index: index "
            "out of range: 5");
}

TEST(GoTemplate, JoinSplitAndCaseFunctionsWorkOnStrings) {
  EXPECT_EQ(run(R"({{join .RepoTags ", "}})"), "nginx:latest, nginx:1.25");
  EXPECT_EQ(run(R"({{.RepoTags | join ","}})"), "nginx:latest,nginx:1.25");
  EXPECT_EQ(run(R"({{split "a,b,,c" ","}})"), "[a b  c]");
  EXPECT_EQ(run(R"({{index (split .Config.Image "n") 1}})"), "gi");
  EXPECT_EQ(run(R"({{len (split "" ",")}})"), "1");
  EXPECT_EQ(run(R"({{upper "MiXed-1"}} {{lower "MiXed-1"}})"), "MIXED-1 mixed-1");
  EXPECT_EQ(run(R"({{title "hello wide-world_x 9lives"}})"), "Hello Wide-World_x 9lives");
}

TEST(GoTemplate, LenCountsBytesElementsAndMembers) {
  EXPECT_EQ(run("{{len .Name}} {{len .RepoTags}} {{len .Config.Labels}} {{len .Empty}}"),
            "4 2 2 0");
  EXPECT_EQ(exec_error("{{len .Size}}"),
            "template: :1:2: executing \"\" at <len .Size>: error calling len: len of type int");
}

TEST(GoTemplate, PrintFunctionsFollowGoFmt) {
  EXPECT_EQ(run("{{println .Name}}"), "/web\n");
  EXPECT_EQ(run("{{println .Name .Size}}"), "/web 1234567\n");
  EXPECT_EQ(run("{{print .Size .Ratio \"x\" 1}}"), "1234567 0.5x1");
  EXPECT_EQ(run(R"({{printf "%s-%d" .Config.Image .State.Pid}})"), "nginx-1234");
  EXPECT_EQ(run(R"({{printf "%v %q %%" .RepoTags .Name}})"),
            "[nginx:latest nginx:1.25] \"/web\" %");
  EXPECT_EQ(run(R"({{.Name | printf "<%s>"}})"), "</web>");
}

TEST(GoTemplate, PadAndTruncateFollowDocker) {
  EXPECT_EQ(run("[{{pad .Config.Image 1 2}}]"), "[ nginx  ]");
  EXPECT_EQ(run(R"([{{pad "" 1 2}}])"), "[]");
  EXPECT_EQ(run("{{truncate .Id 3}}"), "abc");
  EXPECT_EQ(run("{{truncate .Id 30}}"), "abc123");
}

TEST(GoTemplate, PipelinePassesEachResultAsTheLastArgument) {
  EXPECT_EQ(run(R"({{.Config.Image | upper | printf "%s!"}})"), "NGINX!");
  // The piped value is the last argument: split ":" "a:b" splits ":" at "a:b".
  EXPECT_EQ(run(R"({{"a:b" | split ":" | len}})"), "1");
  EXPECT_EQ(template_parse_error(R"({{.Name | "x"}})"),
            "template parsing error: template: :1: non executable command in pipeline stage 2");
}

TEST(GoTemplate, IfElseIfElseChoosesTheFirstTrueBranch) {
  const char* text = "{{if .A}}a{{else if .B}}b{{else}}c{{end}}";
  EXPECT_EQ(run(text, {{"A", true}, {"B", true}}), "a");
  EXPECT_EQ(run(text, {{"A", false}, {"B", true}}), "b");
  EXPECT_EQ(run(text, {{"A", false}, {"B", false}}), "c");
  EXPECT_EQ(run("{{if .State.Running}}up{{end}}"), "up");
}

TEST(GoTemplate, IfUsesGoTruthiness) {
  const char* text = "{{if .V}}T{{else}}F{{end}}";
  for (const Json& falsy :
       {Json(false), Json(0), Json(0.0), Json(""), Json(nullptr), Json::array(), Json::object()}) {
    EXPECT_EQ(run(text, {{"V", falsy}}), "F") << falsy.dump();
  }
  for (const Json& truthy : {Json(true), Json(-1), Json(0.1), Json("0"), Json::array({0}),
                             Json::object({{"k", nullptr}})}) {
    EXPECT_EQ(run(text, {{"V", truthy}}), "T") << truthy.dump();
  }
  EXPECT_EQ(run(text, Json::object()), "F");
}

TEST(GoTemplate, RangeOverAListSetsDotToEachElement) {
  EXPECT_EQ(run("{{range .RepoTags}}{{.}} {{end}}"), "nginx:latest nginx:1.25 ");
  EXPECT_EQ(run("{{range .Ports}}{{.HostIp}}:{{.HostPort}}{{end}}"), "0.0.0.0:8080");
}

TEST(GoTemplate, RangeOverAMapVisitsKeysInSortedOrder) {
  Json dot = {{"M", {{"zeta", 1}, {"alpha", 2}, {"Mid", 3}}}};
  EXPECT_EQ(run("{{range $k, $v := .M}}{{$k}}={{$v}};{{end}}", dot), "Mid=3;alpha=2;zeta=1;");
  EXPECT_EQ(run("{{range .M}}{{.}}{{end}}", dot), "321");
}

TEST(GoTemplate, RangeWithIndexAndElementVariables) {
  EXPECT_EQ(run("{{range $i, $e := .RepoTags}}{{$i}}:{{$e}} {{end}}"),
            "0:nginx:latest 1:nginx:1.25 ");
  EXPECT_EQ(run("{{range $e := .RepoTags}}{{$e}},{{end}}"), "nginx:latest,nginx:1.25,");
  EXPECT_EQ(run("{{range $i, $e := .RepoTags}}{{$.Name}}{{end}}"), "/web/web");
}

TEST(GoTemplate, RangeElseRunsWhenThereIsNothingToVisit) {
  EXPECT_EQ(run("{{range .Empty}}x{{else}}none{{end}}"), "none");
  EXPECT_EQ(run("{{range .Missing}}x{{else}}none{{end}}"), "none");
  EXPECT_EQ(run("{{range .EmptyMap}}x{{else}}none{{end}}"), "none");
  EXPECT_EQ(run("{{range 3}}{{.}}{{end}}", Json::object()), "012");
}

TEST(GoTemplate, RangeOverAScalarIsAnExecutionError) {
  EXPECT_EQ(exec_error("{{range .Name}}x{{end}}"),
            "template: :1:8: executing \"\" at <.Name>: range can't iterate over /web");
}

TEST(GoTemplate, WithSetsDotOnlyWhenTheValueIsTrue) {
  EXPECT_EQ(run("{{with .State}}{{.Status}}{{end}}"), "running");
  EXPECT_EQ(run("{{with .Missing}}x{{else}}no{{end}}"), "no");
  EXPECT_EQ(run("{{with .Missing}}x{{else with .Config}}{{.Image}}{{end}}"), "nginx");
}

TEST(GoTemplate, VariablesCanBeDeclaredAssignedAndScoped) {
  EXPECT_EQ(run("{{$x := .Name}}{{$x}}"), "/web");
  EXPECT_EQ(run("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}"), "2");
  EXPECT_EQ(run("{{$x := 1}}{{if true}}{{$x := 2}}{{$x}}{{end}}{{$x}}"), "21");
  EXPECT_EQ(run("{{range .RepoTags}}{{$.Config.Image}} {{end}}"), "nginx nginx ");
  EXPECT_EQ(run("{{if $p := .State.Pid}}pid {{$p}}{{end}}"), "pid 1234");
}

TEST(GoTemplate, ComparisonsWorkOnNumbersAndStrings) {
  EXPECT_EQ(run(R"({{eq .State.Status "running"}} {{ne .State.Pid 1234}})"), "true false");
  EXPECT_EQ(run("{{lt 1 2}} {{le 2 2}} {{gt 1 2}} {{ge 2 3}}"), "true true false false");
  EXPECT_EQ(run(R"({{lt "a" "b"}} {{eq 1 1.0}} {{lt 1 1.5}})"), "true true true");
  EXPECT_EQ(run(R"({{eq .State.Status "exited" "running"}})"), "true");
  EXPECT_EQ(run("{{eq .Nothing nil}} {{eq .Name nil}}"), "true false");
  EXPECT_EQ(exec_error(R"({{eq 1 "1"}})"),
            "template: :1:2: executing \"\" at <eq 1 \"1\">: error calling eq: incompatible types "
            "for comparison");
  EXPECT_EQ(exec_error("{{lt true false}}"),
            "template: :1:2: executing \"\" at <lt true false>: error calling lt: invalid type for "
            "comparison");
}

TEST(GoTemplate, AndOrReturnTheDecidingValueAndStopEarly) {
  EXPECT_EQ(run(R"({{or .Missing "default"}})"), "default");
  EXPECT_EQ(run(R"({{or .Name "default"}})"), "/web");
  EXPECT_EQ(run("{{and .Name .Size}}"), "1234567");
  EXPECT_EQ(run("{{and .Empty (index .Empty 5)}}"), "[]");
  EXPECT_EQ(run("{{not .Empty}} {{not .Name}}"), "true false");
  EXPECT_EQ(run("{{if and .State.Running (eq .State.Pid 1234)}}ok{{end}}"), "ok");
}

TEST(GoTemplate, TrimMarkersRemoveTheAdjacentWhitespace) {
  EXPECT_EQ(run("a  \n {{- .Config.Image -}} \n\t b"), "anginxb");
  EXPECT_EQ(run("{{range .RepoTags -}}\n  {{.}}\n{{end -}}\n"), "nginx:latest\nnginx:1.25\n");
  EXPECT_EQ(run("{{-3}}", Json::object()), "-3");
  EXPECT_EQ(run("x {{- /* note */ -}} y"), "xy");
}

TEST(GoTemplate, LiteralsFollowGoSyntax) {
  Json none = Json::object();
  EXPECT_EQ(run(R"({{"tab\there\n\"q\"\x41\u00e9\101"}})", none),
            "tab\there\n\"q\"A\xc3\xa9"
            "A");
  EXPECT_EQ(run("{{`raw \\n stays`}}", none), "raw \\n stays");
  EXPECT_EQ(run("{{42}} {{-7}} {{1.5}} {{0x1F}} {{1_000}} {{'a'}} {{1e3}}", none),
            "42 -7 1.5 31 1000 97 1000");
  EXPECT_EQ(run("{{true}} {{false}}", none), "true false");
}

TEST(GoTemplate, CommentsPrintNothing) {
  EXPECT_EQ(run("a{{/* a comment\n over lines */}}b"), "ab");
}

TEST(GoTemplate, SyntaxErrorsAreReportedLikeDocker) {
  EXPECT_EQ(template_parse_error("{{InvalidFunction}}"),
            "template parsing error: template: :1: function \"InvalidFunction\" not defined");
  EXPECT_EQ(template_parse_error("{{.Name"),
            "template parsing error: template: :1: unclosed action");
  EXPECT_EQ(template_parse_error("{{end}}"),
            "template parsing error: template: :1: unexpected {{end}}");
  EXPECT_EQ(template_parse_error("{{else}}"),
            "template parsing error: template: :1: unexpected {{else}}");
  EXPECT_EQ(template_parse_error("{{if .A}}x"),
            "template parsing error: template: :1: unexpected EOF");
  EXPECT_EQ(template_parse_error("{{range .A}}"),
            "template parsing error: template: :1: unexpected EOF");
  EXPECT_EQ(template_parse_error("{{$x}}"),
            "template parsing error: template: :1: undefined variable \"$x\"");
  EXPECT_EQ(template_parse_error("{{}}"),
            "template parsing error: template: :1: missing value for command");
  EXPECT_EQ(template_parse_error("{{\"abc}}"),
            "template parsing error: template: :1: unterminated quoted string");
  EXPECT_EQ(template_parse_error("{{3x}}"),
            "template parsing error: template: :1: bad number syntax: \"3x\"");
  EXPECT_EQ(template_parse_error("{{.A | }}{{if}}"),
            "template parsing error: template: :1: missing value for if");
  EXPECT_EQ(template_parse_error("{{(.A}}"),
            "template parsing error: template: :1: unclosed left paren");
  EXPECT_EQ(template_parse_error("{{.A)}}"),
            "template parsing error: template: :1: unexpected right paren");
  EXPECT_EQ(template_parse_error("{{template \"x\"}}"),
            "template parsing error: template: :1: {{template}} is not supported");
  EXPECT_EQ(template_parse_error("{{/* x */ .A}}"),
            "template parsing error: template: :1: comment ends before closing delimiter");
  EXPECT_EQ(template_parse_error("{{if .A}}{{else}}{{else}}{{end}}"),
            "template parsing error: template: :1: expected end; found {{else}}");
  EXPECT_EQ(template_parse_error("{{.A # }}"),
            "template parsing error: template: :1: unrecognized character in action: U+0023 '#'");
}

TEST(GoTemplate, DeepNestingIsRejectedInsteadOfOverflowingTheStack) {
  std::string deep = "{{" + std::string(5000, '(') + "1" + std::string(5000, ')') + "}}";
  EXPECT_EQ(template_parse_error(deep),
            "template parsing error: template: :1: template nesting too deep");
  std::string ifs;
  for (int i = 0; i < 5000; ++i) {
    ifs += "{{if 1}}";
  }
  EXPECT_EQ(template_parse_error(ifs),
            "template parsing error: template: :1: template nesting too deep");
  EXPECT_EQ(run("{{" + std::string(100, '(') + "1" + std::string(100, ')') + "}}"), "1");
}

TEST(GoTemplate, SyntaxErrorsNameTheLine) {
  EXPECT_EQ(template_parse_error("line one\nline two {{.A\n"),
            "template parsing error: template: :2: unclosed action");
  EXPECT_EQ(template_parse_error("{{if .A}}\n\n{{nope}}{{end}}"),
            "template parsing error: template: :3: function \"nope\" not defined");
}

TEST(GoTemplate, NilIsNotACommand) {
  EXPECT_EQ(exec_error("{{nil}}"), "template: :1:2: executing \"\" at <nil>: nil is not a command");
}

TEST(GoTemplate, ExecutionErrorsNameLineAndColumn) {
  EXPECT_EQ(exec_error("ok\n  {{.Name.X}}"),
            "template: :2:4: executing \"\" at <.Name.X>: can't evaluate field X in type string");
  EXPECT_EQ(exec_error("{{len 1 2}}"),
            "template: :1:2: executing \"\" at <len 1 2>: wrong number of args for len: want 1 got "
            "2");
  EXPECT_EQ(exec_error("{{upper .Size}}"),
            "template: :1:2: executing \"\" at <upper .Size>: wrong type for value; expected "
            "string; got int");
  EXPECT_EQ(exec_error("{{.Name 1}}"),
            "template: :1:2: executing \"\" at <.Name>: can't give argument to non-function .Name");
}

TEST(GoTemplate, ATemplateCanBeExecutedManyTimes) {
  auto tmpl = Template::parse("{{.N}},");
  ASSERT_TRUE(tmpl);
  std::string out;
  for (int i = 0; i < 3; ++i) {
    out += *tmpl->execute({{"N", i}});
  }
  EXPECT_EQ(out, "0,1,2,");
  EXPECT_EQ(tmpl->source(), "{{.N}},");
}

TEST(GoTemplate, HeaderExecutionPrintsColumnHeadersForFields) {
  auto tmpl = Template::parse(
      "{{.ID}}\t{{.Image | upper}}\t{{json .Labels}}\t{{.CreatedAt}}\t{{.Names | join \",\"}}");
  ASSERT_TRUE(tmpl);
  std::map<std::string, std::string> headers = {
      {"ID", "CONTAINER ID"}, {"Image", "IMAGE"}, {"Labels", "LABELS"}, {"Names", "NAMES"}};
  EXPECT_EQ(tmpl->execute_header(headers), "CONTAINER ID\tIMAGE\tLABELS\tCREATED AT\tNAMES");
}

TEST(GoTemplate, HeaderExecutionKeepsPaddingAndStopsAtAnError) {
  auto padded = Template::parse("{{pad .Name 1 1}}|{{.State.Status}}");
  ASSERT_TRUE(padded);
  EXPECT_EQ(padded->execute_header({{"Name", "NAME"}, {"State", "STATE"}}), " NAME |STATE");
  auto failing = Template::parse("{{.Name}} {{len 1}} tail");
  ASSERT_TRUE(failing);
  EXPECT_EQ(failing->execute_header({{"Name", "NAME"}}), "NAME ");
}

TEST(GoTemplate, DefaultHeaderSplitsWordsAtCaseChanges) {
  EXPECT_EQ(default_header("CreatedAt"), "CREATED AT");
  EXPECT_EQ(default_header("ID"), "ID");
  EXPECT_EQ(default_header("IPAddress"), "IP ADDRESS");
  EXPECT_EQ(default_header("RepoTags"), "REPO TAGS");
  EXPECT_EQ(default_header("Name"), "NAME");
  EXPECT_EQ(default_header("host_port"), "HOST PORT");
}

}  // namespace
}  // namespace berth::cli
