#include "base/sha256.h"

// The low-level SHA-256 functions, deprecated in OpenSSL 3 in favour of EVP, run the same
// assembly but skip the provider machinery: EVP's first use loads openssl.cnf and initialises
// the default provider, a few milliseconds of every berth command that reads a blob.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

namespace berth {

struct Sha256::Impl {
  SHA256_CTX ctx;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) { SHA256_Init(&impl_->ctx); }
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, size_t len) { SHA256_Update(&impl_->ctx, data, len); }

std::string Sha256::hex() const {
  SHA256_CTX copy = impl_->ctx;  // the hasher may keep being updated afterwards
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256_Final(md, &copy);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * SHA256_DIGEST_LENGTH);
  for (unsigned char b : md) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

std::string Sha256::hex_of(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.hex();
}

}  // namespace berth
