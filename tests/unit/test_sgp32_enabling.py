"""Automatic profile enabling of the IoT eUICC: the configureAutoEnable PSMO (SGP.32 v1.0
2.11.1.1.3), ES10b.ConfigureAutoProfileEnabling (5.9.17, BF59), ES10b.EnableUsingDD
(5.9.15, BF5A), eUICCMemoryReset resetAutoEnableConfig (5.9.5); and the v1.2 card
(``[card] sgp32 = "1.2"``) with ConfigureImmediateProfileEnabling and ImmediateEnable at
the same tags. A real download (the project's test SM-DP+, in-process) makes the session
context."""

import pytest

from euicc.asn1 import decode_exact, encode, sgp32
from euicc.store import ProfileState
from euicc_tools.emulator.card import build_card
from euicc_tools.lpa.download import download
from euicc_tools.lpa.es10 import CardError, Es10Client
from euicc_tools.lpa.link import DirectLink
from euicc_tools.personalities import load_personality
from euicc_tools.testkit.eim import SampleEim, configure_auto_enable_psmo
from euicc_tools.testkit.in_process_es9 import es9_direct
from tests.support.downloads import ADDRESS
from tests.support.sgp32 import add_eim, call, iot_client


def configure(client, **members) -> int:
    raw = client.store_data(encode(sgp32(), "ConfigureAutoProfileEnablingRequest", members))
    return decode_exact(sgp32(), "ConfigureAutoProfileEnablingResponse",
                        raw)["configAutoEnableResult"]


def enable_using_dd(client) -> int:
    return call(client, bytes.fromhex("BF5A00"), "EnableUsingDDResponse")["enableUsingDDResult"]


def reset_auto_enable(client) -> dict:
    return call(client, encode(sgp32(), "SGP32-EuiccMemoryResetRequest",
                               {"resetOptions": (b"\x08", 5)}), "SGP32-EuiccMemoryResetResponse")


def test_configure_auto_enable_psmo_is_kept(iot, store, credentials):
    """The PSMO answers configureAutoEnableResult ok(0); the configuration is in the store
    (a restart keeps it) until resetAutoEnableConfig removes it (then ok(0) again, with
    resetResult nothingToDelete(1) as nothing was left)."""
    eim = SampleEim()
    add_eim(iot, eim)
    request = eim.package(credentials.eid, [configure_auto_enable_psmo(
        smdp_oid="2.999.10", smdp_address=ADDRESS)])
    _, value = call(iot, request, "EuiccPackageResult")
    assert value["euiccPackageResultDataSigned"]["euiccResult"] == [
        ("configureAutoEnableResult", 0)]
    iot.close()
    again = iot_client(store, credentials)
    assert store.get_meta("sgp32_auto_enable") is not None
    assert enable_using_dd(again) == 4  # configured; no profile downloaded: noSessionContext
    assert reset_auto_enable(again) == {"resetResult": 0, "resetAutoEnableConfigResult": 0}
    assert store.get_meta("sgp32_auto_enable") is None
    assert enable_using_dd(again) == 1  # autoEnableNotAvailable
    assert reset_auto_enable(again) == {"resetResult": 1, "resetAutoEnableConfigResult": 0}
    again.close()


def test_configure_auto_profile_enabling_unsigned(iot, store):
    """5.9.17: the IPA's unsigned configuration: ok(0) while no eIM is associated,
    unsignedAutoEnableConfigDisallowed(2) after, changing nothing."""
    assert configure(iot, autoEnableFlag=None, smdpAddress=ADDRESS) == 0
    kept = store.get_meta("sgp32_auto_enable")
    add_eim(iot, SampleEim())
    assert configure(iot) == 2
    assert store.get_meta("sgp32_auto_enable") == kept


def test_enable_using_dd_after_a_download(iot, smdp, store):
    """5.9.15: the profile just downloaded from the configured SM-DP+ is enabled: ok(0);
    the context is used up (then noSessionContext(4))."""
    assert configure(iot, autoEnableFlag=None, smdpAddress=ADDRESS.upper()) == 0
    assert download(iot, es9_direct(smdp), ADDRESS, "TINY").ok
    [profile] = store.profiles()
    assert profile.state == ProfileState.DISABLED
    assert enable_using_dd(iot) == 0
    assert store.profiles()[0].state == ProfileState.ENABLED
    assert enable_using_dd(iot) == 4


@pytest.mark.parametrize("members", [
    {"autoEnableFlag": None, "smdpAddress": "other.example"},  # another SM-DP+
    {"autoEnableFlag": None, "smdpOid": "2.999.1.2.3"},
    {"autoEnableFlag": None},  # no SM-DP+ named
    {"smdpAddress": ADDRESS},  # no autoEnableFlag
])
def test_enable_using_dd_not_available(iot, smdp, store, members):
    """autoEnableNotAvailable(1), the profile left disabled."""
    assert configure(iot, **members) == 0
    assert download(iot, es9_direct(smdp), ADDRESS, "TINY").ok
    assert enable_using_dd(iot) == 1
    assert store.profiles()[0].state == ProfileState.DISABLED


def test_enable_using_dd_matching_oid(iot, smdp, store):
    assert download(iot, es9_direct(smdp), ADDRESS, "TINY").ok
    oid = store.profiles()[0].smdp_oid
    assert oid
    assert configure(iot, autoEnableFlag=None, smdpOid=oid) == 0
    assert enable_using_dd(iot) == 0


def test_session_context_ends_with_the_reset(store, credentials, smdp):
    """The session context is volatile: after the card's reset noSessionContext(4)."""
    client = iot_client(store, credentials)
    assert configure(client, autoEnableFlag=None, smdpAddress=ADDRESS) == 0
    assert download(client, es9_direct(smdp), ADDRESS, "TINY").ok
    client.close()
    again = iot_client(store, credentials)
    assert enable_using_dd(again) == 4
    again.close()


def v12_client(store, credentials, tmp_path) -> Es10Client:
    path = tmp_path / "iot12.toml"
    path.write_text('[personality]\nname = "iot12"\n[card]\nsgp32 = "1.2"\n')
    card = build_card(store, credentials, personality=load_personality(str(path)))
    card.power_on()
    client = Es10Client(DirectLink(card))
    client.open()
    return client


def test_v12_immediate_enabling(store, credentials, smdp, tmp_path):
    """SGP.32 v1.2: BF59 ConfigureImmediateProfileEnabling (associatedEimAlreadyExists(2)
    once an eIM is there), BF5A ImmediateEnable with its refreshFlag; v1.0's empty BF5A is
    no v1.2 request ('6A80'); iotVersion 1.2.0."""
    client = v12_client(store, credentials, tmp_path)
    info = decode_exact(sgp32(), "SGP32-EUICCInfo2", client.store_data(bytes.fromhex("BF2200")))
    assert info["iotSpecificInfo"]["iotVersion"] == [b"\x01\x02\x00"]
    request = encode(sgp32(), "ConfigureImmediateProfileEnablingRequest",
                     {"immediateEnableFlag": None, "defaultSmdpAddress": ADDRESS})
    assert call(client, request, "ConfigureImmediateProfileEnablingResponse") == {
        "configImmediateEnableResult": 0}
    enable = encode(sgp32(), "ImmediateEnableRequest", {"refreshFlag": False})
    assert call(client, enable, "ImmediateEnableResponse") == {"immediateEnableResult": 4}
    assert download(client, es9_direct(smdp), ADDRESS, "TINY").ok
    assert call(client, enable, "ImmediateEnableResponse") == {"immediateEnableResult": 0}
    assert store.profiles()[0].state == ProfileState.ENABLED
    with pytest.raises(CardError) as err:
        client.store_data(bytes.fromhex("BF5A00"))
    assert err.value.sw == 0x6A80
    add_eim(client, SampleEim())
    assert call(client, request, "ConfigureImmediateProfileEnablingResponse") == {
        "configImmediateEnableResult": 2}
    client.close()

