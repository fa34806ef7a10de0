// The names by which a layer tar marks deletions (the OCI image spec's whiteouts), shared by
// layer_apply (reading them) and layer_diff (writing them). Internal to store/.
#pragma once

#include <string_view>

namespace berth::store {

// ".wh.<name>" deletes <name> from the layers below.
inline constexpr std::string_view kWhiteoutPrefix = ".wh.";
// A directory holding this entry hides everything the layers below have in it.
inline constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";

}  // namespace berth::store
