#!/usr/bin/env bash
# README command (b): install what the tests need, build berth twice (normal, and the unit tests
# under AddressSanitizer + UndefinedBehaviorSanitizer) and run every test with ctest.
# The last line is "tests: N passed, N failed" over both runs.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh || exit 1

jobs=$(nproc)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 1
cmake --build build -j "$jobs" || exit 1
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DBERTH_SANITIZE=ON \
  -DBERTH_UNIT_ONLY=ON >/dev/null || exit 1
cmake --build build-asan -j "$jobs" || exit 1

passed=0
failed=0
status=0
run_ctest() {  # $1 "gate" or "report", $2 build dir, rest: ctest args
  local gate=$1 dir=$2
  shift 2
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
  fi
  rm -f "$log"
  if [ "$rc" -ne 0 ]; then
    if [ "$gate" = gate ]; then
      status=1
    else
      echo "test.sh: FAILURES in $dir ($*): counted as failed above; not yet gating CI (see issue 2 note)"
    fi
  fi
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_ctest gate build -j "$jobs" -L unit --timeout 600
run_ctest gate build-asan -j "$jobs" -L unit --timeout 600
# The integration and interop tiers run in full and their failures are counted in the closing
# line, but they do not fail CI until the foundation issue closes.
run_ctest report build -j 4 -L 'integration|interop' --timeout 300

echo "tests: ${passed} passed, ${failed} failed"
exit $status
