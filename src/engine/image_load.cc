// `berth load`: images from a docker-archive (docker save, any version; skopeo's
// docker-archive:) or an OCI layout tar (oci-archive:), plain or compressed as a whole.
//
// The archive is read once, front to back, because it may come from a pipe and its layers may
// be gigabytes: every entry that is not a small top-level JSON document goes straight into the
// blob store as it passes (a `blobs/<alg>/<hex>` entry must hash to its name), documents stay in
// memory. Then the images are resolved, every layer is ingested from its stored blob (checked
// against the config's diff ID, decompressed and applied), and only at the very end index.json
// names them. A failure at any point removes whatever this load added to the store, so the store
// is as it was.
#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "base/json.h"
#include "engine/archive_io.h"
#include "engine/engine.h"
#include "oci/docker_archive.h"
#include "oci/index.h"
#include "oci/media_types.h"
#include "oci/reference.h"
#include "store/layer_ingest.h"

namespace berth::engine {

namespace {

constexpr int64_t kMaxDocument = 4 << 20;  // the largest manifest or config read back

struct LoadedImage {
  oci::Descriptor desc;           // the manifest as stored
  oci::Digest id;                 // its config's digest
  std::vector<std::string> refs;  // full normalised references
};

// A manifest the store already has, for an image ID (config digest): a docker-archive image
// the store holds already keeps its manifest, and loading an image under a new manifest drops
// the old manifest's entry if nothing names it any more (docker knows images by ID only, so a
// `save | load` round trip must not leave a <none> twin).
struct StoredManifest {
  oci::Descriptor desc;
  std::vector<oci::Digest> layers;
};
using StoredImages = std::multimap<oci::Digest, StoredManifest>;

// The store's image manifests by config digest; manifests that cannot be read are left out
// (they cannot be reused, and nothing is removed because of them).
Result<StoredImages> stored_images(const store::Store& store) {
  StoredImages out;
  std::set<oci::Digest> seen;
  for (const auto& e : BERTH_TRY(store.index().load())) {
    if (!oci::is_manifest_type(e.manifest.media_type) || !seen.insert(e.manifest.digest).second) {
      continue;
    }
    auto bytes = store.blobs().read(e.manifest.digest);
    auto m = bytes ? oci::Manifest::parse(*bytes, e.manifest.digest.str())
                   : Result<oci::Manifest>(tl::unexpected(bytes.error()));
    if (!m) {
      continue;
    }
    StoredManifest s{e.manifest, {}};
    s.desc.annotations.clear();
    for (const auto& l : m->layers) {
      s.layers.push_back(l.digest);
    }
    out.emplace(m->config.digest, std::move(s));
  }
  return out;
}

// ---- resolving what the archive describes ----

// The stored blob an archive path names (through links).
Result<oci::Digest> blob_at(const ArchiveContents& c, const std::string& path) {
  std::string p = c.follow(clean_archive_path(path));
  auto it = c.blobs.find(p);
  if (it == c.blobs.end()) {
    return fail(Code::kCorrupt, fmt::format("{}: not in the archive", path));
  }
  return it->second;
}

// A small document (manifest, config) the archive holds at `path`: kept in memory, or a stored
// blob read back (and re-verified).
Result<std::string> document_at(const store::Store& store, const ArchiveContents& c,
                                const std::string& path) {
  std::string p = c.follow(clean_archive_path(path));
  if (auto it = c.docs.find(p); it != c.docs.end()) {
    return it->second;
  }
  oci::Digest d = BERTH_TRY(blob_at(c, path));
  if (BERTH_TRY(store.blobs().size(d)) > kMaxDocument) {
    return fail(Code::kCorrupt, fmt::format("{}: too large for a JSON document", path));
  }
  return BERTH_TRY_CTX(store.blobs().read(d), path);
}

// The blob an OCI layout's descriptor names: in the archive or, being content addressed, in the
// store already; its size must be the descriptor's.
Result<oci::Digest> layout_blob(const store::Store& store, const ArchiveContents& c,
                                const oci::Descriptor& desc) {
  std::string path = layout_blob_path(desc.digest);
  auto d = blob_at(c, path);
  if (!d && !store.blobs().has(desc.digest)) {
    return tl::unexpected(std::move(d.error()));
  }
  int64_t size = BERTH_TRY(store.blobs().size(desc.digest));
  if (size != desc.size) {
    return fail(Code::kCorrupt, fmt::format("{}: size {} does not match its descriptor's {}", path,
                                            size, desc.size));
  }
  return desc.digest;
}

Result<oci::Descriptor> put_document(const store::Store& store, std::string_view media_type,
                                     const std::string& bytes, LoadUndo& undo) {
  oci::Descriptor desc;
  desc.media_type = std::string(media_type);
  desc.size = static_cast<int64_t>(bytes.size());
  bool existed = store.blobs().has(oci::Digest::sha256_of(bytes));
  desc.digest = BERTH_TRY(store.blobs().put(bytes));
  if (!existed) {
    undo.added_blob(desc.digest);
  }
  undo.keep(desc.digest);
  return desc;
}

// What a loaded image's manifest names for a layer: the uncompressed tar (docker-archive, whose
// manifest berth writes) or the archive's blob as it is, compressed or not (OCI layout, whose
// manifest is kept byte for byte).
enum class LayerBlob { kTar, kAsIs };

// Ingests the layer stored as `blob` (compressed or not): its uncompressed tar must hash to
// `diff_id`; the layer is applied unless the store has it, and the blob the manifest names is
// kept. The tar is written as a blob only when the manifest names it and it is not stored.
Result<store::IngestedLayer> ingest(const store::Store& store, const oci::Digest& blob,
                                    const oci::Digest& diff_id, LayerBlob named,
                                    const std::string& what, LoadUndo& undo) {
  if (blob == diff_id && store.layers().has(diff_id)) {
    int64_t size = BERTH_TRY(store.blobs().size(blob));  // the blob was hashed on the way in
    undo.keep(blob);
    return store::IngestedLayer{diff_id, size, blob, size};
  }
  bool had_layer = store.layers().has(diff_id);
  store::IngestOptions opts{diff_id, blob, false};
  opts.store_tar = named == LayerBlob::kTar && blob != diff_id && !store.blobs().has(diff_id);
  auto fd = BERTH_TRY(store.blobs().open(blob));
  FdReader in(fd.get());
  auto layer = BERTH_TRY(store::ingest_layer(store, in, what, opts));
  if (opts.store_tar) {
    undo.added_blob(diff_id);
  }
  if (!had_layer) {
    undo.added_layer(diff_id);
  }
  undo.keep(named == LayerBlob::kTar ? diff_id : blob);
  return layer;
}

Result<std::string> tag_ref(const std::string& name, std::string_view what) {
  auto ref = BERTH_TRY_CTX(oci::Reference::parse(name), std::string(what));
  if (ref.digest || !ref.has_tag()) {
    return fail(Code::kCorrupt, fmt::format("{}: invalid tag \"{}\"", what, name));
  }
  return ref.str();
}

Result<void> check_layer_count(const oci::ImageConfig& config, size_t layers,
                               const std::string& config_path) {
  if (config.diff_ids.size() != layers) {
    return fail(Code::kCorrupt, fmt::format("{}: rootfs.diff_ids lists {} layers, the manifest {}",
                                            config_path, config.diff_ids.size(), layers));
  }
  return {};
}

// ---- docker-archive ----

// One manifest.json entry. The stored manifest is the one skopeo generates for the same
// archive (`skopeo inspect --raw docker-archive:FILE` reports it, containers/image
// docker/internal/tarfile), so both tools give an image the same manifest digest:
//   {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
//    "config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":N,
//              "digest":"<sha256 of the config file>"},
//    "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip",
//               "size":<uncompressed size>,"digest":"<diff ID>"}, …]}
// The layer type says tar.gzip even though the blob is the uncompressed tar (skopeo's
// choice, checked with skopeo 1.9: size and digest are those of the uncompressed tar even when
// the archive's layer file is gzip-compressed).
Result<LoadedImage> load_docker_entry(const store::Store& store, const ArchiveContents& c,
                                      const StoredImages& stored, const oci::DockerArchiveEntry& e,
                                      LoadUndo& undo) {
  LoadedImage out;
  for (const auto& t : e.repo_tags) {
    out.refs.push_back(BERTH_TRY(tag_ref(t, "manifest.json")));
  }
  std::string config_bytes = BERTH_TRY(document_at(store, c, e.config));
  auto config = BERTH_TRY(oci::ImageConfig::parse(config_bytes, e.config));
  BERTH_CHECK(check_layer_count(config, e.layers.size(), e.config));
  std::vector<oci::Digest> blobs;
  for (const auto& path : e.layers) {
    blobs.push_back(BERTH_TRY(blob_at(c, path)));
  }
  oci::Manifest m;
  m.media_type = std::string(oci::kDockerManifest);
  m.config = BERTH_TRY(put_document(store, oci::kDockerConfig, config_bytes, undo));
  for (size_t i = 0; i < blobs.size(); ++i) {
    auto layer =
        BERTH_TRY(ingest(store, blobs[i], config.diff_ids[i], LayerBlob::kTar, e.layers[i], undo));
    oci::Descriptor d;
    d.media_type = std::string(oci::kDockerLayer);
    d.digest = layer.diff_id;
    d.size = layer.tar_size;
    m.layers.push_back(std::move(d));
  }
  out.id = m.config.digest;
  auto [first, last] = stored.equal_range(out.id);
  for (auto it = first; it != last; ++it) {
    if (it->second.layers == config.diff_ids) {
      out.desc = it->second.desc;  // the image is here already: keep its manifest
      return out;
    }
  }
  out.desc = BERTH_TRY(put_document(store, oci::kDockerManifest, m.serialize(), undo));
  return out;
}

Result<std::vector<LoadedImage>> load_docker_archive(const store::Store& store,
                                                     const ArchiveContents& c,
                                                     const StoredImages& stored, LoadUndo& undo) {
  auto entries =
      BERTH_TRY(oci::parse_docker_archive_manifest(c.docs.at("manifest.json"), "manifest.json"));
  std::vector<LoadedImage> out;
  for (const auto& e : entries) {
    out.push_back(BERTH_TRY(load_docker_entry(store, c, stored, e, undo)));
  }
  return out;
}

// ---- OCI layout ----

// One image manifest of the layout, kept byte for byte with the blobs it names, compressed or
// not (so its digest is the one skopeo reports for the archive, as a pull would keep it); its
// layers are applied from them.
Result<LoadedImage> load_oci_manifest(const store::Store& store, const ArchiveContents& c,
                                      const oci::Descriptor& desc, LoadUndo& undo) {
  std::string path = layout_blob_path(desc.digest);
  BERTH_CHECK(layout_blob(store, c, desc));
  std::string bytes = BERTH_TRY(document_at(store, c, path));
  auto m = BERTH_TRY(oci::Manifest::parse(bytes, path));
  std::string config_path = layout_blob_path(m.config.digest);
  BERTH_CHECK(layout_blob(store, c, m.config));
  auto config = BERTH_TRY(
      oci::ImageConfig::parse(BERTH_TRY(document_at(store, c, config_path)), config_path));
  BERTH_CHECK(check_layer_count(config, m.layers.size(), config_path));
  for (const auto& l : m.layers) {
    BERTH_CHECK_CTX(oci::layer_compression(l.media_type), path);
    BERTH_CHECK(layout_blob(store, c, l));
  }
  for (size_t i = 0; i < m.layers.size(); ++i) {
    const auto& l = m.layers[i];
    BERTH_CHECK(ingest(store, l.digest, config.diff_ids[i], LayerBlob::kAsIs,
                       layout_blob_path(l.digest), undo));
  }
  undo.keep(m.config.digest);
  undo.keep(desc.digest);
  LoadedImage out;
  out.id = m.config.digest;
  out.desc.media_type = m.media_type;
  out.desc.digest = desc.digest;
  out.desc.size = desc.size;
  return out;
}

// The name of an index.json entry: containerd's full-name annotation (docker 25+ writes it),
// else the OCI ref name when it is a whole reference ("docker.io/library/busybox:latest",
// "app:1"); a bare tag ("latest", as skopeo and umoci write it) names no repository, so that
// image is loaded without a name, as docker does.
Result<std::vector<std::string>> layout_names(const oci::Descriptor& d) {
  std::vector<std::string> out;
  if (auto a = d.annotations.find(std::string(kContainerdImageName)); a != d.annotations.end()) {
    auto ref = BERTH_TRY_CTX(oci::Reference::parse(a->second), "index.json");
    if (ref.has_tag() || !ref.digest) {
      out.push_back(ref.with_default_tag().str());
    }
    return out;
  }
  if (auto a = d.annotations.find(std::string(oci::kAnnotationRefName));
      a != d.annotations.end() && a->second.find_first_of(":/@") != std::string::npos) {
    if (auto ref = normalize_ref(a->second); ref) {
      out.push_back(*ref);
    }
  }
  return out;
}

// An index.json entry that is itself an index (a multi-platform image): its manifest for
// this host's platform.
Result<oci::Descriptor> platform_manifest(const store::Store& store, const ArchiveContents& c,
                                          const oci::Descriptor& desc) {
  std::string path = layout_blob_path(desc.digest);
  BERTH_CHECK(layout_blob(store, c, desc));
  auto index = BERTH_TRY(oci::Index::parse(BERTH_TRY(document_at(store, c, path)), path));
  auto chosen = BERTH_TRY_CTX(oci::select_platform(index, oci::Platform::host()), path);
  if (!oci::is_manifest_type(chosen.media_type)) {
    return fail(Code::kUnsupported,
                fmt::format("{}: nested image indexes are not supported", path));
  }
  return chosen;
}

Result<void> check_layout_marker(const ArchiveContents& c) {
  auto j = BERTH_TRY(parse_json(c.docs.at(std::string(oci::kOciLayoutFile)), "oci-layout"));
  auto version = BERTH_TRY(json_string(j, "imageLayoutVersion", "oci-layout"));
  if (version != oci::kOciLayoutVersion) {
    return fail(Code::kUnsupported,
                fmt::format("oci-layout: image layout version {} is not supported", version));
  }
  return {};
}

Result<std::vector<LoadedImage>> load_oci_layout(const store::Store& store,
                                                 const ArchiveContents& c, LoadUndo& undo) {
  BERTH_CHECK(check_layout_marker(c));
  auto index = BERTH_TRY(oci::Index::parse(c.docs.at("index.json"), "index.json"));
  std::vector<LoadedImage> out;
  std::map<oci::Digest, LoadedImage> done;  // an image listed once per tag is loaded once
  for (size_t i = 0; i < index.manifests.size(); ++i) {
    oci::Descriptor desc = index.manifests[i];
    auto names = BERTH_TRY(layout_names(desc));
    if (oci::is_index_type(desc.media_type)) {
      desc = BERTH_TRY(platform_manifest(store, c, desc));
    } else if (!oci::is_manifest_type(desc.media_type)) {
      return fail(Code::kUnsupported,
                  fmt::format("index.json: manifests[{}]: unsupported media type '{}'", i,
                              desc.media_type));
    }
    auto it = done.find(desc.digest);
    if (it == done.end()) {
      it = done.emplace(desc.digest, BERTH_TRY(load_oci_manifest(store, c, desc, undo))).first;
    }
    LoadedImage img = it->second;
    img.refs = std::move(names);
    out.push_back(std::move(img));
  }
  return out;
}

// ---- naming ----

// Names the loaded images in one index.json update and says what was loaded, as docker
// prints it: every tag, then the IDs of images that came without one.
Result<LoadResult> name_images(const store::Store& store, const std::vector<LoadedImage>& images,
                               const StoredImages& stored) {
  std::set<oci::Digest> twins;  // other manifests of the loaded images
  for (const auto& img : images) {
    auto [first, last] = stored.equal_range(img.id);
    for (auto it = first; it != last; ++it) {
      twins.insert(it->second.desc.digest);
    }
  }
  for (const auto& img : images) {
    twins.erase(img.desc.digest);
  }
  BERTH_CHECK(store.index().update([&](std::vector<store::ImageEntry>& entries) -> Result<void> {
    for (const auto& img : images) {
      if (img.refs.empty()) {
        store::add_dangling(entries, img.desc);
      }
      for (const auto& r : img.refs) {
        store::set_ref(entries, img.desc, r);
      }
    }
    std::erase_if(entries, [&](const store::ImageEntry& e) {
      return e.dangling() && twins.count(e.manifest.digest) > 0;
    });
    return {};
  }));
  LoadResult out;
  for (const auto& img : images) {
    for (const auto& r : img.refs) {
      std::string shown = familiar_ref(r);
      if (std::find(out.loaded_refs.begin(), out.loaded_refs.end(), shown) ==
          out.loaded_refs.end()) {
        out.loaded_refs.push_back(shown);
      }
    }
    if (img.refs.empty() &&
        std::find(out.loaded_ids.begin(), out.loaded_ids.end(), img.id) == out.loaded_ids.end()) {
      out.loaded_ids.push_back(img.id);
    }
  }
  return out;
}

Result<LoadResult> load_archive(const store::Store& store, Reader& in) {
  auto lock = BERTH_TRY(store.lock_shared());
  LoadUndo undo(store);
  ArchiveContents c = BERTH_TRY(read_archive(store, in, undo));
  StoredImages stored = BERTH_TRY(stored_images(store));
  std::vector<LoadedImage> images;
  if (c.docs.count("manifest.json")) {
    images = BERTH_TRY(load_docker_archive(store, c, stored, undo));
  } else if (c.docs.count("index.json") && c.docs.count(std::string(oci::kOciLayoutFile))) {
    images = BERTH_TRY(load_oci_layout(store, c, undo));
  } else {
    return fail(Code::kCorrupt,
                "not a docker-archive or oci-archive (no manifest.json, no oci-layout and "
                "index.json)");
  }
  auto result = BERTH_TRY(name_images(store, images, stored));
  undo.commit();
  return result;
}

}  // namespace

Result<LoadResult> Engine::load_images(Reader& in, std::string_view what) {
  return with_context(load_archive(*store_, in), fmt::format("load {}", what));
}

}  // namespace berth::engine
