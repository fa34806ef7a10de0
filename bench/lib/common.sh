# Sourced by every benchmark.
#   warn_if_busy NAME   warns on stderr when the load average is above half the cores: the
#                       timings of such a run are noise.
warn_if_busy() {
  local load _
  read -r load _ </proc/loadavg
  if awk -v l="$load" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
    echo "$1: warning: load average $load on $(nproc) cores: the timings will be noisy" >&2
  fi
}
