// Putting a manifest or an index under a tag or digest, the last step of a push: the registry
// checks then that every blob it names is there.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "oci/digest.h"
#include "registry/session.h"

namespace berth::registry {

// PUT manifests/<tag or digest> with `bytes` as they are and Content-Type `media_type`, retried
// on connection errors, 429 and 5xx. Returns the manifest's digest (the sha256 of bytes; a
// registry's Docker-Content-Digest that disagrees is Corrupt). Errors: the registry's answer
// in one line ("PUT <url>: 400 manifest blob unknown: …"), PermissionDenied for 401/403.
Result<oci::Digest> put_manifest(Session& session, std::string_view tag_or_digest,
                                 std::string_view media_type, const std::string& bytes);

}  // namespace berth::registry
