#include "store/decompress.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace berth::store {
namespace {

// Deterministic, somewhat compressible data.
std::string sample(size_t n, unsigned seed = 1) {
  std::string s(n, '\0');
  unsigned x = seed;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245 + 12345;
    s[i] = static_cast<char>("abcdefgh0123\n "[(x >> 16) % 14]);
  }
  return s;
}

std::string gzip_at_level(const std::string& in, int level = -1) {
  std::string out;
  StringWriter sw(&out);
  auto w = make_gzip_writer(&sw, level);
  EXPECT_TRUE(w->write(in.data(), in.size()));
  EXPECT_TRUE(w->finish());
  return out;
}

std::string zstd(const std::string& in, int level = 3) {
  std::string out;
  StringWriter sw(&out);
  auto w = make_zstd_writer(&sw, level);
  EXPECT_TRUE(w->write(in.data(), in.size()));
  EXPECT_TRUE(w->finish());
  return out;
}

// Reads through open_decompressing with a small, odd buffer to exercise every boundary.
Result<std::string> decompress(const std::string& data, size_t bufsize = 4093) {
  StringReader raw(data);
  auto r = BERTH_TRY(open_decompressing(&raw));
  std::string out;
  std::string buf(bufsize, '\0');
  while (true) {
    size_t n = BERTH_TRY(r->read(buf.data(), buf.size()));
    if (n == 0) {
      return out;
    }
    out.append(buf.data(), n);
  }
}

// Hands out one byte per read, like a slow pipe.
class TrickleReader : public Reader {
 public:
  explicit TrickleReader(std::string_view data) : data_(data) {}
  Result<size_t> read(void* buf, size_t len) override {
    if (data_.empty() || len == 0) {
      return 0;
    }
    *static_cast<char*>(buf) = data_[0];
    data_.remove_prefix(1);
    return 1;
  }

 private:
  std::string_view data_;
};

TEST(Decompress, SniffRecognisesGzipZstdAndPlain) {
  EXPECT_EQ(*sniff_compression("\x1f\x8b\x08\x00\x00\x00"), Compression::kGzip);
  EXPECT_EQ(*sniff_compression("\x28\xb5\x2f\xfd\x00\x00"), Compression::kZstd);
  EXPECT_EQ(*sniff_compression("hello/"), Compression::kNone);
  EXPECT_EQ(*sniff_compression(""), Compression::kNone);
  EXPECT_EQ(*sniff_compression("\x1f"), Compression::kNone);
}

TEST(Decompress, SniffRefusesBzip2AndXzAsUnsupported) {
  auto bz = sniff_compression("BZh91AY");
  ASSERT_FALSE(bz);
  EXPECT_EQ(bz.error().code(), Code::kUnsupported);
  EXPECT_NE(bz.error().message().find("bzip2"), std::string::npos);
  auto xz = sniff_compression(std::string("\xfd\x37\x7a\x58\x5a\x00\x00", 7));
  ASSERT_FALSE(xz);
  EXPECT_EQ(xz.error().code(), Code::kUnsupported);
  EXPECT_NE(xz.error().message().find("xz"), std::string::npos);
}

TEST(Decompress, PlainStreamPassesThroughUnchanged) {
  for (const std::string& s : {std::string(), std::string("ab"), sample(100000)}) {
    auto out = decompress(s);
    ASSERT_TRUE(out) << out.error().str();
    EXPECT_EQ(*out, s);
  }
}

TEST(Decompress, GzipRoundTripsLargeInput) {
  std::string in = sample(5 << 20);
  std::string gz = gzip_at_level(in, 1);
  EXPECT_LT(gz.size(), in.size());
  auto out = decompress(gz);
  ASSERT_TRUE(out) << out.error().str();
  EXPECT_EQ(*out, in);
}

TEST(Decompress, GzipOfTheSameInputIsTheSameBytes) {
  EXPECT_EQ(gzip_at_level(sample(1000)), gzip_at_level(sample(1000)));
}

TEST(Decompress, MultiMemberGzipReadsAsOneStream) {
  std::string a = sample(300000, 1);
  std::string b = sample(70000, 2);
  std::string gz = gzip_at_level(a) + gzip_at_level("") + gzip_at_level(b);
  auto out = decompress(gz);
  ASSERT_TRUE(out) << out.error().str();
  EXPECT_EQ(*out, a + b);
}

TEST(Decompress, GzipReadOneByteAtATime) {
  std::string in = sample(20000);
  std::string gz = gzip_at_level(in) + gzip_at_level("tail");
  TrickleReader raw(gz);
  auto r = open_decompressing(&raw);
  ASSERT_TRUE(r);
  std::string out;
  char c;
  while (true) {
    auto n = (*r)->read(&c, 1);
    ASSERT_TRUE(n) << n.error().str();
    if (*n == 0) {
      break;
    }
    out += c;
  }
  EXPECT_EQ(out, in + "tail");
}

TEST(Decompress, ZstdRoundTripsLargeInput) {
  std::string in = sample(5 << 20);
  auto out = decompress(zstd(in));
  ASSERT_TRUE(out) << out.error().str();
  EXPECT_EQ(*out, in);
}

TEST(Decompress, MultiFrameZstdWithSkippableFrameReadsAsOneStream) {
  std::string a = sample(200000, 3);
  std::string b = sample(1000, 4);
  // A skippable frame: magic 0x184D2A50 little-endian, 4-byte length, payload.
  std::string skippable("\x50\x2a\x4d\x18\x03\x00\x00\x00xyz", 11);
  auto out = decompress(zstd(a) + skippable + zstd(b));
  ASSERT_TRUE(out) << out.error().str();
  EXPECT_EQ(*out, a + b);
}

TEST(Decompress, TruncatedGzipIsCorrupt) {
  std::string gz = gzip_at_level(sample(100000));
  for (size_t cut : {gz.size() - 1, gz.size() - 8, gz.size() / 2, size_t{10}}) {
    auto out = decompress(gz.substr(0, cut));
    ASSERT_FALSE(out) << "cut at " << cut;
    EXPECT_EQ(out.error().code(), Code::kCorrupt);
    EXPECT_EQ(out.error().message(), "truncated gzip stream");
  }
}

TEST(Decompress, CorruptByteInGzipIsCorrupt) {
  std::string gz = gzip_at_level(sample(100000));
  for (size_t pos : {size_t{3}, gz.size() / 2, gz.size() - 6}) {
    std::string bad = gz;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x55);
    auto out = decompress(bad);
    ASSERT_FALSE(out) << "flipped byte " << pos;
    EXPECT_EQ(out.error().code(), Code::kCorrupt);
    EXPECT_EQ(out.error().message().rfind("invalid gzip data: ", 0), 0u) << out.error().str();
  }
}

TEST(Decompress, GarbageAfterTheLastGzipMemberIsCorrupt) {
  auto out = decompress(gzip_at_level("abc") + "garbage");
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code(), Code::kCorrupt);
  EXPECT_EQ(out.error().message().rfind("invalid gzip data: ", 0), 0u) << out.error().str();
}

TEST(Decompress, TruncatedOrCorruptZstdIsCorrupt) {
  std::string z = zstd(sample(100000));
  auto cut = decompress(z.substr(0, z.size() - 3));
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().code(), Code::kCorrupt);
  EXPECT_EQ(cut.error().message(), "truncated zstd stream");
  std::string bad = z;
  bad[bad.size() - 2] = static_cast<char>(bad[bad.size() - 2] ^ 0x55);  // in the checksum
  auto flipped = decompress(bad);
  ASSERT_FALSE(flipped);
  EXPECT_EQ(flipped.error().code(), Code::kCorrupt);
  EXPECT_EQ(flipped.error().message().rfind("invalid zstd data: ", 0), 0u);
}

TEST(Decompress, ErrorsOfTheRawReaderPassThrough) {
  std::string gz = gzip_at_level(sample(100000));
  class Cut : public Reader {
   public:
    explicit Cut(std::string data) : data_(std::move(data)) {}
    Result<size_t> read(void* buf, size_t len) override {
      if (pos_ >= 1000) {
        return fail(Code::kUnavailable, "connection reset");
      }
      size_t n = std::min({len, data_.size() - pos_, 1000 - pos_});
      std::memcpy(buf, data_.data() + pos_, n);
      pos_ += n;
      return n;
    }
    std::string data_;
    size_t pos_ = 0;
  };
  Cut raw(gz);
  auto r = open_decompressing(&raw);
  ASSERT_TRUE(r);
  std::string buf(1 << 16, '\0');
  Result<size_t> n = 0;
  while ((n = (*r)->read(buf.data(), buf.size())) && *n > 0) {
  }
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code(), Code::kUnavailable);
}

}  // namespace
}  // namespace berth::store
