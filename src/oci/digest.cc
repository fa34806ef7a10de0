#include "oci/digest.h"

#include <fmt/format.h>

#include "base/sha256.h"

namespace berth::oci {

namespace {

bool is_lower_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

}  // namespace

size_t Digest::hex_length(std::string_view algorithm) {
  if (algorithm == "sha256") {
    return 64;
  }
  if (algorithm == "sha384") {
    return 96;
  }
  if (algorithm == "sha512") {
    return 128;
  }
  return 0;
}

Result<Digest> Digest::parse(std::string_view s) {
  auto colon = s.find(':');
  if (colon != std::string_view::npos) {
    std::string_view algo = s.substr(0, colon);
    std::string_view hex = s.substr(colon + 1);
    size_t want = hex_length(algo);
    if (want != 0 && hex.size() == want && is_lower_hex(hex)) {
      return Digest(std::string(s));
    }
  }
  return fail(Code::kInvalidArgument, fmt::format("invalid digest '{}'", s));
}

Digest Digest::sha256_of(std::string_view data) { return from_sha256_hex(Sha256::hex_of(data)); }

Digest Digest::from_sha256_hex(std::string hex) { return Digest("sha256:" + hex); }

std::string_view Digest::algorithm() const {
  std::string_view v = value_;
  auto colon = v.find(':');
  return colon == std::string_view::npos ? std::string_view() : v.substr(0, colon);
}

std::string_view Digest::hex() const {
  std::string_view v = value_;
  auto colon = v.find(':');
  return colon == std::string_view::npos ? std::string_view() : v.substr(colon + 1);
}

std::string Digest::short_id() const { return std::string(hex().substr(0, 12)); }

}  // namespace berth::oci
