// Content digests ("sha256:<hex>"), the names of every blob, manifest and layer.
#pragma once

#include <compare>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::oci {

// A digest "algorithm:hex". Algorithms are those go-digest registers: sha256 (64 hex), sha384
// (96) and sha512 (128); the hex is lowercase. A default-constructed Digest is empty (str() ==
// "") and is what a descriptor holds before it is filled in.
class Digest {
 public:
  Digest() = default;

  // Parses "sha256:<64 lowercase hex>" (or sha384/sha512 with their lengths). Anything else is
  // InvalidArgument "invalid digest 'x'". Syntax only: nothing is hashed.
  static Result<Digest> parse(std::string_view s);

  // The SHA-256 digest of `data`.
  static Digest sha256_of(std::string_view data);

  // Wraps a SHA-256 hex string the caller computed or already validated (64 lowercase hex).
  // Not checked: pass only hashes from Sha256 or names that went through is_hex.
  static Digest from_sha256_hex(std::string hex);

  // The number of hex characters of an algorithm's digests, 0 for an unknown algorithm.
  static size_t hex_length(std::string_view algorithm);

  const std::string& str() const { return value_; }
  bool empty() const { return value_.empty(); }
  // "sha256"; empty for an empty digest.
  std::string_view algorithm() const;
  // The hex part after the colon; empty for an empty digest.
  std::string_view hex() const;
  // The first 12 hex characters, as docker shows image IDs.
  std::string short_id() const;

  friend bool operator==(const Digest&, const Digest&) = default;
  friend std::strong_ordering operator<=>(const Digest& a, const Digest& b) {
    return a.value_ <=> b.value_;
  }

 private:
  explicit Digest(std::string value) : value_(std::move(value)) {}

  std::string value_;
};

}  // namespace berth::oci

template <>
struct std::hash<berth::oci::Digest> {
  size_t operator()(const berth::oci::Digest& d) const noexcept {
    return std::hash<std::string>()(d.str());
  }
};
