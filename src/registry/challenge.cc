#include "registry/challenge.h"

#include <cctype>

#include "base/strings.h"

namespace berth::registry {

namespace {

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~/").find(c) != std::string_view::npos;
}

void skip_space(std::string_view s, size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) {
    ++i;
  }
}

std::string read_token(std::string_view s, size_t& i) {
  size_t start = i;
  while (i < s.size() && is_token_char(s[i])) {
    ++i;
  }
  return std::string(s.substr(start, i - start));
}

// A quoted string with backslash escapes; i is on the opening quote.
std::string read_quoted(std::string_view s, size_t& i) {
  std::string out;
  ++i;
  while (i < s.size() && s[i] != '"') {
    if (s[i] == '\\' && i + 1 < s.size()) {
      ++i;
    }
    out.push_back(s[i++]);
  }
  if (i < s.size()) {
    ++i;
  }
  return out;
}

// Reads `name=value` at i; false (i unchanged) when what follows is not a parameter, i.e. the
// next challenge's scheme.
bool read_param(std::string_view s, size_t& i, std::string& name, std::string& value) {
  size_t save = i;
  name = read_token(s, i);
  skip_space(s, i);
  if (name.empty() || i >= s.size() || s[i] != '=') {
    i = save;
    return false;
  }
  ++i;
  skip_space(s, i);
  value = i < s.size() && s[i] == '"' ? read_quoted(s, i) : read_token(s, i);
  return true;
}

}  // namespace

std::vector<Challenge> parse_challenges(std::string_view s) {
  std::vector<Challenge> out;
  size_t i = 0;
  while (i < s.size()) {
    skip_space(s, i);
    while (i < s.size() && (s[i] == ',' || s[i] == ' ')) {
      ++i;
    }
    std::string scheme = read_token(s, i);
    if (scheme.empty()) {
      ++i;  // a stray character: skip it
      continue;
    }
    Challenge c{to_lower(scheme), {}};
    while (true) {
      skip_space(s, i);
      while (i < s.size() && s[i] == ',') {
        ++i;
        skip_space(s, i);
      }
      std::string name, value;
      if (!read_param(s, i, name, value)) {
        break;
      }
      c.params[to_lower(name)] = value;
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace berth::registry
