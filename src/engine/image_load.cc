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

#include "base/fs.h"
#include "base/json.h"
#include "base/strings.h"
#include "engine/archive_io.h"
#include "engine/engine.h"
#include "oci/docker_archive.h"
#include "oci/index.h"
#include "oci/media_types.h"
#include "oci/reference.h"
#include "store/decompress.h"
#include "store/layer_ingest.h"

namespace berth::engine {

namespace {

constexpr int64_t kMaxDocument = 4 << 20;        // one manifest, config, index…
constexpr int64_t kMaxDocumentsTotal = 64 << 20;  // all documents kept in memory together
constexpr int kMaxLinkHops = 16;
constexpr std::string_view kContainerdImageName = "io.containerd.image.name";

// What this load added to the store. Until commit(), destruction removes all of it: nothing in
// index.json refers to it yet, and the shared store lock we hold keeps garbage collection (the
// only other remover) away. A blob that a concurrent load or pull stores at the same moment may
// be counted as ours; that race is accepted (it costs that other image a re-pull).
class LoadUndo {
 public:
  explicit LoadUndo(const store::Store& store) : store_(store) {}
  LoadUndo(const LoadUndo&) = delete;
  LoadUndo& operator=(const LoadUndo&) = delete;
  ~LoadUndo() {
    if (!committed_) {
      for (const auto& d : layers_) {
        (void)store_.layers().remove(d);
      }
      for (const auto& d : blobs_) {
        (void)store_.blobs().remove(d);
      }
    }
  }

  void added_blob(const oci::Digest& d) { blobs_.insert(d); }
  void added_layer(const oci::Digest& d) { layers_.push_back(d); }
  // A blob a loaded image refers to: it stays after commit().
  void keep(const oci::Digest& d) { kept_.insert(d); }

  // The load succeeded: what it added stays, except blobs no loaded image refers to (compressed
  // layer blobs, whose uncompressed tars were stored; archive documents that were not used).
  void commit() {
    committed_ = true;
    for (const auto& d : blobs_) {
      if (!kept_.count(d)) {
        (void)store_.blobs().remove(d);
      }
    }
  }

 private:
  const store::Store& store_;
  std::set<oci::Digest> blobs_;
  std::vector<oci::Digest> layers_;
  std::set<oci::Digest> kept_;
  bool committed_ = false;
};

// Everything one pass over the archive collected.
struct Contents {
  std::map<std::string, std::string> docs;   // small top-level documents, by path
  std::map<std::string, oci::Digest> blobs;  // every other file, stored, by path
  std::map<std::string, std::string> links;  // symlink or hardlink path → target path
  int64_t docs_bytes = 0;

  // The path of the entry `path` names, through links.
  std::string follow(std::string path) const {
    for (int i = 0; i < kMaxLinkHops; ++i) {
      auto it = links.find(path);
      if (it == links.end()) {
        break;
      }
      path = it->second;
    }
    return path;
  }
};

struct LoadedImage {
  oci::Descriptor desc;  // the manifest as stored
  oci::Digest id;        // its config's digest
  std::vector<std::string> refs;  // full normalised references
};

std::string blob_path(const oci::Digest& d) {
  return fmt::format("blobs/{}/{}", d.algorithm(), d.hex());
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// manifest.json, index.json, oci-layout, repositories and old docker's <hex>.json configs.
bool is_document(const std::string& path) {
  return path.find('/') == std::string::npos &&
         (path == oci::kOciLayoutFile || path == "repositories" || ends_with(path, ".json"));
}

// Old docker archives' per-layer v1 metadata (<id>/json, <id>/VERSION): nothing reads it.
bool is_v1_metadata(const std::string& path) {
  std::string base = base_name(path);
  return path.find('/') != std::string::npos && (base == "json" || base == "VERSION");
}

// The digest a `blobs/<alg>/<hex>` entry claims to have; nullopt for other paths.
Result<std::optional<oci::Digest>> claimed_digest(const std::string& path) {
  auto parts = split(path, '/');
  if (parts.size() != 3 || parts[0] != "blobs") {
    return std::optional<oci::Digest>();
  }
  auto d = oci::Digest::parse(parts[1] + ":" + parts[2]);
  if (!d) {
    return fail(Code::kCorrupt, fmt::format("{}: not a valid blob name", path));
  }
  if (d->algorithm() != "sha256") {
    return fail(Code::kUnsupported,
                fmt::format("{}: digest algorithm {} is not supported", path, d->algorithm()));
  }
  return std::optional<oci::Digest>(*d);
}

Result<void> keep_document(TarReader& tar, const TarEntry& e, Contents& c) {
  if (e.size > kMaxDocument || c.docs_bytes + e.size > kMaxDocumentsTotal) {
    return fail(Code::kCorrupt, fmt::format("{}: too large ({} bytes)", e.path, e.size));
  }
  std::string data;
  StringWriter w(&data);
  BERTH_CHECK_CTX(copy_stream(tar, w), e.path);
  c.docs_bytes += static_cast<int64_t>(data.size());
  c.docs[e.path] = std::move(data);
  return {};
}

// Streams one entry into the blob store under the digest of its content, which must be the one
// its name claims, if it claims one.
Result<void> store_entry(const store::Store& store, TarReader& tar, const TarEntry& e,
                         Contents& c, LoadUndo& undo) {
  auto claimed = BERTH_TRY(claimed_digest(e.path));
  if (claimed && store.blobs().has(*claimed)) {
    // Stored already: only check that the archive's copy is what its name says.
    HashingWriter hash(nullptr);
    BERTH_CHECK_CTX(copy_stream(tar, hash), e.path);
    if (hash.hex() != claimed->hex()) {
      return fail(Code::kCorrupt,
                  fmt::format("{}: digest mismatch: expected {}, got sha256:{}", e.path,
                              claimed->str(), hash.hex()));
    }
    c.blobs[e.path] = *claimed;
    return {};
  }
  auto w = BERTH_TRY(store.blobs().writer());
  BERTH_CHECK_CTX(copy_stream(tar, *w), e.path);
  bool existed = store.blobs().has(w->digest());
  oci::Digest d = BERTH_TRY_CTX(w->commit(claimed), e.path);
  if (!existed) {
    undo.added_blob(d);
  }
  c.blobs[e.path] = d;
  return {};
}

void add_link(const TarEntry& e, Contents& c) {
  std::string target = e.link;
  if (e.kind == TarEntry::Kind::kSymlink && !target.starts_with("/")) {
    target = dir_name(e.path) + "/" + target;
  }
  // Lexical: "a/../b" → "b". The result only ever names another entry of the archive.
  std::vector<std::string> parts;
  for (auto& p : split(clean_archive_path(target), '/')) {
    if (p == "..") {
      if (!parts.empty()) {
        parts.pop_back();
      }
    } else {
      parts.push_back(std::move(p));
    }
  }
  c.links[e.path] = join(parts, "/");
}

Result<Contents> read_archive(const store::Store& store, Reader& in, LoadUndo& undo) {
  auto plain = BERTH_TRY(store::open_decompressing(&in));
  auto tar = BERTH_TRY(TarReader::open(*plain));
  Contents c;
  while (auto e = BERTH_TRY(tar->next())) {
    switch (e->kind) {
      case TarEntry::Kind::kFile:
        if (is_document(e->path)) {
          BERTH_CHECK(keep_document(*tar, *e, c));
        } else if (!is_v1_metadata(e->path)) {
          BERTH_CHECK(store_entry(store, *tar, *e, c, undo));
        }
        break;
      case TarEntry::Kind::kSymlink:
      case TarEntry::Kind::kHardlink:
        add_link(*e, c);
        break;
      default:
        break;
    }
  }
  return c;
}

// ---- resolving what the archive describes ----

// The stored blob an archive path names (through links).
Result<oci::Digest> blob_at(const Contents& c, const std::string& path) {
  std::string p = c.follow(clean_archive_path(path));
  auto it = c.blobs.find(p);
  if (it == c.blobs.end()) {
    return fail(Code::kCorrupt, fmt::format("{}: not in the archive", path));
  }
  return it->second;
}

// A small document (manifest, config) the archive holds at `path`: kept in memory, or a stored
// blob read back (and re-verified).
Result<std::string> document_at(const store::Store& store, const Contents& c,
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

// The blob an OCI layout names by digest: it must be in the archive or, being content
// addressed, may be in the store already. `size` is what the referring descriptor says.
Result<oci::Digest> layout_blob(const store::Store& store, const Contents& c,
                                const oci::Descriptor& desc) {
  std::string path = blob_path(desc.digest);
  auto d = blob_at(c, path);
  if (!d && !store.blobs().has(desc.digest)) {
    return tl::unexpected(std::move(d.error()));
  }
  int64_t size = BERTH_TRY(store.blobs().size(desc.digest));
  if (size != desc.size) {
    return fail(Code::kCorrupt,
                fmt::format("{}: size {} does not match its descriptor's {}", path, size,
                            desc.size));
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

// Ingests the layer stored as `blob` (compressed or not): its uncompressed tar must hash to
// `diff_id`; the tar is kept as a blob and the layer applied.
Result<store::IngestedLayer> ingest(const store::Store& store, const oci::Digest& blob,
                                    const oci::Digest& diff_id, const std::string& what,
                                    LoadUndo& undo) {
  if (blob == diff_id && store.layers().has(diff_id)) {
    int64_t size = BERTH_TRY(store.blobs().size(blob));  // the blob was hashed on the way in
    undo.keep(blob);
    return store::IngestedLayer{diff_id, size, blob, size};
  }
  bool had_layer = store.layers().has(diff_id);
  bool had_tar = store.blobs().has(diff_id);
  auto fd = BERTH_TRY(store.blobs().open(blob));
  FdReader in(fd.get());
  auto layer = BERTH_TRY(store::ingest_layer(store, in, what, {diff_id, blob}));
  if (!had_tar) {
    undo.added_blob(diff_id);
  }
  if (!had_layer) {
    undo.added_layer(diff_id);
  }
  undo.keep(diff_id);
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
    return fail(Code::kCorrupt,
                fmt::format("{}: rootfs.diff_ids lists {} layers, the manifest {}", config_path,
                            config.diff_ids.size(), layers));
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
Result<LoadedImage> load_docker_entry(const store::Store& store, const Contents& c,
                                      const oci::DockerArchiveEntry& e, LoadUndo& undo) {
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
    auto layer = BERTH_TRY(ingest(store, blobs[i], config.diff_ids[i], e.layers[i], undo));
    oci::Descriptor d;
    d.media_type = std::string(oci::kDockerLayer);
    d.digest = layer.diff_id;
    d.size = layer.tar_size;
    m.layers.push_back(std::move(d));
  }
  out.id = m.config.digest;
  out.desc = BERTH_TRY(put_document(store, oci::kDockerManifest, m.serialize(), undo));
  return out;
}

Result<std::vector<LoadedImage>> load_docker_archive(const store::Store& store, const Contents& c,
                                                     LoadUndo& undo) {
  auto entries =
      BERTH_TRY(oci::parse_docker_archive_manifest(c.docs.at("manifest.json"), "manifest.json"));
  std::vector<LoadedImage> out;
  for (const auto& e : entries) {
    out.push_back(BERTH_TRY(load_docker_entry(store, c, e, undo)));
  }
  return out;
}

// ---- OCI layout ----

// The uncompressed counterpart of a layer media type.
std::string uncompressed_type(std::string_view media_type) {
  if (media_type.starts_with("application/vnd.docker.")) {
    return std::string(oci::kDockerLayerUncompressed);
  }
  if (media_type.find("nondistributable") != std::string_view::npos) {
    return std::string(oci::kOciLayerNondistributable);
  }
  return std::string(oci::kOciLayer);
}

// One image manifest of the layout. Kept byte for byte when its layers are uncompressed tars
// (so its digest is the one skopeo reports for the archive); when they are compressed, the
// store keeps the uncompressed tars, so the stored manifest is a new one that refers to those
// (same config, same annotations, layer types without the compression suffix).
Result<LoadedImage> load_oci_manifest(const store::Store& store, const Contents& c,
                                      const oci::Descriptor& desc, LoadUndo& undo) {
  std::string path = blob_path(desc.digest);
  BERTH_CHECK(layout_blob(store, c, desc));
  std::string bytes = BERTH_TRY(document_at(store, c, path));
  auto m = BERTH_TRY(oci::Manifest::parse(bytes, path));
  std::string config_path = blob_path(m.config.digest);
  BERTH_CHECK(layout_blob(store, c, m.config));
  auto config = BERTH_TRY(
      oci::ImageConfig::parse(BERTH_TRY(document_at(store, c, config_path)), config_path));
  BERTH_CHECK(check_layer_count(config, m.layers.size(), config_path));
  for (const auto& l : m.layers) {
    BERTH_CHECK_CTX(oci::layer_compression(l.media_type), path);
    BERTH_CHECK(layout_blob(store, c, l));
  }
  bool rewritten = false;
  for (size_t i = 0; i < m.layers.size(); ++i) {
    auto& l = m.layers[i];
    auto layer = BERTH_TRY(ingest(store, l.digest, config.diff_ids[i], blob_path(l.digest), undo));
    if (layer.diff_id != l.digest) {
      rewritten = true;
      l.media_type = uncompressed_type(l.media_type);
      l.digest = layer.diff_id;
      l.size = layer.tar_size;
    }
  }
  undo.keep(m.config.digest);
  LoadedImage out;
  out.id = m.config.digest;
  if (!rewritten) {
    undo.keep(desc.digest);
    out.desc.media_type = m.media_type;
    out.desc.digest = desc.digest;
    out.desc.size = desc.size;
    return out;
  }
  out.desc = BERTH_TRY(put_document(store, m.media_type, m.serialize(), undo));
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
Result<oci::Descriptor> platform_manifest(const store::Store& store, const Contents& c,
                                          const oci::Descriptor& desc) {
  std::string path = blob_path(desc.digest);
  BERTH_CHECK(layout_blob(store, c, desc));
  auto index = BERTH_TRY(oci::Index::parse(BERTH_TRY(document_at(store, c, path)), path));
  auto chosen = BERTH_TRY_CTX(oci::select_platform(index, oci::Platform::host()), path);
  if (!oci::is_manifest_type(chosen.media_type)) {
    return fail(Code::kUnsupported, fmt::format("{}: nested image indexes are not supported",
                                                path));
  }
  return chosen;
}

Result<void> check_layout_marker(const Contents& c) {
  auto j = BERTH_TRY(parse_json(c.docs.at(std::string(oci::kOciLayoutFile)), "oci-layout"));
  auto version = BERTH_TRY(json_string(j, "imageLayoutVersion", "oci-layout"));
  if (version != oci::kOciLayoutVersion) {
    return fail(Code::kUnsupported,
                fmt::format("oci-layout: image layout version {} is not supported", version));
  }
  return {};
}

Result<std::vector<LoadedImage>> load_oci_layout(const store::Store& store, const Contents& c,
                                                 LoadUndo& undo) {
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
Result<LoadResult> name_images(const store::Store& store, const std::vector<LoadedImage>& images) {
  BERTH_CHECK(store.index().update([&](std::vector<store::ImageEntry>& entries) -> Result<void> {
    for (const auto& img : images) {
      if (img.refs.empty()) {
        store::add_dangling(entries, img.desc);
      }
      for (const auto& r : img.refs) {
        store::set_ref(entries, img.desc, r);
      }
    }
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
  Contents c = BERTH_TRY(read_archive(store, in, undo));
  std::vector<LoadedImage> images;
  if (c.docs.count("manifest.json")) {
    images = BERTH_TRY(load_docker_archive(store, c, undo));
  } else if (c.docs.count("index.json") && c.docs.count(std::string(oci::kOciLayoutFile))) {
    images = BERTH_TRY(load_oci_layout(store, c, undo));
  } else {
    return fail(Code::kCorrupt,
                "not a docker-archive or oci-archive (no manifest.json, no oci-layout and "
                "index.json)");
  }
  auto result = BERTH_TRY(name_images(store, images));
  undo.commit();
  return result;
}

}  // namespace

Result<LoadResult> Engine::load_images(Reader& in, std::string_view what) {
  return with_context(load_archive(*store_, in), fmt::format("load {}", what));
}

}  // namespace berth::engine
