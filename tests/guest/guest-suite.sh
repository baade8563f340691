#!/usr/bin/env bash
# guest-suite.sh BUILD_DIR: run inside a guest by scripts/test-guest-kernels.sh.
# On this kernel: kernel-check passes, agrees with the daemon's own check,
# the daemon loads and attaches with and without HTTPS, and the kernel tests
# that compare counts with real servers' access logs pass.
set -uo pipefail
build=$1
failures=0
fail() {
  echo "guest-suite: FAIL: $*"
  failures=$((failures + 1))
}
echo "guest-suite: kernel $(uname -r)"
echo "-- scripts/kernel-check.sh"
scripts/kernel-check.sh --daemon "$build/http-statistics" || fail "kernel-check did not pass"

# Agreement: the feature rows alone pass exactly when the daemon loads.
scripts/kernel-check.sh --no-daemon >/dev/null
features=$?
echo "-- http-statistics check --tls off"
"$build/http-statistics" check --tls off
daemon=$?
((daemon == 0)) || fail "http-statistics check --tls off exited $daemon"
if (((features == 0) != (daemon == 0))); then
  fail "kernel-check's feature rows (exit $features) and the daemon's check (exit $daemon) disagree"
fi
echo "-- http-statistics check"
out=$("$build/http-statistics" check 2>&1)
rc=$?
echo "$out"
((rc == 0)) || fail "http-statistics check exited $rc"
grep -q '^attached hs_ssl_' <<<"$out" || fail "the HTTPS probes did not attach"

# The whole kernel suite: exact counts against nginx's and Python's own logs
# (keep-alive, pipelining, lines cut across segments, HTTP/1.0, 100
# Continue, look-alike bodies, IPv6, HTTPS through OpenSSL, pausing,
# processes that exit, containers, non-HTTP traffic). About 3 minutes
# under emulation.
echo "-- kernel tests"
CI=${CI:-true} "$build/kernel_test" --gtest_brief=1 || fail "kernel tests failed"

# Where this kernel has bpf_loop, the programs for kernels without it
# (*_steps) must verify and count exactly here too: the daemon's check and
# the exact-count tests against nginx, wrk, split and pipelined requests,
# HTTPS and the handshake's packet (about a minute more).
if grep -q '^parser loop: bpf_loop' <<<"$out"; then
  echo "-- HS_BPF_LOOP=off http-statistics check"
  HS_BPF_LOOP=off "$build/http-statistics" check || fail "http-statistics check without bpf_loop failed"
  echo "-- HS_BPF_LOOP=off kernel tests (exact counts)"
  HS_BPF_LOOP=off CI=${CI:-true} "$build/kernel_test" --gtest_brief=1 \
    --gtest_filter='NginxTest.*:WrkTest.*:SplitServerTest.*:PythonServerTest.*:TlsTest.*:FirstPacketTest.*:Apache/*:UrlTemplateTest.*' ||
    fail "kernel tests without bpf_loop failed"
fi

if ((failures)); then
  echo "guest-suite: $(uname -r): $failures check(s) failed"
  exit 1
fi
echo "guest-suite: $(uname -r): every check passed"
