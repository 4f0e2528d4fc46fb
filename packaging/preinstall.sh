#!/bin/sh
# Create the service account the systemd unit runs as.
set -e
if ! getent group evtctl >/dev/null; then
  groupadd --system evtctl
fi
if ! getent passwd evtctl >/dev/null; then
  useradd --system --gid evtctl --home-dir /var/lib/evtctl --no-create-home --shell /usr/sbin/nologin evtctl
fi
