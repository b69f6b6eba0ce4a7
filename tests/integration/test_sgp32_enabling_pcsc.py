"""The IoT eUICC's profile rollback and automatic enabling through the real pcscd and vpcd
with pyscard, as an IPA drives it: a signed package with the configureAutoEnable PSMO and
an enable with rollbackFlag (SGP.32 2.11.1.1.3), ProfileRollback (5.9.16) whose result
verifies with the certificate GetCerts gave, ES10c.EnableProfile refused ('6A80': the
eIM's), state that survives ``kill -9`` (the armed rollback, the configuration), and
EnableUsingDD (5.9.15) after a download from the test SM-DP+ over HTTPS; the IPA's unsigned
ConfigureAutoProfileEnabling (5.9.17) and resetAutoEnableConfig (5.9.5); the v1.2 card's
BF59 / BF5A; and ``kill -9`` at random moments while packages and rollbacks run leaves a
consistent store."""

from __future__ import annotations

import json
import random
import sqlite3
import threading

import pytest

from euicc.asn1 import decode_exact, encode, rsp, sgp32
from euicc.store import CardStore, ProfileClass, ProfileRecord, ProfileState
from euicc.tlv import parse, tlv
from euicc_tools.lpa.download import download, https_es9
from euicc_tools.lpa.es10 import CardError, Es10Client
from euicc_tools.testkit.eim import (
    SampleEim,
    configure_auto_enable_psmo,
    enable_psmo,
    result_signature_valid,
    rollback_package_result,
)
from euicc_tools.testkit.emulator_process import Emulator
from euicc_tools.testkit.profile_builder import build_upp
from tests.support.downloads import ADDRESS, serving_smdp
from tests.support.profile_metadata import iccid_bytes, metadata_der
from tests.support.random_kills import kill_at_random_moments
from tests.support.sgp32 import call, pcsc_client

pytestmark = pytest.mark.integration

ICCIDS = [f"894400000000000{n:04d}" for n in range(3)]


def seed(state) -> None:
    store = CardStore(state)
    for n, iccid in enumerate(ICCIDS):
        store.add_profile(ProfileRecord(
            bytes.fromhex(f"A0000005591010FFFFFFFF890000{0x10 + n:02X}00"), iccid_bytes(iccid),
            ProfileState.ENABLED if n == 0 else ProfileState.DISABLED,
            ProfileClass.OPERATIONAL, metadata_der(iccid)))
    store.close()


def rollback(es10, refresh=False) -> bytes:
    return es10.store_data(encode(sgp32(), "ProfileRollbackRequest", {"refreshFlag": refresh}))


def enable_using_dd(es10) -> int:
    return call(es10, bytes.fromhex("BF5A00"), "EnableUsingDDResponse")["enableUsingDDResult"]


def euicc_certificate(es10) -> bytes:
    [(_, certs_value)] = parse(es10.store_data(bytes.fromhex("BF5600")))
    [(_, members)] = parse(certs_value)
    return tlv(0x30, dict(parse(members))[0xA6])  # implicit 'A6': the certificate's fields


def states(state) -> dict[bytes, ProfileState]:
    store = CardStore(state, read_only=True)
    try:
        return {p.iccid: p.state for p in store.profiles()}
    finally:
        store.close()


@pytest.fixture
def iot_card(pcscd, tmp_path):
    state = tmp_path / "card"
    seed(state)
    emulator = Emulator(state, extra=["--personality", "iot"]).start()
    yield emulator
    emulator.stop()


def test_rollback_and_auto_enable_through_pcscd(iot_card, tmp_path):
    emulator, eim = iot_card, SampleEim()
    a, b = (iccid_bytes(i) for i in ICCIDS[:2])
    link, es10 = pcsc_client(emulator)
    try:
        eid = es10.get_eid()
        assert call(es10, eim.add_initial_eim_request(), "AddInitialEimResponse")[0] == (
            "addInitialEimOk")
        certificate = euicc_certificate(es10)
        request = eim.package(eid, [configure_auto_enable_psmo(smdp_address=ADDRESS),
                                    enable_psmo(b, rollback=True)])
        kind, value = call(es10, request, "EuiccPackageResult")
        assert value["euiccPackageResultDataSigned"]["euiccResult"] == [
            ("configureAutoEnableResult", 0), ("enableResult", 0)]
        with pytest.raises(CardError) as err:  # the eIM's, not the IPA's
            es10.store_data(encode(rsp(), "EnableProfileRequest", {
                "profileIdentifier": ("iccid", a), "refreshFlag": False}))
        assert err.value.sw == 0x6A80
    finally:
        es10.close()
        link.close()
    emulator.kill()  # the armed rollback and the configuration are committed
    assert states(emulator.state)[b] == ProfileState.ENABLED
    emulator.start()
    link, es10 = pcsc_client(emulator)
    try:
        raw = rollback(es10)
        assert decode_exact(sgp32(), "ProfileRollbackResponse", raw)["cmdResult"] == 0
        result = rollback_package_result(raw)
        data = decode_exact(sgp32(), "EuiccPackageResult", result)[1][
            "euiccPackageResultDataSigned"]
        assert data["euiccResult"][-1] == ("rollbackResult", 0)
        assert result_signature_valid(result, request, certificate)
        assert decode_exact(sgp32(), "ProfileRollbackResponse", rollback(es10))[
            "cmdResult"] == 1  # rollbackNotAllowed: used up
        assert enable_using_dd(es10) == 4  # configured (kept), no download: noSessionContext
    finally:
        es10.close()
        link.close()
    assert states(emulator.state)[a] == ProfileState.ENABLED
    assert states(emulator.state)[b] == ProfileState.DISABLED

    # a download from the configured SM-DP+, then EnableUsingDD on the same connection
    package = build_upp("89441234000000000334", "001010000000334", k=bytes(range(16)),
                        opc=bytes(16))
    with serving_smdp(emulator.state / "pki", tmp_path / "profiles",
                      {"BUILT": package}) as (_, endpoint):
        link, es10 = pcsc_client(emulator)
        try:
            assert download(es10, https_es9(endpoint), ADDRESS, "BUILT").ok
            assert enable_using_dd(es10) == 0
            assert enable_using_dd(es10) == 4
        finally:
            es10.close()
            link.close()
    assert states(emulator.state)[iccid_bytes("89441234000000000334")] == ProfileState.ENABLED


def hammer(emulator: Emulator, eim: SampleEim, rng: random.Random,
           stop: threading.Event) -> None:
    link = None
    try:
        from euicc_tools.lpa.link import PcscLink

        link = PcscLink(emulator.reader)
        es10 = Es10Client(link)
        es10.open()
        eid = es10.get_eid()
        while not stop.is_set():
            action = rng.randrange(4)
            if action == 0:
                iccid = iccid_bytes(rng.choice(ICCIDS))
                es10.store_data(eim.package(eid, [enable_psmo(iccid, rollback=True)]))
            elif action == 1:
                es10.store_data(eim.package(eid, [configure_auto_enable_psmo(
                    smdp_address=rng.choice(["a.example", "b.example"]))]))
            elif action == 2:
                rollback(es10)
            else:
                es10.store_data(encode(sgp32(), "SGP32-EuiccMemoryResetRequest",
                                       {"resetOptions": (b"\x08", 5)}))
    except Exception:
        return  # the card died under us: expected
    finally:
        if link is not None:
            link.close()


def check(state) -> None:
    db = sqlite3.connect(state / "card.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    store = CardStore(state, read_only=True)
    try:
        profiles = store.profiles()
        assert len(profiles) == len(ICCIDS)
        assert sum(p.state == ProfileState.ENABLED for p in profiles) == 1
        results = {seq: result for seq, _, result in store.package_results()}
        [eim] = store.eims()
        for result in results.values():
            data = decode_exact(sgp32(), "EuiccPackageResult", result)[1][
                "euiccPackageResultDataSigned"]
            assert data["counterValue"] <= eim.counter
        armed = store.get_meta("sgp32_rollback")
        if armed is not None:  # an armed rollback names a kept result and two profiles
            armed = json.loads(armed)
            assert armed["seq"] in results
            aids = {p.isdp_aid.hex() for p in profiles}
            assert {armed["previous"], armed["enabled"]} <= aids
        config = store.get_meta("sgp32_auto_enable")
        if config is not None:
            assert json.loads(config)["smdp_address"] in ("a.example", "b.example")
    finally:
        store.close()


def test_kill_9_while_packages_and_rollbacks_run(iot_card):
    emulator, eim, rng = iot_card, SampleEim(), random.Random(32)
    link, es10 = pcsc_client(emulator)
    try:
        assert call(es10, eim.add_initial_eim_request(), "AddInitialEimResponse")[0] == (
            "addInitialEimOk")
    finally:
        es10.close()
        link.close()
    kill_at_random_moments(emulator, rng, lambda stop: hammer(emulator, eim, rng, stop),
                           lambda: check(emulator.state))
    store = CardStore(emulator.state, read_only=True)
    try:
        assert store.package_results(), "the hammering executed no package at all"
    finally:
        store.close()
    link, es10 = pcsc_client(emulator)
    try:  # the card answers as its store says, and still takes the eIM's packages
        kind, _ = call(es10, eim.package(es10.get_eid(), [("getRAT", {})]),
                       "EuiccPackageResult")
        assert kind == "euiccPackageResultSigned"
    finally:
        es10.close()
        link.close()


def test_unsigned_configuration_and_reset_through_pcscd(iot_card):
    """v1.0 5.9.17 ConfigureAutoProfileEnabling: ok(0) before any eIM, kept across kill -9,
    unsignedAutoEnableConfigDisallowed(2) once one is associated; 5.9.5
    resetAutoEnableConfig removes it (ok(0)), then EnableUsingDD is autoEnableNotAvailable(1)."""
    emulator, eim = iot_card, SampleEim()
    request = encode(sgp32(), "ConfigureAutoProfileEnablingRequest",
                     {"autoEnableFlag": None, "smdpAddress": ADDRESS})
    link, es10 = pcsc_client(emulator)
    try:
        assert call(es10, request, "ConfigureAutoProfileEnablingResponse") == {
            "configAutoEnableResult": 0}
    finally:
        es10.close()
        link.close()
    emulator.kill()
    emulator.start()
    link, es10 = pcsc_client(emulator)
    try:
        assert enable_using_dd(es10) == 4  # kept: configured, nothing downloaded
        call(es10, eim.add_initial_eim_request(), "AddInitialEimResponse")
        assert call(es10, request, "ConfigureAutoProfileEnablingResponse") == {
            "configAutoEnableResult": 2}
        reset = encode(sgp32(), "SGP32-EuiccMemoryResetRequest", {"resetOptions": (b"\x08", 5)})
        assert call(es10, reset, "SGP32-EuiccMemoryResetResponse") == {
            "resetResult": 0, "resetAutoEnableConfigResult": 0}
        assert enable_using_dd(es10) == 1
    finally:
        es10.close()
        link.close()


def test_v12_card_through_pcscd(pcscd, tmp_path):
    """[card] sgp32 = "1.2": iotVersion 1.2.0, BF59 ConfigureImmediateProfileEnabling and
    BF5A ImmediateEnable (its refreshFlag) through pcscd."""
    personality = tmp_path / "iot12.toml"
    personality.write_text('[personality]\nname = "iot12"\n[card]\nsgp32 = "1.2"\n')
    emulator = Emulator(tmp_path / "card", extra=["--personality", str(personality)]).start()
    try:
        link, es10 = pcsc_client(emulator)
        try:
            info = call(es10, bytes.fromhex("BF2200"), "SGP32-EUICCInfo2")
            assert info["iotSpecificInfo"] == {"iotVersion": [b"\x01\x02\x00"],
                                               "ecallSupported": None, "fallbackSupported": None}
            request = encode(sgp32(), "ConfigureImmediateProfileEnablingRequest",
                             {"immediateEnableFlag": None, "defaultSmdpAddress": ADDRESS})
            assert call(es10, request, "ConfigureImmediateProfileEnablingResponse") == {
                "configImmediateEnableResult": 0}
            enable = encode(sgp32(), "ImmediateEnableRequest", {"refreshFlag": True})
            assert call(es10, enable, "ImmediateEnableResponse") == {"immediateEnableResult": 4}
        finally:
            es10.close()
            link.close()
    finally:
        emulator.stop()
