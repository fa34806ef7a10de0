#!/usr/bin/env bash
# Compares: unpacking a ~500 MB root filesystem tarball with `tar -xf FILE -C DIR` (the floor:
# what any import must at least do) against `berth --root ROOT import FILE bench:1` (which also
# stores the layer blob, hashes it and applies it as a layer). Goal: berth's speed >= 0.80 x tar's.
#
# The tarball is made once per run of this script: the cached Debian rootfs of
# scripts/make-debian-image.sh if it exists, topped up with real files copied from /usr (many
# small headers and docs, some large libraries and binaries) up to BENCH_SIZE_MB. Then N runs
# each, alternating (and alternating which goes first), every run into a fresh directory or
# store root on the same filesystem. The page cache is not dropped (the tarball stays warm for
# both); dirty pages are flushed with `sync` before each run, untimed, so neither pays for the
# other's writeback. Prints each run and a table of medians and the speed ratio.
#   BERTH          berth binary (default: build/berth of this checkout)
#   N              runs per tool (default 5)
#   BENCH_SIZE_MB  tarball size to aim for, in MB of 10^6 bytes (default 500)
#   BENCH_TARBALL  use this tarball instead of making one
#   BENCH_TMP      where the temporary files go (default /var/tmp: a disk, not a tmpfs)
#   BERTH_CACHE    where make-debian-image.sh caches its tarball (default /var/cache/berth)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
runs=${N:-5}
size_mb=${BENCH_SIZE_MB:-500}
debian_tar=${BERTH_CACHE:-/var/cache/berth}/debian-bookworm-minbase.tar

# shellcheck source=scripts/lib/berth.sh
source "$here/../scripts/lib/berth.sh"
# shellcheck source=bench/lib/common.sh
source "$here/lib/common.sh"
berth_setup import_bench
if [ "$(id -u)" -ne 0 ]; then
  echo "import_bench: run as root (both tar and berth then keep owners and modes)" >&2
  exit 1
fi

warn_if_busy import_bench

work=$(mktemp -d "${BENCH_TMP:-/var/tmp}/berth-import-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# copy_from_usr DEST BUDGET TREE...: copies regular files and symlinks of the TREEs, in path
# order, into DEST (keeping their paths) until their sizes add up to BUDGET bytes.
copy_from_usr() {
  local dest=$1 budget=$2
  shift 2
  python3 - "$budget" "$@" >"$work/list" <<'EOF'
import os, stat, sys
budget = int(sys.argv[1])
total = 0
out = sys.stdout.buffer
for top in sys.argv[2:]:
    for root, dirs, files in os.walk(top):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
                continue
            if stat.S_ISREG(st.st_mode) and not os.access(path, os.R_OK):
                continue
            out.write(path.lstrip("/").encode("utf-8", "surrogateescape") + b"\0")
            total += st.st_size if stat.S_ISREG(st.st_mode) else 0
            if total >= budget:
                sys.exit(0)
EOF
  mkdir -p "$dest"
  tar -C / --null --no-recursion -T "$work/list" -cf - | tar -C "$dest" -xf -
}

make_tarball() {
  local out=$1 stage=$work/stage
  mkdir -p "$stage"
  local base="copies of /usr"
  if [ -s "$debian_tar" ]; then
    tar -C "$stage" -xf "$debian_tar"
    base="Debian minbase rootfs + copies of /usr"
  fi
  local have need
  have=$(du -sb "$stage" | cut -f1)
  need=$((size_mb * 1000000 - have))
  if [ "$need" -gt 0 ]; then
    # About 40% many small files (headers, docs, locales), 60% libraries and binaries.
    copy_from_usr "$stage/opt/bench-small" $((need * 4 / 10)) /usr/include /usr/share
    have=$(du -sb "$stage" | cut -f1)
    copy_from_usr "$stage/opt/bench-large" $((size_mb * 1000000 - have)) /usr/lib /usr/bin
  fi
  (cd "$stage" && find . -mindepth 1 -printf '%P\0' | LC_ALL=C sort -z) |
    tar -C "$stage" --null --no-recursion -T - --numeric-owner -cf "$out"
  rm -rf "$stage"
  echo "tarball: $base" >&2
}

if [ -n "${BENCH_TARBALL:-}" ]; then
  tarball=$BENCH_TARBALL
else
  tarball=$work/rootfs.tar
  echo "making a ${size_mb} MB rootfs tarball in $work ..." >&2
  make_tarball "$tarball"
fi
bytes=$(stat -c %s "$tarball")
read -r entries big < <(tar -tvf "$tarball" | awk '{ n++ } $3 >= 1048576 { b++ } END { print n, b + 0 }')
echo "tarball: $tarball: $((bytes / 1000000)) MB, $entries entries ($big of them >= 1 MiB)"

now_ns() { date +%s%N; }
tar_times=()
berth_times=()

run_tar() {  # $1 run number
  local dir=$work/tar-$1 t0 t1
  mkdir "$dir"
  sync
  t0=$(now_ns)
  tar -xf "$tarball" -C "$dir"
  t1=$(now_ns)
  tar_times+=("$((t1 - t0))")
  printf 'run %d  tar -xf        %8.3f s\n' "$1" "$(bc_div "$((t1 - t0))" 1000000000)"
  rm -rf "$dir"
}

run_berth() {  # $1 run number
  local root=$work/berth-$1 t0 t1
  mkdir "$root"
  sync
  t0=$(now_ns)
  "$berth" --root "$root" import "$tarball" bench:1 >/dev/null
  t1=$(now_ns)
  berth_times+=("$((t1 - t0))")
  printf 'run %d  berth import   %8.3f s\n' "$1" "$(bc_div "$((t1 - t0))" 1000000000)"
  rm -rf "$root"
}

bc_div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", a / b }'; }
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
  if (NR % 2) print v[(NR + 1) / 2]; else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for ((i = 1; i <= runs; i++)); do
  if ((i % 2)); then
    run_tar "$i"
    run_berth "$i"
  else
    run_berth "$i"
    run_tar "$i"
  fi
done

tar_med=$(median "${tar_times[@]}")
berth_med=$(median "${berth_times[@]}")
awk -v bytes="$bytes" -v t="$tar_med" -v b="$berth_med" -v n="$runs" 'BEGIN {
  ts = t / 1e9; bs = b / 1e9
  tsp = bytes / 1e6 / ts; bsp = bytes / 1e6 / bs
  ratio = tsp > 0 ? bsp / tsp : 0
  printf "\n%-28s %10s %10s\n", "median of " n " runs", "seconds", "MB/s"
  printf "%-28s %10.3f %10.1f\n", "tar -xf", ts, tsp
  printf "%-28s %10.3f %10.1f\n", "berth import", bs, bsp
  printf "%-28s %10.2f %10s\n", "ratio berth / tar speed", ratio, (ratio >= 0.80 ? "goal met" : "BELOW 0.80")
}'
