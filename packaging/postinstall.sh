#!/bin/sh
set -e
if command -v systemctl >/dev/null 2>&1; then
  systemctl daemon-reload || true
fi
echo "evtctl installed. Start the gateway with: systemctl enable --now evtctl"
echo "The first start prints an admin key: journalctl -u evtctl | grep EVTCTL_TOKEN"
