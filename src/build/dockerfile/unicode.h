// The few Unicode facts the Dockerfile parser and the shell-word lexer need, with Go's meaning
// (BuildKit is written in Go, and its dump, trimming and lowercasing follow Go's unicode package):
// UTF-8 decoding where every invalid byte decodes alone to U+FFFD, White_Space, the "printable"
// set of strconv.IsPrint, letters and decimal digits, and simple lowercase mapping. The tables
// are generated from the Unicode Character Database (see unicode.cc). Pure functions,
// no locale, no allocation except where a string is returned.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/strings.h"  // append_utf8

namespace berth::build {

inline constexpr char32_t kReplacementChar = 0xFFFD;

// One decoded code point and the number of bytes it took. An invalid or truncated sequence, an
// overlong form, a surrogate or a value above U+10FFFF yields {U+FFFD, 1}, as Go's
// utf8.DecodeRune does. s must not be empty.
struct Rune {
  char32_t cp;
  size_t width;
};
Rune decode_rune(std::string_view s);

// Go's unicode.IsSpace: ASCII \t \n \v \f \r and space, U+0085, U+00A0 and the other
// White_Space code points.
bool is_space(char32_t cp);
// Go's strconv.IsPrint: categories L, M, N, P, S and U+0020.
bool is_print(char32_t cp);
// Go's unicode.IsLetter (category L) and unicode.IsDigit (category Nd).
bool is_letter(char32_t cp);
bool is_digit(char32_t cp);
// Go's unicode.ToLower: the simple lowercase mapping, cp itself when there is none.
char32_t to_lower(char32_t cp);

// Go's strings.ToLower: ASCII-only input is lowered byte by byte; otherwise each rune is lowered
// and every invalid byte becomes U+FFFD.
std::string lower_string(std::string_view s);
// Go's strings.TrimSpace / TrimLeftFunc(IsSpace) / TrimRightFunc(IsSpace) on UTF-8 text.
std::string_view trim_space(std::string_view s);
std::string_view trim_left_space(std::string_view s);
std::string_view trim_right_space(std::string_view s);

}  // namespace berth::build

namespace berth::build {

// Go's strconv.Quote: "..." with \" and \\ escaped, printable runes kept as UTF-8, \a \b \f \n
// \r \t \v, other control bytes and invalid bytes as \xNN, other non-printable runes as \uNNNN
// or \UNNNNNNNN (lowercase hex).
std::string go_quote(std::string_view s);

}  // namespace berth::build
