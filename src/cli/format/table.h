// docker's --format handling for list commands (ps, images, volume ls, network ls, …) and the
// column alignment docker gets from Go's text/tabwriter.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "cli/format/go_template.h"

namespace berth::cli {

enum class FormatKind {
  kTable,        // "table …": a header row, then one row per item, columns aligned
  kJson,         // "json": one compact JSON object per item and line
  kTemplate,     // any other template: printed once per item, each followed by a newline
  kRawTemplate,  // "raw", for commands that have a raw format: like kTemplate
};

// Formats a list of items as docker's formatter.Context does.
//
// The format is chosen as docker chooses it: "" and "table" mean `default_table` (itself a
// "table …" string); "json" means {{json .}}; "raw" means `default_raw` when the command has one
// (else it is an ordinary template printing "raw"); a format starting with "table" is a table of
// the template after that word; anything else is a template. Before parsing, spaces around the
// template are trimmed and the two-character escapes \t and \n become a tab and a newline, so
// shell users can write 'table {{.ID}}\t{{.Image}}'.
//
// A table's header is the template evaluated over `headers` (field name → column header, e.g.
// {"ID", "CONTAINER ID"}; see Template::execute_header). Cells are separated by tabs in the
// template and aligned by tabwrite_text().
//
// Items are the formatting contexts docker builds (maps of field → value), so add() sorts their
// object keys as Go's encoding/json sorts map keys: {{json .}} prints the same bytes as docker.
class Formatter {
 public:
  // InvalidArgument "template parsing error: template: :1: …" when the template does not parse.
  static Result<Formatter> create(std::string_view format, std::string_view default_table,
                                  std::map<std::string, std::string> headers = {},
                                  std::string_view default_raw = {});

  FormatKind kind() const { return kind_; }

  // Queues one item; nothing is evaluated until render().
  void add(const Json& item);

  // The whole output: each line ends with '\n'; a table always has its header, even with no
  // items. An execution error on any item fails the whole output (docker prints nothing either),
  // as InvalidArgument "template parsing error: template: :1:2: executing …".
  Result<std::string> render() const;

 private:
  Formatter(FormatKind kind, Template tmpl, std::map<std::string, std::string> headers)
      : kind_(kind), tmpl_(std::move(tmpl)), headers_(std::move(headers)) {}

  FormatKind kind_;
  Template tmpl_;
  std::map<std::string, std::string> headers_;
  std::vector<Json> items_;
};

// Aligns tab-separated cells as docker's tabwriter (minwidth 10, tabwidth 1, padding 3, padchar
// ' ', no flags): each line is split into cells at '\t' (or '\v'); a cell followed by a tab
// belongs to a column, the text after the last tab does not and is never padded. A column is a
// run of consecutive lines that all have a cell in it; its width is the widest cell of the run
// plus 3, at least 10, and every cell of the run is padded with spaces to that width. A line with
// no tab, and a '\f' (written as '\n'), end every run. Lines keep their terminators; text after
// the last newline is written without one.
std::string tabwrite_text(std::string_view text);

// tabwrite_text over rows whose cells are joined with tabs, each row ending with '\n'. Cells must
// not contain tabs or newlines.
std::string tabwrite(const std::vector<std::vector<std::string>>& rows);

// The width of s in terminal columns, as go-runewidth counts it for docker's tabwriter: most code
// points 1, East Asian wide and fullwidth ones (CJK, Hangul, emoji) 2, combining marks and
// control characters 0.
size_t display_width(std::string_view s);

}  // namespace berth::cli
