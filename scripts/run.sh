#!/usr/bin/env bash
# Quick start: installs what is missing, builds, runs the daemon in the
# foreground (Ctrl-C detaches everything). Arguments go to the daemon.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh -DBUILD_TESTING=OFF -DHS_BUILD_BENCH=OFF
exec build/http-statistics "$@"
