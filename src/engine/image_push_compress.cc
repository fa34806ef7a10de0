#include "engine/image_push_compress.h"

#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/sha256.h"
#include "base/stream.h"

namespace berth::engine {

namespace {

Result<std::string> read_layer_block(int fd, int64_t offset, size_t len) {
  std::string buf(len, '\0');
  size_t got = 0;
  while (got < len) {
    ssize_t n = ::pread(fd, buf.data() + got, len - got, offset + static_cast<int64_t>(got));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return fail_errno("reading layer");
    }
    if (n == 0) {
      return fail(Code::kCorrupt, "reading layer: the file is shorter than recorded");
    }
    got += static_cast<size_t>(n);
  }
  return buf;
}

Result<std::string> compress_block(std::string_view data, store::Compression format) {
  std::string out;
  StringWriter sink(&out);
  auto w = format == store::Compression::kGzip ? store::make_gzip_writer(&sink, kPushGzipLevel)
                                               : store::make_zstd_writer(&sink, kPushZstdLevel);
  BERTH_CHECK(w->write(data.data(), data.size()));
  BERTH_CHECK(w->finish());
  return out;
}

// Workers take blocks in order and compress them; the caller's thread writes them in order. A
// worker waits while it is `window` blocks ahead of the writer, which bounds memory.
class BlockPipeline {
 public:
  BlockPipeline(int in_fd, int64_t in_size, store::Compression format, size_t block, size_t window)
      : in_fd_(in_fd), in_size_(in_size), format_(format), block_(block), window_(window) {
    blocks_ = static_cast<size_t>((in_size + static_cast<int64_t>(block) - 1) /
                                  static_cast<int64_t>(block));
  }

  void worker() {
    while (true) {
      size_t i;
      {
        std::unique_lock<std::mutex> g(mu_);
        cv_.wait(g, [&] { return failed_ || next_ >= blocks_ || next_ < written_ + window_; });
        if (failed_ || next_ >= blocks_) {
          return;
        }
        i = next_++;
      }
      int64_t off = static_cast<int64_t>(i * block_);
      auto len =
          static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(block_), in_size_ - off));
      auto data = read_layer_block(in_fd_, off, len);
      Result<std::string> z =
          data ? compress_block(*data, format_) : Result<std::string>(tl::unexpected(data.error()));
      std::lock_guard<std::mutex> g(mu_);
      if (!z) {
        if (!error_) {
          error_ = z.error();
        }
        failed_ = true;
      } else {
        done_.emplace(i, std::move(*z));
      }
      cv_.notify_all();
    }
  }

  // Writes the blocks in order to out_fd, hashing them.
  Result<Compressed> write(int out_fd) {
    Sha256 hash;
    int64_t size = 0;
    while (true) {
      std::string piece;
      {
        std::unique_lock<std::mutex> g(mu_);
        cv_.wait(g, [&] { return failed_ || written_ >= blocks_ || done_.count(written_) > 0; });
        if (failed_) {
          return tl::unexpected(*error_);
        }
        if (written_ >= blocks_) {
          break;
        }
        auto it = done_.find(written_);
        piece = std::move(it->second);
        done_.erase(it);
      }
      hash.update(piece);
      size += static_cast<int64_t>(piece.size());
      auto w = write_all(out_fd, piece.data(), piece.size());
      std::lock_guard<std::mutex> g(mu_);
      if (!w) {
        error_ = std::move(w.error()).context("writing compressed layer");
        failed_ = true;
        cv_.notify_all();
        return tl::unexpected(*error_);
      }
      ++written_;
      cv_.notify_all();
    }
    return Compressed{oci::Digest::from_sha256_hex(hash.hex()), size};
  }

  size_t blocks() const { return blocks_; }

 private:
  int in_fd_;
  int64_t in_size_;
  store::Compression format_;
  size_t block_;
  size_t window_;
  size_t blocks_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  size_t next_ = 0;
  size_t written_ = 0;
  std::map<size_t, std::string> done_;
  bool failed_ = false;
  std::optional<Error> error_;
};

}  // namespace

Result<Compressed> compress_parallel(int in_fd, int64_t in_size, int out_fd,
                                     store::Compression format, int threads, size_t block_size) {
  if (format == store::Compression::kNone) {
    return fail(Code::kInvalidArgument, "compress_parallel: no compression format");
  }
  if (in_size == 0) {
    // An empty layer still needs a valid stream: one empty member or frame.
    auto z = BERTH_TRY(compress_block("", format));
    BERTH_CHECK_CTX(write_all(out_fd, z.data(), z.size()), "writing compressed layer");
    return Compressed{oci::Digest::sha256_of(z), static_cast<int64_t>(z.size())};
  }
  if (threads <= 0) {
    threads = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  }
  BlockPipeline p(in_fd, in_size, format, std::max<size_t>(block_size, 1),
                  2 * static_cast<size_t>(threads));
  auto n = static_cast<size_t>(threads) < p.blocks() ? static_cast<size_t>(threads) : p.blocks();
  std::vector<std::thread> pool;
  for (size_t t = 0; t < n; ++t) {
    pool.emplace_back([&p] { p.worker(); });
  }
  auto r = p.write(out_fd);
  for (auto& t : pool) {
    t.join();
  }
  return r;
}

}  // namespace berth::engine
