#!/usr/bin/env bash
# Installs the Debian 12 packages that building, running and testing need.
# Idempotent: does nothing when everything is already installed.
set -euo pipefail

packages=(
  # build
  g++ make cmake pkg-config clang llvm libclang-rt-14-dev
  libbpf-dev bpftool libelf-dev zlib1g-dev
  prometheus-cpp-dev libcpp-httplib-dev rapidjson-dev libisal-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # tests and benchmark: real servers, real load, real Prometheus
  nginx-light apache2 apache2-utils wrk curl python3 prometheus bpftrace gnuplot-nox procps iproute2 openssl libssl3 iperf3
  # deployment tests: YAML manifests, systemd-analyze and a private systemd manager
  python3-yaml systemd
  # the suite's second kernel: Debian 12's own, booted in a QEMU guest
  qemu-system-x86 busybox-static cpio kmod linux-image-amd64
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages: ${missing[*]} (run as root to install them)" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# Package scripts must not start the distribution's own nginx, Apache or Prometheus.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created_policy=1
fi
trap '[[ $created_policy == 1 ]] && rm -f "$policy"' EXIT
apt-get install -y -q --no-install-recommends "${missing[@]}"
