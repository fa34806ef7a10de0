#!/usr/bin/env bash
# Usage: make-busybox-image.sh [NAME]   (default busybox:latest)
# Makes the busybox root filesystem (scripts/make-busybox-rootfs.sh) in a temporary directory
# and imports it into berth's store as NAME with docker's PATH and CMD ["sh"]; prints the image
# ID. Because the rootfs is deterministic, the same busybox-static always gives the same layer.
#   BERTH        berth binary (default: build/berth of this checkout)
#   BERTH_ROOT   store root, passed as --root (default: berth's own default)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
name=${1:-busybox:latest}
# shellcheck source=scripts/lib/berth.sh
source "$here/lib/berth.sh"
berth_setup "$0"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/berth-busybox.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

bash "$here/make-busybox-rootfs.sh" "$tmp/rootfs" >/dev/null
"$berth" "${root_args[@]}" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["sh"]' \
  "$tmp/rootfs" "$name"
