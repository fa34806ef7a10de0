#include "oci/platform.h"

#include <sys/utsname.h>

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "base/strings.h"
#include "oci/json_fields.h"

namespace berth::oci {

namespace {

// GOOS and GOARCH values Go knows, as containerd's isKnownOS / isKnownArch.
constexpr std::array<std::string_view, 17> kKnownOs = {
    "aix",   "android", "darwin", "dragonfly", "freebsd", "hurd",    "illumos", "ios", "js",
    "linux", "nacl",    "netbsd", "openbsd",   "plan9",   "solaris", "windows", "zos"};
constexpr std::array<std::string_view, 24> kKnownArch = {
    "386",     "amd64",   "amd64p32", "arm",    "armbe",  "arm64",    "arm64be",   "ppc64",
    "ppc64le", "loong64", "mips",     "mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le",
    "ppc",     "riscv",   "riscv64",  "s390",   "s390x",  "sparc",    "sparc64",   "wasm"};

template <size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

std::string normalize_os(std::string_view os) {
  std::string out = to_lower(os);
  return out == "macos" ? "darwin" : out;
}

// containerd's normalizeArch: canonical architecture names and their default variants.
void normalize_arch(std::string& arch, std::string& variant) {
  arch = to_lower(arch);
  variant = to_lower(variant);
  if (arch == "i386") {
    arch = "386";
    variant.clear();
  } else if (arch == "x86_64" || arch == "x86-64" || arch == "amd64") {
    arch = "amd64";
    if (variant == "v1") {
      variant.clear();
    }
  } else if (arch == "aarch64" || arch == "arm64") {
    arch = "arm64";
    if (variant == "8" || variant == "v8" || variant == "v8.0") {
      variant.clear();
    } else if (variant == "9" || variant == "9.0" || variant == "v9.0") {
      variant = "v9";
    }
  } else if (arch == "armhf") {
    arch = "arm";
    variant = "v7";
  } else if (arch == "armel") {
    arch = "arm";
    variant = "v6";
  } else if (arch == "arm") {
    if (variant.empty() || variant == "7") {
      variant = "v7";
    } else if (variant == "5" || variant == "6" || variant == "8") {
      variant = "v" + variant;
    }
  }
}

bool is_specifier_component(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

// The numeric level of a variant in a line that has fallbacks (amd64 v1..v4, arm v5..v8); 0 when
// the architecture has no such line or the variant is not "vN".
int variant_level(std::string_view arch, std::string_view variant) {
  if (arch != "amd64" && arch != "arm") {
    return 0;
  }
  if (arch == "amd64" && variant.empty()) {
    return 1;
  }
  if (variant.size() != 2 || variant[0] != 'v' || variant[1] < '1' || variant[1] > '9') {
    return 0;
  }
  return variant[1] - '0';
}

tl::unexpected<Error> bad_specifier(std::string_view specifier, std::string_view why) {
  return fail(Code::kInvalidArgument, fmt::format("\"{}\": {}", specifier, why));
}

// A specifier of one part: an OS (the host's architecture) or an architecture (the host's OS).
Result<Platform> parse_single(std::string_view part, std::string_view specifier) {
  Platform p;
  p.os = normalize_os(part);
  if (contains(kKnownOs, p.os)) {
    Platform host = Platform::host();
    p.architecture = host.architecture;
    if (host.architecture == "arm" && host.variant != "v7") {
      p.variant = host.variant;
    }
    return p;
  }
  p.os.clear();
  p.architecture = std::string(part);
  normalize_arch(p.architecture, p.variant);
  if (p.architecture == "arm" && p.variant == "v7") {
    p.variant.clear();
  }
  if (!contains(kKnownArch, p.architecture)) {
    return bad_specifier(specifier, "unknown operating system or architecture");
  }
  p.os = Platform::host().os;
  return p;
}

}  // namespace

Result<Platform> Platform::parse(std::string_view specifier) {
  if (specifier.find('*') != std::string_view::npos) {
    return bad_specifier(specifier, "wildcards not yet supported");
  }
  std::vector<std::string> parts = split(specifier, '/');
  std::string os_version;
  if (auto open = parts[0].find('('); open != std::string::npos && parts[0].back() == ')') {
    os_version = parts[0].substr(open + 1, parts[0].size() - open - 2);
    parts[0].resize(open);
  }
  for (const auto& part : parts) {
    if (!is_specifier_component(part)) {
      return fail(Code::kInvalidArgument,
                  fmt::format("\"{}\" is an invalid component of \"{}\": platform specifier "
                              "component must match \"^[A-Za-z0-9_-]+$\"",
                              part, specifier));
    }
  }
  Platform p;
  if (parts.size() == 1) {
    p = BERTH_TRY(parse_single(parts[0], specifier));
  } else if (parts.size() == 2 || parts.size() == 3) {
    p.os = normalize_os(parts[0]);
    p.architecture = parts[1];
    p.variant = parts.size() == 3 ? parts[2] : "";
    normalize_arch(p.architecture, p.variant);
    if (parts.size() == 2 && p.architecture == "arm" && p.variant == "v7") {
      p.variant.clear();
    }
    if (parts.size() == 3 && p.architecture == "arm64" && p.variant.empty()) {
      p.variant = "v8";
    }
  } else {
    return bad_specifier(specifier, "cannot parse platform specifier");
  }
  p.os_version = std::move(os_version);
  return p;
}

Platform Platform::host() {
  Platform p;
  struct utsname u {};
  if (::uname(&u) != 0) {
    return {"linux", "amd64", "", "", {}};
  }
  p.os = normalize_os(u.sysname);
  std::string machine = to_lower(u.machine);
  if (machine == "aarch64" || machine == "arm64") {
    p.architecture = "arm64";
    p.variant = "v8";  // as containerd's DefaultSpec reports it
  } else if (machine.rfind("armv", 0) == 0 && machine.size() >= 5) {
    p.architecture = "arm";
    p.variant = fmt::format("v{}", machine[4]);
  } else if (machine.size() == 4 && machine[0] == 'i' && machine.substr(2) == "86") {
    p.architecture = "386";
  } else {
    p.architecture = machine;
    normalize_arch(p.architecture, p.variant);
  }
  return p;
}

Platform Platform::normalized() const {
  Platform p = *this;
  p.os = normalize_os(os);
  normalize_arch(p.architecture, p.variant);
  return p;
}

std::string Platform::str() const {
  if (os.empty()) {
    return "unknown";
  }
  std::string out = os;
  for (const std::string* part : {&architecture, &variant}) {
    if (!part->empty()) {
      out += "/" + *part;
    }
  }
  return out;
}

int Platform::match_rank(const Platform& want) const {
  Platform have = normalized();
  Platform w = want.normalized();
  if (have.os != w.os || have.architecture != w.architecture) {
    return -1;
  }
  if (have.variant == w.variant) {
    return 0;
  }
  int want_level = variant_level(w.architecture, w.variant);
  int have_level = variant_level(have.architecture, have.variant);
  int floor = w.architecture == "arm" ? 5 : 1;
  if (want_level > 0 && have_level >= floor && have_level < want_level) {
    return want_level - have_level;
  }
  if (w.variant.empty()) {
    return 50;  // want did not name a variant: any will do, after the exact ones
  }
  return -1;
}

bool Platform::matches(const Platform& want) const { return match_rank(want) >= 0; }

Json Platform::to_json() const {
  Json j = Json::object();
  j["architecture"] = architecture;
  j["os"] = os;
  if (!os_version.empty()) {
    j["os.version"] = os_version;
  }
  if (!os_features.empty()) {
    j["os.features"] = os_features;
  }
  if (!variant.empty()) {
    j["variant"] = variant;
  }
  return j;
}

Result<Platform> Platform::from_json(const Json& j) {
  BERTH_CHECK(expect_object(j, "platform"));
  Platform p;
  p.architecture = BERTH_TRY_CTX(require_string(j, "architecture"), "platform");
  p.os = BERTH_TRY_CTX(require_string(j, "os"), "platform");
  BERTH_CHECK_CTX(read_string(j, "variant", p.variant), "platform");
  BERTH_CHECK_CTX(read_string(j, "os.version", p.os_version), "platform");
  BERTH_CHECK_CTX(read_strings(j, "os.features", p.os_features), "platform");
  return p;
}

}  // namespace berth::oci
