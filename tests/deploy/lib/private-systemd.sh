#!/bin/sh
# Runs inside `unshare --mount --propagation private` and becomes a systemd
# user manager that runs units the way the system manager of a booted host
# does (as root, with the same sandboxing), without touching the host: /run is
# a fresh tmpfs, and only this mount namespace sees the binds below.
#
# Usage: private-systemd.sh UNIT_DIR BIN_DIR TARGET CGROUP_DIR...
#   UNIT_DIR    the only directory units are loaded from
#   BIN_DIR     bound over /usr/local/bin (the unit's ExecStart lives there)
#   TARGET      the unit the manager starts with
#   CGROUP_DIR  empty cgroups (one per hierarchy) the manager moves into
set -eu
units=$1 bin=$2 target=$3
shift 3

mount -t tmpfs -o mode=0755 tmpfs /run
# sd_booted() checks /run/systemd/system; the user manager's runtime dir.
mkdir -p /run/systemd/system /run/user/0
chmod 0700 /run/user/0
# PID 1 creates these at boot: ProtectHome=, InaccessiblePaths= and friends
# bind them over what they hide.
i=/run/systemd/inaccessible
mkdir -p $i/dir
touch $i/reg
mkfifo $i/fifo
mknod $i/chr c 0 0
mknod $i/blk b 0 0
python3 -c "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" $i/sock
chmod 0000 $i/dir $i/reg $i/fifo $i/chr $i/blk $i/sock
# The Scope probe (or, for the system manager, RuntimeDirectory=) creates the
# plugins directory; the user manager would put it under /run/user/0.
mkdir -p /run/scope/plugins
mount --bind "$bin" /usr/local/bin

for cgroup in "$@"; do
  echo $$ > "$cgroup/cgroup.procs"
done

export XDG_RUNTIME_DIR=/run/user/0 SYSTEMD_UNIT_PATH="$units"
for manager in /lib/systemd/systemd /usr/lib/systemd/systemd; do
  if [ -x $manager ]; then
    exec $manager --user --unit="$target"
  fi
done
echo "private-systemd: no systemd binary found" >&2
exit 1
