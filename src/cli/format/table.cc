#include "cli/format/table.h"

#include <algorithm>

namespace berth::cli {
namespace {

// docker's Context.preFormat: trim spaces, then \t and \n escapes become a tab and a newline.
std::string preformat(std::string_view format) {
  while (!format.empty() && format.front() == ' ') {
    format.remove_prefix(1);
  }
  while (!format.empty() && format.back() == ' ') {
    format.remove_suffix(1);
  }
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] == '\\' && i + 1 < format.size() &&
        (format[i + 1] == 't' || format[i + 1] == 'n')) {
      out += format[i + 1] == 't' ? '\t' : '\n';
      ++i;
    } else {
      out += format[i];
    }
  }
  return out;
}

// A copy with every object's keys in byte order, as encoding/json writes Go maps.
Json sorted(const Json& v) {
  if (v.is_array()) {
    Json out = Json::array();
    for (const Json& e : v) {
      out.push_back(sorted(e));
    }
    return out;
  }
  if (!v.is_object()) {
    return v;
  }
  std::vector<std::pair<std::string, const Json*>> members;
  for (auto it = v.begin(); it != v.end(); ++it) {
    members.emplace_back(it.key(), &it.value());
  }
  std::sort(members.begin(), members.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  Json out = Json::object();
  for (const auto& [key, member] : members) {
    out[key] = sorted(*member);
  }
  return out;
}

}  // namespace

Result<Formatter> Formatter::create(std::string_view format, std::string_view default_table,
                                    std::map<std::string, std::string> headers,
                                    std::string_view default_raw) {
  if (format.empty() || format == "table") {
    format = default_table;
  }
  FormatKind kind = FormatKind::kTemplate;
  std::string_view body = format;
  if (format == "json") {
    kind = FormatKind::kJson;
    body = "{{json .}}";
  } else if (format == "raw" && !default_raw.empty()) {
    kind = FormatKind::kRawTemplate;
    body = default_raw;
  } else if (format.starts_with("table")) {
    kind = FormatKind::kTable;
    body.remove_prefix(5);
  }
  Template tmpl = BERTH_TRY(Template::parse(preformat(body)));
  return Formatter(kind, std::move(tmpl), std::move(headers));
}

void Formatter::add(const Json& item) { items_.push_back(sorted(item)); }

Result<std::string> Formatter::render() const {
  std::string body;
  for (const Json& item : items_) {
    auto line = tmpl_.execute(item);
    if (!line) {
      return tl::unexpected(std::move(line.error()).context("template parsing error"));
    }
    body += *line;
    body += '\n';
  }
  if (kind_ != FormatKind::kTable) {
    return body;
  }
  return tabwrite_text(tmpl_.execute_header(headers_) + "\n" + body);
}

}  // namespace berth::cli
