// The outer tar of an image archive (`berth save` / `berth load`): a deterministic streaming tar
// writer, a streaming tar reader (both over berth's Reader/Writer and libarchive), and the one
// pass of `load` that takes an archive's entries into the blob store. None of it extracts
// anything to a path the archive names: entries are names and bytes, and what is large streams.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/stream.h"
#include "oci/digest.h"
#include "store/store.h"

struct archive;

namespace berth::engine {

// The annotation containerd (and docker's containerd store) names an image by in index.json.
inline constexpr std::string_view kContainerdImageName = "io.containerd.image.name";

// "blobs/<alg>/<hex>": where an OCI image layout keeps a blob.
std::string layout_blob_path(const oci::Digest& d);

// Writes a tar stream into `out` (borrowed; it must outlive the writer). Every entry has mtime
// 0, uid/gid 0, no user or group names, mode 0644 (files) or 0755 (directories), and pax
// headers only where ustar cannot hold a name or a size, so the same entries in the same order
// give the same bytes. Errors of `out` pass through with the entry's name as context.
class TarWriter {
 public:
  static Result<std::unique_ptr<TarWriter>> open(Writer& out);
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;
  ~TarWriter();

  // A directory entry; `path` ends in '/'.
  Result<void> add_dir(std::string_view path);
  // A regular file holding `data`.
  Result<void> add_file(std::string_view path, std::string_view data);
  // A regular file of exactly `size` bytes read from `in` in chunks (never all in memory).
  // Corrupt when `in` ends early or holds more than `size` bytes.
  Result<void> add_stream(std::string_view path, int64_t size, Reader& in);
  // Writes the end-of-archive blocks. Without it the tar is incomplete; nothing may follow.
  Result<void> finish();

 private:
  explicit TarWriter(Writer& out) : out_(out) {}
  Result<void> header(std::string_view path, bool dir, int64_t size);
  Result<void> data(std::string_view path, const void* buf, size_t len);
  Result<void> fail_here(std::string_view what);
  static ssize_t write_cb(struct archive* a, void* self, const void* buf, size_t len);

  Writer& out_;
  struct archive* a_ = nullptr;
  std::optional<Error> out_error_;  // the error of out_, which libarchive cannot carry
  bool finished_ = false;           // closed, or abandoned by the destructor: write nothing more
};

struct TarEntry {
  enum class Kind { kFile, kDir, kSymlink, kHardlink, kOther };
  std::string path;  // as named in the archive, with leading "./" and "/" removed
  Kind kind = Kind::kOther;
  int64_t size = 0;
  std::string link;  // target of a symlink or hard link, as written
};

// Reads a tar stream (ustar, pax, GNU; no compression: wrap `in` in open_decompressing first)
// from `in` (borrowed), entry by entry. Errors: Corrupt "truncated tar archive", "not a tar
// archive" or libarchive's message for another damage; errors of `in` pass through unchanged.
// Messages do not name the entry: callers do.
class TarReader : public Reader {
 public:
  static Result<std::unique_ptr<TarReader>> open(Reader& in);
  TarReader(const TarReader&) = delete;
  TarReader& operator=(const TarReader&) = delete;
  ~TarReader() override;

  // Moves to the next entry (skipping what was not read of the current one); nullopt at the
  // end of the archive. Blocks on `in`.
  Result<std::optional<TarEntry>> next();
  // Reads the current entry's data; 0 at its end.
  Result<size_t> read(void* buf, size_t len) override;

 private:
  explicit TarReader(Reader& in) : in_(in) {}
  tl::unexpected<Error> failure();
  static ssize_t read_cb(struct archive* a, void* self, const void** buf);

  Reader& in_;
  struct archive* a_ = nullptr;
  std::string buf_;
  std::optional<Error> in_error_;  // the error of in_, which libarchive cannot carry
};

// The canonical name of an archive member: "./a//b" → "a/b". Empty for the archive root.
std::string clean_archive_path(std::string_view path);

// What a load added to the store. Until commit(), destruction removes all of it: nothing in
// index.json refers to it yet, and the shared store lock the load holds keeps garbage collection
// (the only other remover) away. A blob that a concurrent load or pull stores at the very same
// moment may be counted as ours; that race is accepted (it costs that image a re-pull).
class LoadUndo {
 public:
  explicit LoadUndo(const store::Store& store) : store_(store) {}
  LoadUndo(const LoadUndo&) = delete;
  LoadUndo& operator=(const LoadUndo&) = delete;
  ~LoadUndo();

  void added_blob(const oci::Digest& d) { blobs_.insert(d); }
  void added_layer(const oci::Digest& d) { layers_.push_back(d); }
  // A blob a loaded image refers to: it stays after commit().
  void keep(const oci::Digest& d) { kept_.insert(d); }

  // The load succeeded: what it added stays, except blobs that no loaded image refers to
  // (compressed layer blobs, whose uncompressed tars were stored; documents it did not use).
  void commit();

 private:
  const store::Store& store_;
  std::set<oci::Digest> blobs_;
  std::vector<oci::Digest> layers_;
  std::set<oci::Digest> kept_;
  bool committed_ = false;
};

// Everything one pass over an image archive collected.
struct ArchiveContents {
  std::map<std::string, std::string> docs;   // small top-level documents, by path
  std::map<std::string, oci::Digest> blobs;  // every other file, stored, by path
  std::map<std::string, std::string> links;  // symlink or hardlink path → target path
  int64_t docs_bytes = 0;

  // The path of the entry `path` names, through links (at most 16 hops).
  std::string follow(std::string path) const;
};

// Reads an image archive (a tar, or a gzip/zstd-compressed tar) from `in` to its end, once:
//   - top-level documents (manifest.json, index.json, oci-layout, repositories, *.json) are kept
//     in memory: at most 4 MiB each and 64 MiB together, else Corrupt "<path>: too large";
//   - old docker's per-layer v1 metadata (<id>/json, <id>/VERSION) is skipped;
//   - every other regular file streams into the blob store under the digest of its content; a
//     `blobs/<alg>/<hex>` entry must have that digest (Corrupt "<path>: digest mismatch: …";
//     Unsupported for algorithms other than sha256). Blobs it adds are recorded in `undo`;
//   - symlinks and hardlinks are recorded as names of other entries, never followed on disk.
// Errors name the entry; a damaged tar is Corrupt ("truncated tar archive"). Blocks on `in`;
// the caller holds the store lock shared.
Result<ArchiveContents> read_archive(const store::Store& store, Reader& in, LoadUndo& undo);

}  // namespace berth::engine
