"""The shell on an IoT eUICC (SGP.32 v1.0), through the real process (``euicc-emu shell
-c``): ``eims`` (2.11.1.1.1 EimConfigurationData as associated, counterValue the last
accepted, 5.9.18), ``package_results`` (2.11.2.1, each EuiccResultData by its SGP.32 name)
and ``iot`` (the rollback and auto-enable state, or "not supported by this card"); on an
SGP.22 card each says the card is not an IoT eUICC and ``-c`` exits 1. The state is made by
the card itself: AddInitialEim and signed eUICC Packages sent to an in-process IoT card."""

from __future__ import annotations

import json

import pytest

from euicc.store import CardStore
from euicc_tools.personalities import META_PERSONALITY, META_SGP32
from euicc_tools.testkit.eim import SampleEim
from tests.support.profile_metadata import iccid_bytes
from tests.support.sgp32 import add_eim, iot_client
from tests.unit.test_shell_scripting import json_error, shell

ICCID_A, ICCID_B = "8944000000000000001", "8944000000000000002"
ICCID_F, ICCID_E = "8944000000000000003", "8944000000000000004"


@pytest.fixture
def iot_state(store: CardStore, credentials, add_profile):
    """An IoT card's state: an eIM associated with an associationToken, two packages run
    (enable B with listProfileInfo; an eCO listEim) and one refused as a replay."""
    add_profile(ICCID_A, name="A", enabled=True)
    add_profile(ICCID_B, name="B")
    store.set_meta(META_PERSONALITY, "iot")
    store.set_meta(META_SGP32, "1.0")
    client = iot_client(store, credentials)
    eim = SampleEim(eim_id="eim-1", fqdn="eim.example.org", counter=3)
    kind, [(_, token)] = add_eim(client, eim, ask_token=True,
                                 eimIdType=2, eimSupportedProtocol=(b"\xa0", 3))
    assert kind == "addInitialEimOk"
    eim.association_token = token
    client.store_data(eim.package(credentials.eid, [
        ("enable", {"iccid": iccid_bytes(ICCID_B)}),
        ("listProfileInfo", {"tagList": bytes.fromhex("5A")})],
        transaction_id=b"\x22" * 8))
    client.store_data(eim.package(credentials.eid, [], ecos=[("listEim", {})]))
    client.store_data(eim.package(credentials.eid, [("getRAT", {})], counter=1))  # replay
    client.close()
    return store.path.parent, eim, token


def test_eims_shows_the_configuration_and_no_private_key(iot_state):
    state, eim, token = iot_state
    code, out, err = shell(state, "eims", "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    [shown] = data["eims"]
    assert data["sgp32"] == "1.0"
    assert (shown["eimId"], shown["eimFqdn"], shown["eimIdType"]) == (
        "eim-1", "eim.example.org", "eimIdTypeFqdn")  # EimIdType 2
    assert shown["counterValue"] == 5  # the last accepted: 3 associated, 4, 5; 1 refused
    assert shown["associationToken"] == token
    assert shown["eimSupportedProtocol"] == ["eimRetrieveHttps", "eimInjectHttps"]
    key = shown["eimPublicKeyData"]
    assert key["kind"] == "eimPublicKey" and key["curve"] == "secp256r1"
    assert len(key["spkiSha256"]) == 64
    private = eim.key.private_numbers().private_value.to_bytes(32, "big").hex()
    code, text, _ = shell(state, "eims")
    assert code == 0 and "eimIdTypeFqdn" in text and "counterValue            5" in text
    for output in (out, text):
        assert private not in output.lower()


def test_package_results_named_as_sgp32_spells_them(iot_state):
    state, _, _ = iot_state
    code, out, _ = shell(state, "package_results --json")
    assert code == 0
    results = json.loads(out)["results"]
    # the replay (counterValue 1) was answered euiccPackageErrorSigned, not kept
    assert [(r["eimId"], r["counterValue"]) for r in results] == [("eim-1", 4), ("eim-1", 5)]
    first, second = results
    assert first["kind"] == "euiccPackageResultSigned"
    assert first["transactionId"] == "22" * 8
    assert first["results"] == ["enableResult ok",
                                f"listProfileInfoResult 2 profiles ({ICCID_A}, {ICCID_B})"]
    assert second["results"] == ["listEimResult eim-1"]
    assert second["seqNumber"] > first["seqNumber"]
    code, out, _ = shell(state, "package_results --last 1")
    assert code == 0 and "listEimResult eim-1" in out and "enableResult" not in out
    assert f"seqNumber {second['seqNumber']}  eimId eim-1  counterValue 5" in out


def test_iot_state_rollback_and_auto_enable(iot_state):
    """Rollback (5.9.16) and auto-enable (2.11.1.1.3): shown when the ISD-R keeps them,
    else said to be unsupported (never shown as empty)."""
    state, _, _ = iot_state
    code, out, _ = shell(state, "iot", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["sgp32"] == "1.0"
    for part in ("rollback", "autoEnable"):
        assert isinstance(data[part]["supported"], bool)
    code, text, _ = shell(state, "iot")
    assert code == 0 and "v1.0" in text
    for part in ("rollback", "autoEnable"):
        if not data[part]["supported"]:
            assert f"{part:24}not supported by this card" in text


@pytest.mark.parametrize("command", ["eims", "package_results", "iot"])
def test_an_sgp22_card_is_not_an_iot_euicc(store, add_profile, command):
    add_profile(ICCID_A, enabled=True)
    state = store.path.parent
    code, out, err = shell(state, command)
    assert code == 1 and out == "" and "this card is not an IoT eUICC" in err
    code, out, _ = shell(state, command, "--json")
    assert code == 1 and "not an IoT eUICC" in json_error(out)


def test_help_lists_the_iot_commands(store):
    code, out, _ = shell(store.path.parent, "help")
    assert code == 0
    for command in ("eims", "package_results", "iot"):
        assert f"  {command} " in out


def test_iot_state_read_from_the_isd_rs_store_keys(iot_state, monkeypatch):
    """Where the ISD-R keeps an armed rollback and an auto-enable configuration (its
    modules' store keys), the shell reads them; the profiles by ICCID."""
    from euicc_tools.shell import iot

    state, _, _ = iot_state
    keys = {"rollback": "sgp32_rollback", "autoEnable": "sgp32_auto_enable"}
    monkeypatch.setattr(iot, "_store_key", lambda part: keys[part.title])
    store = CardStore(state, read_only=True)
    assert iot.card_state(store)["rollback"] == {"supported": True, "armed": False}
    store.close()
    writer = CardStore(state)
    a, b = (writer.profile_by_iccid(iccid_bytes(i)).isdp_aid for i in (ICCID_A, ICCID_B))
    writer.set_meta("sgp32_rollback", json.dumps({"previous": a.hex(), "enabled": b.hex(),
                                                  "seq": 1, "signature_object": "5F3700"}))
    writer.set_meta("sgp32_auto_enable", json.dumps({"flag": True, "smdp_oid": None,
                                                     "smdp_address": "smdp.example.org"}))
    writer.close()
    store = CardStore(state, read_only=True)
    data = iot.card_state(store)
    store.close()
    assert data["rollback"] == {"supported": True, "armed": True, "previousProfile": ICCID_A,
                                "enabledByPackage": ICCID_B, "packageResultSeqNumber": 1}
    assert data["autoEnable"] == {"supported": True, "autoEnableFlag": True, "smdpOid": None,
                                  "smdpAddress": "smdp.example.org"}
    text = iot.render_card_state(data)
    assert f"rollback                armed yes\n{'':24}previousProfile {ICCID_A}" in text
    assert "smdpAddress smdp.example.org" in text and "5F37" not in text


def test_iot_shows_the_v12_fallback_and_emergency_state(store, credentials, add_profile):
    """SGP.32 v1.2 (personality iot12): ``iot --json`` shows the Fallback Profile and the
    profile a fallback returns to (3.4.6, 5.9.20), the Emergency Profile and the profile its
    disabling returns to (5.9.22), as the card made them; a v1.0 card says "not supported"."""
    from euicc.asn1 import encode, sgp32

    add_profile(ICCID_A, name="A", enabled=True)
    store.set_meta(META_PERSONALITY, "iot12")  # as euicc-emu run records it
    store.set_meta(META_SGP32, "1.2")
    add_profile(ICCID_B, name="B")
    add_profile(ICCID_F, name="F", fallback_allowed=True)
    add_profile(ICCID_E, name="E", ecall=True)
    client = iot_client(store, credentials, "iot12")
    eim = SampleEim()
    add_eim(client, eim)
    client.store_data(eim.package(credentials.eid, [
        ("setFallbackAttribute", {"iccid": iccid_bytes(ICCID_F)})]))
    client.store_data(encode(sgp32(), "ExecuteFallbackMechanismRequest", {"refreshFlag": False}))
    client.store_data(encode(sgp32(), "EnableEmergencyProfileRequest", {"refreshFlag": False}))
    client.close()
    code, out, err = shell(store.path.parent, "iot", "--json")
    assert code == 0, out + err
    data = json.loads(out)
    assert data["sgp32"] == "1.2"
    assert data["fallback"] == {"supported": True, "fallbackProfile": ICCID_F,
                                "inFallback": False, "returnsTo": ICCID_A}
    assert data["emergency"] == {"supported": True, "emergencyProfile": ICCID_E,
                                 "enabled": True, "returnsTo": ICCID_F}
    code, out, _ = shell(store.path.parent, "iot")
    assert f"fallback                fallbackProfile {ICCID_F}" in out
    assert "emergency               emergencyProfile" in out


def test_iot_says_v12_parts_are_not_supported_on_v10(iot_state):
    state, _, _ = iot_state
    code, out, _ = shell(state, "iot", "--json")
    assert code == 0
    assert json.loads(out)["fallback"] == {"supported": False}
