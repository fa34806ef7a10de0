#include "oci/digest.h"

#include <set>
#include <unordered_set>

#include <gtest/gtest.h>

namespace berth::oci {
namespace {

constexpr std::string_view kAbcSha256 =
    "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST(Digest, Sha256OfHashesTheBytes) {
  EXPECT_EQ(Digest::sha256_of("abc").str(), kAbcSha256);
  EXPECT_EQ(Digest::sha256_of("").str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Digest, ParseAcceptsSha256AndSplitsAlgorithmAndHex) {
  auto d = Digest::parse(kAbcSha256);
  ASSERT_TRUE(d) << d.error().str();
  EXPECT_EQ(d->str(), kAbcSha256);
  EXPECT_EQ(d->algorithm(), "sha256");
  EXPECT_EQ(d->hex(), kAbcSha256.substr(7));
  EXPECT_EQ(d->short_id(), "ba7816bf8f01");
  EXPECT_EQ(*d, Digest::sha256_of("abc"));
}

TEST(Digest, ParseAcceptsSha512AndSha384ByLength) {
  EXPECT_TRUE(Digest::parse("sha512:" + std::string(128, 'f')));
  EXPECT_TRUE(Digest::parse("sha384:" + std::string(96, '0')));
  EXPECT_FALSE(Digest::parse("sha512:" + std::string(64, 'f')));
}

TEST(Digest, ParseRejectsMalformedDigestsNamingThem) {
  const std::string hex(64, 'a');
  for (const std::string& bad : std::vector<std::string>{
           std::string(""), std::string("sha256"), std::string("sha256:"), hex,
           "sha256:" + hex + "a", "sha256:" + hex.substr(1), "SHA256:" + hex,
           "sha256:" + std::string(64, 'A'), "md5:" + std::string(32, 'a'),
           "sha256:" + std::string(63, 'a') + "g", ":" + hex, "sha256::" + hex}) {
    auto d = Digest::parse(bad);
    ASSERT_FALSE(d) << bad;
    EXPECT_EQ(d.error().code(), Code::kInvalidArgument);
    EXPECT_EQ(d.error().message(), "invalid digest '" + bad + "'");
  }
}

TEST(Digest, FromSha256HexPrefixesTheAlgorithm) {
  Digest d = Digest::from_sha256_hex(std::string(64, 'c'));
  EXPECT_EQ(d.str(), "sha256:" + std::string(64, 'c'));
  EXPECT_EQ(d.algorithm(), "sha256");
}

TEST(Digest, DefaultDigestIsEmpty) {
  Digest d;
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(d.str(), "");
  EXPECT_EQ(d.algorithm(), "");
  EXPECT_EQ(d.hex(), "");
  EXPECT_EQ(d.short_id(), "");
  EXPECT_FALSE(Digest::sha256_of("x").empty());
}

TEST(Digest, OrdersAndHashesByItsText) {
  Digest a = Digest::from_sha256_hex(std::string(64, 'a'));
  Digest b = Digest::from_sha256_hex(std::string(64, 'b'));
  EXPECT_LT(a, b);
  EXPECT_NE(a, b);
  EXPECT_EQ(a, Digest::from_sha256_hex(std::string(64, 'a')));
  std::set<Digest> ordered{b, a, b};
  EXPECT_EQ(ordered.size(), 2u);
  EXPECT_EQ(*ordered.begin(), a);
  std::unordered_set<Digest> hashed{a, b, a};
  EXPECT_EQ(hashed.size(), 2u);
  EXPECT_EQ(std::hash<Digest>()(a), std::hash<std::string>()(a.str()));
}

TEST(Digest, HexLengthKnowsTheRegisteredAlgorithms) {
  EXPECT_EQ(Digest::hex_length("sha256"), 64u);
  EXPECT_EQ(Digest::hex_length("sha384"), 96u);
  EXPECT_EQ(Digest::hex_length("sha512"), 128u);
  EXPECT_EQ(Digest::hex_length("md5"), 0u);
}

}  // namespace
}  // namespace berth::oci
