"""``euicc-lpa`` as a real process, the way an LPA conformance runner drives lpac: the
emulator process in a vpcd reader of the real pcscd, the test SM-DP+ over HTTPS (SGP.22
6.5), the LPA as ``python -m euicc_tools.lpa`` (what the ``euicc-lpa`` script runs). A
download delivers its Install notification (3.1.3); enable makes a notification that
``notifications-process`` delivers and removes (5.7.9-5.7.11); a rejection cancels the
session (3.0.2); the card's refusal comes with SGP.22's name (5.7.13); a reader that is not
there is exit 3."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from euicc.store import CardStore
from euicc_tools.testkit.profile_builder import build_upp
from tests.support.downloads import serving_smdp

ICCID = "89441234000000000771"


@pytest.fixture
def endpoint(emulator, tmp_path):
    """The SM-DP+ for the emulator's card, its address the HTTPS endpoint itself
    (127.0.0.1:PORT), so the notifications it asks for come back to it."""
    package = build_upp(ICCID, "001010000000771", k=bytes(range(16)), opc=bytes(16),
                        include=("mf", "usim"))
    with serving_smdp(emulator.state / "pki", tmp_path / "profiles", {"BUILT": package},
                      address=None) as (smdp, _):
        yield smdp


def lpa(*argv: str, env: dict | None = None) -> tuple[int, dict]:
    done = subprocess.run([sys.executable, "-m", "euicc_tools.lpa", "--json", *argv],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})
    (line,) = done.stdout.splitlines()  # exactly one JSON object
    return done.returncode, json.loads(line)


def test_download_enable_and_notifications(emulator, endpoint):
    reader = ["--reader", emulator.reader]
    status, answer = lpa(*reader, "download", "--smdp", endpoint.address, "--matching-id",
                         "BUILT")
    assert status == 0, answer
    note = answer["data"]["notification"]
    assert (note["operation"], note["address"], note["removed"]) == (
        "install", endpoint.address, True)
    assert len(endpoint.notifications) == 1
    # the reader from the environment this time
    status, answer = lpa("enable", ICCID, env={"EUICC_LPA_READER": emulator.reader})
    assert status == 0 and answer["data"]["result"] == "ok"
    status, answer = lpa(*reader, "notifications-process")
    assert status == 0 and [(r["operation"], r["removed"]) for r in answer["data"]] == [
        ("enable", True)]
    assert len(endpoint.notifications) == 2
    status, answer = lpa(*reader, "list")
    assert [(p["iccid"], p["state"]) for p in answer["data"]] == [(ICCID, "enabled")]
    store = CardStore(emulator.state)
    assert store.notifications() == []
    store.close()


def test_rejection_refusal_and_no_reader(emulator, endpoint):
    reader = ["--reader", emulator.reader]
    status, answer = lpa(*reader, "download", "--smdp", endpoint.address, "--matching-id",
                         "BUILT", "--reject", "postponed")
    assert (status, answer["data"]["result"], answer["data"]["reason"]) == (
        0, "rejected", "postponed")
    fault = subprocess.run([sys.executable, "-m", "euicc_tools.emulator", "shell", "--state",
                            str(emulator.state), "-c",
                            "fault add ES10b.AuthenticateServer error code=ciPKUnknown"],
                           capture_output=True, text=True, timeout=60)
    assert fault.returncode == 0, fault.stderr
    status, answer = lpa(*reader, "download", "--smdp", endpoint.address, "--matching-id",
                         "BUILT")
    assert (status, answer["code"]) == (1, "ciPKUnknown")  # SGP.22 5.7.13
    store = CardStore(emulator.state)
    assert store.profiles() == []
    store.close()
    status, answer = lpa("--reader", "No Such Reader", "info")
    assert status == 3 and "No Such Reader" in answer["error"]
    assert emulator.reader in answer["error"]  # the readers there are, named
