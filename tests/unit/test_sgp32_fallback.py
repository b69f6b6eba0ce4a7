"""SGP.32 v1.2 Fallback Mechanism (3.4.6 setFallbackAttribute, 3.4.7 unsetFallbackAttribute,
5.9.20 ExecuteFallbackMechanism BF5D, 5.9.21 ReturnFromFallback BF5E) and Emergency Profile
(5.9.22 EnableEmergencyProfile BF5B, 5.9.23 DisableEmergencyProfile BF5C, ecallActive(104)
of 2.11.2.1 and 5.9.5) on the v1.2 card (personality iot12), in-process through the
project's ES10 client; the v1.0 card has none of them."""

import pytest

from euicc.asn1 import decode_exact, encode, sgp32
from euicc.store import ProfileState
from euicc_tools.lpa.es10 import CardError
from euicc_tools.testkit.eim import SampleEim, enable_psmo, result_signature_valid
from tests.support.profile_metadata import iccid_bytes
from tests.support.sgp32 import add_eim, call, iot_client

NOTIFY = {1: "smdp.example.com", 2: "smdp.example.com"}  # enable, disable notifications
ICCID_A, ICCID_B, ICCID_F, ICCID_E = ("8944000000000000001", "8944000000000000002",
                                      "8944000000000000003", "8944000000000000004")


@pytest.fixture
def card(store, credentials, add_profile):
    """A v1.2 card: A enabled, B disabled, F allowed to be the Fallback Profile, E the
    Emergency Profile; an eIM associated."""
    add_profile(ICCID_A, name="A", enabled=True, notify=NOTIFY)
    add_profile(ICCID_B, name="B")
    add_profile(ICCID_F, name="F", fallback_allowed=True, notify=NOTIFY)
    add_profile(ICCID_E, name="E", ecall=True, fallback_allowed=True, notify=NOTIFY)
    client = iot_client(store, credentials, "iot12")
    eim = SampleEim()
    add_eim(client, eim)
    client.eim = eim
    yield client
    client.close()


def state(store, iccid):
    return store.profile_by_iccid(iccid_bytes(iccid)).state


def enabled(store):
    profile = store.enabled_profile()
    return None if profile is None else profile.iccid


def package(card, credentials, psmos):
    """The EuiccPackageResult of a package of ``psmos``: (kind, data, DER)."""
    raw = card.store_data(card.eim.package(credentials.eid, psmos))
    kind, value = decode_exact(sgp32(), "EuiccPackageResult", raw)
    data = (value.get("euiccPackageResultDataSigned")
            or value.get("euiccPackageErrorDataSigned"))
    return kind, data, raw


def results(card, credentials, psmos):
    kind, data, _ = package(card, credentials, psmos)
    assert kind == "euiccPackageResultSigned"
    return data["euiccResult"]


def set_fallback(iccid):
    return ("setFallbackAttribute", {"iccid": iccid_bytes(iccid)})


UNSET = ("unsetFallbackAttribute", {})
DEFAULTS = {"profileClass": "operational", "fallbackAttribute": False}  # as decoded


def function(card, name, refresh=False):
    request = encode(sgp32(), f"{name}Request", {"refreshFlag": refresh})
    answer = call(card, request, f"{name}Response")
    return next(iter(answer.values()))


def test_v12_iot_specific_info(card):
    """v1.2 EUICCInfo2 iotSpecificInfo: ecallSupported and fallbackSupported (5.9.2)."""
    info = decode_exact(sgp32(), "SGP32-EUICCInfo2", card.store_data(bytes.fromhex("BF2200")))
    assert info["iotSpecificInfo"] == {"iotVersion": [b"\x01\x02\x00"], "ecallSupported": None,
                                       "fallbackSupported": None}


def test_set_fallback_attribute_checks_in_order(card, store, credentials):
    """3.4.6: iccidOrAidNotFound(1); fallbackNotAllowed(2) without fallbackAllowed TRUE and
    for the Emergency Profile; ok(0); ok(0) again on the holder; the attribute shown in
    ProfileInfo (4.4: fallbackAttribute '9F26', fallbackAllowed '9F67', ecallIndication
    '9F7B') of GetProfilesInfo and the listProfileInfo PSMO."""
    assert results(card, credentials, [
        set_fallback("8944000000000000099"), set_fallback(ICCID_B), set_fallback(ICCID_E),
        set_fallback(ICCID_F), set_fallback(ICCID_F),
        ("listProfileInfo", {"tagList": bytes.fromhex("5A9F269F679F7B")}),
    ]) == [("setFallbackAttributeResult", 1), ("setFallbackAttributeResult", 2),
           ("setFallbackAttributeResult", 2), ("setFallbackAttributeResult", 0),
           ("setFallbackAttributeResult", 0),
           ("listProfileInfoResult", ("profileInfoListOk", [
               {**DEFAULTS, "iccid": iccid_bytes(ICCID_A)},
               {**DEFAULTS, "iccid": iccid_bytes(ICCID_B)},
               {**DEFAULTS, "iccid": iccid_bytes(ICCID_F), "fallbackAttribute": True,
                "fallbackAllowed": True},
               {**DEFAULTS, "iccid": iccid_bytes(ICCID_E), "fallbackAllowed": True,
                "ecallIndication": True}]))]
    raw = card.store_data(bytes.fromhex("BF2D065C049F269F67"))
    infos = decode_exact(sgp32(), "SGP32-ProfileInfoListResponse", raw)[1]
    assert [i.get("fallbackAttribute") for i in infos] == [False, False, True, False]
    assert bytes.fromhex("9F2601FF") in raw  # TRUE sent, FALSE (the DEFAULT) left out
    assert raw.count(bytes.fromhex("9F26")) == 1


def test_execute_and_return_from_fallback(card, store, credentials):
    """5.9.20: fallbackNotAvailable(6) without a Fallback Profile; ok(0) switches A -> F
    (disable and enable notifications made); profileNotInDisabledState(2) while in
    fallback; 5.9.21 ok(0) switches back to A; then fallbackNotAvailable(6). The state
    survives a restart of the card."""
    assert function(card, "ExecuteFallbackMechanism") == 6
    assert function(card, "ReturnFromFallback") == 6
    assert results(card, credentials, [set_fallback(ICCID_F)]) == [
        ("setFallbackAttributeResult", 0)]
    before = len(store.notifications())
    assert function(card, "ExecuteFallbackMechanism", refresh=True) == 0
    assert enabled(store) == iccid_bytes(ICCID_F)
    assert len(store.notifications()) == before + 2
    assert function(card, "ExecuteFallbackMechanism") == 2
    card.close()
    again = iot_client(store, credentials, "iot12")
    assert function(again, "ReturnFromFallback") == 0
    assert enabled(store) == iccid_bytes(ICCID_A)
    assert state(store, ICCID_F) == ProfileState.DISABLED
    assert function(again, "ReturnFromFallback") == 6
    again.close()


def test_execute_fallback_without_an_enabled_profile_is_command_error(card, store,
                                                                       credentials):
    """5.9.20: no enabled profile is commandError(7), checked before the attribute."""
    assert results(card, credentials, [("disable", {"iccid": iccid_bytes(ICCID_A)})]) == [
        ("disableResult", 0)]
    assert function(card, "ExecuteFallbackMechanism") == 7


def test_unset_fallback_attribute(card, store, credentials, add_profile):
    """3.4.7: noFallbackAttribute(2) without one; fallbackProfileEnabled(3) while the
    Fallback Profile is enabled (also for setFallbackAttribute to another profile, 3.4.6);
    ok(0) once it is disabled again."""
    assert results(card, credentials, [UNSET, set_fallback(ICCID_F)]) == [
        ("unsetFallbackAttributeResult", 2), ("setFallbackAttributeResult", 0)]
    assert function(card, "ExecuteFallbackMechanism") == 0
    add_profile("8944000000000000005", name="G", fallback_allowed=True)
    assert results(card, credentials, [UNSET, set_fallback("8944000000000000005")]) == [
        ("unsetFallbackAttributeResult", 3), ("setFallbackAttributeResult", 3)]
    assert function(card, "ReturnFromFallback") == 0
    assert results(card, credentials, [UNSET]) == [("unsetFallbackAttributeResult", 0)]
    assert function(card, "ExecuteFallbackMechanism") == 6


def test_psmos_around_fallback(card, store, credentials):
    """3.4.3: deleting the profile to return to while in fallback is
    returnFallbackProfile(21); 3.4.1: an enable PSMO during fallback ends it (the return
    is fallbackNotAvailable(6)); the Fallback Profile can be deleted, the attribute going
    with it (unset: noFallbackAttribute(2))."""
    results(card, credentials, [set_fallback(ICCID_F)])
    assert function(card, "ExecuteFallbackMechanism") == 0
    assert results(card, credentials, [("delete", {"iccid": iccid_bytes(ICCID_A)})]) == [
        ("deleteResult", 21)]
    assert state(store, ICCID_A) == ProfileState.DISABLED
    assert results(card, credentials, [enable_psmo(iccid_bytes(ICCID_B))]) == [
        ("enableResult", 0)]
    assert function(card, "ReturnFromFallback") == 6
    assert results(card, credentials, [("delete", {"iccid": iccid_bytes(ICCID_F)}), UNSET]) == [
        ("deleteResult", 0), ("unsetFallbackAttributeResult", 2)]


def test_delete_of_the_rollback_target_is_rollback_not_available(card, store, credentials):
    """v1.2 DeleteProfileResult rollbackNotAvailable(20): the profile this package's
    rollback (enable with rollbackFlag) would go back to is not deleted."""
    assert results(card, credentials, [
        enable_psmo(iccid_bytes(ICCID_B), rollback=True),
        ("delete", {"iccid": iccid_bytes(ICCID_A)})]) == [
            ("enableResult", 0), ("deleteResult", 20)]
    assert state(store, ICCID_A) == ProfileState.DISABLED


def test_emergency_profile(card, store, credentials):
    """5.9.22: ok(0) disables A and enables E without notifications; a second enable is
    profileNotInDisabledState(2); while E is enabled an eUICC Package is refused with the
    signed error ecallActive(104) (2.11.2.1, nothing changed, the counter not taken),
    eUICCMemoryReset with resetResult ecallActive(104) (5.9.5) and ExecuteFallbackMechanism
    with ecallActive(104) (5.9.20); 5.9.23 ok(0) brings A back, again without
    notifications; then profileNotInEnabledState(2)."""
    results(card, credentials, [set_fallback(ICCID_F)])
    before = len(store.notifications())
    assert function(card, "EnableEmergencyProfile") == 0
    assert enabled(store) == iccid_bytes(ICCID_E)
    assert function(card, "EnableEmergencyProfile") == 2
    counter = store.eims()[0].counter
    request = card.eim.package(credentials.eid, [("disable", {"iccid": iccid_bytes(ICCID_E)})])
    raw = card.store_data(request)
    kind, value = decode_exact(sgp32(), "EuiccPackageResult", raw)
    assert kind == "euiccPackageErrorSigned"
    assert value["euiccPackageErrorDataSigned"]["euiccPackageErrorCode"] == 104
    assert result_signature_valid(raw, request, credentials.identities[0].certificate_der)
    assert store.eims()[0].counter == counter
    assert state(store, ICCID_E) == ProfileState.ENABLED
    reset = encode(sgp32(), "SGP32v12-EuiccMemoryResetRequest",
                   {"resetOptions": (b"\x80", 1)})
    assert call(card, reset, "SGP32v12-EuiccMemoryResetResponse") == {"resetResult": 104}
    assert len(store.profiles()) == 4
    assert function(card, "ExecuteFallbackMechanism") == 104
    assert function(card, "DisableEmergencyProfile") == 0
    assert enabled(store) == iccid_bytes(ICCID_A)
    assert len(store.notifications()) == before
    assert function(card, "DisableEmergencyProfile") == 2


def test_emergency_without_an_emergency_profile(store, credentials, add_profile):
    """5.9.22 ecallNotAvailable(8) when no profile has ecallIndication; 5.9.23
    profileNotInEnabledState(2)."""
    add_profile(ICCID_A, enabled=True)
    client = iot_client(store, credentials, "iot12")
    assert function(client, "EnableEmergencyProfile") == 8
    assert function(client, "DisableEmergencyProfile") == 2
    client.close()


def test_emergency_from_no_enabled_profile_returns_to_none(card, store, credentials):
    """Enabled from a state with no enabled profile, the disable leaves none enabled."""
    results(card, credentials, [("disable", {"iccid": iccid_bytes(ICCID_A)})])
    assert function(card, "EnableEmergencyProfile") == 0
    assert function(card, "DisableEmergencyProfile") == 0
    assert store.enabled_profile() is None


def test_v10_card_has_none_of_it(store, credentials, add_profile):
    """The v1.0 card: BF5B-BF5E are functions it does not have and a package with a v1.2
    PSMO is not its EuiccPackageRequest ('6A80', SGP.22 5.7.2); iotSpecificInfo without
    the v1.2 members."""
    add_profile(ICCID_A, enabled=True)
    client = iot_client(store, credentials)
    eim = SampleEim()
    add_eim(client, eim)
    for name in ("EnableEmergencyProfile", "DisableEmergencyProfile",
                 "ExecuteFallbackMechanism", "ReturnFromFallback"):
        with pytest.raises(CardError) as err:
            function(client, name)
        assert err.value.sw == 0x6A80
    with pytest.raises(CardError) as err:
        client.store_data(eim.package(credentials.eid, [set_fallback(ICCID_A)]))
    assert err.value.sw == 0x6A80
    assert store.eims()[0].counter == 0
    info = decode_exact(sgp32(), "SGP32-EUICCInfo2", client.store_data(bytes.fromhex("BF2200")))
    assert info["iotSpecificInfo"] == {"iotVersion": [b"\x01\x00\x00"]}
    client.close()


def test_set_default_dp_address_psmo(card, store, credentials):
    """v1.2 setDefaultDpAddress PSMO (SGP.22 5.7.4's effect): ok(0), the address shown by
    EUICCConfiguredAddresses."""
    assert results(card, credentials, [
        ("setDefaultDpAddress", {"defaultDpAddress": "smdp.example.com"})]) == [
            ("setDefaultDpAddressResult", {"setDefaultDpAddressResult": 0})]
    raw = card.store_data(bytes.fromhex("BF3C00"))
    assert b"smdp.example.com" in raw


@pytest.mark.parametrize("request_hex, function", [
    ("BF5D038001FF", "ExecuteFallbackMechanism"), ("BF5E038001FF", "ReturnFromFallback"),
    ("BF5B038001FF", "EnableEmergencyProfile"), ("BF5C03800100", "DisableEmergencyProfile")])
def test_the_requests_an_independent_ipa_encodes(card, request_hex, function):
    """The v1.2 requests as the Iapyx fork of onomondo-ipa's asn1c encoder writes them
    (its tests/es10b_functions: refreshFlag [0] under AUTOMATIC TAGS, '80'), answered with
    the one-member response it decodes ('BF5x 03 80 01 code'), SGP.32 5.9.20-5.9.23."""
    raw = card.store_data(bytes.fromhex(request_hex))
    assert raw[:5] == bytes.fromhex(request_hex[:4] + "038001") and len(raw) == 6
    decode_exact(sgp32(), f"{function}Response", raw)


def test_v12_memory_reset_moved_to_bf64(store, credentials, add_profile):
    """SGP.32 v1.2 5.9.5 ('BF64'): deletePreLoadedTestProfiles(3) deletes the test profiles
    that were not field-loaded (not the field-loaded one), deleteProvisioningProfiles(4) the
    provisioning one, resetEimConfigData(5) the eIMs (resetEimResult), resetImmediateEnable
    Config(6) the configuration (resetImmediateEnableConfigResult); every member tagged
    ('80', '81', '82'); 'BF34' is no function of the v1.2 card ('6A80')."""
    from dataclasses import replace

    add_profile(ICCID_A, enabled=True)
    pre = add_profile(ICCID_B, profile_class=0)
    store.add_profile(replace(pre, iccid=iccid_bytes(ICCID_F), field_loaded=False,
                              isdp_aid=bytes.fromhex("A0000005591010FFFFFFFF8900004000")))
    add_profile(ICCID_E, profile_class=1)
    client = iot_client(store, credentials, "iot12")
    add_eim(client, SampleEim())
    with pytest.raises(CardError) as err:
        client.store_data(bytes.fromhex("BF340482020560"))
    assert err.value.sw == 0x6A80
    reset = encode(sgp32(), "SGP32v12-EuiccMemoryResetRequest",
                   {"resetOptions": (bytes([0b00011110]), 7)})
    raw = client.store_data(reset)
    assert raw[:2] == bytes.fromhex("BF64")
    assert decode_exact(sgp32(), "SGP32v12-EuiccMemoryResetResponse", raw) == {
        "resetResult": 0, "resetEimResult": 0, "resetImmediateEnableConfigResult": 0}
    assert raw[3:] == bytes.fromhex("800100810100820100")
    assert sorted(p.iccid_digits for p in store.profiles()) == [ICCID_A, ICCID_B]
    assert store.eims() == []
    client.close()
