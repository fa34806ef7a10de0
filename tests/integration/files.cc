// Files, digests and tree snapshots for the tests.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sandbox.h"

namespace fs = std::filesystem;

namespace berth::it {

namespace {

// FIPS 180-4 SHA-256, written out so the tests depend on no crypto library.
class Sha256 {
 public:
  void update(std::string_view data) {
    for (unsigned char c : data) {
      block_[fill_++] = c;
      if (fill_ == 64) {
        compress();
        fill_ = 0;
      }
    }
    bits_ += static_cast<uint64_t>(data.size()) * 8;
  }

  std::string hex() {
    uint64_t bits = bits_;
    block_[fill_++] = 0x80;
    if (fill_ > 56) {
      std::fill(block_.begin() + fill_, block_.end(), 0);
      compress();
      fill_ = 0;
    }
    std::fill(block_.begin() + fill_, block_.begin() + 56, 0);
    for (int i = 0; i < 8; ++i) {
      block_[63 - i] = static_cast<unsigned char>(bits >> (8 * i));
    }
    compress();
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (uint32_t v : h_) {
      for (int i = 28; i >= 0; i -= 4) {
        out += digits[(v >> i) & 0xf];
      }
    }
    return out;
  }

 private:
  static uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

  void compress() {
    static constexpr std::array<uint32_t, 64> k = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2};
    std::array<uint32_t, 64> w{};
    for (int i = 0; i < 16; ++i) {
      w[i] = (uint32_t{block_[4 * i]} << 24) | (uint32_t{block_[4 * i + 1]} << 16) |
             (uint32_t{block_[4 * i + 2]} << 8) | uint32_t{block_[4 * i + 3]};
    }
    for (int i = 16; i < 64; ++i) {
      uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4], f = h_[5], g = h_[6], h = h_[7];
    for (int i = 0; i < 64; ++i) {
      uint32_t t1 =
          h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
      uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    h_[0] += a;
    h_[1] += b;
    h_[2] += c;
    h_[3] += d;
    h_[4] += e;
    h_[5] += f;
    h_[6] += g;
    h_[7] += h;
  }

  std::array<uint32_t, 8> h_ = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::array<unsigned char, 64> block_{};
  size_t fill_ = 0;
  uint64_t bits_ = 0;
};

char type_letter(const struct stat& st) {
  if (S_ISREG(st.st_mode)) {
    return 'f';
  }
  if (S_ISDIR(st.st_mode)) {
    return 'd';
  }
  if (S_ISLNK(st.st_mode)) {
    return 'l';
  }
  if (S_ISFIFO(st.st_mode)) {
    return 'p';
  }
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    return 'c';
  }
  return '?';
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.hex();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << path << ": " << std::strerror(errno);
    return "";
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, std::string_view data, int mode) {
  fs::create_directories(fs::path(path).parent_path());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    ADD_FAILURE() << "cannot write " << path << ": " << std::strerror(errno);
    return;
  }
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n <= 0) {
      ADD_FAILURE() << "short write to " << path;
      break;
    }
    done += static_cast<size_t>(n);
  }
  ::fchmod(fd, static_cast<mode_t>(mode));
  ::close(fd);
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

std::vector<std::string> list_tree(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_directory(ec) || it->is_symlink(ec)) {
      out.push_back(fs::relative(it->path(), dir).string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> find_named(const std::string& dir, const std::string& name) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->path().filename() == name) {
      out.push_back(fs::relative(it->path(), dir).string());
    }
  }
  return out;
}

Json parse_json(const std::string& text, const std::string& what) {
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    ADD_FAILURE() << what << " is not valid JSON:\n" << text.substr(0, 2000);
    return nullptr;
  }
  return j;
}

TreeSnapshot snapshot_tree(const std::string& root) {
  TreeSnapshot snap;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    std::string p = it->path().string();
    // The listing cache (engine/image_summaries.h) is derived data any reader may write; it is
    // not part of what a refused command must leave as it was.
    if (it.depth() == 0 && it->path().filename() == "summaries.json") {
      continue;
    }
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) {
      continue;  // gone while we walked: the next snapshot shows it
    }
    char mode[16];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    std::string desc = std::string(1, type_letter(st)) + " " + mode;
    if (S_ISREG(st.st_mode)) {
      Sha256 h;
      std::ifstream in(p, std::ios::binary);
      char buf[1 << 16];
      while (in.read(buf, sizeof buf) || in.gcount() > 0) {
        h.update(std::string_view(buf, static_cast<size_t>(in.gcount())));
      }
      desc += " " + std::to_string(st.st_size) + " " + h.hex();
    } else if (S_ISLNK(st.st_mode)) {
      desc += " -> " + fs::read_symlink(it->path(), ec).string();
    }
    snap.entries[fs::relative(it->path(), root).string()] = desc;
  }
  return snap;
}

std::string TreeSnapshot::diff_from(const TreeSnapshot& before) const {
  std::string out;
  size_t shown = 0;
  auto note = [&](const std::string& line) {
    if (++shown <= 40) {
      out += line + "\n";
    }
  };
  for (const auto& [path, desc] : entries) {
    auto it = before.entries.find(path);
    if (it == before.entries.end()) {
      note("added:   " + path + " (" + desc + ")");
    } else if (it->second != desc) {
      note("changed: " + path + " (" + it->second + " => " + desc + ")");
    }
  }
  for (const auto& [path, desc] : before.entries) {
    if (entries.find(path) == entries.end()) {
      note("removed: " + path + " (" + desc + ")");
    }
  }
  if (shown > 40) {
    out += "... and " + std::to_string(shown - 40) + " more\n";
  }
  return out;
}

}  // namespace berth::it
