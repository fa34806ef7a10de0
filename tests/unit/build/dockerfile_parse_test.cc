// What the conformance corpus does not pin down: error wording and locations, the AST fields the
// dump does not show (json form, heredoc bodies, directives, nested ONBUILD), line endings.
#include "build/dockerfile/parse.h"

#include <gtest/gtest.h>

#include <string>

namespace berth::build {
namespace {

std::string error_of(std::string_view text, std::string_view source = "Dockerfile") {
  Result<Dockerfile> df = parse_dockerfile(text, source);
  EXPECT_FALSE(df.has_value()) << "parsed as:\n" << (df ? dump_dockerfile(*df) : "");
  return df ? "" : df.error().str();
}

Dockerfile parsed(std::string_view text) {
  Result<Dockerfile> df = parse_dockerfile(text);
  EXPECT_TRUE(df.has_value()) << df.error().str();
  return df ? *df : Dockerfile{};
}

TEST(DockerfileParse, EnvErrorNamesDockerfileAndItsLine) {
  EXPECT_EQ(error_of("FROM busybox\n\nENV a=b c\n"),
            "Dockerfile:3: Syntax error - can't find = in \"c\". Must be of the form: "
            "name=value");
}

TEST(DockerfileParse, ErrorNamesTheGivenSourceAndTheInstructionsFirstLine) {
  EXPECT_EQ(error_of("FROM busybox\nLABEL \\\n  x\n", "ci/Dockerfile.dev"),
            "ci/Dockerfile.dev:2: LABEL must have two arguments");
}

TEST(DockerfileParse, NonStringJsonElementIsAnErrorOnItsLine) {
  EXPECT_EQ(error_of("FROM busybox\nCMD [\"a\", 1]\n"),
            "Dockerfile:2: when using JSON array syntax, arrays must be comprised of strings "
            "only");
}

TEST(DockerfileParse, UnterminatedHeredocNamesTheInstructionLine) {
  EXPECT_EQ(error_of("FROM busybox\nRUN <<EOF\necho\n"), "Dockerfile:2: unterminated heredoc");
}

TEST(DockerfileParse, DirectiveErrorsNameTheDirectiveLine) {
  EXPECT_EQ(error_of("# syntax=a\n# check=x\n# check=y\nFROM a\n"),
            "Dockerfile:3: only one check parser directive can be used");
  EXPECT_EQ(error_of("# escape=x\nFROM a\n"),
            "Dockerfile:1: invalid escape token 'x' does not match ` or \\");
}

TEST(DockerfileParse, EmptyFileHasNoInstructions) {
  EXPECT_EQ(error_of(""), "Dockerfile:1: file with no instructions");
  EXPECT_EQ(error_of("# just a comment\n\n"), "Dockerfile:2: file with no instructions");
}

TEST(DockerfileParse, LineLongerThan65535BytesIsRejected) {
  std::string ok = "RUN " + std::string(65531, 'x');  // 65535 bytes
  EXPECT_TRUE(parse_dockerfile(ok + "\n").has_value());
  EXPECT_EQ(error_of("FROM a\n" + ok + "x\n"),
            "Dockerfile:2: dockerfile line greater than max allowed size of 65535");
}

TEST(DockerfileParse, CrlfLineEndingsParseLikeLf) {
  std::string lf = "FROM busybox\nRUN a \\\n  b\nLABEL x=\"y\"\n";
  std::string crlf = "FROM busybox\r\nRUN a \\\r\n  b\r\nLABEL x=\"y\"\r\n";
  EXPECT_EQ(dump_nodes(parsed(crlf)), dump_nodes(parsed(lf)));
}

TEST(DockerfileParse, ByteOrderMarkIsDroppedBeforeADirective) {
  Dockerfile df = parsed("\xEF\xBB\xBF# escape=`\nFROM a\nRUN x `\n  y\n");
  EXPECT_EQ(df.escape, '`');
  EXPECT_EQ(dump_dockerfile(df), "(from \"a\")\n(run \"x   y\")\n");
}

TEST(DockerfileParse, EscapeDirectiveAfterACommentIsAnOrdinaryComment) {
  Dockerfile df = parsed("# hello\n# escape=`\nFROM a\nRUN x \\\n  y\n");
  EXPECT_EQ(df.escape, '\\');
  EXPECT_TRUE(df.directives.empty());
  EXPECT_EQ(dump_dockerfile(df), "(from \"a\")\n(run \"x   y\")\n");
}

TEST(DockerfileParse, DirectivesAreKeptWithLowercaseNamesAndLines) {
  Dockerfile df = parsed("# SYNTAX = docker/dockerfile:1.7  \n#check=skip=all\nFROM a\n");
  ASSERT_EQ(df.directives.size(), 2u);
  EXPECT_EQ(df.directives[0].name, "syntax");
  EXPECT_EQ(df.directives[0].value, "docker/dockerfile:1.7");
  EXPECT_EQ(df.directives[0].line, 1);
  EXPECT_EQ(df.directives[1].name, "check");
  EXPECT_EQ(df.directives[1].value, "skip=all");
}

TEST(DockerfileParse, ExecFormIsMarkedJsonAndShellFormIsNot) {
  Dockerfile df = parsed("FROM a\nCMD [\"a b\"]\nCMD a b\nHEALTHCHECK CMD [\"x\"]\n");
  ASSERT_EQ(df.instructions.size(), 4u);
  EXPECT_TRUE(df.instructions[1].json);
  EXPECT_EQ(df.instructions[1].args, std::vector<std::string>{"a b"});
  EXPECT_FALSE(df.instructions[2].json);
  EXPECT_EQ(df.instructions[2].args, std::vector<std::string>{"a b"});
  EXPECT_TRUE(df.instructions[3].json);
  EXPECT_EQ(df.instructions[3].args, (std::vector<std::string>{"CMD", "x"}));
}

TEST(DockerfileParse, JsonStringsDecodeAsGoDecodesThem) {
  Dockerfile df = parsed("FROM a\nCMD [\"\\u0000\\ud83d\\udc33\\ud800x\\/\xff\"]\n");
  ASSERT_TRUE(df.instructions[1].json);
  EXPECT_EQ(df.instructions[1].args, std::vector<std::string>{std::string(
                                         "\0\xF0\x9F\x90\xB3\xEF\xBF\xBDx/\xEF\xBF\xBD", 13)});
}

TEST(DockerfileParse, InvalidJsonFallsBackToTheShellForm) {
  for (std::string cmd : {"[\"a\",]", "['a']", "[\"a\"] x", "[\"a\u0001\"]", "[01]", "[\"\\x\"]"}) {
    Dockerfile df = parsed("FROM a\nCMD " + cmd + "\n");
    ASSERT_EQ(df.instructions.size(), 2u) << cmd;
    EXPECT_FALSE(df.instructions[1].json) << cmd;
    EXPECT_EQ(df.instructions[1].args, std::vector<std::string>{cmd});
  }
}

TEST(DockerfileParse, NestingBeyondGosDepthLimitIsNotJsonButWithinItIsAnError) {
  std::string within = "[" + std::string(9999, '[') + std::string(9999, ']') + "]";
  EXPECT_NE(error_of("FROM a\nCMD " + within + "\n").find("arrays must be comprised of strings"),
            std::string::npos);
  std::string beyond = "[" + std::string(10000, '[') + std::string(10000, ']') + "]";
  Dockerfile df = parsed("FROM a\nCMD " + beyond + "\n");
  EXPECT_FALSE(df.instructions[1].json);
}

TEST(DockerfileParse, KeywordKeepsItsCaseAndLowerGivesTheDispatchName) {
  Dockerfile df = parsed("from a\nRuN x\n");
  EXPECT_EQ(df.instructions[1].keyword, "RuN");
  EXPECT_EQ(df.instructions[1].lower(), "run");
  EXPECT_EQ(df.instructions[1].original, "RuN x");
}

TEST(DockerfileParse, HeredocBodiesAndTheirAttributesAreKept) {
  Dockerfile df =
      parsed("FROM a\nCOPY --chmod=755 <<-'A' 3<<B /dst/\n\tone $x\n\tA\ntwo\nB\nRUN x\n");
  ASSERT_EQ(df.instructions.size(), 3u);
  const Instruction& copy = df.instructions[1];
  EXPECT_EQ(copy.flags, std::vector<std::string>{"--chmod=755"});
  ASSERT_EQ(copy.heredocs.size(), 2u);
  EXPECT_EQ(copy.heredocs[0].name, "A");
  EXPECT_FALSE(copy.heredocs[0].expand);
  EXPECT_TRUE(copy.heredocs[0].chomp);
  EXPECT_EQ(copy.heredocs[0].content, "\tone $x\n");
  EXPECT_EQ(copy.heredocs[1].name, "B");
  EXPECT_EQ(copy.heredocs[1].fd, 3u);
  EXPECT_TRUE(copy.heredocs[1].expand);
  EXPECT_EQ(copy.heredocs[1].content, "two\n");
  EXPECT_EQ(copy.start_line, 2);
  EXPECT_EQ(copy.end_line, 6);
  EXPECT_EQ(df.instructions[2].start_line, 7);
}

TEST(DockerfileParse, OnbuildHoldsTheNestedInstructionWithItsOwnFlags) {
  Dockerfile df = parsed("FROM a\nONBUILD --x COPY --from=b [\"s\", \"d\"]\n");
  const Instruction& on = df.instructions[1];
  EXPECT_EQ(on.flags, std::vector<std::string>{"--x"});
  EXPECT_TRUE(on.args.empty());
  ASSERT_EQ(on.onbuild.size(), 1u);
  EXPECT_EQ(on.onbuild[0].keyword, "COPY");
  EXPECT_EQ(on.onbuild[0].flags, std::vector<std::string>{"--from=b"});
  EXPECT_EQ(on.onbuild[0].args, (std::vector<std::string>{"s", "d"}));
  EXPECT_TRUE(on.onbuild[0].json);
}

TEST(DockerfileParse, EmptyContinuationLineWarnsWithTheInstructionsLastLine) {
  Dockerfile df = parsed("FROM a\nRUN x \\\n\n  y\n");
  ASSERT_EQ(df.warnings.size(), 1u);
  EXPECT_EQ(df.warnings[0].message, "Empty continuation line found in: RUN x   y");
  EXPECT_EQ(df.warnings[0].line, 4);
}

TEST(DockerfileParse, ShellFormKeepsQuotesAndEscapesExactlyAsWritten) {
  Dockerfile df = parsed("FROM a\nRUN echo \"a  b\" 'c\\d' \\$x\n");
  EXPECT_EQ(df.instructions[1].args, std::vector<std::string>{"echo \"a  b\" 'c\\d' \\$x"});
}

TEST(DockerfileParse, FlagsAreParsedForUnknownInstructionsToo) {
  Dockerfile df = parsed("FROM a\nFOO --bar=1 baz\n");
  EXPECT_EQ(df.instructions[1].flags, std::vector<std::string>{"--bar=1"});
  EXPECT_EQ(df.instructions[1].args, std::vector<std::string>{""});
}

TEST(DockerfileDump, NodesFormQuotesHeredocContent) {
  Dockerfile df = parsed("FROM a\nRUN <<EOF\n\"q\"\tz\nEOF\n");
  EXPECT_EQ(dump_nodes(df),
            "#0 lines 1-1: (from \"a\")\n"
            "#1 lines 2-4: (run \"<<EOF\")\n"
            "   heredoc name=\"EOF\" fd=0 expand=true chomp=false content=\"\\\"q\\\"\\tz\\n\"\n");
}

}  // namespace
}  // namespace berth::build
