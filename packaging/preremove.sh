#!/bin/sh
set -e
if command -v systemctl >/dev/null 2>&1; then
  systemctl stop evtctl >/dev/null 2>&1 || true
  systemctl disable evtctl >/dev/null 2>&1 || true
fi
