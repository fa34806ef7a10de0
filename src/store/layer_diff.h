// Making a layer: a directory tree (or an overlayfs upper directory, which holds exactly a
// container's changes) written as a layer tar.
#pragma once

#include <cstdint>
#include <optional>

#include "base/error.h"
#include "base/stream.h"

namespace berth::store {

struct DiffOptions {
  // The tree is an overlayfs upper directory: its whiteouts (char devices 0:0) become ".wh.<name>"
  // entries and its opaque directories (xattr trusted.overlay.opaque or user.overlay.opaque = "y")
  // get a "<dir>/.wh..wh..opq" entry right after their own.
  bool overlay_upper = false;
  // SOURCE_DATE_EPOCH: mtimes later than this are written as this.
  std::optional<int64_t> clamp_mtime_seconds = std::nullopt;
};

// Writes the tree under src_dirfd (not the directory itself) to out as an uncompressed PAX tar
// (ustar headers, PAX records only where needed). Reproducible: the same tree gives the same
// bytes. Each directory's entries are sorted bytewise by their tar name and a directory comes
// right before its contents (as `tar --sort=name` and Go's filepath.Walk order them); names
// have no "./", directories end in "/". Recorded: numeric uid/gid (empty user and group
// names), mode, mtime in whole seconds (no atime/ctime), symlink targets, devices, fifos, and
// the xattrs security.capability, user.* and trusted.* as SCHILY.xattr records (never
// trusted.overlay.*, nor user.overlay.* of an overlay upper dir). A second or later name of an
// inode with several links is a hardlink entry to the first. Sockets are skipped. Symlinks are
// never followed; src_dirfd is borrowed. Blocks on reads and on out.
//
// The tree must not change while it is written (a file that shrinks is padded with zeros to
// the size seen first). Errors name the path; out's errors pass through unchanged. On error,
// out has received a partial tar.
Result<void> write_layer(int src_dirfd, Writer& out, const DiffOptions& opts = {});

}  // namespace berth::store
