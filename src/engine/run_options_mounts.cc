// -v, --mount and --tmpfs: docker's CLI checks, then its daemon's (moby's linux mount parser),
// with their error texts.
#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "base/strings.h"
#include "engine/run_options.h"
#include "engine/run_options_go.h"
#include "engine/volumes.h"

namespace berth::engine {

namespace {

using go::invalid;

// Go's path.Clean.
std::string clean_path(std::string_view p) {
  if (p.empty()) {
    return ".";
  }
  bool rooted = p[0] == '/';
  std::vector<std::string> out;
  for (const auto& part : split(p, '/')) {
    if (part.empty() || part == ".") {
      continue;
    }
    if (part == "..") {
      if (!out.empty() && out.back() != "..") {
        out.pop_back();
      } else if (!rooted) {
        out.push_back(part);
      }
      continue;
    }
    out.push_back(part);
  }
  std::string joined = join(out, "/");
  if (rooted) {
    return "/" + joined;
  }
  return joined.empty() ? "." : joined;
}

// docker's CLI turns "./data" and "../x" into absolute paths before sending them.
std::string absolute_source(std::string_view source, std::string_view cwd) {
  if (!source.empty() && source[0] == '.' && !cwd.empty()) {
    return clean_path(std::string(cwd) + "/" + std::string(source));
  }
  return std::string(source);
}

bool is_abs(std::string_view p) { return !p.empty() && p[0] == '/'; }

constexpr std::string_view kPropagations[] = {"private", "rprivate", "slave",
                                              "rslave",  "shared",   "rshared"};

bool is_propagation(std::string_view o) {
  return std::find(std::begin(kPropagations), std::end(kPropagations), o) !=
         std::end(kPropagations);
}

// moby's linuxValidMountMode: each kind of option at most once.
bool valid_mount_mode(std::string_view mode) {
  if (mode.empty()) {
    return true;
  }
  int rw = 0, label = 0, propagation = 0, copy = 0, consistency = 0;
  for (const auto& o : split(mode, ',')) {
    if (o == "rw" || o == "ro") {
      ++rw;
    } else if (o == "z" || o == "Z") {
      ++label;
    } else if (is_propagation(o)) {
      ++propagation;
    } else if (o == "nocopy") {
      ++copy;
    } else if (o == "consistent" || o == "cached" || o == "delegated") {
      ++consistency;
    } else {
      return false;
    }
  }
  return rw <= 1 && label <= 1 && propagation <= 1 && copy <= 1 && consistency <= 1;
}

// moby's validateMountConfigImpl for what -v and --mount share: the target.
Result<void> check_target(std::string_view target) {
  if (clean_path(target) == "/") {
    return invalid("invalid specification: destination can't be '/'");
  }
  if (!is_abs(target)) {
    return invalid(fmt::format("invalid mount path: '{}' mount path must be absolute", target));
  }
  return {};
}

Result<void> check_volume_name(std::string_view name) {
  if (name.empty()) {
    return {};
  }
  return with_context(validate_volume_name(name), fmt::format("create {}", name));
}

// docker's CLI pass over a -v value (compose's volume spec parser, Linux rules).
Result<void> check_volume_sections(std::string_view value) {
  if (value.empty()) {
    return invalid("invalid empty volume spec");
  }
  if (value.size() <= 2) {
    return {};
  }
  auto sections = split(value, ':');
  for (size_t i = 0; i < sections.size(); ++i) {
    if (sections[i].empty()) {
      return invalid(fmt::format("invalid spec: {}: empty section between colons", value));
    }
    if (i >= 3) {
      return invalid(fmt::format("invalid spec: {}: too many colons", value));
    }
  }
  return {};
}

}  // namespace

Result<VolumeFlag> parse_volume_flag(std::string_view value, std::string_view cwd) {
  BERTH_CHECK(check_volume_sections(value));
  auto spec_error = [&] {
    return invalid(fmt::format("invalid volume specification: '{}'", value));
  };
  auto parts = split(value, ':');
  if (parts[0].empty() || parts.size() > 3) {
    return spec_error();
  }
  VolumeFlag v;
  if (parts.size() == 1) {
    v.target = parts[0];
  } else {
    if (parts.size() == 2 && valid_mount_mode(parts[1])) {
      return spec_error();  // "/data:ro": a destination and a mode, but no source
    }
    v.source = absolute_source(parts[0], cwd);
    v.target = parts[1];
    v.mode = parts.size() == 3 ? parts[2] : "";
  }
  if (!valid_mount_mode(v.mode)) {
    return invalid(fmt::format("invalid mode: {}", v.mode));
  }
  v.type = is_abs(v.source) ? "bind" : "volume";
  for (const auto& o : split(v.mode, ',')) {
    v.read_only = v.read_only || o == "ro";
    v.nocopy = v.nocopy || o == "nocopy";
    if (is_propagation(o)) {
      v.propagation = o;
    }
  }
  auto config_error = [&](std::string_view why) {
    return invalid(
        fmt::format("invalid volume specification: '{}': invalid mount config for type \"{}\": {}",
                    value, v.type, why));
  };
  if (v.type == "bind" && v.nocopy) {
    return config_error("field VolumeOptions must not be specified");
  }
  if (v.type == "volume" && !v.propagation.empty()) {
    return config_error("field BindOptions must not be specified");
  }
  if (auto t = check_target(v.target); !t) {
    return config_error(t.error().message());
  }
  v.target = clean_path(v.target);
  if (v.type == "bind") {
    v.source = clean_path(v.source);
  } else {
    BERTH_CHECK(check_volume_name(v.source));
  }
  return v;
}

// --- --mount ------------------------------------------------------------------------------

namespace {

// The first record of Go's encoding/csv reader: comma-separated fields, a field that starts
// with '"' is quoted ("" inside is one quote).
Result<std::vector<std::string>> read_csv_record(std::string_view s) {
  s = s.substr(0, s.find('\n'));
  if (s.empty()) {
    return invalid("EOF");
  }
  std::vector<std::string> fields;
  size_t i = 0;
  while (true) {
    std::string field;
    size_t col = i + 1;
    if (i < s.size() && s[i] == '"') {
      ++i;
      while (true) {
        if (i >= s.size()) {
          return invalid(fmt::format(
              "parse error on line 1, column {}: extraneous or missing \" in quoted-field", i + 1));
        }
        if (s[i] == '"' && i + 1 < s.size() && s[i + 1] == '"') {
          field += '"';
          i += 2;
        } else if (s[i] == '"') {
          ++i;
          break;
        } else {
          field += s[i++];
        }
      }
      if (i < s.size() && s[i] != ',') {
        return invalid(fmt::format(
            "parse error on line 1, column {}: extraneous or missing \" in quoted-field", i + 1));
      }
    } else {
      size_t end = std::min(s.find(',', i), s.size());
      field = std::string(s.substr(i, end - i));
      if (size_t q = field.find('"'); q != std::string::npos) {
        return invalid(
            fmt::format("parse error on line 1, column {}: bare \" in non-quoted-field", col + q));
      }
      i = end;
    }
    fields.push_back(std::move(field));
    if (i >= s.size()) {
      return fields;
    }
    ++i;  // the comma
  }
}

// What the CLI saw besides the MountSpec fields, for its cross-field checks.
struct MountExtras {
  bool bind_opts = false, volume_opts = false, tmpfs_opts = false, image_opts = false;
  bool ro_nonrecursive = false, ro_force_recursive = false;
  std::string unsupported;  // the first option berth cannot represent yet
};

// One field of a --mount value, split at its first '='.
struct Field {
  const std::string& text;
  std::string key;  // lowercased, as docker's CLI does
  std::string_view val;
  bool has_value = false;
};

tl::unexpected<Error> bad_value(const Field& f) {
  return invalid(fmt::format("invalid value for {}: {}", f.key, f.val));
}

// A boolean option: bare means true, else Go's ParseBool.
Result<void> field_bool(const Field& f, bool& out) {
  auto b = f.has_value ? go::parse_bool(f.val) : std::optional<bool>(true);
  if (!b) {
    return bad_value(f);
  }
  out = *b;
  return {};
}

// bind-* options; false when f is none of them.
Result<bool> bind_field(MountSpec& m, MountExtras& x, const Field& f) {
  if (f.key == "bind-propagation") {
    m.bind_propagation = to_lower(f.val);
  } else if (f.key == "bind-nonrecursive") {
    BERTH_CHECK(field_bool(f, m.bind_nonrecursive));
  } else if (f.key == "bind-recursive") {
    if (f.val == "disabled") {
      m.bind_nonrecursive = true;
    } else if (f.val == "writable") {
      x.ro_nonrecursive = true;
      x.unsupported = "bind-recursive=writable";
    } else if (f.val == "readonly") {
      x.ro_force_recursive = true;
    } else if (f.val != "enabled") {
      return invalid(fmt::format(
          "invalid value for {}: {} (must be \"enabled\", \"disabled\", \"writable\", or "
          "\"readonly\")",
          f.key, f.val));
    }
  } else {
    return false;
  }
  x.bind_opts = true;
  return true;
}

// volume-* options; false when f is none of them.
Result<bool> volume_field(MountSpec& m, MountExtras& x, const Field& f) {
  if (f.key == "volume-nocopy") {
    BERTH_CHECK(field_bool(f, m.volume_nocopy));
  } else if (f.key == "volume-label") {
    auto [k, v] = cut(f.val, '=');
    if (!k.empty()) {
      m.volume_labels[std::string(k)] = std::string(v);
    }
  } else if (f.key == "volume-driver") {
    if (f.val != "local" && x.unsupported.empty()) {
      x.unsupported = fmt::format("volume driver \"{}\" (only \"local\")", f.val);
    }
  } else if (f.key == "volume-subpath" || f.key == "volume-opt") {
    x.unsupported = x.unsupported.empty() ? f.key : x.unsupported;
  } else {
    return false;
  }
  x.volume_opts = true;
  return true;
}

// tmpfs-* options; false when f is none of them.
Result<bool> tmpfs_field(MountSpec& m, MountExtras& x, const Field& f) {
  if (f.key == "tmpfs-size") {
    auto size = parse_bytes(f.val, "--mount");
    if (!size) {
      return bad_value(f);
    }
    m.tmpfs_size = *size;
  } else if (f.key == "tmpfs-mode") {
    std::string v(f.val);
    char* end = nullptr;
    unsigned long mode =
        v.empty() || v[0] == '-' || v[0] == '+' ? 0 : std::strtoul(v.c_str(), &end, 8);
    if (end == nullptr || *end != '\0' || mode > 0xffffffffUL) {
      return bad_value(f);
    }
    m.tmpfs_mode = static_cast<uint32_t>(mode);
  } else {
    return false;
  }
  x.tmpfs_opts = true;
  return true;
}

// One key=value field of --mount; errors are docker CLI 28's texts.
Result<void> mount_field(MountSpec& m, MountExtras& x, const std::string& text,
                         std::string_view cwd) {
  Field f{text, "", {}, false};
  auto [raw_key, val] = cut(text, '=', &f.has_value);
  f.key = to_lower(raw_key);
  f.val = val;
  if (!f.has_value && f.key != "readonly" && f.key != "ro" && f.key != "volume-nocopy" &&
      f.key != "bind-nonrecursive") {
    return invalid(fmt::format("invalid field '{}' must be a key=value pair", text));
  }
  if (f.key == "type") {
    m.type = to_lower(f.val);
  } else if (f.key == "source" || f.key == "src") {
    m.source = absolute_source(f.val, cwd);
  } else if (f.key == "target" || f.key == "dst" || f.key == "destination") {
    m.target = std::string(f.val);
  } else if (f.key == "readonly" || f.key == "ro") {
    return field_bool(f, m.read_only);
  } else if (f.key == "consistency") {
    // Linux ignores it, as docker does.
  } else if (f.key == "image-subpath") {
    x.image_opts = true;
  } else if (!BERTH_TRY(bind_field(m, x, f)) && !BERTH_TRY(volume_field(m, x, f)) &&
             !BERTH_TRY(tmpfs_field(m, x, f))) {
    return invalid(fmt::format("unexpected key '{}' in '{}'", f.key, text));
  }
  return {};
}

// docker's CLI checks across fields.
Result<void> check_mount_fields(const MountSpec& m, const MountExtras& x) {
  if (m.type.empty()) {
    return invalid("type is required");
  }
  if (m.target.empty()) {
    return invalid("target is required");
  }
  auto mix = [&](std::string_view what) {
    return invalid(fmt::format("cannot mix '{}-*' options with mount type '{}'", what, m.type));
  };
  if (x.volume_opts && m.type != "volume") {
    return mix("volume");
  }
  if (x.image_opts && m.type != "image") {
    return mix("image");
  }
  if (x.bind_opts && m.type != "bind") {
    return mix("bind");
  }
  if (x.tmpfs_opts && m.type != "tmpfs") {
    return mix("tmpfs");
  }
  if (x.ro_nonrecursive && !m.read_only) {
    return invalid(
        "option 'bind-recursive=writable' requires 'readonly' to be specified in conjunction");
  }
  if (x.ro_force_recursive) {
    if (!m.read_only) {
      return invalid(
          "option 'bind-recursive=readonly' requires 'readonly' to be specified in conjunction");
    }
    if (m.bind_propagation != "rprivate") {
      return invalid(
          "option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' to be specified "
          "in conjunction");
    }
  }
  return {};
}

// moby's validateMountConfigImpl (without the bind source existence check, which needs the
// host's file system and belongs to create).
Result<void> check_mount_config(const MountSpec& m) {
  if (m.type != "bind" && m.type != "volume" && m.type != "tmpfs") {
    return invalid("mount type unknown");
  }
  BERTH_CHECK(check_target(m.target));
  if (m.type == "bind") {
    if (m.source.empty()) {
      return invalid("field Source must not be empty");
    }
    if (!m.bind_propagation.empty() && !is_propagation(m.bind_propagation)) {
      return invalid(fmt::format("invalid propagation mode: {}", m.bind_propagation));
    }
    if (!is_abs(m.source)) {
      return invalid(fmt::format("invalid mount path: '{}' mount path must be absolute", m.source));
    }
  } else if (m.type == "tmpfs" && !m.source.empty()) {
    return invalid("field Source must not be specified");
  }
  return {};
}

}  // namespace

Result<MountSpec> parse_mount_flag(std::string_view value, std::string_view cwd) {
  auto cli_error = [&](const Error& e) {
    return tl::unexpected(flag_error("--mount", value, e.message()));
  };
  auto fields = read_csv_record(value);
  if (!fields) {
    return cli_error(fields.error());
  }
  MountSpec m;
  MountExtras x;
  for (const auto& field : *fields) {
    if (auto r = mount_field(m, x, field, cwd); !r) {
      return cli_error(r.error());
    }
  }
  if (auto r = check_mount_fields(m, x); !r) {
    return cli_error(r.error());
  }
  if (m.type == "image") {
    x.unsupported = "type=image";
  }
  if (!x.unsupported.empty()) {
    return cli_error(Error(Code::kInvalidArgument,
                           fmt::format("{} is not supported by berth yet", x.unsupported)));
  }
  if (auto r = check_mount_config(m); !r) {
    return invalid(
        fmt::format("invalid mount config for type \"{}\": {}", m.type, r.error().message()));
  }
  m.target = clean_path(m.target);
  if (m.type == "bind") {
    m.source = clean_path(m.source);
  } else if (m.type == "volume") {
    BERTH_CHECK(check_volume_name(m.source));
  }
  return m;
}

// --- --tmpfs ------------------------------------------------------------------------------

namespace {

// moby/sys/mount's flag words and the data keys MergeTmpfsOptions accepts.
constexpr std::string_view kTmpfsFlags[] = {
    "defaults",   "ro",          "rw",         "suid",        "nosuid",        "dev",     "nodev",
    "exec",       "noexec",      "sync",       "async",       "dirsync",       "remount", "mand",
    "nomand",     "atime",       "noatime",    "diratime",    "nodiratime",    "bind",    "rbind",
    "unbindable", "runbindable", "private",    "rprivate",    "shared",        "rshared", "slave",
    "rslave",     "relatime",    "norelatime", "strictatime", "nostrictatime",
};
constexpr std::string_view kTmpfsData[] = {"size",      "mode",      "uid", "gid",
                                           "nr_inodes", "nr_blocks", "mpol"};

}  // namespace

Result<std::pair<std::string, std::string>> parse_tmpfs_flag(std::string_view value) {
  auto [path, options] = cut(value, ':');
  BERTH_CHECK(check_target(path));
  if (!options.empty()) {
    for (const auto& o : split(options, ',')) {
      if (std::find(std::begin(kTmpfsFlags), std::end(kTmpfsFlags), o) != std::end(kTmpfsFlags)) {
        continue;
      }
      bool has_value = false;
      auto key = cut(o, '=', &has_value).first;
      if (!has_value ||
          std::find(std::begin(kTmpfsData), std::end(kTmpfsData), key) == std::end(kTmpfsData)) {
        return invalid(fmt::format("invalid tmpfs option \"{}\"", key));
      }
    }
  }
  return std::make_pair(std::string(path), std::string(options));
}

}  // namespace berth::engine
