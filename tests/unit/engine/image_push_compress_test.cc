#include "engine/image_push_compress.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <random>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "engine/image_push.h"

namespace berth::engine {
namespace {

// A temporary directory removed with everything in it at the end of the test.
struct PushTempDir {
  std::string path;
  PushTempDir() {
    char tmpl[] = "/tmp/berth-push-compress-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~PushTempDir() { (void)remove_tree(path); }
};

// Half random bytes, half repetitive text: both what deflate cannot shrink and what it can.
std::string push_sample(size_t n) {
  std::mt19937 rng(42);
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) {
    s[i] = i % 2048 < 1024 ? static_cast<char>(rng()) : "layer tar text "[i % 15];
  }
  return s;
}

struct PushOutput {
  Compressed result;
  std::string bytes;
};

PushOutput push_compress(const PushTempDir& dir, const std::string& data, store::Compression c,
                         int threads, size_t block) {
  std::string in_path = dir.path + "/in";
  EXPECT_TRUE(write_file_atomic(in_path, data));
  UniqueFd in(::open(in_path.c_str(), O_RDONLY | O_CLOEXEC));
  std::string out_path = dir.path + "/out";
  UniqueFd out(::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  auto r =
      compress_parallel(in.get(), static_cast<int64_t>(data.size()), out.get(), c, threads, block);
  EXPECT_TRUE(r) << r.error().str();
  PushOutput o;
  o.result = r ? *r : Compressed{};
  o.bytes = read_file(out_path).value_or("");
  return o;
}

// What `tool -d -c` makes of the file at path (the real gzip or zstd binary).
std::string push_decompress_with(const std::string& tool, const std::string& path) {
  std::string cmd = tool + " -d -c " + path + " 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[65536];
  size_t n;
  while (p != nullptr && (n = std::fread(buf, 1, sizeof buf, p)) > 0) {
    out.append(buf, n);
  }
  int status = p != nullptr ? ::pclose(p) : -1;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << tool << " -d failed";
  return out;
}

bool tool_present(const std::string& tool) {
  return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

TEST(PushCompression, GzipOutputIsWhatGzipDecompressesToTheInput) {
  if (!tool_present("gzip")) {
    GTEST_SKIP() << "gzip is not installed";
  }
  PushTempDir dir;
  std::string data = push_sample(3 * 1000 * 1000 + 17);
  auto o = push_compress(dir, data, store::Compression::kGzip, 3, 256 * 1024);
  EXPECT_EQ(o.result.size, static_cast<int64_t>(o.bytes.size()));
  EXPECT_EQ(o.result.digest, oci::Digest::sha256_of(o.bytes));
  EXPECT_LT(o.bytes.size(), data.size());
  EXPECT_TRUE(push_decompress_with("gzip", dir.path + "/out") == data);
}

TEST(PushCompression, ZstdOutputIsWhatZstdDecompressesToTheInput) {
  if (!tool_present("zstd")) {
    GTEST_SKIP() << "zstd is not installed";
  }
  PushTempDir dir;
  std::string data = push_sample(2 * 1000 * 1000 + 5);
  auto o = push_compress(dir, data, store::Compression::kZstd, 4, 300 * 1000);
  EXPECT_EQ(o.result.digest, oci::Digest::sha256_of(o.bytes));
  EXPECT_TRUE(push_decompress_with("zstd", dir.path + "/out") == data);
}

TEST(PushCompression, OutputDoesNotDependOnTheNumberOfThreads) {
  PushTempDir dir;
  std::string data = push_sample(1500 * 1000);
  for (auto c : {store::Compression::kGzip, store::Compression::kZstd}) {
    auto one = push_compress(dir, data, c, 1, 100 * 1000);
    auto many = push_compress(dir, data, c, 7, 100 * 1000);
    auto again = push_compress(dir, data, c, 7, 100 * 1000);
    EXPECT_EQ(one.result.digest, many.result.digest);
    EXPECT_EQ(many.result.digest, again.result.digest);
    EXPECT_TRUE(one.bytes == many.bytes);
  }
}

TEST(PushCompression, EmptyLayerGivesAValidEmptyStream) {
  if (!tool_present("gzip")) {
    GTEST_SKIP() << "gzip is not installed";
  }
  PushTempDir dir;
  auto o = push_compress(dir, "", store::Compression::kGzip, 2, 1024);
  EXPECT_GT(o.result.size, 0);
  EXPECT_EQ(push_decompress_with("gzip", dir.path + "/out"), "");
}

TEST(PushCompression, NoFormatIsRefused) {
  auto r = compress_parallel(-1, 10, -1, store::Compression::kNone);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
}

TEST(ManifestIndent, RegistryBytesAreIndentedAsGoIndentsThem) {
  std::string raw = R"({"schemaVersion":2,"mediaType":"m","config":{"digest":"sha256:a","size":1},)"
                    R"("layers":[{"size":2,"urls":[]}],"annotations":{},"s":"a,b:{c}\"d"})";
  std::string want =
      "{\n\t\"schemaVersion\": 2,\n\t\"mediaType\": \"m\",\n\t\"config\": {\n\t\t\"digest\": "
      "\"sha256:a\",\n\t\t\"size\": 1\n\t},\n\t\"layers\": [\n\t\t{\n\t\t\t\"size\": 2,\n\t\t\t"
      "\"urls\": []\n\t\t}\n\t],\n\t\"annotations\": {},\n\t\"s\": \"a,b:{c}\\\"d\"\n}";
  EXPECT_EQ(indent_json_like_go(raw), want);
}

}  // namespace
}  // namespace berth::engine
