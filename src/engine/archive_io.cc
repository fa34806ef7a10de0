#include "engine/archive_io.h"

#include <archive.h>
#include <archive_entry.h>

#include <vector>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"
#include "oci/media_types.h"
#include "store/decompress.h"

namespace berth::engine {

std::string layout_blob_path(const oci::Digest& d) {
  return fmt::format("blobs/{}/{}", d.algorithm(), d.hex());
}

namespace {

constexpr size_t kChunk = 1 << 20;
constexpr int64_t kMaxDocument = 4 << 20;         // one manifest, config, index…
constexpr int64_t kMaxDocumentsTotal = 64 << 20;  // all documents kept in memory together
constexpr int kMaxLinkHops = 16;

std::string archive_message(struct archive* a) {
  const char* s = archive_error_string(a);
  return s != nullptr ? std::string(s) : std::string("unknown tar error");
}

}  // namespace

std::string clean_archive_path(std::string_view path) {
  std::vector<std::string> parts;
  for (auto& p : split(path, '/')) {
    if (!p.empty() && p != ".") {
      parts.push_back(std::move(p));
    }
  }
  return join(parts, "/");
}

// ---- TarWriter ----

Result<std::unique_ptr<TarWriter>> TarWriter::open(Writer& out) {
  std::unique_ptr<TarWriter> w(new TarWriter(out));
  w->a_ = archive_write_new();
  if (w->a_ == nullptr) {
    return fail(Code::kInternal, "archive_write_new failed");
  }
  // Restricted pax: plain ustar headers unless a name or size needs an extended header.
  if (archive_write_set_format_pax_restricted(w->a_) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(w->a_, 1) != ARCHIVE_OK ||
      archive_write_open(w->a_, w.get(), nullptr, &TarWriter::write_cb, nullptr) != ARCHIVE_OK) {
    return tl::unexpected(w->fail_here("starting the archive").error());
  }
  return w;
}

TarWriter::~TarWriter() {
  if (a_ != nullptr) {
    // archive_write_free closes an open archive, writing its trailer: an abandoned archive
    // must not look complete, so the callback drops everything from here on.
    finished_ = true;
    archive_write_free(a_);
  }
}

ssize_t TarWriter::write_cb(struct archive* a, void* self, const void* buf, size_t len) {
  auto* w = static_cast<TarWriter*>(self);
  if (w->finished_) {
    return static_cast<ssize_t>(len);  // an abandoned archive: see the destructor
  }
  if (w->out_error_) {
    return -1;
  }
  if (auto r = w->out_.write(buf, len); !r) {
    w->out_error_ = std::move(r.error());
    archive_set_error(a, EIO, "write failed");
    return -1;
  }
  return static_cast<ssize_t>(len);
}

Result<void> TarWriter::fail_here(std::string_view what) {
  if (out_error_) {
    Error e = *out_error_;
    return tl::unexpected(std::move(e).context(std::string(what)));
  }
  return tl::unexpected(Error(Code::kIo, fmt::format("{}: {}", what, archive_message(a_))));
}

Result<void> TarWriter::header(std::string_view path, bool dir, int64_t size) {
  struct archive_entry* e = archive_entry_new();
  std::string p(path);
  archive_entry_set_pathname(e, p.c_str());
  archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
  archive_entry_set_perm(e, dir ? 0755 : 0644);
  archive_entry_set_size(e, dir ? 0 : size);
  archive_entry_set_mtime(e, 0, 0);
  archive_entry_set_uid(e, 0);
  archive_entry_set_gid(e, 0);
  int r = archive_write_header(a_, e);
  archive_entry_free(e);
  if (r < ARCHIVE_WARN) {
    return fail_here(fmt::format("writing {}", path));
  }
  return {};
}

Result<void> TarWriter::data(std::string_view path, const void* buf, size_t len) {
  ssize_t n = archive_write_data(a_, buf, len);
  if (n < 0 || static_cast<size_t>(n) != len) {
    return fail_here(fmt::format("writing {}", path));
  }
  return {};
}

Result<void> TarWriter::add_dir(std::string_view path) {
  BERTH_CHECK(header(path, true, 0));
  if (archive_write_finish_entry(a_) < ARCHIVE_WARN) {
    return fail_here(fmt::format("writing {}", path));
  }
  return {};
}

Result<void> TarWriter::add_file(std::string_view path, std::string_view content) {
  BERTH_CHECK(header(path, false, static_cast<int64_t>(content.size())));
  if (!content.empty()) {
    BERTH_CHECK(data(path, content.data(), content.size()));
  }
  if (archive_write_finish_entry(a_) < ARCHIVE_WARN) {
    return fail_here(fmt::format("writing {}", path));
  }
  return {};
}

Result<void> TarWriter::add_stream(std::string_view path, int64_t size, Reader& in) {
  BERTH_CHECK(header(path, false, size));
  std::vector<char> buf(kChunk);
  int64_t done = 0;
  while (done < size) {
    size_t want = static_cast<size_t>(std::min<int64_t>(size - done, kChunk));
    size_t n = BERTH_TRY_CTX(in.read(buf.data(), want), fmt::format("reading {}", path));
    if (n == 0) {
      return fail(Code::kCorrupt,
                  fmt::format("{}: source ended after {} of {} bytes", path, done, size));
    }
    BERTH_CHECK(data(path, buf.data(), n));
    done += static_cast<int64_t>(n);
  }
  char extra = 0;
  if (BERTH_TRY_CTX(in.read(&extra, 1), fmt::format("reading {}", path)) != 0) {
    return fail(Code::kCorrupt, fmt::format("{}: source is larger than {} bytes", path, size));
  }
  if (archive_write_finish_entry(a_) < ARCHIVE_WARN) {
    return fail_here(fmt::format("writing {}", path));
  }
  return {};
}

Result<void> TarWriter::finish() {
  if (archive_write_close(a_) != ARCHIVE_OK) {
    return fail_here("finishing the archive");
  }
  finished_ = true;
  return {};
}

// ---- TarReader ----

Result<std::unique_ptr<TarReader>> TarReader::open(Reader& in) {
  std::unique_ptr<TarReader> r(new TarReader(in));
  r->buf_.resize(kChunk);
  r->a_ = archive_read_new();
  if (r->a_ == nullptr) {
    return fail(Code::kInternal, "archive_read_new failed");
  }
  if (archive_read_support_format_tar(r->a_) != ARCHIVE_OK ||
      archive_read_open(r->a_, r.get(), nullptr, &TarReader::read_cb, nullptr) != ARCHIVE_OK) {
    return r->failure();
  }
  return r;
}

TarReader::~TarReader() {
  if (a_ != nullptr) {
    archive_read_free(a_);
  }
}

ssize_t TarReader::read_cb(struct archive* a, void* self, const void** buf) {
  auto* r = static_cast<TarReader*>(self);
  auto n = r->in_.read(r->buf_.data(), r->buf_.size());
  if (!n) {
    r->in_error_ = std::move(n.error());
    archive_set_error(a, EIO, "read failed");
    return -1;
  }
  *buf = r->buf_.data();
  return static_cast<ssize_t>(*n);
}

tl::unexpected<Error> TarReader::failure() {
  if (in_error_) {
    Error e = *in_error_;
    return tl::unexpected(std::move(e));
  }
  std::string msg = archive_message(a_);
  if (msg.find("runcated") != std::string::npos) {
    msg = "truncated tar archive";
  } else if (msg.find("Unrecognized archive format") != std::string::npos) {
    msg = "not a tar archive";
  }
  return tl::unexpected(Error(Code::kCorrupt, msg));
}

Result<std::optional<TarEntry>> TarReader::next() {
  struct archive_entry* e = nullptr;
  int r = archive_read_next_header(a_, &e);
  if (r == ARCHIVE_EOF) {
    return std::optional<TarEntry>();
  }
  if (r < ARCHIVE_WARN) {
    return failure();
  }
  TarEntry out;
  const char* name = archive_entry_pathname(e);
  out.path = clean_archive_path(name != nullptr ? name : "");
  out.size = archive_entry_size(e);
  if (const char* hl = archive_entry_hardlink(e); hl != nullptr) {
    out.kind = TarEntry::Kind::kHardlink;
    out.link = hl;
  } else if (archive_entry_filetype(e) == AE_IFREG) {
    out.kind = TarEntry::Kind::kFile;
  } else if (archive_entry_filetype(e) == AE_IFDIR) {
    out.kind = TarEntry::Kind::kDir;
  } else if (archive_entry_filetype(e) == AE_IFLNK) {
    out.kind = TarEntry::Kind::kSymlink;
    const char* target = archive_entry_symlink(e);
    out.link = target != nullptr ? target : "";
  }
  return std::optional<TarEntry>(std::move(out));
}

Result<size_t> TarReader::read(void* buf, size_t len) {
  ssize_t n = archive_read_data(a_, buf, len);
  if (n < 0) {
    return failure();
  }
  return static_cast<size_t>(n);
}

// ---- LoadUndo ----

LoadUndo::~LoadUndo() {
  if (!committed_) {
    for (const auto& d : layers_) {
      (void)store_.layers().remove(d);
    }
    for (const auto& d : blobs_) {
      (void)store_.blobs().remove(d);
    }
  }
}

void LoadUndo::commit() {
  committed_ = true;
  for (const auto& d : blobs_) {
    if (!kept_.count(d)) {
      (void)store_.blobs().remove(d);
    }
  }
}

// ---- reading an archive into the store ----

std::string ArchiveContents::follow(std::string path) const {
  for (int i = 0; i < kMaxLinkHops; ++i) {
    auto it = links.find(path);
    if (it == links.end()) {
      break;
    }
    path = it->second;
  }
  return path;
}

namespace {

// manifest.json, index.json, oci-layout, repositories and old docker's <hex>.json configs.
bool is_document(const std::string& path) {
  return path.find('/') == std::string::npos &&
         (path == oci::kOciLayoutFile || path == "repositories" || path.ends_with(".json"));
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

Result<void> keep_document(TarReader& tar, const TarEntry& e, ArchiveContents& c) {
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
                         ArchiveContents& c, LoadUndo& undo) {
  auto claimed = BERTH_TRY(claimed_digest(e.path));
  if (claimed && store.blobs().has(*claimed)) {
    // Stored already: only check that the archive's copy is what its name says.
    HashingWriter hash(nullptr);
    BERTH_CHECK_CTX(copy_stream(tar, hash), e.path);
    if (hash.hex() != claimed->hex()) {
      return fail(Code::kCorrupt, fmt::format("{}: digest mismatch: expected {}, got sha256:{}",
                                              e.path, claimed->str(), hash.hex()));
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

void add_link(const TarEntry& e, ArchiveContents& c) {
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

}  // namespace

Result<ArchiveContents> read_archive(const store::Store& store, Reader& in, LoadUndo& undo) {
  auto plain = BERTH_TRY(store::open_decompressing(&in));
  auto tar = BERTH_TRY(TarReader::open(*plain));
  ArchiveContents c;
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

}  // namespace berth::engine
