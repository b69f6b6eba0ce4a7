"""`run --pcap FILE`: every APDU exchange lands in a pcap (GSMTAP SIM) that tshark decodes."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.link import PcscLink
from euicc_tools.testkit.emulator_process import Emulator


def test_pcap_decodes_with_tshark(pcscd, tmp_path):
    if shutil.which("tshark") is None:
        if os.environ.get("EUICC_REQUIRE_PCSCD"):
            pytest.fail("tshark is not installed (bash tools/setup.sh)")
        pytest.skip("tshark is not installed")
    pcap = tmp_path / "trace.pcap"
    emulator = Emulator(tmp_path / "card", extra=["--pcap", str(pcap)]).start()
    try:
        link = PcscLink(emulator.reader)
        with Es10Client(link) as es10:
            es10.get_eid()
            es10.store_data(bytes.fromhex("BF2D00"))
        link.transmit(bytes.fromhex("00200001083938373635343332"))  # VERIFY PIN, no profile
        sent = es10.apdu_count + 1
        link.close()
    finally:
        emulator.stop()
    out = subprocess.run(["tshark", "-r", str(pcap)], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert len(out) == sent
    assert any("SELECT Application a0000005591010ffffffff8900000100" in line for line in out)
    assert all("GSM SIM" in line for line in out)
    fields = subprocess.run(["tshark", "-r", str(pcap), "-T", "fields", "-e", "gsm_sim.apdu.ins"],
                            capture_output=True, text=True, check=True).stdout.split()
    assert "0xe2" in fields and "0x70" in fields  # STORE DATA, MANAGE CHANNEL
    assert bytes.fromhex("3938373635343332") not in pcap.read_bytes()  # the PIN is masked
