#!/usr/bin/env bash
# Set up a Debian machine for euicc-emu: PC/SC daemon with the vpcd reader driver, the
# headers pyscard builds against, and this project (editable, with the test, fuzz and load
# extras: CI runs every fuzz target briefly and a short headless Locust run) in a
# virtual environment at .venv/ in the checkout, so that a distribution Python marked
# "externally managed" (PEP 668, Debian 12) is never touched. Starts pcscd if it is not
# running. Safe to run again.
#
# The venv is made with the distribution's /usr/bin/python3 where it is 3.11 or newer, else
# with the first `python3` on PATH (override either with PYTHON=/path/to/python3); a venv
# of another interpreter is made anew. Debian's python3 is the one the packages below serve
# (python3-dev, python3-venv), and it runs the card faster than a --enable-shared build
# such as pyenv's: bench/instructions.py counted 52.3 M instructions per TS.48 download
# under Debian's 3.11.2 against 56.9 M under pyenv's 3.11.7 (libpython a shared library
# there). Afterwards everything runs as .venv/bin/euicc-emu,
# .venv/bin/python, ... with no activation step.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

if [ -n "${PYTHON:-}" ]; then
    python=$PYTHON
elif [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    python=/usr/bin/python3
else
    python=python3
fi
command -v "$python" >/dev/null || { echo "setup: no $python on PATH" >&2; exit 1; }

# python3-venv carries ensurepip for Debian's python3 (split out of python3 itself);
# python3-dev and gcc/swig/libpcsclite-dev are what pyscard builds against without a wheel.
packages="pcscd vsmartcard-vpcd libpcsclite-dev swig gcc python3-dev python3-venv pcsc-tools
          tshark osmo-hlr"
missing=""
for p in $packages; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

# A venv left half-made (interrupted run, or a Python that has since gone), or made with
# another interpreter than this run's, is made anew.
which_python='import sys; print(sys.base_prefix, sys.version)'
if [ "$(.venv/bin/python -c "$which_python" 2>/dev/null)" != "$("$python" -c "$which_python")" ]; then
    rm -rf .venv
    "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test,fuzz,load]'

if ! pgrep -x pcscd >/dev/null || [ ! -S /run/pcscd/pcscd.comm ]; then
    $SUDO mkdir -p /run/pcscd
    $SUDO pcscd
fi
for _ in $(seq 50); do
    [ -S /run/pcscd/pcscd.comm ] && break
    sleep 0.1
done
[ -S /run/pcscd/pcscd.comm ] || { echo "pcscd did not start" >&2; exit 1; }
echo "ready: pcscd runs with the vpcd readers; start the card with: .venv/bin/euicc-emu run"
