"""`euicc-emu run --personality` through the real pcscd: the reader reports the
personality's ATR (ISO/IEC 7816-3 8.2) and its ISD-R answers SELECT by DF name at the
personality's AID (SGP.22 2.2.1), read with pyscard as lpac reads them (T=0)."""

from __future__ import annotations

import pytest

from euicc_tools.personalities import load_personality
from euicc_tools.testkit.emulator_process import Emulator

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("name", ["sysmoEUICC1-C2T", "5ber"])
def test_reader_sees_the_personality(pcscd, tmp_path, name):
    from smartcard.System import readers

    personality = load_personality(name)
    emulator = Emulator(tmp_path / "card", extra=["--personality", name]).start()
    try:
        (reader,) = [r for r in readers() if str(r) == emulator.reader]
        connection = reader.createConnection()
        connection.connect()
        try:
            assert bytes(connection.getATR()) == personality.atr
            aid = list(personality.isd_r_aid)
            _, sw1, _ = connection.transmit([0x00, 0xA4, 0x04, 0x00, len(aid), *aid, 0x00])
            assert sw1 in (0x90, 0x61)
        finally:
            connection.disconnect()
    finally:
        emulator.stop()
