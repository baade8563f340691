#!/usr/bin/env bash
# Installs the daemon and its systemd unit:
#   /usr/local/bin/http-statistics
#   /etc/systemd/system/http-statistics.service
# Usage: deploy/systemd/install.sh [BINARY]   (default: build/http-statistics)
# With DESTDIR=DIR everything goes under DIR instead (packages, tests).
# It only copies: enabling and starting the service stay the admin's call.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
binary=${1:-$here/../../build/http-statistics}
dest=${DESTDIR:-}
if [[ ! -f $binary || ! -x $binary ]]; then
  echo "install: $binary is not an executable (build it first: scripts/build.sh)" >&2
  exit 1
fi
install -D -m 0755 "$binary" "$dest/usr/local/bin/http-statistics"
install -D -m 0644 "$here/http-statistics.service" "$dest/etc/systemd/system/http-statistics.service"
echo "installed $dest/usr/local/bin/http-statistics and $dest/etc/systemd/system/http-statistics.service"
if [[ -z $dest ]]; then
  echo "start it with: systemctl daemon-reload && systemctl enable --now http-statistics"
fi
