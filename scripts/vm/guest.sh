#!/bin/bash
# The guest's first process on the shared root: writable places, kernel
# filesystems and loopback, then the command; its status goes back through
# the share, and the guest powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
share=/tmp/vm-share
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /root
# /var and the command's directory read as this machine's, written to tmpfs.
overlay() {
  local dir=$1 upper
  upper=/run/vm-overlay/$(echo "$dir" | tr / _)
  mkdir -p "$upper/u" "$upper/w"
  mount -t overlay overlay -o "lowerdir=$dir,upperdir=$upper/u,workdir=$upper/w" "$dir" ||
    echo "vm-run guest: no overlay on $dir: it stays read-only"
}
while IFS= read -r dir; do overlay "$dir"; done < "$share/overlays"
mount -t cgroup2 none /sys/fs/cgroup
mount -t bpf bpf /sys/fs/bpf
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
# devtmpfs has no /dev/fd, which bash process substitution needs.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
ip link set lo up
hostname vm-guest
echo "vm-run guest: $(uname -r) up after $(cut -d' ' -f1 /proc/uptime) s"
bash "$share/command.sh" </dev/null 2>&1
echo $? > "$share/rc"
sync
echo o > /proc/sysrq-trigger
sleep 10
