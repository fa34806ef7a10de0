// Docker's JSON shapes for images: the rows of `images --format` and `image inspect`.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/json.h"
#include "engine/image.h"

namespace berth::cli {

// One `images` row per name (or one <none> row for a dangling image), docker's fields:
// Containers, CreatedAt, CreatedSince, Digest, ID, Repository, SharedSize, Size, Tag,
// UniqueSize, VirtualSize.
std::vector<Json> image_rows(const engine::Image& img, bool no_trunc);

// The object `docker image inspect` prints for an image.
Json image_inspect_json(const engine::Image& img);

// Column headers docker prints for the fields of image rows and history rows.
std::map<std::string, std::string> image_headers();

// docker's "2024-01-02 03:04:05 +0000 UTC" form of a time.
std::string docker_time(int64_t unix_nanos);

}  // namespace berth::cli
