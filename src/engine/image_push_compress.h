// Compressing a layer for a push on every core: the tar is cut into fixed-size blocks, each
// compressed on its own into one gzip member or one zstd frame, and the results are written in
// order. Concatenated gzip members are one valid gzip stream (gzip -d, Go's gzip.Reader and
// containerd read them whole), and so are concatenated zstd frames. The output depends only on
// the input, the format, the block size and the level, never on the number of threads or their
// timing, so the same layer pushed twice has the same digest.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/error.h"
#include "oci/digest.h"
#include "store/decompress.h"

namespace berth::engine {

// Block size and levels of push compression. Changing any of them changes pushed digests.
inline constexpr size_t kPushBlockSize = 4 << 20;
inline constexpr int kPushGzipLevel = 1;  // deflate's fastest: a push is bound by it otherwise
inline constexpr int kPushZstdLevel = 3;  // zstd's default

struct Compressed {
  oci::Digest digest;  // sha256 of the compressed bytes
  int64_t size = 0;
};

// Compresses the `in_size` bytes of `in_fd` (read with pread from offset 0; the fd's offset is
// not used) into `out_fd` (written sequentially from its current offset) as `format` (kGzip or
// kZstd; kNone is InvalidArgument). `threads` <= 0 means one per online CPU. At most about
// 2 × threads blocks are held in memory. Errors: the fds' errno ("reading layer: …", "writing
// compressed layer: …"). Blocks until done.
Result<Compressed> compress_parallel(int in_fd, int64_t in_size, int out_fd,
                                     store::Compression format, int threads = 0,
                                     size_t block_size = kPushBlockSize);

}  // namespace berth::engine
