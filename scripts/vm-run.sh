#!/usr/bin/env bash
# vm-run.sh [OPTIONS] KERNEL_IMAGE -- COMMAND [ARG...]
#
# Boots KERNEL_IMAGE in a small QEMU guest whose root filesystem is this
# machine's /, read-only over 9p, and runs COMMAND there as root, in the same
# directory it was started from. Prints the command's output and exits with
# its status. Writable in the guest: /tmp, /run and /root (tmpfs), and /var
# and the current directory (tmpfs overlays: what the guest writes there is
# gone when it stops, so nothing on this machine changes). Files the command
# leaves in $VM_OUT (a directory shared with this machine) stay in the
# directory named by --out.
#
# Options:
#   --out DIR      keep the guest's $VM_OUT files here (default: discarded)
#   --cpus N       guest CPUs (default: 2)
#   --memory SIZE  guest memory (default: 3G)
#   --timeout S    stop the guest after S seconds (default: 1800)
#   --modules DIR  the kernel's modules are in DIR/lib/modules/<version>
#                  (a kernel package unpacked with dpkg -x; default: /)
#   --env NAME     pass this machine's $NAME into the guest (repeatable;
#                  CI and the HS_* variables always are)
#
# Exit status: the command's; 124 when the guest hit --timeout; 125 when the
# guest did not boot or could not run the command (the reason is printed).
#
# The guest runs under QEMU's TCG emulation unless VM_ACCEL=kvm: the /dev/kvm
# of some hosts (PVM) cannot run a stock kernel. A kernel whose virtio, 9p and
# overlay drivers are modules needs them in /lib/modules/<version>; they go
# into a small initramfs with busybox-static, cached per kernel.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

out_dir="" cpus=2 memory=3G timeout=1800 modules_root=/
pass_env=(CI)
while (($#)); do
  case $1 in
    --out) out_dir=${2:?}; shift 2 ;;
    --cpus) cpus=${2:?}; shift 2 ;;
    --memory) memory=${2:?}; shift 2 ;;
    --timeout) timeout=${2:?}; shift 2 ;;
    --modules) modules_root=${2:?}; shift 2 ;;
    --env) pass_env+=("${2:?}"); shift 2 ;;
    -h | --help) usage ;;
    --) break ;;
    -*) echo "vm-run: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
(($# >= 3)) && [[ $2 == -- ]] || usage
image=$1
shift 2
[[ -r $image ]] || { echo "vm-run: cannot read kernel image $image" >&2; exit 125; }
[[ $cpus =~ ^[1-9][0-9]*$ && $timeout =~ ^[1-9][0-9]*$ ]] || usage
command -v qemu-system-x86_64 >/dev/null ||
  { echo "vm-run: qemu-system-x86_64 is missing (apt-get install qemu-system-x86)" >&2; exit 125; }

kver=$(basename "$image")
kver=${kver#vmlinuz-}
cache=${VM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/http-statistics-vm}
mkdir -p "$cache"
initrd=$cache/initramfs-$kver$(printf '%s' "$modules_root" | tr -c 'A-Za-z0-9\n' _).cpio.gz
if [[ ! -s $initrd || $initrd -ot $here/vm/init.sh || $initrd -ot $here/vm/build-initramfs.sh ]]; then
  "$here/vm/build-initramfs.sh" "$kver" "$initrd.tmp" "$modules_root" || {
    echo "vm-run: cannot build an initramfs for kernel $kver" >&2
    exit 125
  }
  mv "$initrd.tmp" "$initrd"
fi

share=$(mktemp -d /tmp/vm-run.XXXXXX)
qemu_pid=""
cleanup() {
  [[ -n $qemu_pid ]] && kill "$qemu_pid" 2>/dev/null && wait "$qemu_pid" 2>/dev/null
  if [[ -n $out_dir && -d $share/out ]]; then
    mkdir -p "$out_dir" && cp -a "$share/out/." "$out_dir/"
  fi
  rm -rf "$share"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$share/out"

# What the guest runs: the environment, the directory and the command,
# each argument quoted as given.
{
  echo "cd $(printf '%q' "$PWD")"
  for name in "${pass_env[@]}" $(compgen -e | grep '^HS_' || true); do
    [[ -v $name ]] && echo "export $name=$(printf '%q' "${!name}")"
  done
  echo "export VM_OUT=/tmp/vm-share/out"
  printf 'exec'
  printf ' %q' "$@"
  echo
} > "$share/command.sh"
cp "$here/vm/guest.sh" "$share/guest.sh"
chmod +x "$share"/*.sh

if [[ ${VM_ACCEL:-tcg} == kvm ]]; then
  accel=(-enable-kvm -cpu host)
else
  accel=(-accel tcg,thread=multi -cpu max)
fi
printf '%s\n' /var "$PWD" > "$share/overlays"

started=$(date +%s.%N)
set +e
timeout --foreground "$timeout" qemu-system-x86_64 "${accel[@]}" -m "$memory" -smp "$cpus" \
  -machine q35 -display none -no-reboot -nodefaults \
  -kernel "$image" -initrd "$initrd" \
  -append "console=ttyS0 panic=-1 quiet loglevel=3 rdinit=/init" \
  -virtfs local,path=/,mount_tag=root,security_model=none,readonly=on,multidevs=remap,id=fsroot \
  -virtfs local,path="$share",mount_tag=share,security_model=none,multidevs=remap,id=fsshare \
  -serial stdio -monitor none </dev/null
qemu_rc=$?
set -e
elapsed=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')

if ((qemu_rc == 124)); then
  echo "vm-run: the guest ($kver) was stopped after ${timeout} s" >&2
  exit 124
fi
if [[ ! -s $share/rc ]]; then
  echo "vm-run: the guest ($kver) ran no command (qemu exit $qemu_rc after $elapsed s): see its console above" >&2
  exit 125
fi
rc=$(cat "$share/rc")
echo "vm-run: $kver: boot, command and power-off took $elapsed s; command exit status $rc" >&2
exit "$rc"
