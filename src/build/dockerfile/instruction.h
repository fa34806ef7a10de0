// One logical Dockerfile line → an Instruction (keyword, flags, arguments by the keyword's rule),
// and the heredocs a line names. Internal to the parser (parse.cc); pure computation.
#pragma once

#include <string_view>
#include <vector>

#include "base/error.h"
#include "build/dockerfile/parse.h"

namespace berth::build {

// Parses a joined logical line (continuations already removed). Fills keyword, flags, args,
// json, onbuild and original; not lines or heredocs. Errors (InvalidArgument, no location) for a
// JSON array with a non-string element and for malformed ENV/LABEL.
Result<Instruction> parse_instruction_line(std::string_view line, char escape);

// Whether the instruction may carry heredocs: RUN, COPY or ADD (also nested in ONBUILD) in the
// shell form.
bool can_contain_heredoc(const Instruction& ins);

// The heredocs named on a line, in order, with empty contents. A line that does not lex as shell
// words has none; an error only where BuildKit reports one.
Result<std::vector<Heredoc>> heredocs_in_line(std::string_view line);

}  // namespace berth::build
