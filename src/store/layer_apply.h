// Applying a layer: unpacking one (uncompressed) layer tar into an empty directory that
// becomes an overlayfs lower directory. The tar comes from an image, so it is hostile input:
// nothing it says may make us write outside the target.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/error.h"
#include "base/stream.h"

namespace berth::store {

struct ApplyStats {
  int64_t entries = 0;  // tar entries read (including whiteouts and hardlinks)
  int64_t bytes = 0;    // bytes of the regular files and symlinks written (docker's size)
};

// Reads the uncompressed tar stream `tar` (the caller wraps decompression and hashing around
// it) and writes its entries into target_dirfd, which must be an empty directory that nothing
// else writes to meanwhile; then reads `tar` to its very end (padding after the end-of-archive
// blocks included), so a hash around it covers every byte. Blocks on `tar`.
//
// Safety: every path is resolved relative to target_dirfd, beneath it and through no symlink
// (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, or one-component *at calls on such a
// directory). Names are normalised ("./a//b/" → "a/b"); an absolute name or one with a ".."
// component, a path through a symlink or a non-directory, and a hardlink whose target is
// outside, missing, a directory or reached through a symlink are refused with InvalidArgument
// naming the entry: `layer entry "../evil": path escapes the layer`. Symlink targets are stored
// as they are and never followed. "/" and "." entries only set the target's own metadata.
//
// What is written: regular files, directories (missing parents created 0755, like tar),
// symlinks, hardlinks, char/block devices, fifos; numeric owners, modes (setuid/setgid/sticky
// included), mtimes (directories' at the end), and the xattrs of PAX SCHILY.xattr records in
// security.capability, user.* and trusted.* (trusted.overlay.* and other namespaces ignored).
// A later entry of the same name replaces an earlier one (a directory over a directory merges).
// Whiteouts become overlayfs ones: "d/.wh.n" → char device 0:0 "d/n"; "d/.wh..wh..opq" →
// xattr trusted.overlay.opaque=y on "d"; other ".wh..wh." names are skipped.
//
// Errors: InvalidArgument for refused entries, Corrupt for a malformed tar, errors of `tar`
// itself unchanged, and system errors naming the entry; all carry `what` as their context.
// On error the target holds a partial tree: the CALLER removes the target directory.
Result<ApplyStats> apply_layer(Reader& tar, int target_dirfd, std::string_view what);

}  // namespace berth::store
