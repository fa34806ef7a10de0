// Output of docker's `inspect` commands (container, image, volume, network … inspect).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace berth::cli {

// Renders inspected objects as docker's inspect does:
//  - format "": a JSON array indented by four spaces, as json.MarshalIndent(items, "", "    ")
//    (<, > and & escaped as \u003c \u003e \u0026, members in the order the items have), then a
//    newline; no items print "[]\n".
//  - format "json": the same array compact on one line, then a newline.
//  - any other format: a template (no \t/\n escape processing, unlike list formats) executed
//    once per item, each output followed by a newline; no items print "\n".
// Errors are InvalidArgument "template parsing error: …", for a template that does not parse or
// fails on an item (docker prints the other items and exits 1; callers that want that can call
// this once per item).
Result<std::string> render_inspect(const std::vector<Json>& items, std::string_view format);

}  // namespace berth::cli
