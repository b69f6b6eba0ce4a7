"""SGP.32 v1.2 Fallback Mechanism and Emergency Profile end to end, with the v1.2 IoT card
(``--personality iot12``) in a vpcd reader of the real pcscd, the project's IPA
(``euicc-lpa ipa``), test eIM and test SM-DP+: three profiles downloaded through Profile
Download Triggers (one whose metadata has fallbackAllowed, one with ecallIndication: SGP.32
4.4, from the SM-DP+'s metadata sidecars), the eIM's setFallbackAttribute PSMO (3.4.6),
ExecuteFallbackMechanism / ReturnFromFallback (5.9.20 / 5.9.21), EnableEmergencyProfile /
DisableEmergencyProfile (5.9.22 / 5.9.23) and, while the Emergency Profile is enabled, an
eUICC Package refused with the signed error ecallActive(104) (2.11.2.1) that the eIM
verifies with the eUICC certificate; then the unsetFallbackAttribute (3.4.7) and
setDefaultDpAddress PSMOs."""

from __future__ import annotations

import json

import pytest

from euicc_tools.eim import keys
from euicc_tools.testkit.emulator_process import Emulator
from euicc_tools.testkit.profile_builder import build_upp
from tests.integration.test_ipa_eim_pcsc import card_state, eim, lpa, queue  # noqa: F401
from tests.support.downloads import serving_smdp

pytestmark = pytest.mark.integration
WORK, FALLBACK, ECALL = "89441234000000000811", "89441234000000000829", "89441234000000000837"


@pytest.fixture
def iot_card(pcscd, tmp_path):
    emulator = Emulator(tmp_path / "card", extra=["--personality", "iot12"]).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def smdp(iot_card, tmp_path):
    profiles = tmp_path / "profiles"
    packages = {
        name: build_upp(iccid, f"00101000000{iccid[-4:]}", k=bytes(range(16)), opc=bytes(16),
                        include=("mf", "usim"))
        for name, iccid in (("WORK", WORK), ("FALLBACK", FALLBACK), ("ECALL", ECALL))}
    profiles.mkdir()
    (profiles / "FALLBACK.metadata.json").write_text(json.dumps({"fallbackAllowed": True}))
    (profiles / "ECALL.metadata.json").write_text(json.dumps({"ecallIndication": True}))
    with serving_smdp(iot_card.state / "pki", profiles, packages, address=None) as (server, _):
        yield server


def enabled(emulator) -> str | None:
    return next((iccid for iccid, state in card_state(emulator)[0] if state == "ENABLED"),
                None)


def test_fallback_and_emergency_through_the_ipa(iot_card, smdp, eim):  # noqa: F811 - the fixture
    directory, kept = eim
    reader = iot_card.reader
    status, answer = lpa(reader, "ipa", "add-initial-eim", str(directory / keys.ADD_INITIAL_EIM))
    assert status == 0, answer
    eid = lpa(reader, "info")[1]["data"]["eid"]
    for name in ("WORK", "FALLBACK", "ECALL"):
        queue(directory, "download", eid, "--smdp", smdp.address, "--matching-id", name)
    queue(directory, "psmo", eid, f"enable:{WORK}", f"setFallbackAttribute:{FALLBACK}")
    status, answer = lpa(reader, "ipa", "poll", "--loop")
    assert status == 0, answer
    package = answer["data"]["rounds"][-2]
    signed = package["value"]["euiccPackageResultDataSigned"]
    assert signed["euiccResult"] == [{"enableResult": 0}, {"setFallbackAttributeResult": 0}]
    assert enabled(iot_card) == WORK

    # 5.9.20 / 5.9.21 through the IPA's commands
    status, answer = lpa(reader, "ipa", "fallback", "--refresh")
    assert (status, answer["data"]) == (0, {"function": "ES10b.ExecuteFallbackMechanism",
                                            "result": "ok"})
    assert enabled(iot_card) == FALLBACK
    status, answer = lpa(reader, "ipa", "fallback")
    assert status == 1 and answer["code"] == "profileNotInDisabledState", answer
    assert lpa(reader, "ipa", "return-from-fallback")[0] == 0
    assert enabled(iot_card) == WORK

    # 5.9.22: the Emergency Profile; an eUICC Package meanwhile is ecallActive(104)
    assert lpa(reader, "ipa", "emergency-enable")[0] == 0
    assert enabled(iot_card) == ECALL
    before = card_state(iot_card)
    queue(directory, "psmo", eid, f"disable:{ECALL}")
    status, answer = lpa(reader, "ipa", "poll")
    assert status == 1, answer
    assert card_state(iot_card) == before
    refused = kept.results(eid)[-1]
    assert refused["summary"]["euiccPackageErrorCode"] == 104
    assert refused["verified"] is True
    status, answer = lpa(reader, "ipa", "return-from-fallback")
    assert status == 1 and answer["code"] == "fallbackNotAvailable"
    assert lpa(reader, "ipa", "emergency-disable")[0] == 0
    assert enabled(iot_card) == WORK
    status, answer = lpa(reader, "ipa", "emergency-disable")
    assert status == 1 and answer["code"] == "profileNotInEnabledState"

    # the other v1.2 PSMOs: unsetFallbackAttribute (3.4.7), setDefaultDpAddress
    queue(directory, "psmo", eid, "unsetFallbackAttribute", "unsetFallbackAttribute",
          "setDefaultDpAddress:smdp.example.com")
    status, answer = lpa(reader, "ipa", "poll")
    assert status == 0, answer
    signed = answer["data"]["value"]["euiccPackageResultDataSigned"]
    assert signed["euiccResult"] == [
        {"unsetFallbackAttributeResult": 0}, {"unsetFallbackAttributeResult": 2},
        {"setDefaultDpAddressResult": {"setDefaultDpAddressResult": 0}}]
    assert "smdp.example.com" in json.dumps(lpa(reader, "info")[1]["data"])
    assert lpa(reader, "ipa", "fallback")[1]["code"] == "fallbackNotAvailable"
