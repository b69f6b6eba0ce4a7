"""Integration fixtures: the real emulator process (``euicc-emu run``) in a vpcd reader of
the real pcscd, driven with pyscard exactly like lpac (T=0, exclusive)."""

from __future__ import annotations

import os

import pytest
from emulator import Emulator

READER_PREFIX = "Virtual PCD 00"


def _vpcd_readers() -> list[str]:
    try:
        from smartcard.System import readers
    except ImportError:
        return []
    try:
        return [str(r) for r in readers() if str(r).startswith(READER_PREFIX)]
    except Exception:
        return []


@pytest.fixture(scope="session")
def pcscd():
    found = _vpcd_readers()
    if not found:
        reason = "pcscd with the vsmartcard vpcd driver is not running (bash tools/setup.sh)"
        if os.environ.get("EUICC_REQUIRE_PCSCD"):
            pytest.fail(reason)
        pytest.skip(reason)
    return found


@pytest.fixture
def emulator(pcscd, tmp_path):
    emu = Emulator(tmp_path / "card").start()
    yield emu
    emu.stop()


@pytest.fixture
def link(emulator):
    from euicc_tools.lpa.link import PcscLink

    connection = PcscLink(emulator.reader)
    yield connection
    connection.close()
