// Layer compression: recognising it by its magic bytes, streaming decompression of what a
// registry or an image archive hands us, and compressing layers for export and push.
#pragma once

#include <memory>
#include <string_view>

#include "base/error.h"
#include "base/stream.h"

namespace berth::store {

enum class Compression { kNone, kGzip, kZstd };

// "none", "gzip", "zstd".
std::string_view compression_name(Compression c);

// The OCI layer media type for a layer blob so compressed; foreign: a non-distributable layer
// (docker's foreign layers).
std::string_view oci_layer_media_type(Compression c, bool foreign);

// How many leading bytes sniff_compression needs to decide (fewer only at the end of a stream).
inline constexpr size_t kSniffBytes = 6;

// Recognises a compressed stream by its first bytes: 1f 8b → gzip, 28 b5 2f fd → zstd, anything
// else (including a short or empty head) → none. bzip2 ("BZh") and xz (fd 37 7a 58 5a 00) are
// recognised only to fail with Unsupported and a message saying which it was.
Result<Compression> sniff_compression(std::string_view head);

// Reads the first bytes of raw to sniff its compression and returns a reader of the
// uncompressed bytes: a streaming gunzip (several concatenated gzip members are one stream, as
// `gzip -d` and Go read them), a streaming zstd decoder (several frames, skippable frames
// skipped) or a pass-through. The returned reader borrows raw, which must outlive it, and reads
// raw only as far as it is read itself; it returns 0 only once raw is at its end. Errors while
// reading: Corrupt "invalid gzip data: …" / "invalid zstd data: …" (bad data, bad checksum, or
// bytes after the last member that are not another member), Corrupt "truncated gzip stream" /
// "truncated zstd stream" (raw ended inside a member); raw's own errors pass through unchanged.
Result<std::unique_ptr<Reader>> open_decompressing(Reader* raw);

// A writer that compresses into another writer. finish() must be called to end the compressed
// stream (flushes everything and writes the trailer); without it the output is truncated.
// Nothing may be written after finish(). Errors of the inner writer pass through.
class CompressingWriter : public Writer {
 public:
  virtual Result<void> finish() = 0;
};

// gzip (one member, no name, mtime 0, so the same input gives the same bytes). level 1..9, or
// -1 for zlib's default (6). out is borrowed and must outlive the writer.
std::unique_ptr<CompressingWriter> make_gzip_writer(Writer* out, int level = -1);

// zstd (one frame with a content checksum). level 1..19 (3 is zstd's default; 0 means default).
// out is borrowed and must outlive the writer.
std::unique_ptr<CompressingWriter> make_zstd_writer(Writer* out, int level = 3);

}  // namespace berth::store
