"""The local control socket of a running card: owner-only, management actions through the
ES10 code paths (with their notifications), and the live trace while an LPA works."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import time

from emulator import Emulator
from helpers import iccid_bytes, metadata_der

from euicc.store import CardStore, ProfileClass, ProfileRecord, ProfileState
from tools.lpa.es10 import Es10Client
from tools.lpa.link import PcscLink

ICCID = "8944000000000000123"


def shell(state, *command: str) -> tuple[int, str]:
    done = subprocess.run([sys.executable, "-m", "euicc.cli", "shell", "--state", str(state),
                           "--json", "-c", " ".join(command)], capture_output=True, text=True,
                          timeout=60)
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
        code, out = shell(state, "enable", ICCID)
        assert code == 1 and json.loads(out)["result"] == "profileNotInDisabledState"
        code, out = shell(state, "notifications")
        assert [n["operation"] for n in json.loads(out)] == ["enable"]

        log = subprocess.Popen([sys.executable, "-m", "euicc.cli", "shell", "--state",
                                str(state), "--json", "-c", "log --count 4"],
                               stdout=subprocess.PIPE, text=True)
        time.sleep(1.5)  # let it subscribe
        link = PcscLink(emulator.reader)
        with Es10Client(link) as es10:
            es10.get_eid()
        link.close()
        out, _ = log.communicate(timeout=30)
        names = [json.loads(line)["name"] for line in out.splitlines()]
        assert names[:4] == ["TERMINAL CAPABILITY", "MANAGE CHANNEL", "SELECT",
                             "GET RESPONSE"]
    finally:
        emulator.stop()
    assert not (state / "control.sock").exists()
