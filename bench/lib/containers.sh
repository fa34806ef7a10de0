# shellcheck shell=bash disable=SC2034,SC2154  # sets and reads the sourcing script's variables
# Helpers for benchmarks that start containers (bench/run_bench.sh). Source this file; it needs
# $work set to the benchmark's scratch directory.
#
#   make_bundle DIR ROOTFS ARG...   an OCI bundle in DIR: config.json from `crun spec` (or `runc
#                                   spec`), root.path ROOTFS, terminal false, process.args ARG...;
#                                   the spec's namespaces (pid, network, ipc, uts, mount) are kept
#   start_hybrid_mask               a process in a private mount namespace where the cgroup2 mount
#                                   of a hybrid layout lists no controllers; sets mask_pid
#   stop_hybrid_mask                stops it by its PID
#   attempt CMD...                  runs CMD once, untimed; on failure sets attempt_error to a
#                                   one-line reason ("exited with 125: <first line of stderr>")
#   proc_ppid PID, proc_rss_kb PID, proc_pss_kb PID, proc_start PID
#                                   /proc readers (empty output when PID is gone)
#   stop_pid PID [START]            SIGTERM, SIGKILL after 5 s; only when PID still has start
#                                   time START (field 22 of /proc/PID/stat): a reused PID is spared
# Nothing here finds a process by name.

make_bundle() {
  local dir=$1 rootfs=$2 spec_tool
  shift 2
  spec_tool=$(command -v crun || command -v runc) || {
    echo "bench: neither crun nor runc is installed: no tool to write an OCI spec" >&2
    return 1
  }
  mkdir -p "$dir"
  (cd "$dir" && "$spec_tool" spec) || return 1
  python3 - "$dir/config.json" "$rootfs" "$@" <<'EOF'
import json, sys
path, rootfs, args = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(path) as f:
    config = json.load(f)
config["process"]["terminal"] = False
config["process"]["args"] = args
config["root"]["path"] = rootfs
with open(path, "w") as f:
    json.dump(config, f, indent=1)
EOF
}

# crun (1.8 and later) refuses to start any container on a hybrid layout whose cgroup2 mount holds
# a controller ("cgroups in hybrid mode not supported, drop all controllers from cgroupv2"), even
# with --cgroup-manager=disabled. Giving the host's cgroup2 mount's controllers back to v1 would
# change the machine for everyone; instead a private mount namespace sees an empty file over
# /sys/fs/cgroup/unified/cgroup.controllers, and crun is run there through nsenter.
mask_pid=""
start_hybrid_mask() {
  local controllers=/sys/fs/cgroup/unified/cgroup.controllers i
  # Content, not size: cgroupfs files all report size 0.
  if [ -z "$(cat "$controllers" 2>/dev/null)" ]; then
    echo "bench: $controllers is absent or empty: there is nothing to mask" >&2
    return 1
  fi
  : >"$work/no-controllers"
  # unshare execs sh, which execs sleep: $! is the PID that holds the namespace.
  # shellcheck disable=SC2016  # $1 and $2 are sh's, not ours
  unshare --mount --propagation private sh -c \
    'mount --bind "$1" "$2" && exec sleep infinity' sh "$work/no-controllers" "$controllers" \
    </dev/null >/dev/null 2>"$work/mask.err" &
  mask_pid=$!
  for ((i = 0; i < 50; i++)); do
    if ! kill -0 "$mask_pid" 2>/dev/null; then
      break
    fi
    if grep -qF " $controllers " "/proc/$mask_pid/mountinfo" 2>/dev/null &&
      [ -z "$(nsenter --mount="/proc/$mask_pid/ns/mnt" cat "$controllers")" ]; then
      return 0
    fi
    sleep 0.1
  done
  echo "bench: could not mask $controllers in a mount namespace: $(head -1 "$work/mask.err")" >&2
  stop_hybrid_mask
  return 1
}

stop_hybrid_mask() {
  if [ -n "$mask_pid" ]; then
    kill "$mask_pid" 2>/dev/null || true
    wait "$mask_pid" 2>/dev/null || true
    mask_pid=""
  fi
  return 0
}

attempt_error=""
attempt() {
  local rc=0 msg
  attempt_error=""
  "$@" </dev/null >"$work/attempt.out" 2>"$work/attempt.err" || rc=$?
  if [ "$rc" -eq 0 ]; then
    return 0
  fi
  msg=$(grep -m1 -v '^[[:space:]]*$' "$work/attempt.err" || true)
  if [ -z "$msg" ]; then
    msg=$(grep -m1 -v '^[[:space:]]*$' "$work/attempt.out" || true)
  fi
  attempt_error="exited with $rc${msg:+: $msg}"
  return "$rc"
}

proc_ppid() { awk '$1 == "PPid:" { print $2 }' "/proc/$1/status" 2>/dev/null || true; }
proc_rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null || true; }
proc_pss_kb() { awk '$1 == "Pss:" { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null || true; }
# Field 22 counted after the command name, which may hold spaces and parentheses.
proc_start() { sed -e 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $20 }' || true; }

stop_pid() {
  local pid=$1 start=${2:-} i
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
    return 0
  fi
  if [ -n "$start" ] && [ "$(proc_start "$pid")" != "$start" ]; then
    return 0
  fi
  kill "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    if ! kill -0 "$pid" 2>/dev/null || [ "$(awk '$1 == "State:" { print $2 }' \
      "/proc/$pid/status" 2>/dev/null)" = Z ]; then
      return 0
    fi
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}
