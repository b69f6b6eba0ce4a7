"""The shipped locustfile (issue 14, point 3; tools/fleet/locustfile.py) in a headless
Locust run against the project's SM-DP+ over HTTPS on loopback: 20 users (devices), 200
downloads; 0 failures in Locust's own CSV statistics, each ES9+ function and the whole
download as request types; every download a distinct installed profile whose Install
notification the SM-DP+ received and the card then removed. And a run against an SM-DP+
that is not there: every download a failure with its reason, the worker never crashes.

Locust is the project's ``load`` extra (tools/setup.sh installs it): without it these skip,
except in CI (EUICC_REQUIRE_PCSCD set by .ci/run), where they fail."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from euicc.coding import decode_bcd
from tests.support.fleet import https_smdp, profiles_folder

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = ROOT / "tools" / "fleet" / "locustfile.py"
ES9_STEPS = ("initiateAuthentication", "authenticateClient", "getBoundProfilePackage",
             "handleNotification")


@pytest.fixture(scope="module", autouse=True)
def locust_installed():
    # Found, not imported: importing locust monkey-patches this process for gevent, which
    # deadlocked the test session against a thread another test's HTTPS server had left
    # (seen in a fresh-clone CI run). The runs below start Locust as its own process.
    if importlib.util.find_spec("locust") is None:
        if os.environ.get("EUICC_REQUIRE_PCSCD"):
            pytest.fail("Locust is missing: pip install -e '.[load]' (tools/setup.sh does)")
        pytest.skip("Locust is not installed (pip install -e '.[load]')")


def run_locust(tmp_path: Path, pki: Path, address: str, connect_to: str, users: int,
               downloads: int, *extra: str) -> tuple[subprocess.CompletedProcess, dict]:
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
               "-u", str(users), "-r", str(users), "-t", "120s", "--only-summary",
               "--csv", str(tmp_path / "run"), "--fleet-pki", str(pki),
               "--fleet-smdp", address, "--fleet-matching-id", "TS48",
               "--fleet-connect-to", connect_to, "--fleet-downloads", str(downloads),
               "--fleet-dir", str(tmp_path / "fleet"),
               "--fleet-report", str(tmp_path / "report.json"), *extra]
    done = subprocess.run(command, capture_output=True, text=True, timeout=240, cwd=tmp_path)
    with open(tmp_path / "run_stats.csv", newline="") as file:
        stats = {(row["Type"], row["Name"]): row for row in csv.DictReader(file)}
    return done, stats


def test_headless_run_of_200_downloads_by_20_devices(pki_dir, tmp_path):
    with https_smdp(pki_dir, profiles_folder(tmp_path / "profiles")) as (
            smdp, address, connect_to):
        done, stats = run_locust(tmp_path, pki_dir, address, connect_to, 20, 200)
        installs = list(smdp.installs)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    for key, row in stats.items():
        assert row["Failure Count"] == "0", (key, row)
    assert stats[("device", "download")]["Request Count"] == "200"
    assert stats[("device", "delete")]["Request Count"] == "200"
    for step in ES9_STEPS[:3]:
        assert stats[("ES9+", step)]["Request Count"] == "200"
    # the Install notification of each download, and the Delete notification of each delete
    assert stats[("ES9+", "handleNotification")]["Request Count"] == "400"
    whole = json.loads((tmp_path / "report.json").read_text())
    report = whole["downloads"]
    # the worker's CPU time, for telling the devices' share from the SM-DP+'s
    cpu = whole["cpu"]
    assert cpu["downloads"] == 200 and cpu["user_s"] > 0 and cpu["system_s"] >= 0
    assert cpu["cpu_ms_per_download"] == pytest.approx(
        (cpu["user_s"] + cpu["system_s"]) * 1000 / 200, abs=0.01)
    assert "fleet worker 0 CPU: 200 downloads," in done.stderr, done.stderr[-3000:]
    assert len(report) == 200 and len({d["eid"] for d in report}) == 20
    assert len({d["iccid"] for d in report}) == 200  # a distinct profile each time
    assert all(d["notification"]["delivered"] and d["notification"]["removed"]
               for d in report)
    # the SM-DP+ received each one's ProfileInstallationResult, successful, from that eUICC
    assert sorted((i.eid, decode_bcd(i.iccid), i.success) for i in installs) == sorted(
        (d["eid"], d["iccid"], True) for d in report)


def test_an_unreachable_sm_dp_fails_every_download_with_the_reason(pki_dir, tmp_path):
    done, stats = run_locust(tmp_path, pki_dir, "testsmdpplus1.example.com:1", "127.0.0.1:1",
                             2, 6)
    assert done.returncode == 1, done.stderr[-3000:]  # Locust's exit code for failures
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert stats[("device", "download")]["Failure Count"] == "6"
    assert stats[("ES9+", "initiateAuthentication")]["Failure Count"] == "6"
    with open(tmp_path / "run_failures.csv", newline="") as file:
        failures = {(r["Name"], r["Error"]) for r in csv.DictReader(file)}
    assert any(name == "initiateAuthentication" and "Connection refused" in error
               for name, error in failures), failures


def test_bad_inputs_stop_the_run_before_any_device_starts(pki_dir, tmp_path):
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "-u",
               "1", "-t", "5s", "--fleet-pki", str(pki_dir), "--fleet-activation-code",
               "LPA:2$smdp$M"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode != 0
    assert "fleet: activation code 'LPA:2$smdp$M': AC_Format must be 1" in done.stderr
