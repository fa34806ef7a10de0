// Running a helper program to completion: its stdin fed from a string, its output collected.
// For the small tools berth hands a job to (`ps` for `top`, docker credential helpers).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth {

struct CommandResult {
  int exit_code = 0;  // its exit status; 128 + signal when killed; 127 when it could not run
  std::string out;    // stdout, at most kMaxCommandOutput bytes
  std::string err;    // stderr, the same
};

inline constexpr size_t kMaxCommandOutput = 1 << 20;

// Runs argv (argv[0] searched in PATH) with `input` written to its stdin, then closed; blocks
// until it exits. With pass_stderr its stderr is ours instead of collected. Errors only for
// what berth could not do (pipes, fork); a program that fails is a CommandResult.
Result<CommandResult> run_command(const std::vector<std::string>& argv, std::string_view input,
                                  bool pass_stderr = false);

}  // namespace berth
