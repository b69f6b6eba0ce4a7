"""The fault plan through the real process, pcscd and vpcd (issue 12.1): a scenario file at
``run --scenario``, rules changed live with the shell's ``fault`` command (exit status,
``--json``), marks in the APDU log and in the pcap (a GSMTAP osmocore log packet before the
exchange, read by tshark), and a transport event: the card leaves the reader and comes
back."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from euicc_tools.lpa.es10 import CardError, Es10Client
from euicc_tools.lpa.link import LinkError, PcscLink
from euicc_tools.testkit.emulator_process import Emulator

SCENARIO = """
# GetEID answers '6A88' once, the second time it answers
[[fault]]
id = "eid-refused"
match = "ES10c.GetEID"
action = "status"
sw = "6A88"
"""


def shell(state, command: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "euicc_tools.emulator", "shell", "--state",
                           str(state), "-c", command], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


def test_scenario_live_rules_and_marks(pcscd, tmp_path):
    scenario = tmp_path / "case.toml"
    scenario.write_text(SCENARIO)
    pcap = tmp_path / "trace.pcap"
    state = tmp_path / "card"
    emulator = Emulator(state, extra=["--scenario", str(scenario), "--pcap", str(pcap)]).start()
    try:
        link = PcscLink(emulator.reader)
        with Es10Client(link) as es10:
            with pytest.raises(CardError) as refused:
                es10.get_eid()
            assert refused.value.sw == 0x6A88
            eid = es10.get_eid()  # once: the next GetEID is answered
            assert len(eid) == 32

            added = shell(state, "fault add ES10b.GetEUICCChallenge status sw=6985 --json")
            assert added.returncode == 0, added.stderr
            rule = json.loads(added.stdout)["fault"]
            assert rule["text"] == "ES10b.GetEUICCChallenge -> status 6985 (1x)"
            with pytest.raises(CardError) as refused:
                es10.store_data(bytes.fromhex("BF2E00"))
            assert refused.value.sw == 0x6985

            listed = json.loads(shell(state, "fault list --json").stdout)["faults"]
            assert [(r["id"], r["fired"]) for r in listed] == [("eid-refused", 1),
                                                             (rule["id"], 1)]
            wrong = shell(state, "fault add ES10c.EnableProfile error code=busy")
            assert wrong.returncode == 1
            assert "'busy' is not an error of ES10c.EnableProfile (allowed:" in wrong.stderr
            cleared = shell(state, "fault clear")
            assert cleared.returncode == 0 and cleared.stdout.strip() == "2 removed"
            log = shell(state, "log --count 20").stdout
            assert "[injected eid-refused: status 6A88]" in log
            assert f"[injected {rule['id']}: status 6985]" in log
        link.close()
    finally:
        emulator.stop()
    assert any("injected eid-refused: status 6A88" in line for line in emulator.log)
    if shutil.which("tshark") is None:
        if os.environ.get("EUICC_REQUIRE_PCSCD"):
            pytest.fail("tshark is not installed (bash tools/setup.sh)")
        return
    marks = subprocess.run(["tshark", "-r", str(pcap), "-T", "fields", "-e", "frame.number",
                            "-e", "gsmtap_log.string"], capture_output=True, text=True,
                           check=True).stdout.splitlines()
    injected = [line.split("\t") for line in marks if "injected" in line]
    assert [text for _, text in injected] == [
        "STORE DATA ES10c.GetEID: injected eid-refused: status 6A88",
        f"STORE DATA ES10b.GetEUICCChallenge: injected {rule['id']}: status 6985"]
    frames = {int(n): text for n, text in (line.split("\t") for line in marks)}
    number = int(injected[0][0])
    assert frames[number + 1] == ""  # the exchange it changed follows the mark


def test_a_removed_card_comes_back(pcscd, tmp_path):
    from smartcard.Exceptions import CardConnectionException

    state = tmp_path / "card"
    emulator = Emulator(state).start()
    try:
        added = shell(state, "fault add STATUS transport event=remove ms=1500")
        assert added.returncode == 0, added.stderr
        link = PcscLink(emulator.reader)
        started = time.monotonic()
        try:
            with pytest.raises(LinkError) as gone:  # the LPA's transport failure
                link.transmit(bytes.fromhex("80F2000000"))
        finally:
            link.close()  # an exclusive connection left open would hold the reader
        assert isinstance(gone.value.__cause__, CardConnectionException)
        emulator.wait_for_card(time.monotonic() + 20)
        assert time.monotonic() - started >= 1.5  # away as long as the rule said
        link = PcscLink(emulator.reader)
        _, sw = link.transmit(bytes.fromhex("80F2000000"))
        assert sw >> 8 in (0x90, 0x61)  # once: the card answers again
        link.close()
    finally:
        emulator.stop()
    assert any("card removed from" in line and "(fault plan)" in line
               for line in emulator.log)
