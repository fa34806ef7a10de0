// The conformance dumps (FORMAT.md sections 2 and 9), also meant for a --print-ast aid.
#include <fmt/format.h>

#include "build/dockerfile/parse.h"
#include "build/dockerfile/unicode.h"

namespace berth::build {

std::string dump_instruction(const Instruction& ins) {
  std::string out = ins.lower();
  if (!ins.flags.empty()) {
    out += " [";
    for (size_t i = 0; i < ins.flags.size(); ++i) {
      out += (i == 0 ? "" : " ") + go_quote(ins.flags[i]);
    }
    out += "]";
  }
  for (const std::string& arg : ins.args) {
    out += " " + go_quote(arg);
  }
  for (const Instruction& nested : ins.onbuild) {
    out += " (" + dump_instruction(nested) + ")";
  }
  return std::string(trim_space(out));
}

std::string dump_dockerfile(const Dockerfile& df) {
  std::string out;
  for (const Instruction& ins : df.instructions) {
    out += "(" + dump_instruction(ins) + ")\n";
  }
  return out;
}

std::string dump_nodes(const Dockerfile& df) {
  std::string out;
  for (size_t i = 0; i < df.instructions.size(); ++i) {
    const Instruction& ins = df.instructions[i];
    out += fmt::format("#{} lines {}-{}: ({})\n", i, ins.start_line, ins.end_line,
                       dump_instruction(ins));
    for (const Heredoc& h : ins.heredocs) {
      out += fmt::format("   heredoc name={} fd={} expand={} chomp={} content={}\n",
                         go_quote(h.name), h.fd, h.expand, h.chomp, go_quote(h.content));
    }
  }
  return out;
}

}  // namespace berth::build
