// What a store remembers about registries, under <store root>/distribution/ (plain files, each
// replaced atomically; a lost record only costs a later push some work):
//   sources/<alg>-<hex>          where a blob was pulled from or pushed to: one line per
//                                "<registry host>/<repository>", most recent last
//   compressed/<fmt>-<alg>-<hex> the blob a push made of an uncompressed layer (by diff ID) in
//                                a format: {"digest": "sha256:…", "size": N}
//   repodigests/<alg>-<hex>      by a stored manifest's digest: "<name>@<digest>" per line, the
//                                digest a registry knows the image by in that repository (the
//                                index's, when the pull chose from one); docker's RepoDigests
// so that a push can mount a blob from another repository of the same registry, and HEAD the
// compressed blob of a local layer before compressing it again.
//
// Threads and processes: safe; concurrent writers of one record may lose one of their entries.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "oci/digest.h"

namespace berth::registry {

struct BlobSourceRecord {
  std::string host;        // "127.0.0.1:5000", "registry-1.docker.io"
  std::string repository;  // "library/busybox"
};

// Adds (or moves to the end) host/repository for the blob; at most 16 are kept per blob.
Result<void> record_blob_source(const std::string& store_root, const oci::Digest& blob,
                                const BlobSourceRecord& source);
// The recorded sources of the blob, most recent first; none when there is no record.
std::vector<BlobSourceRecord> blob_sources(const std::string& store_root, const oci::Digest& blob);

// Adds (or moves to the end) name@digest for the stored manifest; name is a normalised repository
// ("docker.io/library/busybox"). At most 16 are kept.
Result<void> record_repo_digest(const std::string& store_root, const oci::Digest& manifest,
                                const std::string& name, const oci::Digest& digest);
// The recorded "<name>@<digest>" of the manifest, oldest first; none when there is no record.
std::vector<std::string> repo_digests(const std::string& store_root, const oci::Digest& manifest);

struct CompressedRecord {
  oci::Digest digest;
  int64_t size = 0;
};
// format: "gzip" or "zstd".
Result<void> record_compressed(const std::string& store_root, const oci::Digest& diff_id,
                               const std::string& format, const CompressedRecord& blob);
// nullopt when there is none, or it cannot be read.
std::optional<CompressedRecord> compressed_of(const std::string& store_root,
                                              const oci::Digest& diff_id,
                                              const std::string& format);

}  // namespace berth::registry
