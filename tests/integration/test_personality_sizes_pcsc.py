"""A personality's STORE DATA and response sizes through the real pcscd and vpcd, read with
pyscard as lpac reads the card (T=0, exclusive): a STORE DATA block longer than
``max_store_data`` is answered '6700' wrong length (GlobalPlatform Card Specification 2.3
11.1.3, ISO/IEC 7816-4 5.6), an answer longer than ``max_response`` comes in '61xx' chunks
of that size whatever GET RESPONSE's Le asks (ETSI TS 102 221 7.3.1.1.4, 10.2.1.1), and the
project's LPA as a real process needs ``--block-size`` (lpac's LPAC_CUSTOM_ES10X_MSS) to
read and download with such a card."""

from __future__ import annotations

import pytest

from euicc.sw import SW
from euicc_tools.lpa.link import PcscLink
from euicc_tools.testkit.emulator_process import Emulator
from tests.integration import test_lpa_cli_pcsc as lpa_cli

pytestmark = pytest.mark.integration

SMALL = '[personality]\nname = "small"\n[card]\nmax_store_data = 64\nmax_response = 100\n'
# ES10c.GetProfilesInfo with a tagList of 100 tags (SGP.22 5.7.15): 105 bytes
LONG_COMMAND = bytes.fromhex("BF2D665C64") + bytes.fromhex("5A") * 100
endpoint = lpa_cli.endpoint  # the SM-DP+ for this module's ``emulator``
lpa, ICCID = lpa_cli.lpa, lpa_cli.ICCID


@pytest.fixture
def emulator(pcscd, tmp_path):
    """The card with the small sizes (this module's ``emulator``, so ``endpoint`` serves
    it)."""
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    card = Emulator(tmp_path / "card", extra=["--personality", str(path)]).start()
    yield card
    card.stop()


def test_long_block_refused_and_long_answer_chained(emulator):
    link = PcscLink(emulator.reader)
    try:
        data, sw = link.transmit(bytes.fromhex("00A4040010A0000005591010FFFFFFFF8900000100"))
        while sw >> 8 == 0x61:
            more, sw = link.transmit(bytes([0x00, 0xC0, 0x00, 0x00, sw & 0xFF]))
            data += more
        assert sw == SW.OK and bytes.fromhex("9F650140") in data  # FCI: 64 (GP 11.9.3.1)
        block = bytes([0x80, 0xE2, 0x91, 0x00, len(LONG_COMMAND)]) + LONG_COMMAND
        assert link.transmit(block) == (b"", SW.WRONG_LENGTH)
        # EUICCInfo2 (SGP.22 5.7.8), over 100 bytes; GET RESPONSE asks 256 every time
        data, sw = link.transmit(bytes.fromhex("80E2910003BF2200"))
        assert (data, sw) == (b"", 0x6164)
        lengths = []
        while sw >> 8 == 0x61:
            data, sw = link.transmit(bytes.fromhex("80C0000000"))
            lengths.append(len(data))
        assert sw == SW.OK and len(lengths) >= 2
        assert all(n == 100 for n in lengths[:-1]) and 0 < lengths[-1] <= 100
    finally:
        link.close()


def test_the_lpa_with_a_smaller_block_size(emulator, endpoint):
    reader = ["--reader", emulator.reader]
    status, answer = lpa(*reader, "download", "--smdp", endpoint.address, "--matching-id",
                         "BUILT")
    assert status == 1 and "6700" in answer["error"], answer
    status, answer = lpa(*reader, "--block-size", "64", "download", "--smdp",
                         endpoint.address, "--matching-id", "BUILT")
    assert status == 0, answer
    status, answer = lpa(*reader, "--block-size", "64", "list")
    assert status == 0 and [p["iccid"] for p in answer["data"]] == [ICCID]
