"""The test SM-DP+'s Profile Metadata sidecar (tools/smdp/profiles.py): SGP.32 v1.2 4.4's
ecallIndication / fallbackAllowed in the StoreMetadataRequest it sends (SGP.22 5.5.3), and
a sidecar that is not such an object makes the profile unknown, never a half-made one."""

import json

import pytest

from euicc.asn1 import decode_exact, rsp, sgp32
from euicc_tools.smdp import profiles as smdp_profiles
from euicc_tools.smdp.profiles import load_profile, store_metadata
from euicc_tools.testkit.profile_builder import build_upp

ICCID = "89441234000000000845"


@pytest.fixture
def profiles(tmp_path):
    package = build_upp(ICCID, "001010000000845", k=bytes(16), opc=bytes(16),
                        include=("mf", "usim"))
    (tmp_path / "IOT.der").write_bytes(package)
    return tmp_path


def test_without_a_sidecar_the_metadata_is_sgp22s(profiles):
    metadata = store_metadata(load_profile(profiles, "IOT"), "SP", "smdp.example.com")
    assert decode_exact(rsp(), "StoreMetadataRequest", metadata)["profileName"] == "IOT"
    assert bytes.fromhex("9F67") not in metadata and bytes.fromhex("9F7B") not in metadata


def test_the_sidecar_members_are_in_the_metadata(profiles):
    (profiles / "IOT.metadata.json").write_text(json.dumps(
        {"fallbackAllowed": True, "ecallIndication": False}))
    metadata = store_metadata(load_profile(profiles, "IOT"), "SP", "smdp.example.com")
    value = decode_exact(sgp32(), "SGP32-StoreMetadataRequest", metadata)
    assert (value["fallbackAllowed"], value["ecallIndication"]) == (True, False)
    assert metadata.endswith(bytes.fromhex("9F7B01009F6701FF"))


@pytest.mark.parametrize("text", ['{"fallbackAllowed": 1}', '{"other": true}', "[]", "{"])
def test_a_bad_sidecar_makes_the_profile_unknown(profiles, text, monkeypatch):
    logged = []
    monkeypatch.setattr(smdp_profiles.log, "warning", lambda *args: logged.append(args))
    (profiles / "IOT.metadata.json").write_text(text)
    assert load_profile(profiles, "IOT") is None
    assert "IOT.metadata.json" in str(logged[0][-1])
