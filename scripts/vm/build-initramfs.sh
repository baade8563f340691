#!/usr/bin/env bash
# build-initramfs.sh KERNEL_VERSION OUT: the guest's initramfs for vm-run.sh.
# busybox-static, init.sh as PID 1, and the kernel's modules for virtio, 9p,
# overlayfs and veth with their dependencies, in load order (none when the
# kernel has them built in).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kver=$1 out=$2
busybox=$(command -v busybox || true)
if [[ -z $busybox ]] || ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
  [[ -x /bin/busybox ]] && busybox=/bin/busybox
fi
[[ -n $busybox ]] || { echo "build-initramfs: busybox is missing (apt-get install busybox-static)" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,mods,proc,sys,dev,newroot}
cp "$busybox" "$root/bin/busybox"
for applet in sh mount umount mkdir insmod echo cat switch_root sleep; do
  ln -s busybox "$root/bin/$applet"
done
: > "$root/mods/order"
if [[ -d /lib/modules/$kver ]]; then
  for module in virtio_pci 9pnet_virtio 9p overlay veth; do
    # "insmod PATH" lines, dependencies first; "builtin NAME" needs nothing.
    modprobe -S "$kver" --show-depends "$module" 2>/dev/null | awk '$1 == "insmod" { print $2 }'
  done | awk '!seen[$0]++' | while read -r ko; do
    name=$(basename "$ko")
    case $name in
      *.ko.xz) xz -dc "$ko" > "$root/mods/${name%.xz}"; name=${name%.xz} ;;
      *.ko.zst) zstd -qdc "$ko" > "$root/mods/${name%.zst}"; name=${name%.zst} ;;
      *) cp "$ko" "$root/mods/$name" ;;
    esac
    echo "$name" >> "$root/mods/order"
  done
fi
cp "$here/init.sh" "$root/init"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
