// Small UTF-8 helpers shared by the formatting code (internal to src/cli/format).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/strings.h"

namespace berth::cli::utf8 {

inline constexpr char32_t kInvalid = 0xFFFD;

// Decodes the code point at s[i] and advances i past it. An invalid or truncated sequence yields
// kInvalid and advances by one byte, as Go's utf8.DecodeRuneInString does; *valid says which.
inline char32_t decode(std::string_view s, size_t& i, bool* valid = nullptr) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  if (valid != nullptr) {
    *valid = true;
  }
  if (c < 0x80) {
    ++i;
    return c;
  }
  size_t n = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((c & 0xE0) == 0xC0) {
    n = 1, cp = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 2, cp = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 3, cp = c & 0x07, min = 0x10000;
  }
  bool ok = n > 0 && i + n < s.size();
  for (size_t k = 1; ok && k <= n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      ok = false;
    } else {
      cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
  }
  if (!ok || cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    if (valid != nullptr) {
      *valid = false;
    }
    ++i;
    return kInvalid;
  }
  i += n + 1;
  return cp;
}

inline void append(std::string& out, char32_t cp) { append_utf8(out, cp); }

// Number of code points (Go's utf8.RuneCountInString).
inline size_t rune_count(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size();) {
    decode(s, i);
    ++n;
  }
  return n;
}

}  // namespace berth::cli::utf8
