#!/usr/bin/env bash
# berth's main job for now (README command (a) runs it after the build): make the busybox image
# in a store and walk it through the image commands: images, image inspect, tag, history, save,
# rmi, load, images, system df. Each command is echoed as "+ berth ..." before it runs; the
# first one that fails stops the demo with that command's exit code.
#   BERTH        berth binary (default: build/berth of this checkout)
#   BERTH_ROOT   store root to use and keep (default: a temporary one, removed at the end)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BERTH=${BERTH:-$here/../build/berth}
if [ ! -x "$BERTH" ]; then
  echo "demo: berth binary not found at $BERTH (build it with scripts/build.sh, or set BERTH)" >&2
  exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/berth-demo.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if [ -z "${BERTH_ROOT:-}" ]; then
  BERTH_ROOT=$tmp/root
fi
export BERTH BERTH_ROOT
archive=$tmp/busybox.tar

# Runs berth on the demo's store, echoed first; stops the demo on failure with berth's status.
berth() {
  echo "+ berth $*"
  local rc=0
  "$BERTH" --root "$BERTH_ROOT" "$@" || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "demo: 'berth $*' failed with exit code $rc" >&2
    exit "$rc"
  fi
  echo
}

echo "store root: $BERTH_ROOT"
echo "+ scripts/make-busybox-image.sh busybox:latest"
rc=0
bash "$here/make-busybox-image.sh" busybox:latest || rc=$?
if [ "$rc" -ne 0 ]; then
  echo "demo: making the busybox image failed with exit code $rc" >&2
  exit "$rc"
fi
echo

berth images
berth image inspect busybox
berth tag busybox demo/busybox:1
berth history busybox
berth save -o "$archive" busybox
berth rmi demo/busybox:1
berth load -i "$archive"
berth images
berth system df
echo "demo: all commands succeeded"
