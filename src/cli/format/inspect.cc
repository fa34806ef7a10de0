#include "cli/format/inspect.h"

#include "cli/format/go_json.h"
#include "cli/format/go_template.h"

namespace berth::cli {

Result<std::string> render_inspect(const std::vector<Json>& items, std::string_view format) {
  if (format.empty() || format == "json") {
    Json array = Json::array();
    for (const Json& item : items) {
      array.push_back(item);
    }
    return (format.empty() ? go_json_indent(array, "    ") : go_json(array, true)) + "\n";
  }
  Template tmpl = BERTH_TRY(Template::parse(format));
  std::string out;
  for (const Json& item : items) {
    auto text = tmpl.execute(item);
    if (!text) {
      return tl::unexpected(std::move(text.error()).context("template parsing error"));
    }
    out += *text;
    out += '\n';
  }
  return out.empty() ? std::string("\n") : out;
}

}  // namespace berth::cli
