// Incremental SHA-256 (OpenSSL), the hash behind every digest in berth.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace berth {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(const void* data, size_t len);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // Lowercase hex of the digest so far; the hasher may keep being updated afterwards.
  std::string hex() const;

  static std::string hex_of(std::string_view data);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth
