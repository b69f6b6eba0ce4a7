"""SGP.32 v1.0 5.9.16 ProfileRollback (BF58) with the enable PSMO's rollbackFlag
(2.11.1.1.3), the PSMO results of a package that fails midway (2.11.2.1), and the SGP.22
functions the IoT eUICC leaves to the eIM (EnableProfile, DisableProfile, DeleteProfile:
'6A80', SGP.22 5.7.2): in-process, through the project's ES10 client."""

import pytest

from euicc.asn1 import decode_exact, encode, rsp, sgp32
from euicc.store import ProfileState
from euicc_applets.isd_r.profiles import ProfileManagement
from euicc_tools.emulator.card import build_card
from euicc_tools.lpa.download import download
from euicc_tools.lpa.es10 import CardError, Es10Client
from euicc_tools.lpa.link import DirectLink
from euicc_tools.personalities import load_personality
from euicc_tools.testkit.eim import (
    SampleEim,
    enable_psmo,
    result_signature_valid,
    rollback_package_result,
)
from euicc_tools.testkit.in_process_es9 import es9_direct
from tests.support.downloads import ADDRESS
from tests.support.profile_metadata import iccid_bytes
from tests.support.sgp32 import add_eim, call, iot_client

ICCID_A, ICCID_B = "8944000000000000001", "8944000000000000002"


@pytest.fixture
def eim(iot, add_profile):
    add_profile(ICCID_A, name="A", enabled=True)
    add_profile(ICCID_B, name="B")
    eim = SampleEim()
    add_eim(iot, eim)
    return eim


def state(store, iccid):
    return store.profile_by_iccid(iccid_bytes(iccid)).state


def rollback(client, refresh=False) -> bytes:
    return client.store_data(encode(sgp32(), "ProfileRollbackRequest",
                                    {"refreshFlag": refresh}))


def cmd_result(raw: bytes) -> int:
    return decode_exact(sgp32(), "ProfileRollbackResponse", raw)["cmdResult"]


def load(client, request):
    return call(client, request, "EuiccPackageResult")


def test_rollback_enables_the_previous_profile(iot, eim, store, credentials):
    """The enable with rollbackFlag arms it; ProfileRollback ok(0) enables A again and
    answers the package's result with rollbackResult ok appended, signed anew; the kept
    result is that one; a second rollback is rollbackNotAllowed(1)."""
    request = eim.package(credentials.eid, [enable_psmo(iccid_bytes(ICCID_B), rollback=True)])
    _, value = load(iot, request)
    seq = value["euiccPackageResultDataSigned"]["seqNumber"]
    assert state(store, ICCID_B) == ProfileState.ENABLED
    raw = rollback(iot, refresh=True)
    assert cmd_result(raw) == 0
    assert state(store, ICCID_A) == ProfileState.ENABLED
    assert state(store, ICCID_B) == ProfileState.DISABLED
    result = rollback_package_result(raw)
    kind, value = decode_exact(sgp32(), "EuiccPackageResult", result)
    data = value["euiccPackageResultDataSigned"]
    assert data["seqNumber"] == seq
    assert data["euiccResult"] == [("enableResult", 0), ("rollbackResult", 0)]
    assert result_signature_valid(result, request, credentials.identities[0].certificate_der)
    assert [r for s, _, r in store.package_results() if s == seq] == [result]
    assert cmd_result(rollback(iot)) == 1  # used up


def test_rollback_survives_a_restart(iot, eim, store, credentials):
    load(iot, eim.package(credentials.eid, [enable_psmo(iccid_bytes(ICCID_B), rollback=True)]))
    iot.close()
    again = iot_client(store, credentials)
    assert cmd_result(rollback(again)) == 0
    assert state(store, ICCID_A) == ProfileState.ENABLED


def snapshot(store):
    return ([(p.iccid, p.state) for p in store.profiles()], store.package_results(),
            store.notifications(), store.get_meta("sgp32_rollback"))


def test_rollback_not_allowed(iot, eim, store, credentials):
    """rollbackNotAllowed(1), changing nothing: no rollbackFlag; the result removed
    (delivered); superseded by the next package."""
    before = snapshot(store)
    assert cmd_result(rollback(iot)) == 1
    assert snapshot(store) == before
    load(iot, eim.package(credentials.eid, [enable_psmo(iccid_bytes(ICCID_B))]))
    assert cmd_result(rollback(iot)) == 1
    _, value = load(iot, eim.package(credentials.eid,
                                     [enable_psmo(iccid_bytes(ICCID_A), rollback=True)]))
    seq = value["euiccPackageResultDataSigned"]["seqNumber"]
    iot.call("NotificationSentRequest", {"seqNumber": seq}, "NotificationSentResponse")
    assert cmd_result(rollback(iot)) == 1
    load(iot, eim.package(credentials.eid, [enable_psmo(iccid_bytes(ICCID_B), rollback=True)]))
    load(iot, eim.package(credentials.eid, [("getRAT", {})]))
    before = snapshot(store)
    assert cmd_result(rollback(iot)) == 1
    assert snapshot(store) == before


def test_rollback_after_the_state_moved_on_is_command_error(iot, eim, store, credentials):
    """Armed, but the profiles are gone (eUICCMemoryReset): commandError(7), no result."""
    load(iot, eim.package(credentials.eid, [enable_psmo(iccid_bytes(ICCID_B), rollback=True)]))
    iot.store_data(encode(sgp32(), "SGP32-EuiccMemoryResetRequest",
                          {"resetOptions": (b"\x80", 1)}))
    raw = rollback(iot)
    assert cmd_result(raw) == 7 and rollback_package_result(raw) is None


def test_rollback_flag_without_an_enabled_profile_arms_nothing(iot, add_profile, store,
                                                               credentials):
    add_profile(ICCID_B, name="B")
    eim = SampleEim()
    add_eim(iot, eim)
    load(iot, eim.package(credentials.eid, [enable_psmo(iccid_bytes(ICCID_B), rollback=True)]))
    assert state(store, ICCID_B) == ProfileState.ENABLED
    assert cmd_result(rollback(iot)) == 1


def test_malformed_rollback_request_is_6a80(iot):
    with pytest.raises(CardError) as err:
        iot.store_data(bytes.fromhex("BF5800"))  # refreshFlag is mandatory
    assert err.value.sw == 0x6A80


def test_failed_psmo_is_reported_and_the_rest_executed(iot, eim, store, credentials):
    """SGP.32 2.11.2.1: each PSMO its own result: an unknown ICCID iccidOrAidNotFound(1),
    the next one executed."""
    unknown = "8944000000000000099"
    _, value = load(iot, eim.package(credentials.eid, [
        enable_psmo(iccid_bytes(unknown)), enable_psmo(iccid_bytes(ICCID_B))]))
    assert value["euiccPackageResultDataSigned"]["euiccResult"] == [
        ("enableResult", 1), ("enableResult", 0)]


def test_sgp22_only_codes_are_undefined_error(iot, add_profile, store, credentials):
    """A Profile Policy Rule refusal (SGP.22 disallowedByPolicy(3)) has no code in SGP.32's
    EnableProfileResult / DisableProfileResult: undefinedError(127)."""
    add_profile(ICCID_A, name="A", enabled=True, ppr=(1,))  # PPR1: disabling not allowed
    add_profile(ICCID_B, name="B")
    eim = SampleEim()
    add_eim(iot, eim)
    _, value = load(iot, eim.package(credentials.eid, [
        enable_psmo(iccid_bytes(ICCID_B)), ("disable", {"iccid": iccid_bytes(ICCID_A)})]))
    assert value["euiccPackageResultDataSigned"]["euiccResult"] == [
        ("enableResult", 127), ("disableResult", 127)]
    assert state(store, ICCID_A) == ProfileState.ENABLED


def test_operation_failing_inside_is_terminated_without_its_writes(
        iot, eim, store, credentials, monkeypatch):
    """An operation that fails inside (here: after deleting its profile) leaves none of its
    writes, answers processingTerminated undefinedError(127), and what follows is not
    executed; the operations before it stay done; the result is signed and kept."""
    original = ProfileManagement.delete_profile

    def delete_then_fail(self, request):
        original(self, request)
        raise RuntimeError("the card failed midway")

    monkeypatch.setattr(ProfileManagement, "delete_profile", delete_then_fail)
    request = eim.package(credentials.eid, [
        ("disable", {"iccid": iccid_bytes(ICCID_A)}), ("delete", {"iccid": iccid_bytes(ICCID_A)}),
        enable_psmo(iccid_bytes(ICCID_B))])
    raw = iot.store_data(request)
    _, value = decode_exact(sgp32(), "EuiccPackageResult", raw)
    assert value["euiccPackageResultDataSigned"]["euiccResult"] == [
        ("disableResult", 0), ("processingTerminated", 127)]
    assert state(store, ICCID_A) == ProfileState.DISABLED  # disabled, not deleted
    assert state(store, ICCID_B) == ProfileState.DISABLED  # not executed
    assert result_signature_valid(raw, request, credentials.identities[0].certificate_der)
    assert [r for _, _, r in store.package_results()] == [raw]
    assert store.eims()[0].counter == 1


@pytest.mark.parametrize(("request_type", "value"), [
    ("EnableProfileRequest", {"profileIdentifier": ("iccid", iccid_bytes(ICCID_B)),
                              "refreshFlag": False}),
    ("DisableProfileRequest", {"profileIdentifier": ("iccid", iccid_bytes(ICCID_A)),
                               "refreshFlag": False}),
    ("DeleteProfileRequest", ("iccid", iccid_bytes(ICCID_B))),
])
def test_profile_state_functions_are_the_eims(iot, eim, store, request_type, value):
    """On the IoT eUICC the eIM changes profile states (PSMOs, SGP.32 2.11.1.1.3): ES10c
    EnableProfile, DisableProfile and DeleteProfile are no function of its ISD-R: '6A80'
    (SGP.22 5.7.2), nothing changed."""
    before = snapshot(store)
    with pytest.raises(CardError) as err:
        iot.store_data(encode(rsp(), request_type, value))
    assert err.value.sw == 0x6A80
    assert snapshot(store) == before


def test_consumer_card_keeps_the_profile_state_functions(es10, add_profile, store):
    add_profile(ICCID_B, name="B")
    answer = es10.call("EnableProfileRequest", {"profileIdentifier": ("iccid", iccid_bytes(
        ICCID_B)), "refreshFlag": False}, "EnableProfileResponse")
    assert answer == {"enableResult": 0}
    assert cmd_error(es10) == 0x6A80  # and no ProfileRollback


def cmd_error(client) -> int:
    with pytest.raises(CardError) as err:
        rollback(client)
    return err.value.sw


def tx(card, hexstr: str) -> tuple[bytes, str]:
    response = card.transmit(bytes.fromhex(hexstr))
    return response[:-2], response[-2:].hex().upper()


def refresh_pending(card) -> bool:
    """Whether the card asks the terminal for its REFRESH (ETSI TS 102 223 6.4.7, SGP.22
    3.2.1); one asked for is fetched and answered, so the next question starts clean."""
    _, sw = tx(card, "80F2000C00")  # STATUS
    if not sw.startswith("91"):
        return False
    command, sw = tx(card, "80120000" + sw[2:])  # FETCH
    assert sw == "9000" and command[4:7] == b"\x01\x01\x04"  # REFRESH, UICC reset
    assert tx(card, "801400000C810301010402028281030100")[1] == "9000"  # TERMINAL RESPONSE
    return True


def test_rollback_refresh_flag_reaches_the_terminal(store, credentials, smdp):
    """ProfileRollback's refreshFlag is the enable's (SGP.22 3.2.1): true, the card asks
    for the REFRESH; false, it does not. (Each PSMO profile change asks for it.)"""
    card = build_card(store, credentials, personality=load_personality("iot"))
    card.power_on()
    client = Es10Client(DirectLink(card))
    client.open()
    assert download(client, es9_direct(smdp), ADDRESS, "TINY").ok
    assert download(client, es9_direct(smdp), ADDRESS, "BIG", confirmation_code="1234").ok
    tiny, big = (p.iccid for p in sorted(store.profiles(), key=lambda p: p.isdp_aid))
    assert tx(card, "8010000003000080")[1] == "9000"  # TERMINAL PROFILE: REFRESH supported
    eim = SampleEim()
    add_eim(client, eim)
    for refresh in (True, False):
        load(client, eim.package(credentials.eid, [enable_psmo(tiny)]))
        refresh_pending(card)
        load(client, eim.package(credentials.eid, [enable_psmo(big, rollback=True)]))
        assert refresh_pending(card)  # the PSMO's own
        assert cmd_result(rollback(client, refresh=refresh)) == 0
        assert store.profile_by_iccid(tiny).state == ProfileState.ENABLED
        assert refresh_pending(card) is refresh
    client.close()
