#!/usr/bin/env bash
# Measures `berth images` on a store holding 200 distinct images (one tiny layer, 200 image
# configs that differ by a label, each with its own tag) against the goal: median < 20 ms.
# The store is made fresh in a temporary directory and removed at the end; the timing is
# hyperfine's (3 warm-up runs, then RUNS runs, no shell in between).
#   BERTH        berth binary (default: build/berth of this checkout)
#   IMAGES       number of images (default 200)
#   RUNS         timed runs (default 30, at least 20)
#   BENCH_TMP    where the store goes (default /var/tmp)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
berth=${BERTH:-$here/../build/berth}
count=${IMAGES:-200}
runs=${RUNS:-30}
if [ "$runs" -lt 20 ]; then
  runs=20
fi
goal_ms=20

if [ ! -x "$berth" ]; then
  echo "images_bench: berth binary not found at $berth (scripts/build.sh, or set BERTH)" >&2
  exit 1
fi
command -v hyperfine >/dev/null || {
  echo "images_bench: hyperfine not installed (scripts/install-deps.sh)" >&2
  exit 1
}

read -r load _ </proc/loadavg
if awk -v l="$load" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
  echo "images_bench: warning: load average $load on $(nproc) cores: the timings will be noisy" >&2
fi

work=$(mktemp -d "${BENCH_TMP:-/var/tmp}/berth-images-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
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

cmd="$(printf '%q' "$berth") --root $(printf '%q' "$root") images"
hyperfine --warmup 3 --runs "$runs" -N --export-json "$work/images.json" "$cmd"
python3 - "$work/images.json" "$count" "$goal_ms" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
median_ms = r["median"] * 1000
goal = float(sys.argv[3])
verdict = "goal met" if median_ms < goal else "ABOVE GOAL"
print(f"berth images with {sys.argv[2]} images: median {median_ms:.2f} ms "
      f"(min {r['min'] * 1000:.2f}, max {r['max'] * 1000:.2f}; goal < {goal:g} ms: {verdict})")
EOF
