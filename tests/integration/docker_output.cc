// docker's output conventions, as the tests check them: tabwriter tables, human sizes, times.
#include <cmath>
#include <cstdio>
#include <regex>

#include "sandbox.h"

namespace berth::it {

namespace {

// Byte offsets of each character (UTF-8 code point) of s, plus s.size() at the end.
std::vector<size_t> char_starts(const std::string& s) {
  std::vector<size_t> out;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xc0) != 0x80) {
      out.push_back(i);
    }
  }
  out.push_back(s.size());
  return out;
}

std::string rtrim(std::string s) {
  while (!s.empty() && s.back() == ' ') {
    s.pop_back();
  }
  return s;
}

}  // namespace

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) {
      out.push_back(text.substr(start));
      break;
    }
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

std::vector<std::map<std::string, std::string>> parse_table(
    const std::string& text, const std::vector<std::string>& columns) {
  std::vector<std::map<std::string, std::string>> rows;
  auto lines = split_lines(text);
  if (lines.empty()) {
    ADD_FAILURE() << "expected a table with columns, got no output";
    return rows;
  }
  // Header: the column names in order, two or more spaces apart (docker's tabwriter pads to
  // the widest cell plus 3).
  const std::string& header = lines[0];
  auto hstarts = char_starts(header);
  std::vector<size_t> col_chars;  // character index where each column starts
  size_t byte = 0;
  for (size_t i = 0; i < columns.size(); ++i) {
    size_t at = header.find(columns[i], byte);
    std::string gap = header.substr(byte, at == std::string::npos ? 0 : at - byte);
    bool gap_ok =
        at != std::string::npos &&
        (i == 0 ? gap.empty() : gap.size() >= 2 && gap.find_first_not_of(' ') == std::string::npos);
    if (!gap_ok) {
      ADD_FAILURE() << "table header should be the columns [" << testing::PrintToString(columns)
                    << "] separated by at least two spaces, got:\n"
                    << header;
      return {};
    }
    col_chars.push_back(static_cast<size_t>(std::lower_bound(hstarts.begin(), hstarts.end(), at) -
                                            hstarts.begin()));
    byte = at + columns[i].size();
  }
  if (rtrim(header.substr(byte)) != "") {
    ADD_FAILURE() << "table header has more columns than [" << testing::PrintToString(columns)
                  << "]:\n"
                  << header;
    return {};
  }
  for (size_t l = 1; l < lines.size(); ++l) {
    const std::string& line = lines[l];
    auto starts = char_starts(line);
    size_t nchars = starts.size() - 1;
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < columns.size(); ++i) {
      size_t from = std::min(col_chars[i], nchars);
      size_t to = i + 1 < columns.size() ? std::min(col_chars[i + 1], nchars) : nchars;
      if (i > 0 && from > 0 && from < nchars && line[starts[from - 1]] != ' ') {
        ADD_FAILURE() << "table row is not aligned under column " << columns[i] << ":\n"
                      << header << "\n"
                      << line;
      }
      row[columns[i]] = rtrim(line.substr(starts[from], starts[to] - starts[from]));
    }
    rows.push_back(row);
  }
  return rows;
}

std::string docker_size(double bytes) {
  static const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  int i = 0;
  while (bytes >= 1000.0 && i < 8) {
    bytes /= 1000.0;
    ++i;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g%s", bytes, units[i]);
  return buf;
}

namespace {
const char* const kRecentSince =
    R"((Less than a second|1 second|[0-9]+ seconds|About a minute|[0-9]+ minutes) ago)";
}  // namespace

bool is_recent_created_since(const std::string& text) {
  static const std::regex re(kRecentSince);
  return std::regex_match(text, re);
}

std::string mask_created_since(const std::string& text) {
  static const std::regex since(kRecentSince);
  static const std::regex spaces(" {2,}");
  return std::regex_replace(std::regex_replace(text, since, "<since>"), spaces, "  ");
}

bool is_image_id(const std::string& text) {
  static const std::regex re("sha256:[0-9a-f]{64}");
  return std::regex_match(text, re);
}

bool is_short_image_id(const std::string& text) {
  static const std::regex re("[0-9a-f]{12}");
  return std::regex_match(text, re);
}

bool is_one_line(const std::string& text) {
  return !text.empty() && text.back() == '\n' && text.find('\n') == text.size() - 1;
}

}  // namespace berth::it
