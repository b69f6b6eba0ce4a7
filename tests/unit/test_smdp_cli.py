"""``python -m euicc_tools.smdp`` as a user runs it: bad options get one line saying what is
wrong and a non-zero status (no traceback), and SIGTERM stops it cleanly (status 0)."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest


def smdp(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "euicc_tools.smdp", *args],
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture()
def profiles(tmp_path) -> Path:
    folder = tmp_path / "profiles"
    folder.mkdir()
    return folder


def test_a_port_in_use_is_one_line_and_status_1(pki_dir, profiles):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = smdp("--pki", str(pki_dir), "--profiles", str(profiles), "--port", str(port))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == \
        f"smdp: 127.0.0.1:{port}: Address already in use"
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("case, expected", [
    ("missing", "not a folder"),
    ("empty", "no CertificateIssuer/CERT_CI_ECDSA_*.der"),
    ("no-tls-pair", "no DPtls/CERT_S_SM_DP_TLS_NIST.pem (or run with --no-tls)"),
])
def test_a_pki_folder_it_cannot_use_is_named(pki_dir, profiles, tmp_path, case, expected):
    pki = tmp_path / "pki"
    if case == "empty":
        pki.mkdir()
    elif case == "no-tls-pair":
        shutil.copytree(pki_dir, pki)
        shutil.rmtree(pki / "DPtls")
    done = smdp("--pki", str(pki), "--profiles", str(profiles), "--port", "0")
    assert done.returncode == 2
    assert f"error: --pki {pki}: {expected}" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_profiles_folder_that_is_not_one(pki_dir, tmp_path):
    done = smdp("--pki", str(pki_dir), "--profiles", str(tmp_path / "nothing"))
    assert done.returncode == 2
    assert f"error: --profiles {tmp_path / 'nothing'}: not a folder" in done.stderr


def test_a_confirmation_code_without_its_matching_id(pki_dir, profiles):
    done = smdp("--pki", str(pki_dir), "--profiles", str(profiles),
                "--confirmation-code", "12345678")
    assert done.returncode == 2
    assert "error: --confirmation-code 12345678: give MATCHINGID=CODE" in done.stderr


def test_sigterm_stops_it_with_status_0(pki_dir, profiles):
    process = subprocess.Popen(
        [sys.executable, "-m", "euicc_tools.smdp", "--pki", str(pki_dir), "--profiles",
         str(profiles), "--port", "0"], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        line = ""
        while "listening on" not in line and time.monotonic() < deadline:
            line = process.stderr.readline()
            assert line or process.poll() is None, "the SM-DP+ ended before listening"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
