// Small string helpers shared by every module.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth {

std::vector<std::string> split(std::string_view s, char sep);
// Splits at the first `sep`; the second part is empty and `found` false when there is none.
std::pair<std::string_view, std::string_view> cut(std::string_view s, char sep,
                                                  bool* found = nullptr);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::string_view trim(std::string_view s);
std::string to_lower(std::string_view s);
bool is_hex(std::string_view s);

// Parses a non-negative decimal integer; nullopt when s is not one or overflows.
// Appends cp as UTF-8; a surrogate or a value past U+10FFFF becomes U+FFFD.
void append_utf8(std::string& out, char32_t cp);

// docker's restricted name characters (container and volume names): [a-zA-Z0-9] first,
// then also '_', '.' and '-'.
bool is_docker_name_char(char c, bool first);

std::optional<uint64_t> parse_uint(std::string_view s);

// Parses a size like docker's RAMInBytes: "12", "12b", "64k", "1.5m", "2g" (binary units,
// case-insensitive, optional trailing 'b'). Error names the value.
Result<int64_t> parse_size(std::string_view s);

// docker's units.HumanSize: decimal units with 3 significant digits ("4.26MB", "512B").
std::string human_size(double bytes);

// docker's units.HumanDuration of a positive number of seconds ("About a minute", "2 weeks").
std::string human_duration(int64_t seconds);

// RFC 3339 with nanoseconds in UTC, as Go prints time.Time in JSON ("2024-01-02T03:04:05.1Z").
std::string rfc3339_nano(int64_t unix_nanos);
// Parses RFC 3339 (with or without fractional seconds, Z or ±hh:mm); nanoseconds since epoch.
std::optional<int64_t> parse_rfc3339(std::string_view s);
// Now, in nanoseconds since the epoch.
int64_t now_nanos();

// A random lowercase hex string of n characters (for temp names and IDs).
std::string random_hex(size_t n);

}  // namespace berth
