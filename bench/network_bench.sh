#!/usr/bin/env bash
# Issue 6's network figures, berth side by side with docker where a private dockerd with its
# own bridge and NAT can run here:
#   conn/s   connections per second through a published port on 127.0.0.1 (ab -n N -c 8, a
#            new TCP connection per request) to busybox httpd in a container; also straight to
#            the container's address, the ceiling the published path is measured against
#   MB/s     one 200 MB download through the published port (curl)
#   start    `run --rm busybox true` on a bridge network minus the same with --network none
#            (hyperfine medians): what a bridge adds to a start; goal < 5 ms
# Goals: berth >= 2x docker's connection rate; a bridge costs < 5 ms on top of a start.
#   BERTH      berth binary (default: build/berth of this checkout)
#   REQUESTS   ab requests per run (default 5000)
#   BENCH_TMP  where the work goes (default /var/tmp)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
requests=${REQUESTS:-5000}
tmp_base=${BENCH_TMP:-/var/tmp}
# shellcheck source=scripts/lib/berth.sh
source "$here/../scripts/lib/berth.sh"
# shellcheck source=bench/lib/common.sh
source "$here/lib/common.sh"
berth_setup network_bench
if [ "$(id -u)" -ne 0 ]; then
  echo "network_bench: run as root (bridges, nftables, containers)" >&2
  exit 1
fi
for tool in ab curl hyperfine; do
  command -v "$tool" >/dev/null || {
    echo "network_bench: $tool is missing (scripts/install-deps.sh installs it)" >&2
    exit 1
  }
done
warn_if_busy network_bench

work=$(mktemp -d "$tmp_base/berth-network-bench.XXXXXX")
# shellcheck source=bench/lib/incumbents.sh
source "$here/lib/incumbents.sh"
b=("$berth" --root "$work/berth/root" --runroot "$work/berth/run")
net=nb-$$

# dockerd with networking writes iptables rules (nft tables ip nat, ip filter): the ones that
# were not there before the benchmark go with it.
tables_before=$(nft list tables 2>/dev/null || true)
cleanup() {
  set +e
  "${b[@]}" rm -f nb-web >/dev/null 2>&1
  "${b[@]}" network rm "$net" >/dev/null 2>&1
  if [ -n "${DOCKER_HOST:-}" ]; then
    docker rm -f nb-web >/dev/null 2>&1
  fi
  stop_dockerd
  nft list tables 2>/dev/null | while read -r _ family name; do
    grep -qxF "table $family $name" <<<"$tables_before" || nft delete table "$family" "$name"
  done
  { grep -F " $work/" /proc/self/mountinfo || true; } | awk '{ print $5 }' | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT

bash "$here/../scripts/make-busybox-rootfs.sh" "$work/rootfs" >/dev/null
mkdir -p "$work/rootfs/www"
echo ok >"$work/rootfs/www/i"
head -c 200M /dev/zero >"$work/rootfs/www/big"
path_env='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
"${b[@]}" import --change "$path_env" --change 'CMD ["sh"]' "$work/rootfs" busybox >/dev/null
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# conn_rate URL: ab's "Requests per second" (one connection each: no -k)
conn_rate() {
  ab -q -n "$requests" -c 8 "$1" 2>/dev/null | awk '/Requests per second/ { print $4 }'
}
# mbps URL: MB/s of one download
mbps() {
  curl -s -o /dev/null -w '%{speed_download}' "$1" | awk '{ printf "%.0f", $1 / 1e6 }'
}
wait_http() {
  local i
  for ((i = 0; i < 50; i++)); do
    curl -s -o /dev/null --max-time 1 "$1" && return 0
    sleep 0.1
  done
  return 1
}

echo "berth ..." >&2
"${b[@]}" network create "$net" >/dev/null
port=$(free_port)
"${b[@]}" run -d --name nb-web --network "$net" -p "$port:80" busybox httpd -f -p 80 -h /www \
  >/dev/null
wait_http "http://127.0.0.1:$port/i"
ip=$("${b[@]}" inspect -f '{{.NetworkSettings.IPAddress}}' nb-web)
berth_conn=$(conn_rate "http://127.0.0.1:$port/i")
berth_direct=$(conn_rate "http://$ip:80/i")
berth_mbps=$(mbps "http://127.0.0.1:$port/big")
"${b[@]}" rm -f nb-web >/dev/null
bq=$(printf '%q ' "${b[@]}")
hyperfine -N -w 3 -r 20 --export-json "$work/start.json" \
  "$bq run --rm --network none busybox true" "$bq run --rm --network $net busybox true" \
  >/dev/null 2>&1
read -r none_ms bridge_ms < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print(" ".join("%.1f" % (x["median"] * 1000) for x in r))' "$work/start.json")

docker_conn="" docker_mbps="" docker_why=""
echo "docker ..." >&2
ensure_incumbents >/dev/null 2>&1 || true
# docker's own bridge and NAT (iptables) and its userland proxy: the configuration users have.
if command -v dockerd >/dev/null && command -v iptables >/dev/null; then
  dir=$work/docker
  mkdir -p "$dir/data" "$dir/exec"
  dockerd --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/dockerd.pid" \
    --host "unix://$work/docker.sock" --bridge none --storage-driver overlay2 \
    --log-level error >"$dir/dockerd.log" 2>&1 &
  dockerd_pid=$!
  export DOCKER_HOST=unix://$work/docker.sock
  for ((i = 0; i < 100; i++)); do docker version >/dev/null 2>&1 && break; sleep 0.2; done
  if docker version >/dev/null 2>&1 &&
    tar -C "$work/rootfs" -c . | docker import -c "$path_env" - busybox >/dev/null 2>&1 &&
    docker network create nb-net >/dev/null 2>&1; then
    dport=$(free_port)
    if docker run -d --name nb-web --network nb-net -p "$dport:80" busybox httpd -f -p 80 \
      -h /www >/dev/null 2>&1 && wait_http "http://127.0.0.1:$dport/i"; then
      docker_conn=$(conn_rate "http://127.0.0.1:$dport/i")
      docker_mbps=$(mbps "http://127.0.0.1:$dport/big")
    else
      docker_why="its published port did not answer: $(tail -1 "$dir/dockerd.log")"
    fi
    docker rm -f nb-web >/dev/null 2>&1
    docker network rm nb-net >/dev/null 2>&1
  else
    docker_why="dockerd did not come up with networking: $(tail -1 "$dir/dockerd.log")"
  fi
else
  docker_why="dockerd or iptables is not installed"
fi

echo
echo "network_bench ($requests connections per run, 8 at a time)"
printf '  %-44s %10s\n' "berth conn/s via 127.0.0.1:published" "$berth_conn"
printf '  %-44s %10s\n' "berth conn/s straight to the container" "$berth_direct"
printf '  %-44s %10s\n' "berth MB/s via the published port" "$berth_mbps"
if [ -n "$docker_conn" ]; then
  printf '  %-44s %10s   berth/docker %s\n' "docker conn/s via 127.0.0.1:published" "$docker_conn" \
    "$(python3 -c "print('%.2f' % ($berth_conn / $docker_conn))")"
  printf '  %-44s %10s   berth/docker %s\n' "docker MB/s via the published port" "$docker_mbps" \
    "$(python3 -c "print('%.2f' % ($berth_mbps / max($docker_mbps, 1)))")"
else
  echo "  docker: not available: $docker_why"
fi
printf '  %-44s %7s ms (none %s ms, bridge %s ms)   goal < 5\n' "bridge cost on run --rm" \
  "$(python3 -c "print('%.1f' % ($bridge_ms - $none_ms))")" "$none_ms" "$bridge_ms"
