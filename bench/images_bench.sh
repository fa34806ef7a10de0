#!/usr/bin/env bash
# Measures `berth images` on a store holding 200 distinct images (one tiny layer, 200 image
# configs that differ by a label, each with its own tag) against the goal: median < 20 ms, and
# side by side with `podman images` and `docker images` (a private dockerd) holding the same 200
# images, reported as ratios. Stores are made fresh in a temporary directory and removed at the
# end; the timing is hyperfine's (3 warm-up runs, then RUNS runs of each, no shell in between).
#   BERTH        berth binary (default: build/berth of this checkout)
#   IMAGES       number of images (default 200)
#   RUNS         timed runs (default 30, at least 20)
#   BENCH_TMP    where the store goes (default /var/tmp)
#   INCUMBENTS   0 to time berth alone (default 1: podman and docker too)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
count=${IMAGES:-200}
runs=${RUNS:-30}
if [ "$runs" -lt 20 ]; then
  runs=20
fi
goal_ms=20

# shellcheck source=scripts/lib/berth.sh
source "$here/../scripts/lib/berth.sh"
# shellcheck source=bench/lib/common.sh
source "$here/lib/common.sh"
berth_setup images_bench
command -v hyperfine >/dev/null || {
  echo "images_bench: hyperfine not installed (scripts/install-deps.sh)" >&2
  exit 1
}

warn_if_busy images_bench

work=$(mktemp -d "${BENCH_TMP:-/var/tmp}/berth-images-bench.XXXXXX")
# shellcheck source=bench/lib/incumbents.sh
source "$here/lib/incumbents.sh"
cleanup() {
  stop_dockerd
  if [ -d "$work/podman" ]; then
    podman_cmd system reset -f >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
root=$work/root

mkdir "$work/layer"
echo hello >"$work/layer/hello"
tar -C "$work/layer" --numeric-owner -cf "$work/tiny.tar" hello

echo "importing $count images into $root ..." >&2
start=$SECONDS
for ((i = 1; i <= count; i++)); do
  "$berth" --root "$root" import --change "LABEL n=$i" "$work/tiny.tar" "bench/img:$i" >/dev/null
done
echo "imported in $((SECONDS - start)) s" >&2

distinct=$("$berth" --root "$root" images -q --no-trunc | sort -u | wc -l)
if [ "$distinct" -ne "$count" ]; then
  echo "images_bench: the store lists $distinct distinct images, expected $count" >&2
  exit 1
fi

cmds=("$(printf '%q' "$berth") --root $(printf '%q' "$root") images")
names=("berth images")
if [ "${INCUMBENTS:-1}" != 0 ] && ensure_incumbents; then
  echo "importing $count images into podman ..." >&2
  for ((i = 1; i <= count; i++)); do
    podman_cmd import --change "LABEL n=$i" "$work/tiny.tar" "bench/img:$i" >/dev/null
  done
  cmds+=("podman --root $work/podman/root --runroot $work/podman/run --storage-driver overlay images")
  names+=("podman images")
  if start_dockerd; then
    echo "importing $count images into docker ..." >&2
    for ((i = 1; i <= count; i++)); do
      docker import --change "LABEL n=$i" "$work/tiny.tar" "bench/img:$i" >/dev/null
    done
    cmds+=("docker images")
    names+=("docker images")
  else
    echo "images_bench: docker comparison SKIPPED (dockerd did not start)" >&2
  fi
fi

args=()
for i in "${!cmds[@]}"; do
  args+=(--command-name "${names[$i]}" "${cmds[$i]}")
done
hyperfine --warmup 3 --runs "$runs" -N --export-json "$work/images.json" "${args[@]}"
python3 - "$work/images.json" "$count" "$goal_ms" <<'EOF'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
goal = float(sys.argv[3])
berth = results[0]["median"] * 1000
title = f"median of {len(results[0]['times'])} runs, {sys.argv[2]} images"
print(f"\n{title:40} {'ms':>8} {'vs berth':>10}")
for r in results:
    ms = r["median"] * 1000
    rel = "" if r is results[0] else f"{ms / berth:.1f}x"
    print(f"{r['command']:40} {ms:8.2f} {rel:>10}")
verdict = "goal met" if berth < goal else "ABOVE GOAL"
print(f"goal: berth images < {goal:g} ms: {verdict}")
EOF
