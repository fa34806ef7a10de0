#!/usr/bin/env bash
# Times `run --rm --network none busybox true` (no veth: crun and runc get a bare network
# namespace too) with berth, bare OCI runtimes (crun, runc) on an equivalent bundle,
# podman and docker (a private dockerd), all on one busybox root filesystem (scripts/
# make-busybox-rootfs.sh), with hyperfine (RUNS runs of each, no shell in between, in ROUNDS
# rounds of rotated order, 1 warm-up each), and reports medians and berth/X ratios: goal berth
# <= 20 ms and faster than bare crun.
# Then it measures the memory of one idle per-container monitor (berth's, podman's conmon) with
# `run -d busybox sleep 60`: VmRSS and Pss (smaps_rollup); goal berth's <= 1 MB.
# A tool that cannot run says "NAME: not available: REASON" and the others go on. Stores, bundles
# and daemons are private, under a temporary directory; everything started is stopped by its PID
# and the directory removed at exit. The table also goes to a JSON file (OUT_JSON).
#   BERTH        berth binary (default: build/berth of this checkout)
#   RUNS         timed runs of each (default 20, at least 20)
#   ROUNDS       hyperfine invocations they are split into, in rotated order (default 4)
#   BENCH_TMP    where the stores go (default /var/tmp)
#   INCUMBENTS   0 to leave out podman and docker (default 1)
#   OUT_JSON     the results file (default $BENCH_TMP/berth-run-bench.json; kept)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
runs=${RUNS:-20}
if [ "$runs" -lt 20 ]; then
  runs=20
fi
rounds=${ROUNDS:-4}
if [ "$rounds" -lt 1 ] || [ "$rounds" -gt $((runs / 2)) ]; then
  rounds=1
fi
tmp_base=${BENCH_TMP:-/var/tmp}
out_json=${OUT_JSON:-$tmp_base/berth-run-bench.json}
goal_ms=20
goal_monitor_kb=1024
path_env='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

# shellcheck source=scripts/lib/berth.sh
source "$here/../scripts/lib/berth.sh"
# shellcheck source=bench/lib/common.sh
source "$here/lib/common.sh"
berth_setup run_bench
if [ "$(id -u)" -ne 0 ]; then
  echo "run_bench: run as root (containers, mounts, a private dockerd)" >&2
  exit 1
fi
if ! command -v hyperfine >/dev/null; then
  echo "installing hyperfine from Debian ..." >&2
  apt-get install -y -q hyperfine >/dev/null || {
    echo "run_bench: could not install hyperfine" >&2
    exit 1
  }
fi
warn_if_busy run_bench

work=$(mktemp -d "$tmp_base/berth-run-bench.XXXXXX")
# shellcheck source=bench/lib/incumbents.sh
source "$here/lib/incumbents.sh"
# shellcheck source=bench/lib/containers.sh
source "$here/lib/containers.sh"

berth_cmd=("$berth" --root "$work/berth/root" --runroot "$work/berth/run")
# The same flags as podman_cmd (bench/lib/incumbents.sh), as words for hyperfine's command line.
podman_argv=(podman --root "$work/podman/root" --runroot "$work/podman/run" --storage-driver overlay
  --cgroup-manager cgroupfs --events-backend file)
podman_run_flags=() # extra `podman run` flags this machine needs (see below)
podman_ok=0
crun_state=$work/crun
runc_state=$work/runc
facts=$work/facts # "key<TAB>value" lines for the summary
: >"$facts"
mem_ids=()  # "berth ID" / "podman ID" of the memory probes, removed at exit
mem_pids=() # "PID START" of their processes, stopped at exit if still there

fact() { printf '%s\t%s\n' "$1" "$2" >>"$facts"; }
unavailable() {
  echo "$1: not available: $2"
  fact "unavailable.$1" "$2"
}

cleanup() {
  set +e
  local entry kind id pid start
  for entry in "${mem_ids[@]}"; do
    read -r kind id <<<"$entry"
    case $kind in
      berth) "${berth_cmd[@]}" rm -f "$id" >/dev/null 2>&1 ;;
      podman) "${podman_argv[@]}" rm -f -t 0 "$id" >/dev/null 2>&1 ;;
    esac
  done
  for entry in "${mem_pids[@]}"; do
    read -r pid start <<<"$entry"
    stop_pid "$pid" "$start"
  done
  stop_hybrid_mask
  # `crun run` and `runc run` delete their container when it exits; this only catches a run that
  # was interrupted.
  for id in $(crun --root "$crun_state" list -q 2>/dev/null); do
    crun --root "$crun_state" delete -f "$id" >/dev/null 2>&1
  done
  for id in $(runc --root "$runc_state" list -q 2>/dev/null); do
    runc --root "$runc_state" delete -f "$id" >/dev/null 2>&1
  done
  stop_dockerd
  if [ -d "$work/podman" ]; then
    podman_cmd system reset -f >/dev/null 2>&1
  fi
  { grep -F " $work/" /proc/self/mountinfo || true; } | awk '{ print $5 }' | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "making the busybox rootfs in $work ..." >&2
rootfs=$work/rootfs
bash "$here/../scripts/make-busybox-rootfs.sh" "$rootfs" >/dev/null
tarball=$work/busybox.tar
tar -C "$rootfs" --numeric-owner -cf "$tarball" .

names=()
cmds=()
add() { # add NAME ARG...: one more command for hyperfine, quoted for its shell-less splitting
  local q
  q=$(printf '%q ' "${@:2}")
  names+=("$1")
  cmds+=("${q% }")
  fact "cmd.$1" "${q% }"
}

# --- berth -------------------------------------------------------------------------------------
if attempt "${berth_cmd[@]}" import --change "$path_env" --change 'CMD ["sh"]' "$rootfs" busybox
then
  if attempt "${berth_cmd[@]}" run --rm --network none busybox true; then
    add berth "${berth_cmd[@]}" run --rm --network none busybox true
  else
    unavailable berth "\`berth run --rm --network none busybox true\` $attempt_error"
  fi
else
  unavailable berth "\`berth import\` of the busybox rootfs $attempt_error"
fi

# --- bare OCI runtimes on one bundle (the rootfs directory itself: no image, no overlay) -------
bundle=$work/bundle
make_bundle "$bundle" "$rootfs" true
if ! command -v crun >/dev/null; then
  unavailable crun "not installed (apt-get install crun)"
elif attempt crun --root "$crun_state" run --bundle "$bundle" bench-crun; then
  add crun crun --root "$crun_state" run --bundle "$bundle" bench-crun
elif [[ $attempt_error == *"hybrid mode not supported"* ]]; then
  crun_error=$attempt_error
  echo "crun: refuses this machine's hybrid cgroups ($crun_error);" \
    "timing it through nsenter in a mount namespace where" \
    "/sys/fs/cgroup/unified/cgroup.controllers reads empty, and nsenter alone"
  fact crun.masked "$crun_error"
  if start_hybrid_mask; then
    in_mask=(nsenter "--mount=/proc/$mask_pid/ns/mnt")
    if attempt "${in_mask[@]}" crun --root "$crun_state" run --bundle "$bundle" bench-crun; then
      add "crun via nsenter" "${in_mask[@]}" crun --root "$crun_state" run --bundle "$bundle" \
        bench-crun
      # The wrapper's own cost: nsenter, setns and one exec of the same static busybox.
      add "nsenter alone" "${in_mask[@]}" "$rootfs/bin/busybox" true
    else
      unavailable crun "$crun_error; in the masked namespace too: $attempt_error"
    fi
  else
    unavailable crun "$crun_error (and the cgroup2 controllers could not be masked)"
  fi
else
  unavailable crun "$attempt_error"
fi
if ! command -v runc >/dev/null; then
  unavailable runc "not installed (it comes with docker.io)"
elif attempt runc --root "$runc_state" run --bundle "$bundle" bench-runc; then
  add runc runc --root "$runc_state" run --bundle "$bundle" bench-runc
else
  unavailable runc "$attempt_error"
fi

# --- podman and docker ------------------------------------------------------------------------
if [ "${INCUMBENTS:-1}" = 0 ]; then
  echo "podman, docker: left out (INCUMBENTS=0)"
elif ! ensure_incumbents; then
  unavailable podman "ensure_incumbents failed"
  unavailable docker "ensure_incumbents failed"
else
  if ! attempt podman_cmd import --change "$path_env" --change 'CMD ["sh"]' "$tarball" busybox; then
    unavailable podman "\`podman import\` $attempt_error"
  elif attempt "${podman_argv[@]}" run --rm --network none busybox true; then
    podman_ok=1
    add podman "${podman_argv[@]}" run --rm --network none busybox true
  else
    # podman's default runtime here is crun (see above), and as root it asks for nofile 1048576
    # and nproc 4194304, above the hard limits of a root without CAP_SYS_RESOURCE. Retry with runc
    # and limits the runtime may set: our nofile; for nproc, podman lowers its own (and so
    # conmon's) to kernel.pid_max.
    first_error=$attempt_error
    nproc=$(ulimit -Hu)
    pid_max=$(cat /proc/sys/kernel/pid_max)
    if [ "$nproc" = unlimited ] || [ "$nproc" -gt "$pid_max" ]; then
      nproc=$pid_max
    fi
    podman_run_flags=(--runtime runc --ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)"
      --ulimit "nproc=$nproc:$nproc")
    if attempt "${podman_argv[@]}" run --rm --network none "${podman_run_flags[@]}" busybox true
    then
      echo "podman: with its defaults it $first_error; timing it with ${podman_run_flags[*]}"
      fact podman.flags "${podman_run_flags[*]} (defaults: $first_error)"
      podman_ok=1
      add podman "${podman_argv[@]}" run --rm --network none "${podman_run_flags[@]}" busybox true
    else
      unavailable podman "$first_error; with ${podman_run_flags[*]}: $attempt_error"
      podman_run_flags=()
    fi
  fi
  if ! start_dockerd; then
    unavailable docker "dockerd did not start (its log: $work/docker/dockerd.log)"
  elif ! attempt docker import --change "$path_env" --change 'CMD ["sh"]' "$tarball" busybox; then
    unavailable docker "\`docker import\` $attempt_error"
  elif attempt docker run --rm --network none busybox true; then
    add docker docker run --rm --network none busybox true
  else
    unavailable docker "\`docker run\` $attempt_error"
  fi
fi

# --- timing ---------------------------------------------------------------------------------
# ROUNDS hyperfine runs of RUNS/ROUNDS runs each (1 warm-up per command per round), the command
# order rotated every round, so a change in the machine's load during the minutes this takes
# falls on every tool alike; the summary pools the runs of all rounds.
if [ ${#cmds[@]} -gt 0 ]; then
  per_round=$(((runs + rounds - 1) / rounds))
  fact load.before "$(cut -d' ' -f1-3 /proc/loadavg)"
  for ((round = 0; round < rounds; round++)); do
    args=()
    for ((j = 0; j < ${#cmds[@]}; j++)); do
      i=$(((j + round) % ${#cmds[@]}))
      args+=(--command-name "${names[$i]}" "${cmds[$i]}")
    done
    echo "round $((round + 1)) of $rounds: $per_round runs of each ..." >&2
    if ! hyperfine -N --style basic --warmup 1 --runs "$per_round" \
      --export-json "$work/hyperfine.$round.json" "${args[@]}" >&2; then
      echo "run_bench: hyperfine failed (a run of one of the commands failed); no timings" >&2
      rm -f "$work"/hyperfine.*.json
      break
    fi
  done
  fact load.after "$(cut -d' ' -f1-3 /proc/loadavg)"
  # Every timed run was --rm (or crun/runc run, which delete on exit): nothing may be left.
  {
    crun --root "$crun_state" list -q
    runc --root "$runc_state" list -q
    if [ "$podman_ok" = 1 ]; then
      "${podman_argv[@]}" ps -aq
    fi
    if [ -n "$dockerd_pid" ]; then
      docker ps -aq
    fi
  } >"$work/left" 2>/dev/null || true
  fact left.after.runs "$(grep -c . "$work/left" || true)"
else
  echo "run_bench: nothing to time: every tool is unavailable" >&2
fi
stop_hybrid_mask
stop_dockerd

# --- memory of one idle monitor -------------------------------------------------------------
# measure_monitor KIND PID: records the parent of the container's PID 1 (its monitor) and the
# monitor's memory.
measure_monitor() {
  local kind=$1 pid=$2 mon start rss pss
  mon=$(proc_ppid "$pid")
  if [ -z "$mon" ] || [ "$mon" -le 1 ] || [ "$mon" -eq $$ ]; then
    unavailable "$kind-monitor" "the container's PID $pid has no monitor parent (PPid '${mon}')"
    return 0
  fi
  start=$(proc_start "$mon")
  mem_pids+=("$mon $start" "$pid $(proc_start "$pid")")
  sleep 1 # past start-up: the figure of an idle monitor
  rss=$(proc_rss_kb "$mon")
  pss=$(proc_pss_kb "$mon")
  fact "mem.$kind.pid" "$mon"
  fact "mem.$kind.comm" "$(cat "/proc/$mon/comm" 2>/dev/null || true)"
  fact "mem.$kind.rss_kb" "$rss"
  fact "mem.$kind.pss_kb" "$pss"
  echo "$kind monitor: PID $mon ($(cat "/proc/$mon/comm" 2>/dev/null || echo gone)), parent of" \
    "the container's PID $pid: VmRSS ${rss:-?} kB, Pss ${pss:-?} kB"
}

# The two engines' command lines for probe_monitor; podman's run gets this machine's extra flags.
berth_engine() { "${berth_cmd[@]}" "$@"; }
podman_engine() {
  if [ "$1" = run ]; then
    "${podman_argv[@]}" run "${podman_run_flags[@]}" "${@:2}"
  else
    "${podman_argv[@]}" "$@"
  fi
}

# probe_monitor KIND: `KIND run -d busybox sleep 60`, then `KIND inspect` for the PID of its init.
probe_monitor() {
  local kind=$1 engine=${1}_engine id pid
  if ! attempt "$engine" run -d busybox sleep 60; then
    unavailable "$kind-monitor" "\`$kind run -d busybox sleep 60\` $attempt_error"
    return 0
  fi
  id=$(tail -n 1 "$work/attempt.out")
  mem_ids+=("$kind $id")
  if ! attempt "$engine" inspect -f '{{.State.Pid}}' "$id"; then
    unavailable "$kind-monitor" "\`$kind inspect -f '{{.State.Pid}}'\` $attempt_error"
    return 0
  fi
  pid=$(tail -n 1 "$work/attempt.out")
  if ! [[ $pid =~ ^[0-9]+$ ]] || [ "$pid" -le 0 ]; then
    unavailable "$kind-monitor" "inspect gave no PID for container $id ('$pid')"
    return 0
  fi
  measure_monitor "$kind" "$pid"
}

echo >&2
echo "memory of one monitor (run -d busybox sleep 60) ..." >&2
probe_monitor berth
if [ "$podman_ok" = 1 ]; then
  probe_monitor podman
fi

# --- summary --------------------------------------------------------------------------------
shopt -s nullglob
python3 "$here/lib/run_summary.py" "$facts" "$out_json" "$goal_ms" "$goal_monitor_kb" \
  "$work"/hyperfine.*.json
