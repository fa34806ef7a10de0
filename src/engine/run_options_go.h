// Go's standard behaviour and texts that docker's flag errors carry (strconv, go-units, os), for
// the run option parsers (run_options*.cc). Internal to the engine.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::engine::go {

// An InvalidArgument error with the message as it is.
tl::unexpected<Error> invalid(std::string message);

// go-units parseSize: "12", "1.5 g", "64KiB"; unit base 1024 (RAMInBytes) or 1000
// (FromHumanSize). Errors carry the bare reason: "invalid suffix: 'q'", "invalid size: '-1'",
// "strconv.ParseFloat: parsing \"1.2.3\": invalid syntax".
Result<int64_t> parse_size(std::string_view s, int64_t base);

// strconv.ParseInt(s, 0, 64): a sign, then 0x/0o/0b or a leading 0 for octal. Errors:
// "strconv.ParseInt: parsing \"x\": invalid syntax" or "...: value out of range".
Result<int64_t> parse_int(std::string_view s);

// strconv.ParseBool: 1 t T TRUE true True, 0 f F FALSE false False.
std::optional<bool> parse_bool(std::string_view s);

// The text Go's os package gives for a file that could not be read, from read_file's error:
// "open f.env: no such file or directory", with the errno's code.
Error open_error(const std::string& path, const Error& e);

// time.Duration's String(): "0s", "500ms", "1.5µs", "2.5s", "1m30s", "1h0m0s".
std::string duration_string(int64_t nanos);

}  // namespace berth::engine::go
