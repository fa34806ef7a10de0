#!/usr/bin/env bash
# Times issue 4's build benchmark side by side: the two-stage Dockerfile below built cold
# (--no-cache) and fully cached, with berth, `buildah bud --layers` and docker (a private dockerd
# with its BuildKit), all from one busybox image made locally (scripts/make-busybox-rootfs.sh).
# hyperfine runs each RUNS times (1 warm-up); the report gives medians and berth/X ratios.
# Goal: berth <= 400 ms cold and <= 30 ms cached. A tool that cannot run says
# "NAME: not available: REASON" and the others go on. Everything lives under a temporary
# directory and is stopped (by PID) and removed at exit.
#   BERTH      berth binary (default: build/berth of this checkout)
#   RUNS       timed runs of each (default 10)
#   BENCH_TMP  where the stores go (default /var/tmp)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
runs=${RUNS:-10}
tmp_base=${BENCH_TMP:-/var/tmp}
# shellcheck source=scripts/lib/berth.sh
source "$here/../scripts/lib/berth.sh"
# shellcheck source=bench/lib/common.sh
source "$here/lib/common.sh"
berth_setup build_bench
if [ "$(id -u)" -ne 0 ]; then
  echo "build_bench: run as root (containers, mounts, a private dockerd)" >&2
  exit 1
fi
command -v hyperfine >/dev/null || apt-get install -y -q hyperfine >/dev/null
warn_if_busy build_bench

work=$(mktemp -d "$tmp_base/berth-build-bench.XXXXXX")
# shellcheck source=bench/lib/incumbents.sh
source "$here/lib/incumbents.sh"
buildah_argv=(buildah --root "$work/podman/root" --runroot "$work/podman/run"
  --storage-driver overlay)

cleanup() {
  set +e
  stop_dockerd
  [ -d "$work/podman" ] && podman_cmd system reset -f >/dev/null 2>&1
  { grep -F " $work/" /proc/self/mountinfo || true; } | awk '{ print $5 }' | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT

ctx=$work/ctx
mkdir -p "$ctx"
cat >"$ctx/Dockerfile" <<'EOF'
FROM busybox AS s1
RUN dd if=/dev/urandom of=/big bs=1M count=50 && echo one > /a
FROM busybox
COPY --from=s1 /a /a
EOF
bash "$here/../scripts/make-busybox-rootfs.sh" "$work/rootfs" >/dev/null
tar -C "$work/rootfs" --numeric-owner -cf "$work/busybox.tar" .
path_env='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

names=()
cold=()
warm=()
add() { # add NAME COLD-COMMAND WARM-COMMAND (shell words, for hyperfine)
  names+=("$1")
  cold+=("$2")
  warm+=("$3")
}

berth_q=$(printf '%q ' "$berth" --root "$work/berth/root" --runroot "$work/berth/run")
if "$berth" --root "$work/berth/root" --runroot "$work/berth/run" import \
  --change "$path_env" --change 'CMD ["sh"]' "$work/rootfs" busybox >/dev/null; then
  add berth "$berth_q build -q --no-cache $ctx" "$berth_q build -q $ctx"
else
  echo "berth: not available: import failed"
fi

ensure_incumbents || true
if podman_cmd import --change "$path_env" --change 'CMD ["sh"]' "$work/busybox.tar" \
  docker.io/library/busybox:latest >/dev/null 2>&1; then
  bq=$(printf '%q ' "${buildah_argv[@]}")
  add buildah "$bq bud -q --layers --no-cache --isolation chroot $ctx" \
    "$bq bud -q --layers --isolation chroot $ctx"
else
  echo "buildah: not available: podman import of busybox failed"
fi

# Debian's docker.io CLI has BuildKit built in (DOCKER_BUILDKIT=1); a newer CLI on PATH may
# want the buildx plugin instead. RUN uses the host network in every tool (this dockerd has no
# bridge; berth's RUN uses the host's until issue 6).
docker_cli=$(command -v /usr/bin/docker || command -v docker)
if start_dockerd && "$docker_cli" import --change "$path_env" --change 'CMD ["sh"]' "$work/busybox.tar" \
  busybox >/dev/null 2>&1; then
  if DOCKER_BUILDKIT=1 "$docker_cli" build -q --network host "$ctx" >/dev/null 2>"$work/docker-build.err"; then
    add docker "env DOCKER_BUILDKIT=1 DOCKER_HOST=$DOCKER_HOST $docker_cli build -q --network host --no-cache $ctx" \
      "env DOCKER_BUILDKIT=1 DOCKER_HOST=$DOCKER_HOST $docker_cli build -q --network host $ctx"
  else
    echo "docker: not available: docker build failed: $(tail -1 "$work/docker-build.err")"
  fi
else
  echo "docker: not available: dockerd did not start or import failed"
fi

median() { # median of hyperfine's JSON times, in ms
  python3 -c 'import json,sys,statistics; print("%.1f" % (1000*statistics.median(json.load(open(sys.argv[1]))["results"][0]["times"])))' "$1"
}
declare -A result
for i in "${!names[@]}"; do
  n=${names[$i]}
  for kind in cold warm; do
    cmd=${cold[$i]}
    [ "$kind" = warm ] && cmd=${warm[$i]}
    hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/$n-$kind.json" "$cmd" \
      >/dev/null 2>&1 || { echo "$n $kind: hyperfine failed"; continue; }
    result[$n.$kind]=$(median "$work/$n-$kind.json")
  done
done

echo "build_bench: medians of $runs runs, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %10s %10s %14s %14s\n' tool cold_ms cached_ms berth/x_cold berth/x_cached
for n in "${names[@]}"; do
  c=${result[$n.cold]:-nan}
  w=${result[$n.warm]:-nan}
  rc=$(awk -v a="${result[berth.cold]:-nan}" -v b="$c" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
  rw=$(awk -v a="${result[berth.warm]:-nan}" -v b="$w" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
  printf '%-8s %10s %10s %14s %14s\n' "$n" "$c" "$w" "$rc" "$rw"
done
echo "goal: berth cold <= 400 ms, cached <= 30 ms"
