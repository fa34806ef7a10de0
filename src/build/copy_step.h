// COPY: which files a COPY takes (context or another stage's root filesystem, after
// .dockerignore), a digest of their content and metadata for the step's cache key, and writing
// them into a new layer directory with docker's rules. Internal to the builder.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "build/dockerfile/dockerignore.h"

namespace berth::build {

struct CopySpec {
  std::string source_root;               // the context dir, or a stage's mounted root
  const DockerIgnore* ignore = nullptr;  // the context's .dockerignore (not for --from)
  std::vector<std::string> sources;      // as written (expanded), relative to source_root
  std::string dest;                      // absolute, inside the image
  bool dest_is_dir = false;              // dest ends in '/', several sources, or a directory
  std::optional<uint32_t> uid, gid;      // --chown (numeric); default 0:0
  std::optional<uint32_t> mode;          // --chmod
};

// One file a COPY takes: its path under source_root and where it goes, relative to the layer.
struct CopyEntry {
  std::string from;  // absolute host path
  std::string to;    // relative to the layer root, no leading '/'
};

// Resolves the sources (wildcards in the last component, directories copied by their contents,
// excluded paths skipped). Errors: a source that escapes the root or matches nothing, named as
// BuildKit does ("\"/x\": not found").
Result<std::vector<CopyEntry>> resolve_copy(const CopySpec& spec);

// sha256 over each entry's destination, type, mode, owner, size, content and link target.
Result<std::string> copy_digest(const CopySpec& spec, const std::vector<CopyEntry>& entries);

// Copies the entries into layer_dir (new parents root-owned 0755), with the owner and mode the
// spec gives. Symlinks are copied as links and never followed.
Result<void> write_copy(const CopySpec& spec, const std::vector<CopyEntry>& entries,
                        const std::string& layer_dir);

}  // namespace berth::build
