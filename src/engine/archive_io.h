// The outer tar of an image archive (`berth save` / `berth load`): a deterministic streaming tar
// writer and a streaming tar reader, both over berth's Reader/Writer and libarchive. Neither ever
// touches the file system: entries are names and bytes, and whatever is large flows through.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/stream.h"

struct archive;

namespace berth::engine {

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
  bool finished_ = false;  // closed, or abandoned by the destructor: write nothing more
};

struct TarEntry {
  enum class Kind { kFile, kDir, kSymlink, kHardlink, kOther };
  std::string path;  // as named in the archive, with leading "./" and "/" removed
  Kind kind = Kind::kOther;
  int64_t size = 0;
  std::string link;  // target of a symlink or hard link, as written
};

// Reads a tar stream (ustar, pax, GNU; no compression: wrap `in` in open_decompressing first)
// from `in` (borrowed), entry by entry. Errors: Corrupt "truncated tar archive" or libarchive's
// message for a damaged stream; errors of `in` pass through.
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
  tl::unexpected<Error> failure(std::string_view doing);
  static ssize_t read_cb(struct archive* a, void* self, const void** buf);

  Reader& in_;
  struct archive* a_ = nullptr;
  std::string buf_;
  std::optional<Error> in_error_;  // the error of in_, which libarchive cannot carry
  std::string current_;            // the current entry's path, for error messages
};

// The canonical name of an archive member: "./a//b" → "a/b". Empty for the archive root.
std::string clean_archive_path(std::string_view path);

}  // namespace berth::engine
