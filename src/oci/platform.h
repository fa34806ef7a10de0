// Platforms ("linux/arm64/v8"): parsing, normalisation and matching after containerd's
// platforms package, and their JSON form in descriptors.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace berth::oci {

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;
  std::string os_version;
  std::vector<std::string> os_features;

  // Parses a specifier as `--platform` takes it: "os", "arch", "os/arch" or "os/arch/variant",
  // with an optional "(os.version)" after the os ("windows(10.0.17763)/amd64"). Names are
  // normalised (aarch64 → arm64, x86_64 → amd64, armhf → arm/v7, i386 → 386, macos →
  // darwin); a lone known OS takes the host's architecture and a lone architecture the host's OS.
  // "linux/arm/v7" stays as given; "linux/arm" leaves the default v7 implicit. InvalidArgument
  // naming the specifier for anything else.
  static Result<Platform> parse(std::string_view specifier);

  // The platform this process runs on (uname), e.g. linux/amd64 or linux/arm64/v8.
  static Platform host();

  // The same platform with names normalised for comparison (containerd's Normalize): arm64 "v8"
  // becomes "", arm without a variant becomes "v7", amd64 "v1" becomes "".
  Platform normalized() const;

  // "os/arch[/variant]"; "unknown" without an OS.
  std::string str() const;

  // Whether an image for this platform runs on `want`: same OS and architecture after
  // normalisation, and the same variant, any variant when want has none, or an older variant of
  // the same line (want arm/v7 takes v6 and v5; want amd64/v3 takes v2 and v1).
  bool matches(const Platform& want) const;

  // How well this platform serves `want`: 0 for an exact match, larger for worse fallbacks, -1
  // when it does not match at all. select_platform picks the lowest.
  int match_rank(const Platform& want) const;

  // OCI JSON: architecture, os, os.version?, os.features?, variant? (Go's field order).
  Json to_json() const;
  // Requires string os and architecture; Corrupt on missing or mistyped members.
  static Result<Platform> from_json(const Json& j);

  friend bool operator==(const Platform&, const Platform&) = default;
};

}  // namespace berth::oci
