// Tar archives for the tests: a raw ustar/pax writer (malicious names included), a reader for
// what berth writes, and image archives built by hand.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "sandbox.h"

namespace fs = std::filesystem;

namespace berth::it {

namespace {

constexpr size_t kBlock = 512;
constexpr long kMtime = 1700000000;  // fixed: archives are byte-for-byte reproducible

// Zero-padded octal in width - 1 digits and a NUL, as ustar wants.
void put_octal(char* field, size_t width, unsigned long long value) {
  for (size_t i = width - 1; i-- > 0;) {
    field[i] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
  field[width - 1] = '\0';
}

void put_string(char* field, size_t width, const std::string& s) {
  std::memcpy(field, s.data(), std::min(width, s.size()));
}

void pad_to_block(std::string& data) {
  if (data.size() % kBlock != 0) {
    data.append(kBlock - data.size() % kBlock, '\0');
  }
}

std::string pax_record(const std::string& key, const std::string& value) {
  // "<len> key=value\n" where len counts itself.
  std::string body = " " + key + "=" + value + "\n";
  size_t len = body.size() + 1;
  while (std::to_string(len).size() + body.size() != len) {
    ++len;
  }
  return std::to_string(len) + body;
}

unsigned long long parse_octal(const char* field, size_t width) {
  if ((static_cast<unsigned char>(field[0]) & 0x80) != 0) {  // GNU base-256
    unsigned long long v = static_cast<unsigned char>(field[0]) & 0x7f;
    for (size_t i = 1; i < width; ++i) {
      v = (v << 8) | static_cast<unsigned char>(field[i]);
    }
    return v;
  }
  unsigned long long v = 0;
  for (size_t i = 0; i < width && field[i] != '\0'; ++i) {
    if (field[i] >= '0' && field[i] <= '7') {
      v = v * 8 + static_cast<unsigned>(field[i] - '0');
    }
  }
  return v;
}

std::string field_string(const char* field, size_t width) {
  return std::string(field, strnlen(field, width));
}

void add_tree(TarWriter& tw, const std::string& base, const std::string& rel) {
  std::string full = rel.empty() ? base : base + "/" + rel;
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(full)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    std::string r = rel.empty() ? n : rel + "/" + n;
    std::string p = base + "/" + r;
    struct stat st {};
    ::lstat(p.c_str(), &st);
    int mode = static_cast<int>(st.st_mode & 07777);
    if (S_ISDIR(st.st_mode)) {
      tw.dir(r + "/", mode);
      add_tree(tw, base, r);
    } else if (S_ISLNK(st.st_mode)) {
      tw.symlink(r, fs::read_symlink(p).string());
    } else if (S_ISREG(st.st_mode)) {
      tw.file(r, read_file(p), mode);
    }
  }
}

}  // namespace

void TarWriter::header(const std::string& name, char type, const std::string& link, size_t size,
                       int mode) {
  if (name.size() > 100 || link.size() > 100) {
    std::string pax;
    if (name.size() > 100) {
      pax += pax_record("path", name);
    }
    if (link.size() > 100) {
      pax += pax_record("linkpath", link);
    }
    header("PaxHeaders/entry", 'x', "", pax.size(), 0644);
    data_ += pax;
    pad_to_block(data_);
  }
  char h[kBlock] = {};
  put_string(h, 100, name);
  put_octal(h + 100, 8, static_cast<unsigned>(mode));
  put_octal(h + 108, 8, 0);
  put_octal(h + 116, 8, 0);
  put_octal(h + 124, 12, size);
  put_octal(h + 136, 12, kMtime);
  h[156] = type;
  put_string(h + 157, 100, link);
  std::memcpy(h + 257,
              "ustar\0"
              "00",
              8);
  put_string(h + 265, 32, "root");
  put_string(h + 297, 32, "root");
  std::memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) {
    sum += c;
  }
  std::snprintf(h + 148, 8, "%06o", sum);
  h[155] = ' ';
  data_.append(h, kBlock);
}

TarWriter& TarWriter::file(const std::string& name, std::string_view data, int mode) {
  header(name, '0', "", data.size(), mode);
  data_.append(data);
  pad_to_block(data_);
  return *this;
}

TarWriter& TarWriter::dir(const std::string& name, int mode) {
  header(name, '5', "", 0, mode);
  return *this;
}

TarWriter& TarWriter::symlink(const std::string& name, const std::string& target) {
  header(name, '2', target, 0, 0777);
  return *this;
}

TarWriter& TarWriter::hardlink(const std::string& name, const std::string& target) {
  header(name, '1', target, 0, 0644);
  return *this;
}

std::string TarWriter::finish() const { return data_ + std::string(2 * kBlock, '\0'); }

std::vector<TarEntry> read_tar(std::string_view data, const std::string& what) {
  std::vector<TarEntry> out;
  std::string next_name, next_link;
  unsigned long long next_size = 0;
  bool has_next_size = false;
  size_t pos = 0;
  while (pos + kBlock <= data.size()) {
    const char* h = data.data() + pos;
    if (std::all_of(h, h + kBlock, [](char c) { return c == '\0'; })) {
      return out;
    }
    unsigned long long size = parse_octal(h + 124, 12);
    char type = h[156] == '\0' ? '0' : h[156];
    if (has_next_size && type != 'x' && type != 'g') {
      size = next_size;
    }
    pos += kBlock;
    if (pos + size > data.size()) {
      ADD_FAILURE() << what << ": truncated tar entry " << field_string(h, 100);
      return out;
    }
    std::string body(data.substr(pos, size));
    pos += (size + kBlock - 1) / kBlock * kBlock;
    if (type == 'x') {
      size_t p = 0;
      while (p < body.size()) {
        size_t sp = body.find(' ', p);
        size_t len = std::stoul(body.substr(p, sp - p));
        std::string rec = body.substr(sp + 1, len - (sp - p) - 2);
        auto eq = rec.find('=');
        std::string key = rec.substr(0, eq), value = rec.substr(eq + 1);
        if (key == "path") {
          next_name = value;
        } else if (key == "linkpath") {
          next_link = value;
        } else if (key == "size") {
          next_size = std::stoull(value);
          has_next_size = true;
        }
        p += len;
      }
      continue;
    }
    if (type == 'g') {
      continue;
    }
    if (type == 'L') {
      next_name = body.c_str();
      continue;
    }
    if (type == 'K') {
      next_link = body.c_str();
      continue;
    }
    TarEntry e;
    std::string prefix = std::memcmp(h + 257, "ustar", 5) == 0 ? field_string(h + 345, 155) : "";
    e.name = !next_name.empty() ? next_name
             : prefix.empty()   ? field_string(h, 100)
                                : prefix + "/" + field_string(h, 100);
    e.link = !next_link.empty() ? next_link : field_string(h + 157, 100);
    e.type = type;
    e.mode = static_cast<int>(parse_octal(h + 100, 8));
    e.data = std::move(body);
    out.push_back(std::move(e));
    next_name.clear();
    next_link.clear();
    has_next_size = false;
  }
  ADD_FAILURE() << what << ": tar ends without its end-of-archive blocks";
  return out;
}

const TarEntry* find_entry(const std::vector<TarEntry>& entries, const std::string& name) {
  auto strip = [](std::string s) {
    while (s.starts_with("./")) {
      s = s.substr(2);
    }
    while (!s.empty() && s.back() == '/') {
      s.pop_back();
    }
    return s;
  };
  for (const auto& e : entries) {
    if (strip(e.name) == strip(name)) {
      return &e;
    }
  }
  return nullptr;
}

std::string tar_directory(const std::string& dir) {
  TarWriter tw;
  add_tree(tw, dir, "");
  return tw.finish();
}

void extract_tar(const std::string& archive_path, const std::string& dir) {
  fs::create_directories(dir);
  auto r = run_process({"tar", "-xf", archive_path, "-C", dir});
  if (!r.ok()) {
    ADD_FAILURE() << "extracting " << archive_path << ": " << r.describe();
  }
}

std::string compress(const std::string& data, const std::string& tool) {
  if (!find_program(tool)) {
    ADD_FAILURE() << missing_tool_message(tool);
    return "";
  }
  RunOptions o;
  o.input = data;
  auto r =
      tool == "zstd" ? run_process({"zstd", "-q", "-c"}, o) : run_process({tool, "-c", "-n"}, o);
  if (!r.ok()) {
    ADD_FAILURE() << r.describe();
  }
  return r.out;
}

std::string tiny_rootfs_tar(const std::string& seed) {
  return TarWriter()
      .dir("etc/")
      .file("etc/seed", seed + "\n")
      .file("hello.txt", "hello from " + seed + "\n")
      .finish();
}

namespace {

std::string handmade_config(const std::string& layer_tar) {
  Json config = {
      {"architecture", "amd64"},
      {"os", "linux"},
      {"created", "2024-01-01T00:00:00Z"},
      {"config", {{"Env", {"PATH=/bin"}}}},
      {"rootfs", {{"type", "layers"}, {"diff_ids", {"sha256:" + sha256_hex(layer_tar)}}}},
      {"history", {{{"created", "2024-01-01T00:00:00Z"}, {"created_by", "handmade"}}}}};
  return config.dump();
}

}  // namespace

std::string handmade_docker_archive(const HandmadeImage& image) {
  std::string config = handmade_config(image.layer_tar);
  std::string config_name = sha256_hex(config) + ".json";
  std::string layer_dir = sha256_hex(image.layer_tar);
  Json manifest = Json::array();
  manifest.push_back({{"Config", config_name},
                      {"RepoTags", image.ref.empty() ? Json(nullptr) : Json::array({image.ref})},
                      {"Layers", {layer_dir + "/layer.tar"}}});
  return TarWriter()
      .dir(layer_dir + "/")
      .file(layer_dir + "/layer.tar", image.layer_tar)
      .file(config_name, config)
      .file("manifest.json", manifest.dump())
      .finish();
}

std::string handmade_oci_archive(const HandmadeImage& image) {
  std::string config = handmade_config(image.layer_tar);
  Json manifest = {{"schemaVersion", 2},
                   {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                   {"config",
                    {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                     {"digest", "sha256:" + sha256_hex(config)},
                     {"size", config.size()}}},
                   {"layers",
                    {{{"mediaType", image.layer_media_type},
                      {"digest", "sha256:" + sha256_hex(image.layer_tar)},
                      {"size", image.layer_tar.size()}}}}};
  std::string manifest_text = manifest.dump();
  Json desc = {{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
               {"digest", "sha256:" + sha256_hex(manifest_text)},
               {"size", manifest_text.size()}};
  if (!image.ref.empty()) {
    desc["annotations"] = {{"org.opencontainers.image.ref.name", image.ref}};
  }
  Json index = {{"schemaVersion", 2}, {"manifests", {desc}}};
  return TarWriter()
      .file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})")
      .file("index.json", index.dump())
      .dir("blobs/")
      .dir("blobs/sha256/")
      .file("blobs/sha256/" + sha256_hex(image.layer_tar), image.layer_tar)
      .file("blobs/sha256/" + sha256_hex(config), config)
      .file("blobs/sha256/" + sha256_hex(manifest_text), manifest_text)
      .finish();
}

}  // namespace berth::it
