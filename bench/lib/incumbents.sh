# Incumbents for side-by-side benchmarks: a private dockerd (Debian's docker.io) and podman, each
# with its own data root under a benchmark's work directory, so a benchmark never touches a
# user's docker or podman state. Source this file; it needs $work set to a scratch directory.
#
#   ensure_incumbents             installs podman and docker.io from Debian when missing
#   start_dockerd                 starts dockerd on $work/docker.sock; sets DOCKER_HOST, dockerd_pid
#   stop_dockerd                  stops that dockerd by its PID and waits for it
#   podman_cmd ARGS...            podman with the private root ($work/podman)
# Each function prints why it failed and returns non-zero; the caller decides whether the
# comparison is skipped (and says so) or the benchmark stops.

ensure_incumbents() {
  local missing=()
  command -v podman >/dev/null || missing+=(podman)
  command -v dockerd >/dev/null || missing+=(docker.io)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} from Debian for the comparison ..." >&2
    apt-get install -y -q "${missing[@]}" >/dev/null || {
      echo "bench: could not install ${missing[*]}" >&2
      return 1
    }
  fi
}

podman_cmd() {
  podman --root "$work/podman/root" --runroot "$work/podman/run" --storage-driver overlay \
    --cgroup-manager cgroupfs --events-backend file "$@"
}

dockerd_pid=""
start_dockerd() {
  local dir=$work/docker
  mkdir -p "$dir/data" "$dir/exec"
  # The docker CLI on PATH may be another build than Debian's; both speak the same API.
  dockerd --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/dockerd.pid" \
    --host "unix://$work/docker.sock" --bridge none --iptables=false --ip6tables=false \
    --storage-driver overlay2 --log-level error >"$dir/dockerd.log" 2>&1 &
  dockerd_pid=$!
  export DOCKER_HOST=unix://$work/docker.sock
  local i
  for ((i = 0; i < 100; i++)); do
    if docker version >/dev/null 2>&1; then
      return 0
    fi
    if ! kill -0 "$dockerd_pid" 2>/dev/null; then
      break
    fi
    sleep 0.2
  done
  echo "bench: dockerd did not come up; its log:" >&2
  tail -5 "$dir/dockerd.log" >&2
  stop_dockerd
  return 1
}

stop_dockerd() {
  if [ -n "$dockerd_pid" ]; then
    kill "$dockerd_pid" 2>/dev/null || true
    wait "$dockerd_pid" 2>/dev/null || true
    dockerd_pid=""
  fi
  # dockerd leaves its containerd's mounts and the overlay2 mounts under its data root.
  if [ -d "$work/docker" ]; then
    { grep -F " $work/docker" /proc/self/mountinfo || true; } | awk '{ print $5 }' | sort -r |
      while read -r m; do umount -l "$m" 2>/dev/null || true; done
  fi
  return 0
}
