#!/usr/bin/env bash
# Fails, naming the files, when a tracked C++ source differs from what the repository's
# .clang-format makes of it (DESIGN.md "Style"). Run by ctest as Formatting.EveryTrackedSourceIsClangFormatted.
set -uo pipefail
cd "$1" || exit 1
if ! command -v clang-format >/dev/null; then
  echo "clang-format is not installed (scripts/install-deps.sh installs it): cannot check" >&2
  exit 1
fi
# One clang-format process for all files; its warnings start with the file's name.
out=$(git ls-files -z '*.cc' '*.h' | xargs -0 clang-format --dry-run --Werror 2>&1)
if [ $? -ne 0 ]; then
  echo "not clang-formatted:" >&2
  grep -oE '^[^:]+:[0-9]+:[0-9]+: (warning|error)' <<<"$out" | cut -d: -f1 | sort -u >&2
  exit 1
fi
echo "all tracked sources are clang-formatted"
