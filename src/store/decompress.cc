#include "store/decompress.h"

#include <zlib.h>
#include <zstd.h>

#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "oci/media_types.h"

namespace berth::store {

namespace {

constexpr size_t kInBufSize = 256 * 1024;
constexpr size_t kOutBufSize = 256 * 1024;

// Returns the sniffed head bytes first, then the rest of raw.
class PrefixReader : public Reader {
 public:
  PrefixReader(Reader* raw, std::string head) : raw_(raw), head_(std::move(head)) {}
  Result<size_t> read(void* buf, size_t len) override {
    if (pos_ < head_.size()) {
      size_t n = std::min(len, head_.size() - pos_);
      std::memcpy(buf, head_.data() + pos_, n);
      pos_ += n;
      return n;
    }
    return raw_->read(buf, len);
  }

 private:
  Reader* raw_;
  std::string head_;
  size_t pos_ = 0;
};

// Streaming gunzip. Members are decoded one after another: at the end of one, inflate is reset
// and whatever follows must be another member (inflate rejects anything else), as Go's
// multistream reader does. raw ending inside a member is a truncation.
class GzipReader : public Reader {
 public:
  GzipReader(Reader* raw, std::string head) : raw_(raw), in_(kInBufSize) {
    std::memcpy(in_.data(), head.data(), head.size());
    z_.next_in = in_.data();
    z_.avail_in = static_cast<uInt>(head.size());
    ok_ = inflateInit2(&z_, 16 + MAX_WBITS) == Z_OK;
  }
  ~GzipReader() override { inflateEnd(&z_); }

  Result<size_t> read(void* buf, size_t len) override {
    if (!ok_) {
      return fail(Code::kInternal, "initialising zlib");
    }
    len = std::min<size_t>(len, 1u << 30);
    z_.next_out = static_cast<Bytef*>(buf);
    z_.avail_out = static_cast<uInt>(len);
    while (z_.avail_out == len && len > 0) {
      if (z_.avail_in == 0 && !pending_out_) {
        size_t n = BERTH_TRY(raw_->read(in_.data(), in_.size()));
        if (n == 0) {
          if (in_member_) {
            return fail(Code::kCorrupt, "truncated gzip stream");
          }
          return 0;
        }
        z_.next_in = in_.data();
        z_.avail_in = static_cast<uInt>(n);
      }
      if (!in_member_) {
        inflateReset(&z_);  // the next member, or garbage inflate will reject
        in_member_ = true;
      }
      BERTH_CHECK(step());
    }
    return len - z_.avail_out;
  }

 private:
  Result<void> step() {
    int rc = inflate(&z_, Z_NO_FLUSH);
    // A full output buffer may leave decoded bytes inside zlib: call again before reading more.
    pending_out_ = z_.avail_out == 0;
    if (rc == Z_STREAM_END) {
      in_member_ = false;
      pending_out_ = false;
      return {};
    }
    if (rc == Z_OK || rc == Z_BUF_ERROR) {  // Z_BUF_ERROR: needs more input, not an error
      return {};
    }
    if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT) {
      return fail(Code::kCorrupt,
                  fmt::format("invalid gzip data: {}", z_.msg ? z_.msg : "bad stream"));
    }
    return fail(Code::kInternal, fmt::format("inflate failed ({})", rc));
  }

  Reader* raw_;
  std::vector<Bytef> in_;
  z_stream z_{};
  bool ok_ = false;
  bool in_member_ = false;  // inside a member: the stream may not end here
  bool pending_out_ = false;
};

// Streaming zstd: ZSTD_decompressStream moves from one frame to the next by itself (and skips
// skippable frames); a return of 0 means a frame ended with everything flushed.
class ZstdReader : public Reader {
 public:
  ZstdReader(Reader* raw, std::string head) : raw_(raw), dctx_(ZSTD_createDCtx()), in_(kInBufSize) {
    std::memcpy(in_.data(), head.data(), head.size());
    input_ = {in_.data(), head.size(), 0};
  }
  ~ZstdReader() override { ZSTD_freeDCtx(dctx_); }

  Result<size_t> read(void* buf, size_t len) override {
    if (dctx_ == nullptr) {
      return fail(Code::kInternal, "initialising zstd");
    }
    ZSTD_outBuffer out{buf, len, 0};
    while (out.pos == 0 && len > 0) {
      if (input_.pos == input_.size && !pending_out_) {
        size_t n = BERTH_TRY(raw_->read(in_.data(), in_.size()));
        if (n == 0) {
          if (in_frame_) {
            return fail(Code::kCorrupt, "truncated zstd stream");
          }
          return 0;
        }
        input_ = {in_.data(), n, 0};
      }
      size_t rc = ZSTD_decompressStream(dctx_, &out, &input_);
      if (ZSTD_isError(rc)) {
        return fail(Code::kCorrupt, fmt::format("invalid zstd data: {}", ZSTD_getErrorName(rc)));
      }
      in_frame_ = rc != 0;
      pending_out_ = out.pos == out.size;
    }
    return out.pos;
  }

 private:
  Reader* raw_;
  ZSTD_DCtx* dctx_;
  std::vector<char> in_;
  ZSTD_inBuffer input_{};
  bool in_frame_ = false;
  bool pending_out_ = false;
};

class GzipWriter : public CompressingWriter {
 public:
  GzipWriter(Writer* out, int level) : out_(out), buf_(kOutBufSize) {
    if (level < -1 || level > 9) {
      level = Z_DEFAULT_COMPRESSION;
    }
    ok_ = deflateInit2(&z_, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~GzipWriter() override { deflateEnd(&z_); }

  Result<void> write(const void* data, size_t len) override {
    const auto* p = static_cast<const Bytef*>(data);
    while (len > 0) {
      size_t chunk = std::min<size_t>(len, 1u << 30);
      z_.next_in = const_cast<Bytef*>(p);
      z_.avail_in = static_cast<uInt>(chunk);
      BERTH_CHECK(run(Z_NO_FLUSH));
      p += chunk;
      len -= chunk;
    }
    return {};
  }

  Result<void> finish() override { return run(Z_FINISH); }

 private:
  // Deflates until the input is consumed (or, with Z_FINISH, the trailer is written).
  Result<void> run(int flush) {
    if (!ok_) {
      return fail(Code::kInternal, "initialising zlib");
    }
    while (true) {
      z_.next_out = buf_.data();
      z_.avail_out = static_cast<uInt>(buf_.size());
      int rc = deflate(&z_, flush);
      if (rc == Z_STREAM_ERROR) {
        return fail(Code::kInternal, "deflate failed");
      }
      size_t have = buf_.size() - z_.avail_out;
      if (have > 0) {
        BERTH_CHECK(out_->write(buf_.data(), have));
      }
      if (flush == Z_FINISH ? rc == Z_STREAM_END : (z_.avail_in == 0 && z_.avail_out != 0)) {
        return {};
      }
    }
  }

  Writer* out_;
  std::vector<Bytef> buf_;
  z_stream z_{};
  bool ok_ = false;
};

class ZstdWriter : public CompressingWriter {
 public:
  ZstdWriter(Writer* out, int level) : out_(out), cctx_(ZSTD_createCCtx()), buf_(kOutBufSize) {
    if (cctx_ != nullptr) {
      ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, level);
      ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 1);
    }
  }
  ~ZstdWriter() override { ZSTD_freeCCtx(cctx_); }

  Result<void> write(const void* data, size_t len) override {
    ZSTD_inBuffer in{data, len, 0};
    return run(in, ZSTD_e_continue);
  }

  Result<void> finish() override {
    ZSTD_inBuffer in{nullptr, 0, 0};
    return run(in, ZSTD_e_end);
  }

 private:
  Result<void> run(ZSTD_inBuffer& in, ZSTD_EndDirective mode) {
    if (cctx_ == nullptr) {
      return fail(Code::kInternal, "initialising zstd");
    }
    while (true) {
      ZSTD_outBuffer out{buf_.data(), buf_.size(), 0};
      size_t rc = ZSTD_compressStream2(cctx_, &out, &in, mode);
      if (ZSTD_isError(rc)) {
        return fail(Code::kInternal, fmt::format("zstd: {}", ZSTD_getErrorName(rc)));
      }
      if (out.pos > 0) {
        BERTH_CHECK(out_->write(buf_.data(), out.pos));
      }
      // e_continue: done once the input is consumed; e_end: once rc says nothing is left.
      if (mode == ZSTD_e_end ? rc == 0 : in.pos == in.size) {
        return {};
      }
    }
  }

  Writer* out_;
  ZSTD_CCtx* cctx_;
  std::vector<char> buf_;
};

}  // namespace

std::string_view compression_name(Compression c) {
  switch (c) {
    case Compression::kNone:
      return "none";
    case Compression::kGzip:
      return "gzip";
    case Compression::kZstd:
      return "zstd";
  }
  return "unknown";
}

Result<Compression> sniff_compression(std::string_view head) {
  auto starts = [&](std::string_view magic) { return head.substr(0, magic.size()) == magic; };
  if (starts("\x1f\x8b")) {
    return Compression::kGzip;
  }
  if (starts("\x28\xb5\x2f\xfd")) {
    return Compression::kZstd;
  }
  if (starts("BZh")) {
    return fail(Code::kUnsupported, "bzip2-compressed layers are not supported");
  }
  if (starts(std::string_view("\xfd\x37\x7a\x58\x5a\x00", 6))) {
    return fail(Code::kUnsupported, "xz-compressed layers are not supported");
  }
  return Compression::kNone;
}

Result<std::unique_ptr<Reader>> open_decompressing(Reader* raw) {
  // Short reads are allowed, so read until the magic is complete or the stream ends.
  std::string head(kSniffBytes, '\0');
  size_t have = 0;
  while (have < head.size()) {
    size_t n = BERTH_TRY(raw->read(head.data() + have, head.size() - have));
    if (n == 0) {
      break;
    }
    have += n;
  }
  head.resize(have);
  switch (BERTH_TRY(sniff_compression(head))) {
    case Compression::kGzip:
      return std::make_unique<GzipReader>(raw, std::move(head));
    case Compression::kZstd:
      return std::make_unique<ZstdReader>(raw, std::move(head));
    case Compression::kNone:
      break;
  }
  return std::make_unique<PrefixReader>(raw, std::move(head));
}

std::unique_ptr<CompressingWriter> make_gzip_writer(Writer* out, int level) {
  return std::make_unique<GzipWriter>(out, level);
}

std::unique_ptr<CompressingWriter> make_zstd_writer(Writer* out, int level) {
  return std::make_unique<ZstdWriter>(out, level);
}

std::string_view oci_layer_media_type(Compression c, bool foreign) {
  switch (c) {
    case Compression::kGzip:
      return foreign ? oci::kOciLayerNondistributableGzip : oci::kOciLayerGzip;
    case Compression::kZstd:
      return foreign ? oci::kOciLayerNondistributableZstd : oci::kOciLayerZstd;
    case Compression::kNone:
      break;
  }
  return foreign ? oci::kOciLayerNondistributable : oci::kOciLayer;
}

}  // namespace berth::store
