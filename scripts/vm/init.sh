#!/bin/sh
# PID 1 of vm-run.sh's guest: the modules, this machine's / over 9p
# (read-only), then guest.sh from the share as the new root's first process.
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /mods/order); do
  insmod "/mods/$m" || echo "vm-run guest: insmod $m failed"
done
if ! mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose root /newroot; then
  echo "vm-run guest: cannot mount the 9p root filesystem"
  echo o > /proc/sysrq-trigger
fi
mount -t tmpfs -o mode=1777 tmpfs /newroot/tmp
mkdir -p /newroot/tmp/vm-share
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 share /newroot/tmp/vm-share; then
  echo "vm-run guest: cannot mount the share"
  echo o > /proc/sysrq-trigger
fi
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mount --move /dev /newroot/dev
exec switch_root /newroot /tmp/vm-share/guest.sh
