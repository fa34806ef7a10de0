// Image references ("busybox", "localhost:5000/app:1.0", "ubuntu@sha256:…") with docker's grammar
// and normalisation (distribution/reference: ParseNormalizedNamed, FamiliarName, TagNameOnly).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "oci/digest.h"

namespace berth::oci {

struct Reference {
  std::string domain;  // "docker.io", "localhost:5000", "[::1]:5000"
  std::string path;    // "library/busybox"
  std::string tag;     // empty when none was given
  std::optional<Digest> digest;

  // Parses and normalises like docker: "busybox" → docker.io/library/busybox (no tag);
  // "index.docker.io/x" → docker.io/library/x. The first component is a registry when it contains
  // '.' or ':', is "localhost", or has uppercase letters; otherwise the name is on docker.io.
  // A reference may carry both a tag and a digest. Errors are InvalidArgument with docker's
  // wording, and name the input:
  //   "invalid reference format: repository name (library/Busybox) must be lowercase"
  //   "invalid repository name (<64 hex>), cannot specify 64-byte hexadecimal strings"
  //   "invalid reference format" (context: reference "x") for any other grammar failure
  //   "repository name must not be more than 255 characters", and go-digest's messages for a
  //   well-formed but invalid digest ("unsupported digest algorithm", …), with the same context.
  static Result<Reference> parse(std::string_view s);

  // domain/path ("docker.io/library/busybox"); just path if there is no domain.
  std::string name() const;
  // name[:tag][@digest]
  std::string str() const;
  // The name as docker shows it: without "docker.io/", and without "library/" for official
  // images ("busybox", "user/app", "localhost:5000/app").
  std::string familiar_name() const;
  // familiar_name()[:tag][@digest]
  std::string familiar() const;
  bool has_tag() const { return !tag.empty(); }
  // This reference with tag "latest" if it has neither a tag nor a digest (TagNameOnly).
  Reference with_default_tag() const;

  friend bool operator==(const Reference&, const Reference&) = default;
};

}  // namespace berth::oci
