#!/usr/bin/env bash
# Builds everything and runs the whole test suite (as root: the kernel tests
# load BPF programs; under CI=true they fail instead of skipping without root).
# Then the userspace code is built again with sanitizers and its tests run
# once more: every suite that needs no kernel under AddressSanitizer and
# UBSan (build-asan/), the threaded HTTP servers under ThreadSanitizer
# (build-tsan/). Any sanitizer report fails the run.
#
# Arguments go to the ctest runs (e.g. -R scope). HS_SANITIZERS=0 skips the
# sanitizer passes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh -DBUILD_TESTING=ON
status=0
rm -f build/guest-kernels.log
ctest --test-dir build --output-on-failure --timeout 600 "$@" || status=$?
# What the second kernel said (tests/guest): its kernel, the daemon's check
# and the verifier's figures there, the kernel tests, and how long it took.
if [[ -f build/guest-kernels.log ]]; then
  echo "Guest kernels (build/guest-kernels.log):"
  grep -aE '^(== guest|guest-suite:|vm-run:|verified hs_(ingress|egress|handshake|ssl_(read|write)_return)|kernel-check: |ok: |\S*\[  (PASSED|FAILED) |\S*\[==========\] [0-9]+ tests)' \
    build/guest-kernels.log | sed 's/\x1b\[[0-9;]*m//g; s/^/  /'
fi
((status == 0)) || exit "$status"

if [[ ${HS_SANITIZERS:-1} == 0 ]]; then
  exit 0
fi

# Sanitized trees are built without optimization: it compiles three to four
# times faster, and the suites they run wait on sockets, not on the CPU. The
# libFuzzer target is left out: the first tree already builds and runs it
# with ASan and UBSan.
sanitized_tree() {
  local dir=$1 sanitizer=$2 parts=$3
  BUILD_DIR=$dir BUILD_TYPE=Debug scripts/build.sh -DBUILD_TESTING=ON -DHS_SANITIZE="$sanitizer" \
    -DHS_BUILD_BENCH=OFF -DHS_FUZZ_WORKS=OFF -DHS_TEST_PARTS="$parts"
}

# ASan + UBSan: parser, aggregation, both exporters. The kernel and daemon
# suites are not repeated: they exercise the same userspace code through BPF
# programs and real servers, at several times the cost.
sanitized_tree build-asan address "support;parser;userspace;scope;prometheus"
ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure --timeout 600 "$@"

# TSan: the exporters' HTTP servers, where an event loop and worker threads
# hand connections to each other. Only their test programs are built, and
# each runs as one process: ctest would start one per test case, and a
# TSan process is slow to start.
tsan_tests=(scope_test hs_prometheus_http_tests hs_prometheus_hostile_tests)
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DBUILD_TESTING=ON -DHS_SANITIZE=thread \
  -DHS_BUILD_BENCH=OFF -DHS_FUZZ_WORKS=OFF -DHS_TEST_PARTS="support;scope;prometheus" >/dev/null
cmake --build build-tsan -j"$(nproc)" --target "${tsan_tests[@]}"
for t in "${tsan_tests[@]}"; do
  echo "ThreadSanitizer: $t"
  TSAN_OPTIONS="halt_on_error=1:suppressions=$PWD/tests/scope/tsan.supp" build-tsan/"$t" --gtest_brief=1
done
