// TarBuilder: makes tar streams in memory with libarchive, for tests that need exact control
// over entries (hostile names, repeated names, whiteouts, xattrs) that no directory can hold.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace berth::testing {

class TarBuilder {
 public:
  enum class Format { kPax, kGnu, kUstar };

  struct Entry {
    std::string name{};
    unsigned type = AE_IFREG;
    std::string content{};  // regular files
    std::string link{};     // symlink target or hardlink target
    bool hardlink = false;
    unsigned mode = 0644;
    int64_t uid = 0;
    int64_t gid = 0;
    int64_t mtime = 1000000000;
    unsigned rdev_major = 0;
    unsigned rdev_minor = 0;
    std::vector<std::pair<std::string, std::string>> xattrs{};
  };

  explicit TarBuilder(Format format = Format::kPax) : format_(format) {}

  TarBuilder& add(Entry e) {
    entries_.push_back(std::move(e));
    return *this;
  }
  TarBuilder& file(std::string name, std::string content, unsigned mode = 0644) {
    return add({.name = std::move(name), .content = std::move(content), .mode = mode});
  }
  TarBuilder& dir(std::string name, unsigned mode = 0755) {
    return add({.name = std::move(name), .type = AE_IFDIR, .mode = mode});
  }
  TarBuilder& symlink(std::string name, std::string target) {
    return add(
        {.name = std::move(name), .type = AE_IFLNK, .link = std::move(target), .mode = 0777});
  }
  TarBuilder& hardlink(std::string name, std::string target) {
    return add({.name = std::move(name), .link = std::move(target), .hardlink = true});
  }

  // The whole tar, end-of-archive blocks included; pad_to_record pads like tar(1) to 10 KiB.
  std::string build(bool pad_to_record = false) const {
    std::string out;
    struct archive* a = archive_write_new();
    switch (format_) {
      case Format::kPax:
        archive_write_set_format_pax(a);
        break;
      case Format::kGnu:
        archive_write_set_format_gnutar(a);
        break;
      case Format::kUstar:
        archive_write_set_format_ustar(a);
        break;
    }
    archive_write_set_bytes_per_block(a, pad_to_record ? 10240 : 0);
    archive_write_open(a, &out, nullptr, &TarBuilder::write_cb, nullptr);
    for (const auto& e : entries_) {
      struct archive_entry* ae = archive_entry_new();
      archive_entry_set_pathname(ae, e.name.c_str());
      archive_entry_set_filetype(ae, e.type);
      archive_entry_set_perm(ae, e.mode);
      archive_entry_set_uid(ae, e.uid);
      archive_entry_set_gid(ae, e.gid);
      archive_entry_set_mtime(ae, e.mtime, 0);
      if (e.hardlink) {
        archive_entry_set_hardlink(ae, e.link.c_str());
      } else if (e.type == AE_IFLNK) {
        archive_entry_set_symlink(ae, e.link.c_str());
      }
      if (e.type == AE_IFCHR || e.type == AE_IFBLK) {
        archive_entry_set_rdevmajor(ae, e.rdev_major);
        archive_entry_set_rdevminor(ae, e.rdev_minor);
      }
      for (const auto& [k, v] : e.xattrs) {
        archive_entry_xattr_add_entry(ae, k.c_str(), v.data(), v.size());
      }
      bool has_data = e.type == AE_IFREG && !e.hardlink;
      archive_entry_set_size(ae, has_data ? static_cast<int64_t>(e.content.size()) : 0);
      archive_write_header(a, ae);
      if (has_data && !e.content.empty()) {
        archive_write_data(a, e.content.data(), e.content.size());
      }
      archive_entry_free(ae);
    }
    archive_write_close(a);
    archive_write_free(a);
    return out;
  }

 private:
  static la_ssize_t write_cb(struct archive*, void* opaque, const void* buf, size_t len) {
    static_cast<std::string*>(opaque)->append(static_cast<const char*>(buf), len);
    return static_cast<la_ssize_t>(len);
  }

  Format format_;
  std::vector<Entry> entries_;
};

// The names of the entries of a tar, in order (hardlinks as "name => target").
inline std::vector<std::string> tar_names(const std::string& tar) {
  std::vector<std::string> names;
  struct archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  archive_read_open_memory(a, tar.data(), tar.size());
  struct archive_entry* e = nullptr;
  for (int r; (r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN;) {
    std::string n = archive_entry_pathname(e);
    if (archive_entry_hardlink(e) != nullptr) {
      n += std::string(" => ") + archive_entry_hardlink(e);
    }
    names.push_back(n);
  }
  archive_read_free(a);
  return names;
}

}  // namespace berth::testing
