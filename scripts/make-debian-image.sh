#!/usr/bin/env bash
# Usage: make-debian-image.sh [--cache-only] [NAME]   (default debian:bookworm-slim)
# Makes a Debian bookworm image without a registry: `debootstrap --variant=minbase bookworm`
# from the mirror the host's apt uses (read from the host's apt sources now, never stored in the
# repository), with the apt caches and lists stripped and /etc/apt/sources.list pointing at that
# mirror, cached as a tarball (about 70 s to make, once), then imported into berth's store as NAME
# with docker's PATH and CMD ["bash"]; prints the image ID. Run as root.
#   --cache-only          only make (or check) the cached tarball and print its path
#   BERTH                 berth binary (default: build/berth of this checkout)
#   BERTH_ROOT            store root, passed as --root (default: berth's own default)
#   BERTH_CACHE           cache directory (default /var/cache/berth); delete
#                         $BERTH_CACHE/debian-bookworm-minbase.tar to make it again
#   BERTH_DEBIAN_MIRROR   mirror URL to use instead of the host's apt sources
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
suite=bookworm
cache_only=0
if [ "${1:-}" = "--cache-only" ]; then
  cache_only=1
  shift
fi
name=${1:-debian:bookworm-slim}
cache_dir=${BERTH_CACHE:-/var/cache/berth}
tarball=$cache_dir/debian-$suite-minbase.tar

# Prints the first URI of an enabled "deb" source for suite $1 with component main, from the
# deb822 files in /etc/apt/sources.list.d, then from one-line /etc/apt/sources.list{,.d/*.list}.
# Only URIs debootstrap can fetch from (http, https, ftp, file) count.
apt_source_uri() {
  local want=$1 f uris
  uris=$(
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -r "$f" ] || continue
      awk -v want="$want" '
        function flush() {
          if (types ~ /(^| )deb( |$)/ && suites ~ ("(^| )" want "/?( |$)") &&
              comps ~ /(^| )main( |$)/ && enabled !~ /^(no|false|0)$/) {
            n = split(uris, u, " ")
            for (i = 1; i <= n; i++) print u[i]
          }
          types = suites = comps = uris = key = ""; enabled = "yes"
        }
        BEGIN { enabled = "yes" }
        /^[ \t]*#/ { next }
        /^[ \t]*$/ { flush(); next }
        /^[ \t]/ { if (key == "uris") uris = uris " " $0; next }   # continuation line
        {
          key = tolower($0); sub(/:.*/, "", key)
          val = $0; sub(/^[^:]*:[ \t]*/, "", val); gsub(/[ \t]+/, " ", val)
          if (key == "types") types = val
          else if (key == "uris") uris = val
          else if (key == "suites") suites = val
          else if (key == "components") comps = val
          else if (key == "enabled") enabled = tolower(val)
        }
        END { flush() }
      ' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -r "$f" ] || continue
      # deb [option=value ...] URI SUITE COMPONENT...
      sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
        awk -v want="$want" '$1 == "deb" && ($3 == want || $3 == want "/") {
          for (i = 4; i <= NF; i++) if ($i == "main") { print $2; break }
        }'
    done
  )
  grep -E -m1 '^(https?|ftp|file):' <<<"$uris"
}

make_tarball() {
  local mirror=$1 security=$2
  if [ "$(id -u)" -ne 0 ]; then
    echo "$0: debootstrap needs root" >&2
    exit 1
  fi
  command -v debootstrap >/dev/null || {
    echo "$0: debootstrap not installed (scripts/install-deps.sh)" >&2
    exit 1
  }
  local work
  work=$(mktemp -d "$cache_dir/.debootstrap.XXXXXX")
  # --one-file-system: never descend into a /proc or /sys a killed debootstrap left mounted.
  # shellcheck disable=SC2064  # expand $work now: it is local
  trap "rm -rf --one-file-system '$work'" EXIT
  local rootfs=$work/rootfs log=$work/debootstrap.log
  echo "making $tarball: debootstrap --variant=minbase $suite (about 70 s)..." >&2
  if ! debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$log" 2>&1; then
    echo "$0: debootstrap failed; last lines of its log:" >&2
    tail -n 25 "$log" >&2
    exit 1
  fi
  # What docker's slim images leave out, and what describes the host rather than the image.
  rm -rf "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/bootstrap.log
  mkdir -p "$rootfs/var/lib/apt/lists/partial"
  # Device nodes come from the runtime's /dev, as in docker's images. The host's resolv.conf
  # and hostname (copied in by debootstrap) become empty files: removed first, because writing
  # through a symlink in the rootfs would write to the host.
  rm -rf "${rootfs:?}"/dev/* "$rootfs/etc/resolv.conf" "$rootfs/etc/hostname"
  install -m 0644 /dev/null "$rootfs/etc/resolv.conf"
  install -m 0644 /dev/null "$rootfs/etc/hostname"
  {
    echo "deb $mirror $suite main"
    echo "deb $mirror $suite-updates main"
    if [ -n "$security" ]; then
      echo "deb $security $suite-security main"
    fi
  } >"$work/sources.list"
  rm -f "$rootfs/etc/apt/sources.list"
  install -m 0644 "$work/sources.list" "$rootfs/etc/apt/sources.list"
  # Entries without a "./" prefix, as `docker export` writes them; numeric owners; file
  # capabilities kept.
  (cd "$rootfs" && find . -mindepth 1 -printf '%P\0' | LC_ALL=C sort -z) |
    tar -C "$rootfs" --null --no-recursion -T - --numeric-owner --format=pax \
      --xattrs --xattrs-include='security.capability' -cf "$work/rootfs.tar"
  mv -f "$work/rootfs.tar" "$tarball"
  rm -rf "$work"
  trap - EXIT
}

if [ ! -s "$tarball" ]; then
  mkdir -p "$cache_dir"
  # One maker at a time per cache; the others wait, then find the tarball made.
  exec 9>"$cache_dir/.debian-$suite.lock"
  flock 9
  if [ ! -s "$tarball" ]; then
    mirror=${BERTH_DEBIAN_MIRROR:-$(apt_source_uri "$suite" || true)}
    if [ -z "$mirror" ]; then
      echo "$0: no Debian mirror for suite '$suite' (component main) in the host's apt sources" \
        "(/etc/apt/sources.list.d/*.sources URIs:, /etc/apt/sources.list); set" \
        "BERTH_DEBIAN_MIRROR to a mirror URL" >&2
      exit 1
    fi
    security=$(apt_source_uri "$suite-security" || true)
    make_tarball "${mirror%/}" "${security%/}"
  fi
  exec 9>&-
fi

if [ "$cache_only" -eq 1 ]; then
  echo "$tarball"
  exit 0
fi

# shellcheck source=scripts/lib/berth.sh
source "$here/lib/berth.sh"
berth_setup "$0"
"$berth" "${root_args[@]}" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["bash"]' \
  "$tarball" "$name"
