// `berth save`: images as one tar, in either of two layouts that share their blobs:
//   kOci     an OCI image layout: oci-layout, index.json, blobs/sha256/<hex>
//   kDocker  the same plus manifest.json and repositories, as docker 25+ writes it: docker load
//            reads it through manifest.json, skopeo's docker-archive: transport too, and tools
//            that want an OCI layout (umoci, skopeo oci-archive:) read the rest.
// Layers go in as the store keeps them (uncompressed when made or imported here, as pulled or
// loaded otherwise), streamed from their blob files. Entries are sorted and carry mtime 0 and
// uid/gid 0, so two saves of the same images are byte-identical.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "base/json.h"
#include "engine/archive_io.h"
#include "engine/engine.h"
#include "oci/docker_archive.h"
#include "oci/index.h"
#include "oci/media_types.h"
#include "oci/reference.h"
#include "store/decompress.h"

namespace berth::engine {

namespace {

// containerd's annotation for the full image name; docker 25+ writes it next to
// org.opencontainers.image.ref.name, which then holds only the tag (what umoci and
// `skopeo … oci-archive:FILE:TAG` look up).

struct SaveItem {
  Image image;
  oci::Descriptor desc;              // of manifest_bytes, as the archive's index.json lists it
  std::string manifest_bytes;        // the OCI manifest written into blobs/
  std::vector<oci::Reference> refs;  // the tags asked for, in the order asked, each once
};

// A blob of the archive: in the store (streamed) or made here (small, in memory).
struct BlobSource {
  const std::string* bytes = nullptr;
};

// The OCI type of a stored layer blob, from its first bytes: docker-archive loads store
// uncompressed tars under docker's tar.gzip type (as skopeo does), so the type a docker
// manifest gives cannot be trusted.
Result<std::string> oci_layer_type(const store::Store& store, const oci::Descriptor& l) {
  auto fd = BERTH_TRY(store.blobs().open(l.digest));
  char head[store::kSniffBytes];
  ssize_t n = ::pread(fd.get(), head, sizeof head, 0);
  if (n < 0) {
    return fail_errno(fmt::format("blob {}", l.digest.str()));
  }
  auto c = BERTH_TRY_CTX(store::sniff_compression(std::string_view(head, static_cast<size_t>(n))),
                         fmt::format("blob {}", l.digest.str()));
  bool foreign = l.media_type == oci::kDockerForeignLayer;
  return std::string(store::oci_layer_media_type(c, foreign));
}

// The manifest the archive carries: the stored one when it is OCI already (its digest then is
// the one `skopeo inspect oci:<root>` reports), else the same content as an OCI manifest.
Result<void> archive_manifest(const store::Store& store, SaveItem& item) {
  const Image& img = item.image;
  if (img.manifest.media_type == oci::kOciManifest) {
    item.manifest_bytes = BERTH_TRY(store.blobs().read(img.manifest_desc.digest));
    item.desc.digest = img.manifest_desc.digest;
  } else {
    oci::Manifest m = img.manifest;
    m.media_type = std::string(oci::kOciManifest);
    m.config.media_type = std::string(oci::kOciConfig);
    for (auto& l : m.layers) {
      l.media_type = BERTH_TRY(oci_layer_type(store, l));
    }
    item.manifest_bytes = m.serialize();
    item.desc.digest = oci::Digest::sha256_of(item.manifest_bytes);
  }
  item.desc.media_type = std::string(oci::kOciManifest);
  item.desc.size = static_cast<int64_t>(item.manifest_bytes.size());
  return {};
}

// Finds each name's image; names that are tags of it add that tag. An image asked for by ID
// (or by digest) carries no tag, as in docker.
Result<std::vector<SaveItem>> resolve(const Engine& eng, const std::vector<std::string>& names) {
  std::vector<SaveItem> items;
  for (const auto& name : names) {
    Image img = BERTH_TRY(eng.find_image(name));
    std::optional<oci::Reference> tag;
    if (auto ref = oci::Reference::parse(name); ref && !ref->digest) {
      oci::Reference full = ref->with_default_tag();
      if (std::find(img.refs.begin(), img.refs.end(), full.str()) != img.refs.end()) {
        tag = full;
      }
    }
    auto it = std::find_if(items.begin(), items.end(), [&](const SaveItem& s) {
      return s.image.manifest_desc.digest == img.manifest_desc.digest;
    });
    if (it == items.end()) {
      items.push_back(SaveItem{std::move(img), {}, {}, {}});
      it = items.end() - 1;
      BERTH_CHECK(archive_manifest(eng.store(), *it));
    }
    if (tag && std::find(it->refs.begin(), it->refs.end(), *tag) == it->refs.end()) {
      it->refs.push_back(*tag);
    }
  }
  return items;
}

std::string index_json(const std::vector<SaveItem>& items) {
  oci::Index index;
  index.media_type = std::string(oci::kOciIndex);
  for (const auto& item : items) {
    if (item.refs.empty()) {
      index.manifests.push_back(item.desc);
    }
    for (const auto& ref : item.refs) {
      oci::Descriptor d = item.desc;
      d.annotations[std::string(kContainerdImageName)] = ref.str();
      d.annotations[std::string(oci::kAnnotationRefName)] = ref.tag;
      index.manifests.push_back(std::move(d));
    }
  }
  return index.serialize();
}

std::string docker_manifest_json(const std::vector<SaveItem>& items) {
  std::vector<oci::DockerArchiveEntry> entries;
  for (const auto& item : items) {
    oci::DockerArchiveEntry e;
    e.config = layout_blob_path(item.image.id);
    for (const auto& ref : item.refs) {
      e.repo_tags.push_back(ref.familiar());
    }
    for (const auto& l : item.image.manifest.layers) {
      e.layers.push_back(layout_blob_path(l.digest));
    }
    entries.push_back(std::move(e));
  }
  return oci::serialize_docker_archive_manifest(entries);
}

// The legacy `repositories` file ({"busybox":{"latest":"<top layer>"}}), which only loaders
// older than manifest.json read; docker still writes it. Empty when no image has a tag.
std::string repositories_json(const std::vector<SaveItem>& items) {
  std::map<std::string, std::map<std::string, std::string>> repos;  // Go sorts map keys
  for (const auto& item : items) {
    if (item.image.manifest.layers.empty()) {
      continue;
    }
    std::string top(item.image.manifest.layers.back().digest.hex());
    for (const auto& ref : item.refs) {
      repos[ref.familiar_name()][ref.tag] = top;
    }
  }
  if (repos.empty()) {
    return "";
  }
  Json j = Json::object();
  for (const auto& [name, tags] : repos) {
    Json t = Json::object();
    for (const auto& [tag, id] : tags) {
      t[tag] = id;
    }
    j[name] = std::move(t);
  }
  return to_go_json(j);
}

// Streams one stored blob into the archive, checking on the way that it still is what its name
// says (a damaged store must not produce an archive that looks fine).
Result<void> write_store_blob(const store::Store& store, TarWriter& tar, const oci::Digest& d) {
  auto fd = BERTH_TRY(store.blobs().open(d));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return fail_errno(fmt::format("blob {}", d.str()));
  }
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  FdReader raw(fd.get());
  HashingReader hashed(&raw);
  BERTH_CHECK(tar.add_stream(layout_blob_path(d), st.st_size, hashed));
  if (d.algorithm() == "sha256" && hashed.hex() != d.hex()) {
    return fail(Code::kCorrupt, fmt::format("blob {} is corrupt: content does not match", d.str()));
  }
  return {};
}

Result<void> write_archive(const store::Store& store, const std::vector<SaveItem>& items,
                           ArchiveFormat format, Writer& out) {
  std::map<oci::Digest, BlobSource> blobs;  // sorted by digest: the archive's entry order
  for (const auto& item : items) {
    blobs[item.desc.digest] = BlobSource{&item.manifest_bytes};
    blobs[item.image.id] = BlobSource{&item.image.config_bytes};
    for (const auto& l : item.image.manifest.layers) {
      blobs.emplace(l.digest, BlobSource{});
    }
  }
  auto tar = BERTH_TRY(TarWriter::open(out));
  BERTH_CHECK(tar->add_dir("blobs/"));
  BERTH_CHECK(tar->add_dir("blobs/sha256/"));
  for (const auto& [digest, src] : blobs) {
    if (src.bytes != nullptr) {
      BERTH_CHECK(tar->add_file(layout_blob_path(digest), *src.bytes));
    } else {
      BERTH_CHECK(write_store_blob(store, *tar, digest));
    }
  }
  BERTH_CHECK(tar->add_file("index.json", index_json(items)));
  if (format == ArchiveFormat::kDocker) {
    BERTH_CHECK(tar->add_file("manifest.json", docker_manifest_json(items)));
  }
  BERTH_CHECK(tar->add_file(oci::kOciLayoutFile, fmt::format(R"({{"imageLayoutVersion":"{}"}})",
                                                             oci::kOciLayoutVersion)));
  if (format == ArchiveFormat::kDocker) {
    if (std::string repos = repositories_json(items); !repos.empty()) {
      BERTH_CHECK(tar->add_file("repositories", repos));
    }
  }
  return tar->finish();
}

}  // namespace

Result<void> Engine::save_images(const std::vector<std::string>& names, ArchiveFormat format,
                                 Writer& out) const {
  if (names.empty()) {
    return fail(Code::kInvalidArgument, "no images to save");
  }
  // Shared: garbage collection cannot remove a blob while it is being written out.
  auto lock = BERTH_TRY(store_->lock_shared());
  auto items = BERTH_TRY(resolve(*this, names));
  return with_context(write_archive(*store_, items, format, out), "saving images");
}

}  // namespace berth::engine
