// A cache of what listings need of each image (`images`, name and ID lookup): its ID, created
// time, size and labels, by manifest digest. A manifest and its config are content addressed and
// an applied layer's size never changes, so an entry once written stays right for as long as the
// manifest exists; nothing ever invalidates it. With it, `images` reads two files instead of two
// blobs per image. The file is rewritten (temp + rename) by whichever reader found entries
// missing, keeping only manifests the index still names; losing a race or the file itself only
// costs recomputing entries.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "oci/digest.h"

namespace berth::engine {

struct ImageSummary {
  oci::Digest id;
  int64_t created_nanos = 0;
  int64_t size = 0;
  std::map<std::string, std::string> labels;
};

class ImageSummaries {
 public:
  // Reads the cache at path; a missing, unreadable or damaged file is an empty cache.
  explicit ImageSummaries(std::string path);

  const ImageSummary* find(const oci::Digest& manifest) const;
  void put(const oci::Digest& manifest, ImageSummary summary);
  // When entries were added since reading: writes the entries of `keep` (and only those).
  // Best effort: a failure to write (a read-only store) is ignored.
  void save(const std::set<oci::Digest>& keep) const;

 private:
  std::string path_;
  std::map<oci::Digest, ImageSummary> entries_;
  bool changed_ = false;
};

}  // namespace berth::engine
