#include "engine/seccomp_cache.h"

#include <sys/stat.h>

#include <cstring>

#include <fmt/format.h>

#include "base/fs.h"

namespace berth::engine {

namespace {

constexpr std::string_view kMagic = "berth-bpf-1\n";

// magic, key length (u32), key, flags (u32), instruction count (u32), instructions.
std::string encode(const std::string& key, const sys::SeccompProgram& p) {
  std::string out(kMagic);
  auto put32 = [&out](uint32_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); };
  put32(static_cast<uint32_t>(key.size()));
  out += key;
  put32(p.flags);
  put32(static_cast<uint32_t>(p.instructions.size()));
  out.append(reinterpret_cast<const char*>(p.instructions.data()),
             p.instructions.size() * sizeof(sock_filter));
  return out;
}

std::optional<sys::SeccompProgram> decode(std::string_view data, const std::string& key) {
  size_t pos = 0;
  auto take = [&](size_t n) -> std::optional<std::string_view> {
    if (data.size() - pos < n) {
      return std::nullopt;
    }
    auto s = data.substr(pos, n);
    pos += n;
    return s;
  };
  auto get32 = [&]() -> std::optional<uint32_t> {
    auto s = take(sizeof(uint32_t));
    if (!s) {
      return std::nullopt;
    }
    uint32_t v = 0;
    std::memcpy(&v, s->data(), sizeof v);
    return v;
  };
  auto magic = take(kMagic.size());
  auto key_len = magic && *magic == kMagic ? get32() : std::nullopt;
  auto stored_key = key_len ? take(*key_len) : std::nullopt;
  if (!stored_key || *stored_key != key) {
    return std::nullopt;
  }
  auto flags = get32();
  auto count = get32();
  if (!flags || !count || data.size() - pos != size_t{*count} * sizeof(sock_filter)) {
    return std::nullopt;
  }
  sys::SeccompProgram p;
  p.flags = *flags;
  p.instructions.resize(*count);
  std::memcpy(p.instructions.data(), data.data() + pos, data.size() - pos);
  return p;
}

}  // namespace

std::string binary_identity() {
  struct stat st {};
  if (::stat("/proc/self/exe", &st) != 0) {
    return "unknown";
  }
  return fmt::format("{}:{}:{}:{}.{}", st.st_dev, st.st_ino, st.st_size, st.st_mtim.tv_sec,
                     st.st_mtim.tv_nsec);
}

Result<sys::SeccompProgram> cached_seccomp(
    const std::string& dir, const std::string& key,
    const std::function<Result<sys::SeccompProgram>()>& compile) {
  std::string path = fmt::format("{}/{:016x}.bpf", dir, std::hash<std::string>{}(key));
  if (auto data = read_file(path)) {
    if (auto p = decode(*data, key)) {
      return *p;
    }
  }
  auto p = BERTH_TRY(compile());
  if (mkdir_p(dir, 0700)) {
    (void)write_file_atomic(path, encode(key, p), 0600, Durability::kAtomicOnly);
  }
  return p;
}

}  // namespace berth::engine
