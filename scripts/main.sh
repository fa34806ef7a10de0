#!/usr/bin/env bash
# README command (a): install what berth needs, build it, make the base images and run berth's
# main job on them (for now: the image commands on the busybox image, see scripts/demo.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
BERTH="$PWD/build/berth" bash scripts/demo.sh
