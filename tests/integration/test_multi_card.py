"""One process serves two cards on two vpcd slots, each with its own state directory;
a state directory in use refuses a second process."""

from __future__ import annotations

import subprocess
import sys
import time

from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.link import PcscLink
from euicc_tools.testkit.emulator_process import CardProcess, Emulator


def test_two_cards_one_process(pcscd, tmp_path):
    if "Virtual PCD 00 01" not in pcscd:
        import pytest

        pytest.skip("the vpcd driver offers one reader only")
    first = Emulator(tmp_path / "a", slot=0, extra=["--state", str(tmp_path / "b")])
    first.start()
    second = Emulator(tmp_path / "b", slot=1)  # the same process, its second card
    second.wait_for_card(time.monotonic() + 20)
    try:
        eids, addresses = [], []
        for reader, address in (("Virtual PCD 00 00", "a.example"),
                                ("Virtual PCD 00 01", None)):
            link = PcscLink(reader)
            with Es10Client(link) as es10:
                eids.append(es10.get_eid())
                if address:
                    es10.call("SetDefaultDpAddressRequest", {"defaultDpAddress": address},
                              "SetDefaultDpAddressResponse")
            link.close()
        for reader in ("Virtual PCD 00 00", "Virtual PCD 00 01"):
            link = PcscLink(reader)
            with Es10Client(link) as es10:
                addresses.append(es10.call("EuiccConfiguredAddressesRequest", {},
                                           "EuiccConfiguredAddressesResponse")
                                 .get("defaultDpAddress"))
            link.close()
        assert eids[0] != eids[1]
        assert addresses == ["a.example", None]
        busy = subprocess.run(
            [sys.executable, "-m", "euicc_tools.emulator", "run", "--state", str(tmp_path / "a"),
             "--slot", "5"], capture_output=True, text=True, timeout=30)
        assert busy.returncode != 0 and "in use" in busy.stderr
    finally:
        first.stop()


def test_second_card_on_a_served_slot_says_busy_not_inserted(emulator, tmp_path):
    """pcscd's vpcd accepts a second connection to a slot it serves and never powers that
    card: the second process must not claim to be in the reader."""
    second = CardProcess("run", "--state", str(tmp_path / "second"),
                         "--slot", str(emulator.slot))
    try:
        second.wait_for("looks busy", 60)  # start-up, then the transport's BUSY_AFTER
    finally:
        second.stop()
    assert not any("card inserted" in line for line in second.lines), "\n".join(second.lines)
    link = PcscLink(emulator.reader)  # the first card still answers
    with Es10Client(link) as es10:
        assert len(es10.get_eid()) == 32
    link.close()
