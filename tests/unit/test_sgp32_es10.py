"""The IoT eUICC's SGP.32 v1.0 ES10 functions in-process, through the project's ES10 client:
5.9.2 GetEUICCInfo2 (ipaMode, iotSpecificInfo), 5.9.4 AddInitialEim, 5.9.18
GetEimConfigurationData, 5.9.10 GetCerts and 5.9.1 LoadEuiccPackage with each refusal of
2.11.2.1 (and that a refusal changes nothing), persistence across a restart; and that the
SGP.22 card (no personality `iot`) has none of it."""

import pytest

from euicc.asn1 import decode_exact, encode, sgp32
from euicc.store import CardStore, ProfileState
from euicc_tools.emulator.card import build_card
from euicc_tools.lpa.es10 import CardError
from euicc_tools.personalities import load_personality
from euicc_tools.testkit.eim import SampleEim, result_signature_valid
from tests.support.profile_metadata import iccid_bytes
from tests.support.sgp32 import add_eim, call, iot_client

ICCID_A, ICCID_B = "8944000000000000001", "8944000000000000002"


def load(client, request: bytes):
    return call(client, request, "EuiccPackageResult")


def test_euicc_info2_ipa_mode_and_iot_version(iot):
    """SGP.32 5.9.2: ipaMode (tag '90') and iotSpecificInfo (tag 'B4') with v1.0.0."""
    raw = iot.store_data(bytes.fromhex("BF2200"))
    info = decode_exact(sgp32(), "SGP32-EUICCInfo2", raw)
    assert info["ipaMode"] == 0  # ipad: the IPA is in the device
    assert info["iotSpecificInfo"] == {"iotVersion": [b"\x01\x00\x00"]}
    assert bytes.fromhex("900100") in raw and bytes.fromhex("B407A0050403010000") in raw


def test_sgp22_card_has_no_iot_functions(es10):
    """Without the IoT personality BF57 is no ES10 function ('6A80', SGP.22 5.7.2) and
    EUICCInfo2 is SGP.22's."""
    with pytest.raises(CardError) as err:
        es10.store_data(SampleEim().add_initial_eim_request())
    assert err.value.sw == 0x6A80
    info = es10.call("GetEuiccInfo2Request", {}, "EUICCInfo2")
    assert "ipaMode" not in info and bytes.fromhex("900100") not in es10.store_data(
        bytes.fromhex("BF2200"))


def test_add_initial_eim_and_get_configuration(iot, store, credentials):
    eim = SampleEim(counter=5)
    assert add_eim(iot, eim) == ("addInitialEimOk", [("addOk", None)])
    data = call(iot, bytes.fromhex("BF5500"), "GetEimConfigurationDataResponse")
    [config] = data["eimConfigurationDataList"]
    assert config["eimId"] == eim.eim_id and config["eimFqdn"] == eim.fqdn
    assert config["counterValue"] == 5
    assert config["eimPublicKeyData"] == eim.configuration()["eimPublicKeyData"]
    # SGP.32 5.9.4: only the first eIM comes unsigned: unsignedEimConfigDisallowed(2)
    assert add_eim(iot, SampleEim(eim_id="second")) == ("addInitialEimError", 2)
    iot.close()
    # persisted: a new card from the same store has the eIM
    again = iot_client(store, credentials)
    data = call(again, bytes.fromhex("BF5500"), "GetEimConfigurationDataResponse")
    assert [c["eimId"] for c in data["eimConfigurationDataList"]] == [eim.eim_id]


def test_add_initial_eim_association_token(iot):
    """SGP.32 5.9.4: associationToken -1 asks the eUICC for one; it answers it and keeps it."""
    eim = SampleEim()
    kind, [(alt, token)] = add_eim(iot, eim, ask_token=True)
    assert (kind, alt) == ("addInitialEimOk", "associationToken") and token >= 1
    data = call(iot, bytes.fromhex("BF5500"), "GetEimConfigurationDataResponse")
    assert data["eimConfigurationDataList"][0]["associationToken"] == token


@pytest.mark.parametrize(("extra", "code"), [
    ({"associationToken": 7}, 5),  # invalidAssociationToken
    ({"counterValue": 0x800000}, 6),  # counterValueOutOfRange
    ({"counterValue": -1}, 6),
    ({"euiccCiPKId": b"\x01" * 20}, 3),  # ciPKUnknown
])
def test_add_initial_eim_refusals(iot, store, extra, code):
    """SGP.32 5.9.4 addInitialEimError codes; nothing is stored."""
    assert add_eim(iot, SampleEim(), **extra) == ("addInitialEimError", code)
    assert store.eims() == []


def test_add_initial_eim_without_public_key_and_too_many(iot, store):
    eim = SampleEim()
    config = eim.configuration()
    del config["eimPublicKeyData"]
    request = encode(sgp32(), "AddInitialEimRequest", {"eimConfigurationDataList": [config]})
    assert call(iot, request, "AddInitialEimResponse") == ("addInitialEimError", 127)
    many = [SampleEim(eim_id=f"eim{n}").configuration() for n in range(9)]
    request = encode(sgp32(), "AddInitialEimRequest", {"eimConfigurationDataList": many})
    assert call(iot, request, "AddInitialEimResponse") == ("addInitialEimError", 1)
    assert store.eims() == []


def test_get_certs(iot, credentials):
    """SGP.32 5.9.10: the EUM and eUICC certificates, byte for byte; invalidCiPKId(1)."""
    raw = iot.store_data(bytes.fromhex("BF5600"))
    identity = credentials.identities[0]
    assert identity.eum_certificate_der[4:] in raw and identity.certificate_der[4:] in raw
    kind, certs = decode_exact(sgp32(), "GetCertsResponse", raw)
    assert kind == "certs" and set(certs) == {"eumCertificate", "euiccCertificate"}
    for identity in credentials.identities:
        request = encode(sgp32(), "GetCertsRequest", {"euiccCiPKId": identity.ci_pkid})
        assert identity.certificate_der[4:] in iot.store_data(request)
    request = encode(sgp32(), "GetCertsRequest", {"euiccCiPKId": b"\x02" * 20})
    assert call(iot, request, "GetCertsResponse") == ("getCertsError", 1)


@pytest.fixture
def associated(iot, add_profile):
    add_profile(ICCID_A, name="A", enabled=True)
    add_profile(ICCID_B, name="B")
    eim = SampleEim()
    add_eim(iot, eim)
    return eim


def enable(iccid):
    return ("enable", {"iccid": iccid_bytes(iccid)})


def test_load_euicc_package_psmos(iot, associated, store, credentials):
    """SGP.32 5.9.1: enable B, list the profiles, get the RAT; a signed result (euiccSignEPR
    over the result data and eimSignature, 2.11.2.1) kept for the IPA."""
    request = associated.package(credentials.eid, [
        enable(ICCID_B), ("listProfileInfo", {"tagList": bytes.fromhex("5A9F70")}),
        ("getRAT", {})], transaction_id=b"\x11" * 8)
    raw = iot.store_data(request)
    kind, value = decode_exact(sgp32(), "EuiccPackageResult", raw)
    assert kind == "euiccPackageResultSigned"
    data = value["euiccPackageResultDataSigned"]
    assert (data["eimId"], data["counterValue"], data["transactionId"]) == (
        associated.eim_id, 1, b"\x11" * 8)
    enable_result, listed, rat = data["euiccResult"]
    assert enable_result == ("enableResult", 0)
    assert listed[0] == "listProfileInfoResult" and listed[1][0] == "profileInfoListOk"
    assert {(i["iccid"], i["profileState"]) for i in listed[1][1]} == {
        (iccid_bytes(ICCID_A), 0), (iccid_bytes(ICCID_B), 1)}
    assert rat[0] == "getRATResult" and rat[1]
    assert result_signature_valid(raw, request, credentials.identities[0].certificate_der)
    assert store.profile_by_iccid(iccid_bytes(ICCID_B)).state == ProfileState.ENABLED
    assert store.eims()[0].counter == 1
    assert [(seq, eim) for seq, eim, _ in store.package_results()] == [
        (data["seqNumber"], associated.eim_id)]


def test_load_euicc_package_disable_delete(iot, associated, store, credentials):
    request = associated.package(credentials.eid, [
        ("disable", {"iccid": iccid_bytes(ICCID_A)}), ("delete", {"iccid": iccid_bytes(ICCID_A)}),
        ("delete", {"iccid": iccid_bytes("8944000000000000099")})])
    _, value = load(iot, request)
    assert value["euiccPackageResultDataSigned"]["euiccResult"] == [
        ("disableResult", 0), ("deleteResult", 0), ("deleteResult", 1)]
    assert store.profile_by_iccid(iccid_bytes(ICCID_A)) is None


def snapshot(store: CardStore):
    return ([(p.iccid, p.state) for p in store.profiles()], store.eims(),
            store.package_results(), store.notifications())


def test_bad_eim_signature_changes_nothing(iot, associated, store, credentials):
    """SGP.32 5.9.1 / 2.11.2.1: a package whose eimSignature does not verify with the eIM's
    key is euiccPackageErrorUnsigned; no PSMO runs, the counter stays."""
    before = snapshot(store)
    other_key = SampleEim().key
    request = associated.package(credentials.eid, [enable(ICCID_B)], key=other_key)
    assert load(iot, request) == ("euiccPackageErrorUnsigned", {"eimId": associated.eim_id})
    # a signature over other bytes: one octet of the signed part changed after signing
    good = associated.package(credentials.eid, [enable(ICCID_B)])
    tampered = good.replace(iccid_bytes(ICCID_B), iccid_bytes(ICCID_A), 1)
    assert tampered != good
    assert load(iot, tampered)[0] == "euiccPackageErrorUnsigned"
    assert snapshot(store) == before


def test_bad_signature_answers_association_token(iot, add_profile, store, credentials):
    eim = SampleEim()
    _, [(_, token)] = add_eim(iot, eim, ask_token=True)
    request = eim.package(credentials.eid, [("getRAT", {})], key=SampleEim().key)
    assert load(iot, request) == ("euiccPackageErrorUnsigned",
                                  {"eimId": eim.eim_id, "associationToken": token})
    eim.association_token = token  # signed with it, as the eIM must (SGP.32 2.11.1.1)
    assert load(iot, eim.package(credentials.eid, [("getRAT", {})]))[0] == (
        "euiccPackageResultSigned")


def test_unknown_eim(iot, associated, store, credentials):
    """An eimId the card has no configuration for: euiccPackageErrorUnsigned."""
    before = snapshot(store)
    stranger = SampleEim(eim_id="stranger")
    assert load(iot, stranger.package(credentials.eid, [enable(ICCID_B)])) == (
        "euiccPackageErrorUnsigned", {"eimId": "stranger"})
    assert snapshot(store) == before


def signed_error(client, request):
    kind, value = load(client, request)
    assert kind == "euiccPackageErrorSigned"
    return value["euiccPackageErrorDataSigned"]["euiccPackageErrorCode"]


def test_wrong_eid(iot, associated, store, credentials):
    """SGP.32 2.11.2.1 invalidEid(3), signed with euiccSignEPE; nothing changes."""
    before = snapshot(store)
    other = "89049032123451234512345678901235"
    request = associated.package(other, [enable(ICCID_B)])
    assert signed_error(iot, request) == 3
    assert result_signature_valid(iot.store_data(request), request,
                                  credentials.identities[0].certificate_der)
    assert snapshot(store) == before


def test_replayed_and_out_of_range_counter(iot, associated, store, credentials, tmp_path):
    """SGP.32 2.11.2.1 replayError(4): a counterValue not above the last accepted one, also
    after a restart (the counter is persisted); counterValueOutOfRange(6) above the range."""
    first = associated.package(credentials.eid, [("getRAT", {})])
    assert load(iot, first)[0] == "euiccPackageResultSigned"
    before = snapshot(store)
    assert signed_error(iot, first) == 4  # the same package again
    iot.close()
    again = iot_client(store, credentials)
    assert signed_error(again, associated.package(credentials.eid, [enable(ICCID_B)],
                                                  counter=1)) == 4
    assert signed_error(again, associated.package(credentials.eid, [enable(ICCID_B)],
                                                  counter=0x800000)) == 6
    assert snapshot(store) == before
    assert load(again, associated.package(credentials.eid, [("getRAT", {})],
                                          counter=2))[0] == "euiccPackageResultSigned"


@pytest.mark.parametrize("request_hex", [
    "BF5103300100",  # euiccPackageSigned empty
    "BF5100",  # nothing at all
    "BF57038001FF",  # AddInitialEim with a BOOLEAN where the list goes
    "BF560101",  # GetCerts: contents that are no TLV
    "BF5581",  # a length without its octets
])
def test_malformed_der_is_6a80(iot, associated, store, request_hex):
    """SGP.32 requests are DER (SGP.32 2.1.3 keeps SGP.22 Annex H): what does not decode as
    the function's request gets '6A80' (SGP.22 5.7.2), and changes nothing."""
    before = snapshot(store)
    with pytest.raises(CardError) as err:
        iot.store_data(bytes.fromhex(request_hex))
    assert err.value.sw == 0x6A80
    assert snapshot(store) == before


def test_non_minimal_length_is_6a80(iot, associated, credentials):
    good = associated.package(credentials.eid, [("getRAT", {})])
    assert good[2] < 0x80
    bad = good[:2] + b"\x81" + good[2:]  # the same length in the long form: not DER
    with pytest.raises(CardError) as err:
        iot.store_data(bad)
    assert err.value.sw == 0x6A80


def test_trace_names_the_sgp32_functions(store, credentials):
    """A STORE DATA block is named after the SGP.32 function its command goes to (traces,
    pcap, the shell's log)."""
    card = build_card(store, credentials, personality=load_personality("iot"))
    card.power_on()
    seen = []
    card.observers.append(seen.append)
    aid = bytes.fromhex("A0000005591010FFFFFFFF8900000100")
    card.transmit(bytes([0x00, 0xA4, 0x04, 0x00, len(aid)]) + aid)
    for tag, name in [("BF57", "AddInitialEim"), ("BF55", "GetEimConfigurationData"),
                      ("BF56", "GetCerts"), ("BF51", "LoadEuiccPackage"),
                      ("BF58", "ProfileRollback"), ("BF59", "ConfigureAutoProfileEnabling"),
                      ("BF5A", "EnableUsingDD")]:
        seen.clear()
        card.transmit(bytes.fromhex(f"80E2910003{tag}00"))
        assert seen[0].name == f"STORE DATA ES10b.{name}"
