"""Unit fixtures: the test SM-DP+ (euicc_tools.smdp.es9.Smdp, called in-process) serving
small profile packages of the project's own and, where ../shared has it, the TS.48 test
profile TS48V2-SAIP2-1-NOBERTLV-UNIQUE; the IoT card (personality ``iot``) with an ES10
client."""

from __future__ import annotations

import shutil

import pytest

from euicc_tools.smdp.es9 import Smdp
from euicc_tools.testkit.profile_builder import build_upp
from tests.support.downloads import ADDRESS
from tests.support.sgp32 import iot_client
from tests.support.shared_material import SHARED


def minimal_package(iccid_digits: str, name: str) -> bytes:
    """A small profile package of the project's own (MF, USIM, MILENAGE keys)."""
    return build_upp(iccid_digits, "001010000000011", k=bytes(range(16)), opc=bytes(16),
                     include=("mf", "usim"))


@pytest.fixture
def smdp(pki_dir, tmp_path):
    """The SM-DP+ of ``pki_dir`` at ADDRESS: TINY (MF and USIM), BIG (MF, USIM, ISIM,
    DF.5GS, MNO-SD; confirmation code 1234) and the TS.48 package when present."""
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "TINY.der").write_bytes(minimal_package("8944123400000000011", "tiny"))
    (profiles / "BIG.der").write_bytes(build_upp(
        "8944123400000000022", "001010000000022", k=bytes(range(16)), opc=bytes(16)))
    ts48 = SHARED / "profiles" / "TS48V2-SAIP2-1-NOBERTLV-UNIQUE.der"
    if ts48.exists():
        shutil.copy(ts48, profiles)
    return Smdp(ADDRESS, pki_dir, profiles, confirmation_codes={"BIG": "1234"})


@pytest.fixture
def iot(store, credentials):
    """An ES10 client on an in-process IoT eUICC (SGP.32, personality ``iot``)."""
    client = iot_client(store, credentials)
    yield client
    client.close()
