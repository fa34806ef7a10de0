// Go text/tabwriter's elastic tabstops, as docker configures them (see table.h).
#include <algorithm>

#include "cli/format/table.h"
#include "cli/format/utf8.h"

namespace berth::cli {
namespace {

constexpr size_t kMinWidth = 10;
constexpr size_t kPadding = 3;

struct Line {
  std::vector<std::string_view> cells;  // the last one is not part of a column
  std::vector<size_t> widths;           // column widths for cells[0 .. size-2]
  bool formfeed = false;                // ended by '\f': ends every column run
  bool terminated = false;              // ended by a line break
};

struct Range {
  char32_t first;
  char32_t last;
};

// Zero-width code points: combining marks and zero-width spaces and joiners.
constexpr Range kZeroWidth[] = {{0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD},
                                {0x0610, 0x061A}, {0x064B, 0x065F}, {0x1AB0, 0x1AFF},
                                {0x1DC0, 0x1DFF}, {0x200B, 0x200F}, {0x20D0, 0x20FF},
                                {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF}};

// East Asian wide and fullwidth code points.
constexpr Range kWide[] = {
    {0x1100, 0x115F},   {0x231A, 0x231B},   {0x2329, 0x232A},   {0x23E9, 0x23EC},
    {0x23F0, 0x23F0},   {0x23F3, 0x23F3},   {0x25FD, 0x25FE},   {0x2614, 0x2615},
    {0x2648, 0x2653},   {0x267F, 0x267F},   {0x2693, 0x2693},   {0x26A1, 0x26A1},
    {0x26AA, 0x26AB},   {0x26BD, 0x26BE},   {0x26C4, 0x26C5},   {0x26CE, 0x26CE},
    {0x26D4, 0x26D4},   {0x26EA, 0x26EA},   {0x26F2, 0x26F3},   {0x26F5, 0x26F5},
    {0x26FA, 0x26FA},   {0x26FD, 0x26FD},   {0x2705, 0x2705},   {0x270A, 0x270B},
    {0x2728, 0x2728},   {0x274C, 0x274C},   {0x274E, 0x274E},   {0x2753, 0x2755},
    {0x2757, 0x2757},   {0x2795, 0x2797},   {0x27B0, 0x27B0},   {0x27BF, 0x27BF},
    {0x2B1B, 0x2B1C},   {0x2B50, 0x2B50},   {0x2B55, 0x2B55},   {0x2E80, 0x303E},
    {0x3041, 0x33FF},   {0x3400, 0x4DBF},   {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},
    {0xA960, 0xA97F},   {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},   {0xFE10, 0xFE19},
    {0xFE30, 0xFE6F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},   {0x16FE0, 0x16FE4},
    {0x17000, 0x18CFF}, {0x1B000, 0x1B2FF}, {0x1F004, 0x1F004}, {0x1F0CF, 0x1F0CF},
    {0x1F18E, 0x1F18E}, {0x1F191, 0x1F19A}, {0x1F200, 0x1F251}, {0x1F300, 0x1F64F},
    {0x1F680, 0x1F6FF}, {0x1F7E0, 0x1F7EB}, {0x1F90C, 0x1F9FF}, {0x1FA70, 0x1FAFF},
    {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD}};

bool in(const Range* begin, const Range* end, char32_t cp) {
  const Range* r = std::lower_bound(begin, end, cp,
                                    [](const Range& range, char32_t c) { return range.last < c; });
  return r != end && r->first <= cp;
}

std::vector<Line> split_lines(std::string_view text) {
  std::vector<Line> lines(1);
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '\t' && c != '\v' && c != '\n' && c != '\f') {
      continue;
    }
    lines.back().cells.push_back(text.substr(start, i - start));
    start = i + 1;
    if (c == '\n' || c == '\f') {
      lines.back().terminated = true;
      lines.back().formfeed = c == '\f';
      lines.emplace_back();
    }
  }
  lines.back().cells.push_back(text.substr(start));
  return lines;
}

bool has_column(const Line& line, size_t column) { return line.cells.size() > column + 1; }

// Gives every run of consecutive lines with a cell in `column` that run's width.
void measure_column(std::vector<Line>& lines, size_t column) {
  size_t i = 0;
  while (i < lines.size()) {
    if (!has_column(lines[i], column)) {
      ++i;
      continue;
    }
    size_t width = kMinWidth;
    size_t end = i;
    while (end < lines.size() && has_column(lines[end], column)) {
      width = std::max(width, display_width(lines[end].cells[column]) + kPadding);
      if (lines[end++].formfeed) {
        break;
      }
    }
    for (size_t k = i; k < end; ++k) {
      lines[k].widths.push_back(width);
    }
    i = end;
  }
}

}  // namespace

size_t display_width(std::string_view s) {
  size_t width = 0;
  for (size_t i = 0; i < s.size();) {
    char32_t cp = utf8::decode(s, i);
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0) ||
        in(std::begin(kZeroWidth), std::end(kZeroWidth), cp)) {
      continue;
    }
    width += in(std::begin(kWide), std::end(kWide), cp) ? 2 : 1;
  }
  return width;
}

std::string tabwrite_text(std::string_view text) {
  std::vector<Line> lines = split_lines(text);
  size_t columns = 0;
  for (const Line& line : lines) {
    columns = std::max(columns, line.cells.size() - 1);
  }
  // Columns are measured left to right, so lines[k].widths[j] is column j's width.
  for (size_t column = 0; column < columns; ++column) {
    measure_column(lines, column);
  }
  std::string out;
  out.reserve(text.size() * 2);
  for (const Line& line : lines) {
    for (size_t j = 0; j + 1 < line.cells.size(); ++j) {
      out.append(line.cells[j]);
      out.append(line.widths[j] - display_width(line.cells[j]), ' ');
    }
    out.append(line.cells.back());
    if (line.terminated) {
      out += '\n';
    }
  }
  return out;
}

std::string tabwrite(const std::vector<std::vector<std::string>>& rows) {
  std::string text;
  for (const auto& row : rows) {
    for (size_t j = 0; j < row.size(); ++j) {
      text += j > 0 ? "\t" : "";
      text += row[j];
    }
    text += '\n';
  }
  return tabwrite_text(text);
}

}  // namespace berth::cli
