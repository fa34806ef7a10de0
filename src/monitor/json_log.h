// The monitor's writer of a container's log in docker's json-file format: one JSON object per
// line, {"log":"hello\n","stream":"stdout","time":"2026-11-23T10:00:00.123456789Z"}, rotated
// by size into path.1 … path.N as docker's json-file driver does.
//
// The monitor must stay small (runtime.md), so this file uses plain syscalls and fixed buffers:
// no JSON library, no iostreams, no regex, and no allocation per entry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::monitor {

enum class LogStream { kStdout = 0, kStderr = 1 };

// Writes data[0, n) as the body of a JSON string (without the quotes), byte for byte as docker's
// json-file writer does: \" \\ \n \r; other bytes below 0x20 (tab included) and < > & as \u00XX;
// each byte that does not start a valid UTF-8 sequence (Go's utf8.DecodeRune rules) as \ufffd;
// U+2028 and U+2029 as \u2028 and \u2029; everything else as it is. `out` must have room for
// 6 * n bytes. Returns the number of bytes written. Never fails.
size_t json_escape(const char* data, size_t n, char* out);

// Room format_rfc3339_nano needs (years 0 to 9999).
inline constexpr size_t kRfc3339NanoMax = 32;

// Formats a time as Go's time.RFC3339Nano in UTC: the fraction without trailing zeros, none at
// all on a whole second ("2026-11-23T10:00:00.1234Z", "2026-11-23T10:00:00Z"). `out` must have
// room for kRfc3339NanoMax bytes; no terminating NUL. Returns the length.
size_t format_rfc3339_nano(int64_t unix_nanos, char* out);

// One container's json-file log. Not thread-safe: the monitor calls it from its one event loop.
//
// Lines: what a stream delivers is cut at '\n'; each line is one entry whose "log" ends in "\n".
// A line that fills the 16 KiB line buffer without a newline is written as a partial entry
// without "\n", and the rest of that line follows in further entries, all with the time of the
// first piece (docker's copier). flush_partial() writes what is left when a stream closes, also
// without "\n".
//
// Rotation (docker's LogFile): before writing an entry when the current file already holds
// max_size bytes or more, path.(max_file-1) is removed, path.(i-1) is renamed to path.i, path to
// path.1, and a new empty path is started, so that max_file files exist in all. With max_file 1
// the current file is unlinked and started anew. Readers that hold the old file open keep it.
//
// Errors: after open() nothing here fails or throws. A failed write or rotation is remembered
// (error()) and counted (dropped_entries()), and the next entry is tried again, reopening the
// file if it had to be closed, so that a full disk does not stop the container.
class JsonLogWriter {
 public:
  // Bytes of one line held before it is written as a partial entry (docker's copier).
  static constexpr size_t kLineBuffer = 16 * 1024;

  // Opens (creating, mode 0640) path for appending; an existing file is continued, as after a
  // restart. max_size: bytes per file before rotation, <= 0 for no rotation. max_file: files
  // kept in all, the current one included (values below 1 count as 1). attrs_json: an optional
  // JSON object written verbatim as each entry's "attrs" (docker's --log-opt labels/env/tag);
  // the caller guarantees it is valid compact JSON. Errors: the open or fstat failure, naming
  // the path.
  static Result<JsonLogWriter> open(const std::string& path, int64_t max_size, int max_file,
                                    std::string attrs_json = {});

  JsonLogWriter(JsonLogWriter&&) noexcept = default;
  JsonLogWriter& operator=(JsonLogWriter&&) noexcept = default;
  ~JsonLogWriter() = default;

  // Takes n bytes that stream s delivered at unix_nanos (the time the monitor read them) and
  // writes every line they complete. Bytes after the last newline wait in the line buffer.
  void write(LogStream s, const char* data, size_t n, int64_t unix_nanos);

  // Writes the bytes stream s has buffered, if any, as an entry without "\n" (the stream
  // closed). The next data on s starts a new line.
  void flush_partial(LogStream s, int64_t unix_nanos);

  // The first write or rotation error since open() or clear_error(), if any.
  const std::optional<Error>& error() const { return error_; }
  // Entries that could not be written (in full) since open().
  uint64_t dropped_entries() const { return dropped_; }
  void clear_error() { error_.reset(); }

  // Bytes in the current file, as this writer counts them.
  int64_t current_size() const { return size_; }

 private:
  struct Pending {
    std::unique_ptr<char[]> buf;  // kLineBuffer bytes
    size_t n = 0;
    bool in_partial = false;  // a partial entry went out; the rest of its line follows
    int64_t partial_time = 0;
  };

  JsonLogWriter() = default;
  void cut_lines(LogStream s, int64_t unix_nanos);
  void write_partial(LogStream s, int64_t unix_nanos);
  void write_entry(LogStream s, const char* line, size_t n, bool newline, int64_t unix_nanos);
  void rotate();
  bool reopen(bool truncate);
  void note_error(Error e);

  std::string path_;
  int64_t max_size_ = 0;
  int max_file_ = 1;
  std::string attrs_json_;
  UniqueFd fd_;
  int64_t size_ = 0;
  Pending pending_[2];
  std::unique_ptr<char[]> out_;  // one encoded entry
  std::optional<Error> error_;
  uint64_t dropped_ = 0;
};

}  // namespace berth::monitor
