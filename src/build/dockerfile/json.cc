// A small validating JSON reader instead of nlohmann::json: BuildKit accepts what Go's
// encoding/json accepts (invalid UTF-8 inside strings, lone surrogate escapes, both replaced by
// U+FFFD), which a strict library rejects, and the exec form must fall back to the shell form in
// exactly the same cases.
#include "build/dockerfile/json.h"

#include "build/dockerfile/unicode.h"

namespace berth::build {
namespace {

constexpr int kMaxDepth = 10000;

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  // The top-level array: strings are decoded into *out; any other element is only validated and
  // clears *all_strings.
  bool top_array(std::vector<std::string>* out, bool* all_strings) {
    ++pos_;  // '['
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return true;
    }
    for (;;) {
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == '"') {
        std::string elem;
        if (!string(&elem)) {
          return false;
        }
        out->push_back(std::move(elem));
      } else if (skip_value()) {
        *all_strings = false;
      } else {
        return false;
      }
      skip_ws();
      if (pos_ >= s_.size()) {
        return false;
      }
      char c = s_[pos_++];
      if (c == ']') {
        return true;
      }
      if (c != ',') {
        return false;
      }
    }
  }

  bool at_end() {
    skip_ws();
    return pos_ == s_.size();
  }

 private:
  void skip_ws() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) {
      return false;
    }
    pos_ += word.size();
    return true;
  }

  bool digits() {
    size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      ++pos_;
    }
    return pos_ > start;
  }

  bool number() {
    if (pos_ < s_.size() && s_[pos_] == '-') {
      ++pos_;
    }
    if (pos_ < s_.size() && s_[pos_] == '0') {
      ++pos_;
    } else if (!digits()) {
      return false;
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (!digits()) {
        return false;
      }
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) {
        ++pos_;
      }
      return digits();
    }
    return true;
  }

  // One object member's key and colon.
  bool member_key() {
    skip_ws();
    if (pos_ >= s_.size() || s_[pos_] != '"' || !string(nullptr)) {
      return false;
    }
    skip_ws();
    return pos_ < s_.size() && s_[pos_++] == ':';
  }

  bool scalar() {
    switch (s_[pos_]) {
      case '"':
        return string(nullptr);
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return number();
    }
  }

  // Validates one element value of the top-level array, without recursion (nesting may be as
  // deep as Go's limit, far beyond what a recursive reader's stack should take).
  bool skip_value() {
    std::vector<char> open;  // the enclosing '[' and '{' inside this element
    for (;;) {
      skip_ws();
      if (pos_ >= s_.size()) {
        return false;
      }
      char c = s_[pos_];
      bool closed_now = false;
      if (c == '[' || c == '{') {
        if (open.size() + 2 > static_cast<size_t>(kMaxDepth)) {
          return false;  // the top-level array counts as one level
        }
        open.push_back(c);
        ++pos_;
        skip_ws();
        if (pos_ < s_.size() && s_[pos_] == (c == '[' ? ']' : '}')) {
          ++pos_;
          open.pop_back();
          closed_now = true;
        } else if (c == '{' && !member_key()) {
          return false;
        }
        if (!closed_now) {
          continue;  // a value follows
        }
      } else if (!scalar()) {
        return false;
      }
      // After a value: close containers or move to the next member.
      for (;;) {
        if (open.empty()) {
          return true;
        }
        skip_ws();
        if (pos_ >= s_.size()) {
          return false;
        }
        char d = s_[pos_++];
        if (d == ',') {
          if (open.back() == '{' && !member_key()) {
            return false;
          }
          break;
        }
        if (d != (open.back() == '[' ? ']' : '}')) {
          return false;
        }
        open.pop_back();
      }
    }
  }

  // Four hex digits at pos; -1 if they are not.
  long hex4(size_t pos) const {
    if (pos + 4 > s_.size()) {
      return -1;
    }
    long v = 0;
    for (size_t i = pos; i < pos + 4; ++i) {
      char c = s_[i];
      int d = (c >= '0' && c <= '9')   ? c - '0'
              : (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                       : -1;
      if (d < 0) {
        return -1;
      }
      v = v * 16 + d;
    }
    return v;
  }

  // "\uXXXX" at pos_ (after the backslash and 'u'): one code point, pairing surrogates as Go.
  bool unicode_escape(std::string* out) {
    long r = hex4(pos_);
    if (r < 0) {
      return false;
    }
    pos_ += 4;
    char32_t cp = static_cast<char32_t>(r);
    if (cp >= 0xD800 && cp <= 0xDFFF) {
      long r2 = (s_.substr(pos_, 2) == "\\u") ? hex4(pos_ + 2) : -1;
      if (cp < 0xDC00 && r2 >= 0xDC00 && r2 < 0xE000) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (static_cast<char32_t>(r2) - 0xDC00);
        pos_ += 6;
      } else {
        cp = kReplacementChar;
      }
    }
    if (out != nullptr) {
      append_utf8(*out, cp);
    }
    return true;
  }

  bool escape(std::string* out) {
    if (pos_ >= s_.size()) {
      return false;
    }
    char c = s_[pos_++];
    if (c == 'u') {
      return unicode_escape(out);
    }
    static constexpr std::string_view kFrom = "\"\\/bfnrt";
    static constexpr std::string_view kTo = "\"\\/\b\f\n\r\t";
    size_t k = kFrom.find(c);
    if (k == std::string_view::npos) {
      return false;
    }
    if (out != nullptr) {
      *out += kTo[k];
    }
    return true;
  }

  bool string(std::string* out) {
    ++pos_;  // '"'
    while (pos_ < s_.size()) {
      auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) {
        return false;
      }
      if (c == '\\') {
        ++pos_;
        if (!escape(out)) {
          return false;
        }
        continue;
      }
      Rune r = decode_rune(s_.substr(pos_));
      if (out != nullptr) {
        append_utf8(*out, r.cp);
      }
      pos_ += r.width;
    }
    return false;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

JsonArrayParse parse_json_string_array(std::string_view text, std::vector<std::string>* out) {
  out->clear();
  if (text.empty() || text[0] != '[') {
    return JsonArrayParse::kNotJson;
  }
  Reader reader(text);
  bool all_strings = true;
  if (!reader.top_array(out, &all_strings) || !reader.at_end()) {
    out->clear();
    return JsonArrayParse::kNotJson;
  }
  if (!all_strings) {
    out->clear();
    return JsonArrayParse::kNonString;
  }
  return JsonArrayParse::kStrings;
}

}  // namespace berth::build
