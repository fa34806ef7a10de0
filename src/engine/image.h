// Image: one image as the engine sees it, read from the store: its manifest, its config and the
// names that point at it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "oci/descriptor.h"
#include "oci/digest.h"
#include "oci/image_config.h"
#include "oci/manifest.h"

namespace berth::engine {

struct Image {
  oci::Descriptor manifest_desc;  // as in index.json (without the ref name annotation)
  oci::Manifest manifest;
  oci::Digest id;  // the config digest, docker's image ID
  oci::ImageConfig config;
  std::string config_bytes;
  std::vector<std::string> refs;  // full normalised references, sorted; empty when dangling
  // "<name>@<digest>" for each repository a registry knows the image in (pulled from or pushed
  // to; registry/distribution.h), normalised names, oldest first: docker's RepoDigests.
  std::vector<std::string> repo_digests;
  std::vector<int64_t> layer_sizes;  // file bytes of each layer, in rootfs.diff_ids order
  int64_t size = 0;                  // bytes of the files of its layers (docker's Size)
  int64_t created_nanos = 0;         // from config.created; 0 when absent or unparsable
  // Only manifest_desc, id, refs, repo_digests, size, created_nanos and config.config.labels
  // are filled
  // (ImageDetail::kSummary).
  bool summary_only = false;
};

}  // namespace berth::engine
