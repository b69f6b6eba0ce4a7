"""The local control socket of a running card: owner-only, management actions through the
ES10 code paths (with their notifications), and the live trace while an LPA works."""

from __future__ import annotations

import json
import os
import select
import signal
import stat
import subprocess
import sys

import pytest

from euicc.store import CardStore, ProfileClass, ProfileRecord, ProfileState
from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.link import PcscLink
from euicc_tools.testkit.emulator_process import Emulator
from tests.support.profile_metadata import iccid_bytes, metadata_der

ICCID = "8944000000000000123"
# `python -m euicc_tools.emulator ARGS` with SIGINT raising KeyboardInterrupt
FOREGROUND = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler)"
              "; sys.argv[0] = 'euicc-emu'; runpy.run_module('euicc_tools.emulator', "
              "run_name='__main__', alter_sys=True)")


def shell(state, *command: str) -> tuple[int, str]:
    done = subprocess.run([sys.executable, "-m", "euicc_tools.emulator", "shell", "--state",
                           str(state), "--json", "-c", " ".join(command)], capture_output=True,
                          text=True, timeout=60)
    return done.returncode, done.stdout


def test_management_and_live_trace(pcscd, tmp_path):
    state = tmp_path / "card"
    store = CardStore(state)
    store.add_profile(ProfileRecord(
        bytes.fromhex("A0000005591010FFFFFFFF8900001000"), iccid_bytes(ICCID),
        ProfileState.DISABLED, ProfileClass.OPERATIONAL,
        metadata_der(ICCID, notify={1: "n.example", 2: "n.example"})))
    store.close()
    emulator = Emulator(state).start()
    try:
        mode = (state / "control.sock").stat().st_mode
        assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o600
        code, out = shell(state, "enable", ICCID)
        assert code == 0 and json.loads(out)["result"] == "ok"
        code, out = shell(state, "notifications")
        assert [n["operation"] for n in json.loads(out)] == ["enable"]

        # Ctrl-C as at a terminal: the follower takes SIGINT as Python does in the
        # foreground even where this test runs with SIGINT ignored (a background job of a
        # shell without job control, whose children inherit that, and then Python installs
        # no handler); faulthandler: a follower that does not stop shows where it waits.
        follower = subprocess.Popen([sys.executable, "-c", FOREGROUND, "shell",
                                     "--state", str(state), "--json", "-c", "log"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    env={**os.environ, "PYTHONFAULTHANDLER": "1"})
        try:
            first = _first_line_while_the_card_works(follower, emulator.reader)
            assert first["name"] in ("TERMINAL CAPABILITY", "MANAGE CHANNEL", "SELECT",
                                     "GET RESPONSE", "STORE DATA ES10c.GetEID")
        finally:
            follower.send_signal(signal.SIGINT)
            _assert_stops(follower)

        link = PcscLink(emulator.reader)
        with Es10Client(link) as es10:
            es10.get_eid()
        link.close()
        code, out = shell(state, "log", "--count", "7")  # returns: the ring buffer's last 7
        events = json.loads(out)
        assert code == 0 and [event["name"] for event in events] == [
            "TERMINAL CAPABILITY", "MANAGE CHANNEL", "SELECT", "GET RESPONSE",
            "STORE DATA ES10c.GetEID", "GET RESPONSE", "MANAGE CHANNEL"]
        assert [event["sw"][:2] for event in events[2:6]] == ["61", "90", "61", "90"]
    finally:
        emulator.stop()
    assert not (state / "control.sock").exists()


def _assert_stops(follower: subprocess.Popen) -> None:
    """One SIGINT ends a following ``log`` with status 0; if it does not within 30 s, the
    failure shows every thread of the follower (faulthandler's dump on SIGABRT)."""
    try:
        code = follower.wait(30)
    except subprocess.TimeoutExpired:
        follower.send_signal(signal.SIGABRT)
        _, err = follower.communicate(timeout=30)
        pytest.fail(f"log still followed 30 s after SIGINT; its threads:\n{err}")
    assert code == 0, follower.stderr.read()


def _first_line_while_the_card_works(follower, reader: str) -> dict:
    """Drive the card (GetEID) until the following ``log`` prints its first exchange."""
    for _ in range(100):
        link = PcscLink(reader)
        with Es10Client(link) as es10:
            es10.get_eid()
        link.close()
        ready, _, _ = select.select([follower.stdout], [], [], 0.5)
        if ready:
            return json.loads(follower.stdout.readline())
    raise AssertionError("log printed nothing while the card worked")


def test_refused_results_and_errors_are_non_zero(pcscd, tmp_path):
    """SGP.22 5.7.16 / 5.7.21: refused ES10c results by their ASN.1 names, exit status 1,
    JSON errors on stdout; a card killed without cleaning up is named as not answering."""
    state = tmp_path / "card"
    store = CardStore(state)
    store.add_profile(ProfileRecord(
        bytes.fromhex("A0000005591010FFFFFFFF8900001000"), iccid_bytes(ICCID),
        ProfileState.ENABLED, ProfileClass.OPERATIONAL, metadata_der(ICCID)))
    store.close()
    emulator = Emulator(state).start()
    try:
        code, out = shell(state, "enable", ICCID)
        answer = json.loads(out)
        assert code == 1 and answer["ok"] is False
        assert answer["result"] == "profileNotInDisabledState" and answer["code"] == 2
        assert answer["error"] == "ES10c.EnableProfile: profileNotInDisabledState (2)"
        code, out = shell(state, "disable", "8944000000000000999")
        assert code == 1 and json.loads(out)["result"] == "iccidOrAidNotFound"
        code, out = shell(state, "nickname", "8944000000000000999", "x")
        assert code == 1 and json.loads(out)["result"] == "iccidNotFound"
        code, out = shell(state, "nickname", ICCID, "n" * 64)  # SIZE(0..64): the limit fits
        assert code == 0 and json.loads(out) == {
            "ok": True, "action": "nickname", "function": "ES10c.SetNickname",
            "result": "ok", "code": 0}
        code, out = shell(state, "delete", ICCID)
        assert code == 1 and json.loads(out)["result"] == "profileNotInDisabledState"
        follower = subprocess.Popen([sys.executable, "-m", "euicc_tools.emulator", "shell",
                                     "--state", str(state), "--json", "-c", "log"],
                                    stdout=subprocess.PIPE, text=True)
        _first_line_while_the_card_works(follower, emulator.reader)
        emulator.kill()  # leaves control.sock behind
        out, _ = follower.communicate(timeout=30)
        assert follower.returncode == 1 and "stopped" in json.loads(out.splitlines()[-1])["error"]
        code, out = shell(state, "memory_reset", "--test")
        assert code == 1 and "does not answer" in json.loads(out)["error"]
    finally:
        emulator.stop()
