#!/usr/bin/env bash
# Set up a Debian machine for euicc-emu: PC/SC daemon with the vpcd reader driver, the
# headers pyscard builds against, and this project (editable, with test extras).
# Starts pcscd if it is not running. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

packages="pcscd vsmartcard-vpcd libpcsclite-dev swig gcc python3-dev pcsc-tools tshark"
missing=""
for p in $packages; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

python3 -m pip install -q --disable-pip-version-check -e '.[test]'

if ! pgrep -x pcscd >/dev/null || [ ! -S /run/pcscd/pcscd.comm ]; then
    $SUDO mkdir -p /run/pcscd
    $SUDO pcscd
fi
for _ in $(seq 50); do
    [ -S /run/pcscd/pcscd.comm ] && break
    sleep 0.1
done
[ -S /run/pcscd/pcscd.comm ] || { echo "pcscd did not start" >&2; exit 1; }
echo "ready: pcscd runs with the vpcd readers; start the card with: euicc-emu run"
