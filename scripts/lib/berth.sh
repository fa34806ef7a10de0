# Sourced by the scripts (and benchmarks) that run berth: which binary, which store.
#   berth_setup CALLER   sets $berth to $BERTH or build/berth of this checkout (exits with a message
#                        naming CALLER when it is not there) and the array root_args to
#                        (--root "$BERTH_ROOT") when BERTH_ROOT is set, else empty.
berth_setup() {
  local caller=$1
  berth=${BERTH:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/berth}
  if [ ! -x "$berth" ]; then
    echo "$caller: berth binary not found at $berth (build it with scripts/build.sh, or set BERTH)" >&2
    exit 1
  fi
  root_args=()
  if [ -n "${BERTH_ROOT:-}" ]; then
    root_args=(--root "$BERTH_ROOT")
  fi
}
