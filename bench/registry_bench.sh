#!/usr/bin/env bash
# Pull and push through a local docker-registry, berth side by side with `skopeo copy` on the same
# machine, reported as MB/s and ratios (issue 5). Not run in CI.
#   image      4 layers of LAYER_MB (default 50) MB of random bytes each, gzip, made here
#   pull       berth pull into a fresh store; skopeo copy docker:// → oci: (blobs only)
#   push       berth push of the pulled image (blobs as stored) to a second, empty registry;
#              skopeo copy oci: → docker:// of the same blobs to a third one
#   push+gz    berth push of the same 4 layers imported uncompressed: compressed on the fly
#   resume     a pull through registry_proxy.py cut at 50 % of the image's bytes, then a second
#              pull: the bytes the second pull transfers, as a share of the image
#   BERTH      berth binary (default: build/berth of this checkout)
#   BENCH_TMP  where the work goes (default /var/tmp)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
layer_mb=${LAYER_MB:-50}
# shellcheck source=scripts/lib/berth.sh
source "$here/../scripts/lib/berth.sh"
# shellcheck source=bench/lib/common.sh
source "$here/lib/common.sh"
berth_setup registry_bench
for tool in docker-registry skopeo python3 gzip; do
  command -v "$tool" >/dev/null || {
    echo "registry_bench: $tool not installed (scripts/install-deps.sh)" >&2
    exit 1
  }
done
warn_if_busy registry_bench

work=$(mktemp -d "${BENCH_TMP:-/var/tmp}/berth-registry-bench.XXXXXX")
pids=()
cleanup() {
  # Registries are started in command substitutions (subshells): their PIDs are in files.
  for f in "$work"/*/pid; do
    [ -f "$f" ] && pids+=("$(cat "$f")")
  done
  for p in "${pids[@]}"; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_registry NAME → prints its port once it answers
start_registry() {
  local name=$1 port
  port=$(free_port)
  mkdir -p "$work/$name"
  cat >"$work/$name/config.yml" <<EOF
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $work/$name/data}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$port}
EOF
  docker-registry serve "$work/$name/config.yml" >"$work/$name/log" 2>&1 &
  echo $! >"$work/$name/pid"
  for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
    sleep 0.1
  done
  echo "$port"
}

now() { date +%s.%N; }
mbps() { python3 -c "print(f'{$1 / 1e6 / ($3 - $2):.0f}')"; }

# The image: an OCI layout of 4 random gzip layers, and the same tars for berth import.
echo "making 4 layers of $layer_mb MB ..." >&2
python3 - "$work" "$layer_mb" <<'EOF'
import gzip, hashlib, io, json, os, sys, tarfile
work, mb = sys.argv[1], int(sys.argv[2])
blobs = os.path.join(work, "oci", "blobs", "sha256")
os.makedirs(blobs)
def put(data):
    d = hashlib.sha256(data).hexdigest()
    open(os.path.join(blobs, d), "wb").write(data)
    return "sha256:" + d
layers, diffs = [], []
for i in range(4):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        info = tarfile.TarInfo(f"layer{i}.bin"); info.size = mb << 20
        t.addfile(info, io.BytesIO(os.urandom(info.size)))
    raw = buf.getvalue()
    open(os.path.join(work, f"layer{i}.tar"), "wb").write(raw)
    z = gzip.compress(raw, compresslevel=1, mtime=0)
    diffs.append("sha256:" + hashlib.sha256(raw).hexdigest())
    layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": put(z), "size": len(z)})
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                     "rootfs": {"type": "layers", "diff_ids": diffs}}).encode()
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(config), "size": len(config)},
    "layers": layers}).encode()
md = put(manifest)
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": md, "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": "bench"}}]},
    open(os.path.join(work, "oci", "index.json"), "w"))
open(os.path.join(work, "oci", "oci-layout"), "w").write('{"imageLayoutVersion":"1.0.0"}')
print(sum(l["size"] for l in layers), file=open(os.path.join(work, "bytes"), "w"))
EOF
bytes=$(cat "$work/bytes")

src=$(start_registry src)
skopeo copy -q --dest-tls-verify=false "oci:$work/oci:bench" "docker://127.0.0.1:$src/bench:1"
img=127.0.0.1:$src/bench:1

echo "pull ..." >&2
t0=$(now)
"$berth" --root "$work/root" pull -q "$img" >/dev/null
t1=$(now)
skopeo copy -q --src-tls-verify=false "docker://$img" "oci:$work/sk-oci:bench"
t2=$(now)
berth_pull=$(mbps "$bytes" "$t0" "$t1")
skopeo_pull=$(mbps "$bytes" "$t1" "$t2")
echo "  pull: berth $berth_pull MB/s, skopeo $skopeo_pull MB/s" >&2

echo "push ..." >&2
dst1=$(start_registry dst1)
dst2=$(start_registry dst2)
"$berth" --root "$work/root" tag "$img" "127.0.0.1:$dst1/bench:1"
t0=$(now)
"$berth" --root "$work/root" push -q "127.0.0.1:$dst1/bench:1" >/dev/null
t1=$(now)
skopeo copy -q --dest-tls-verify=false "oci:$work/sk-oci:bench" "docker://127.0.0.1:$dst2/bench:1"
t2=$(now)
berth_push=$(mbps "$bytes" "$t0" "$t1")
skopeo_push=$(mbps "$bytes" "$t1" "$t2")
echo "  push: berth $berth_push MB/s, skopeo $skopeo_push MB/s" >&2

echo "push with compression ..." >&2
dst3=$(start_registry dst3)
raw=0
for i in 0 1 2 3; do
  "$berth" --root "$work/raw" import "$work/layer$i.tar" "127.0.0.1:$dst3/raw$i:1" >/dev/null
  raw=$((raw + $(stat -c %s "$work/layer$i.tar")))
done
t0=$(now)
push_pids=()
for i in 0 1 2 3; do
  "$berth" --root "$work/raw" push -q "127.0.0.1:$dst3/raw$i:1" >/dev/null &
  push_pids+=($!)
done
for p in "${push_pids[@]}"; do
  wait "$p" || echo "registry_bench: a compressing push failed" >&2
done
t1=$(now)
berth_push_gz=$(mbps "$raw" "$t0" "$t1")

echo "resume after a cut at 50 % ..." >&2
pport=$(free_port)
python3 "$here/registry_proxy.py" "$pport" "$src" $((bytes / 2)) "$work/release" "$work/count" \
  2>"$work/proxy.log" &
pids+=($!)
for _ in $(seq 100); do
  [ -s "$work/count" ] && break
  sleep 0.1
done
[ -s "$work/count" ] || {
  echo "registry_bench: the fault proxy did not start: $(cat "$work/proxy.log")" >&2
  exit 1
}
"$berth" --root "$work/cut" pull -q "127.0.0.1:$pport/bench:1" >/dev/null 2>&1 || true
sleep 0.5
before=$(cat "$work/count")
touch "$work/release"
"$berth" --root "$work/cut" pull -q "127.0.0.1:$pport/bench:1" >/dev/null
sleep 0.5
after=$(cat "$work/count")
second=$(python3 -c "print(f'{100 * ($after - $before) / $bytes:.0f}')")

cat <<EOF
registry_bench: image of 4 layers, $((bytes / 1000000)) MB gzip ($((raw / 1000000)) MB uncompressed)
  pull   berth $berth_pull MB/s   skopeo (oci: blobs) $skopeo_pull MB/s   ratio $(python3 -c "print(f'{$berth_pull / max($skopeo_pull, 1):.2f}')")   goal >= 300
  push   berth $berth_push MB/s   skopeo $skopeo_push MB/s   ratio $(python3 -c "print(f'{$berth_push / max($skopeo_push, 1):.2f}')")   goal >= 300
  push of uncompressed layers, gzip on the fly: berth $berth_push_gz MB/s of tar
  second pull after a cut at 50 %: $second % of the image's bytes   goal <= 55
EOF
