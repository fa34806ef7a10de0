#!/usr/bin/env bash
# README command (b): install what the tests need, build berth twice (normal, and the unit tests
# under AddressSanitizer + UndefinedBehaviorSanitizer) and run every test with ctest.
# The last line is "tests: N passed, N failed" over all runs; skipped tests are named before it
# and counted in neither. Any failing test fails the script.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh || exit 1

jobs=$(nproc)
bash scripts/build.sh || exit 1
# The unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer, also a unity build
# (see build.sh).
cmake -S . -B build-asan -G Ninja -DCMAKE_UNITY_BUILD=ON -DCMAKE_BUILD_TYPE=Debug \
  -DBERTH_SANITIZE=ON -DBERTH_UNIT_ONLY=ON >/dev/null || exit 1
cmake --build build-asan -j "$jobs" || exit 1

passed=0
failed=0
skipped=0
status=0
run_ctest() {  # $1 build dir, rest: ctest args
  local dir=$1
  shift
  local log
  log=$(mktemp)
  (cd "$dir" && ctest --output-on-failure "$@") 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  # ctest's summary: "97% tests passed, 1 tests failed out of 40"
  local line total nfail
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -1)
  if [ -n "$line" ]; then
    total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
    nfail=$(sed -E 's/.*passed, ([0-9]+) tests failed.*/\1/' <<<"$line")
    # Skipped tests are listed by ctest as "Not Run"/"Skipped": they are not passes.
    local nskip
    nskip=$(grep -cE '\*\*\*Skipped|Not Run' "$log" || true)
    passed=$((passed + total - nfail - nskip))
    failed=$((failed + nfail))
    skipped=$((skipped + nskip))
  else
    # No summary: ctest itself failed (no tests found, a crash): that is a failure too.
    failed=$((failed + 1))
  fi
  rm -f "$log"
  if [ "$rc" -ne 0 ]; then
    status=1
  fi
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_ctest build -j "$jobs" -L unit --timeout 600
run_ctest build-asan -j "$jobs" -L unit --timeout 600
# System tests need root and the real kernel (cgroups, namespaces, seccomp); one at a time, as
# they change process-wide and machine-wide state.
if ls build/tests/system_* >/dev/null 2>&1; then
  run_ctest build -L system --timeout 300
fi
# Integration and interop tests spend most of their time waiting on berth processes and the
# disk, so they run more at once than there are cores.
run_ctest build -j 4 -L 'integration|interop' --timeout 300

if [ "$skipped" -gt 0 ]; then
  echo "test.sh: ${skipped} tests were SKIPPED (see the reasons above); they are not counted as passed"
fi
echo "tests: ${passed} passed, ${failed} failed"
exit $status
