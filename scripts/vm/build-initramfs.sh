#!/usr/bin/env bash
# build-initramfs.sh KERNEL_VERSION OUT [ROOT]: the guest's initramfs for
# vm-run.sh, with the modules of ROOT/lib/modules/KERNEL_VERSION (ROOT: /, or
# where a kernel package was unpacked).
# busybox-static, init.sh as PID 1, and the kernel's modules for virtio, 9p,
# overlayfs and veth with their dependencies, in load order (none when the
# kernel has them built in).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kver=$1 out=$2 mroot=${3:-/}
# busybox-static's: the initramfs has no libraries.
busybox=/bin/busybox
[[ -x $busybox ]] || { echo "build-initramfs: $busybox is missing (apt-get install busybox-static)" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,mods,proc,sys,dev,newroot}
cp "$busybox" "$root/bin/busybox"
for applet in sh mount umount mkdir insmod echo cat switch_root sleep; do
  ln -s busybox "$root/bin/$applet"
done
: > "$root/mods/order"
if [[ -d $mroot/lib/modules/$kver ]]; then
  # An unpacked package has no module index yet.
  [[ -s $mroot/lib/modules/$kver/modules.dep ]] || depmod -b "$mroot" "$kver"
  for module in virtio_pci 9pnet_virtio 9p overlay veth; do
    # "insmod PATH" lines, dependencies first; "builtin NAME" needs nothing.
    modprobe -d "$mroot" -S "$kver" --show-depends "$module" 2>/dev/null | awk '$1 == "insmod" { print $2 }'
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
