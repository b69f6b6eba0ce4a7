"""Integration fixtures: the real emulator process (``euicc-emu run``) in a vpcd reader of
the real pcscd, driven with pyscard exactly like lpac (T=0, exclusive), and the test SM-DP+
serving it over HTTPS (SGP.22 6.5, ES9+)."""

from __future__ import annotations

import os
import shutil

import pytest

from euicc_tools.testkit.emulator_process import Emulator
from euicc_tools.testkit.profile_builder import build_upp
from tests.support.downloads import serving_smdp
from tests.support.shared_material import SHARED

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


@pytest.fixture
def smdp_server(emulator, tmp_path):
    """The test SM-DP+ for ``emulator``'s card on an HTTPS port of its own: (Smdp,
    "127.0.0.1:PORT"). It serves a built TUAK profile (matching ID BUILT) and every package
    of ../shared/profiles, by file name."""
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    for path in sorted((SHARED / "profiles").glob("**/*.der")):  # ts48v5/ included
        shutil.copy(path, profiles)  # served by file name: <matchingId>.der
    built = build_upp("89441234000000000334", "001010000000334", algorithm="tuak",
                      k=bytes(range(32)), opc=bytes(range(32, 64)))
    with serving_smdp(emulator.state / "pki", profiles, {"BUILT": built}) as served:
        yield served
