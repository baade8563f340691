#!/usr/bin/env bash
# test-guest-kernels.sh BUILD_DIR: the engine's checks on the kernels users
# run, each booted in a QEMU guest by scripts/vm-run.sh with this machine's
# root (and BUILD_DIR's binaries) read-only.
#
# Kernels: HS_GUEST_KERNELS (kernel images, separated by spaces), else the
# newest /boot/vmlinuz-6.1.* (Debian 12's own, from linux-image-amd64). An
# image in DIR/boot of a kernel package unpacked with dpkg -x into DIR has its
# modules taken from DIR/lib/modules.
# A kernel that cannot be booted fails the run: nothing is skipped.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: test-guest-kernels.sh BUILD_DIR}" && pwd)

if [[ -n ${HS_GUEST_KERNELS:-} ]]; then
  read -r -a kernels <<<"$HS_GUEST_KERNELS"
else
  mapfile -t kernels < <(ls /boot/vmlinuz-6.1.* 2>/dev/null | sort -V | tail -n 1)
fi
if ((${#kernels[@]} == 0)); then
  echo "test-guest-kernels: no guest kernel: install Debian's (apt-get install linux-image-amd64; scripts/install-deps.sh does)" >&2
  exit 1
fi

run_all() {
  local failed=() image started
  for image in "${kernels[@]}"; do
    echo "== guest kernel $image"
    started=$(date +%s)
    local root modules=()
    root=$(cd "$(dirname "$image")/.." && pwd)
    [[ $root != / && -d $root/lib/modules ]] && modules=(--modules "$root")
    if (cd "$here" && scripts/vm-run.sh "${modules[@]}" "$image" -- bash tests/guest/guest-suite.sh "$build"); then
      echo "== guest kernel $image: passed in $(($(date +%s) - started)) s (boot, suite, power-off)"
    else
      echo "== guest kernel $image: FAILED (exit $?) after $(($(date +%s) - started)) s"
      failed+=("$image")
    fi
  done
  ((${#failed[@]} == 0)) || { echo "test-guest-kernels: failed on ${failed[*]}"; return 1; }
}

# Everything the guests print is also kept in BUILD_DIR/guest-kernels.log:
# scripts/test.sh shows its summary after the suite.
run_all 2>&1 | tee "$build/guest-kernels.log"
exit "${PIPESTATUS[0]}"
