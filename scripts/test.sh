#!/usr/bin/env bash
# Builds everything and runs the whole test suite (as root: the kernel tests
# load BPF programs; under CI=true they fail instead of skipping without root).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh -DBUILD_TESTING=ON
ctest --test-dir build --output-on-failure --timeout 600 "$@"
