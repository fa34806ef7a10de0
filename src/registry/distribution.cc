#include "registry/distribution.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/strings.h"

namespace berth::registry {

namespace {

constexpr size_t kMaxEntries = 16;

std::string record_path(const std::string& root, std::string_view kind, const oci::Digest& d) {
  return fmt::format("{}/distribution/{}/{}-{}", root, kind, d.algorithm(), d.hex());
}

std::string compressed_path(const std::string& root, const oci::Digest& diff_id,
                            const std::string& format) {
  return fmt::format("{}/distribution/compressed/{}-{}-{}", root, format, diff_id.algorithm(),
                     diff_id.hex());
}

// The non-empty lines of a record file; none when it is missing or unreadable.
std::vector<std::string> record_lines(const std::string& path) {
  std::vector<std::string> out;
  if (auto text = read_file(path); text) {
    for (auto& l : split(*text, '\n')) {
      if (!l.empty()) {
        out.push_back(std::move(l));
      }
    }
  }
  return out;
}

// Moves entry to the end of the record's lines (adding it if new), keeping the last kMaxEntries.
Result<void> add_record_line(const std::string& path, const std::string& entry) {
  auto lines = record_lines(path);
  std::erase(lines, entry);
  lines.push_back(entry);
  if (lines.size() > kMaxEntries) {
    lines.erase(lines.begin(), lines.end() - static_cast<ptrdiff_t>(kMaxEntries));
  }
  BERTH_CHECK(mkdir_p(dir_name(path)));
  return write_file_atomic(path, join(lines, "\n") + "\n", 0644, Durability::kAtomicOnly);
}

}  // namespace

Result<void> record_blob_source(const std::string& store_root, const oci::Digest& blob,
                                const BlobSourceRecord& source) {
  return add_record_line(record_path(store_root, "sources", blob),
                         source.host + "/" + source.repository);
}

Result<void> record_repo_digest(const std::string& store_root, const oci::Digest& manifest,
                                const std::string& name, const oci::Digest& digest) {
  return add_record_line(record_path(store_root, "repodigests", manifest),
                         name + "@" + digest.str());
}

std::vector<std::string> repo_digests(const std::string& store_root, const oci::Digest& manifest) {
  return record_lines(record_path(store_root, "repodigests", manifest));
}

std::vector<BlobSourceRecord> blob_sources(const std::string& store_root, const oci::Digest& blob) {
  std::vector<BlobSourceRecord> out;
  for (auto& l : record_lines(record_path(store_root, "sources", blob))) {
    auto slash = l.find('/');
    if (slash != std::string::npos && slash > 0 && slash + 1 < l.size()) {
      out.push_back({l.substr(0, slash), l.substr(slash + 1)});
    }
  }
  std::reverse(out.begin(), out.end());
  return out;
}

Result<void> record_compressed(const std::string& store_root, const oci::Digest& diff_id,
                               const std::string& format, const CompressedRecord& blob) {
  std::string path = compressed_path(store_root, diff_id, format);
  Json j = Json::object();
  j["digest"] = blob.digest.str();
  j["size"] = blob.size;
  BERTH_CHECK(mkdir_p(dir_name(path)));
  return write_file_atomic(path, j.dump() + "\n", 0644, Durability::kAtomicOnly);
}

std::optional<CompressedRecord> compressed_of(const std::string& store_root,
                                              const oci::Digest& diff_id,
                                              const std::string& format) {
  auto text = read_file(compressed_path(store_root, diff_id, format));
  if (!text) {
    return std::nullopt;
  }
  auto j = parse_json(*text, "compressed record");
  if (!j || !j->is_object() || !(*j)["digest"].is_string() || !(*j)["size"].is_number_integer()) {
    return std::nullopt;
  }
  auto d = oci::Digest::parse((*j)["digest"].get<std::string>());
  if (!d) {
    return std::nullopt;
  }
  return CompressedRecord{*d, (*j)["size"].get<int64_t>()};
}

}  // namespace berth::registry
