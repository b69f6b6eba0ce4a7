"""The fault plan in the card (issue 12.1): every action at each layer it is consulted at,
through ``Card.transmit`` in-process, with the project's LPA driver and test SM-DP+.

Errors are the functions' own (SGP.22 5.7: each management function's result codes, 5.7.13
AuthenticateErrorCode, 5.7.5 DownloadErrorCode, 5.7.6 the ProfileInstallationResult's
bppCommandId x errorReason), built the way the card builds a real one."""

from __future__ import annotations

import time

import pytest

from euicc.asn1 import decode_exact, rsp
from euicc.faults import Action, ActionKind, Match, Rule, malformed_data
from euicc.store import ProfileState
from euicc.transport.base import CardWithdrawn
from euicc_applets.isd_r.error_results import named_numbers
from euicc_tools.emulator.card import fault_catalog
from euicc_tools.lpa.download import DownloadError, download
from euicc_tools.smdp.es9 import Smdp
from euicc_tools.testkit.in_process_es9 import es9_direct
from euicc_tools.testkit.profile_builder import build_upp

ADDRESS = "smdp.faults.example"
GET_EID = bytes.fromhex("BF3E035C015A")
ICCID = "8944123400000000099"


@pytest.fixture
def smdp(pki_dir, tmp_path):
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "TINY.der").write_bytes(build_upp(ICCID, "001010000000099", k=bytes(range(16)),
                                                  opc=bytes(16), include=("mf", "usim")))
    return Smdp(ADDRESS, pki_dir, profiles)


@pytest.fixture
def marks(card):
    seen = []
    card.observers.append(lambda exchange: seen.extend(exchange.injected))
    return seen


def add(card, match: Match, action: Action, **kwargs) -> Rule:
    return card.faults.add(Rule(match, action, **kwargs))


def store_data(card, command: bytes, channel_cla: int = 0x80, le: bool = False) -> bytes:
    """One STORE DATA block on the basic channel (the ISD-R selected first)."""
    apdu = bytes([channel_cla, 0xE2, 0x91, 0x00, len(command)]) + command
    return card.transmit(apdu + (b"\x00" if le else b""))


def select_isd_r(card) -> None:
    aid = bytes.fromhex("A0000005591010FFFFFFFF8900000100")
    assert card.transmit(bytes([0x00, 0xA4, 0x04, 0x00, len(aid)]) + aid)[-2:-1] in (b"\x90",
                                                                                    b"\x61")


# -- ES10 level ------------------------------------------------------------------------------------

def test_an_es10_error_is_the_functions_own_result_once(card, es10, store, add_profile,
                                                        marks):
    """SGP.22 5.7.16 EnableProfile: enableResult catBusy(5), then the real answer again."""
    profile = add_profile("8944000000000000017")
    add(card, Match(name="ES10c.EnableProfile"), Action(ActionKind.ERROR, code=5,
                                                        code_name="catBusy"))
    request = {"profileIdentifier": ("iccid", profile.iccid), "refreshFlag": False}
    assert es10.call("EnableProfileRequest", request, "EnableProfileResponse") == {
        "enableResult": 5}
    assert marks == ["injected f1: error catBusy"]
    assert store.profile_by_aid(profile.isdp_aid).state == ProfileState.DISABLED  # unchanged
    assert es10.call("EnableProfileRequest", request, "EnableProfileResponse") == {
        "enableResult": 0}


@pytest.mark.parametrize("name, request_type, req, response_type, alternative", [
    ("ES10c.DisableProfile", "DisableProfileRequest",
     {"profileIdentifier": ("iccid", bytes(10)), "refreshFlag": False},
     "DisableProfileResponse", "disableResult"),
    ("ES10c.DeleteProfile", "DeleteProfileRequest", ("iccid", bytes(10)),
     "DeleteProfileResponse", "deleteResult"),
    ("ES10c.SetNickname", "SetNicknameRequest", {"iccid": bytes(10), "profileNickname": "x"},
     "SetNicknameResponse", "setNicknameResult"),
    ("ES10c.eUICCMemoryReset", "EuiccMemoryResetRequest", {"resetOptions": (b"\x80", 1)},
     "EuiccMemoryResetResponse", "resetResult"),
    ("ES10a.SetDefaultDpAddress", "SetDefaultDpAddressRequest", {"defaultDpAddress": "a.b"},
     "SetDefaultDpAddressResponse", "setDefaultDpAddressResult"),
    ("ES10b.RemoveNotificationFromList", "NotificationSentRequest", {"seqNumber": 1},
     "NotificationSentResponse", "deleteNotificationStatus"),
    ("ES10b.CancelSession", "CancelSessionRequest", {"transactionId": b"\x01" * 16,
                                                     "reason": 0},
     "CancelSessionResponse", "cancelSessionResponseError"),
    ("ES10c.GetProfilesInfo", "ProfileInfoListRequest", {}, "ProfileInfoListResponse",
     "profileInfoListError"),
    ("ES10b.ListNotification", "ListNotificationRequest", {}, "ListNotificationResponse",
     "listNotificationsResultError"),
    ("ES10b.RetrieveNotificationsList", "RetrieveNotificationsListRequest", {},
     "RetrieveNotificationsListResponse", "notificationsListResultError"),
])
def test_every_error_code_of_every_management_function(card, es10, name, request_type, req,
                                                       response_type, alternative):
    """Each code the SGP.22 ASN.1 names for the function's result (ok left out) comes back
    as that function's DER response."""
    catalog = fault_catalog(card)
    codes = catalog.targets[name].error_codes
    assert codes == named_numbers(response_type, alternative) and "ok" not in codes
    for code_name, code in codes.items():
        card.faults.clear()
        add(card, Match(name=name), Action(ActionKind.ERROR, code=code, code_name=code_name))
        response = es10.call(request_type, req, response_type)
        assert response in ({alternative: code}, (alternative, code)), (code_name, response)


@pytest.mark.parametrize("code_name", list(named_numbers("AuthenticateErrorCode")))
def test_authenticate_server_errors_end_the_session(card, es10, smdp, code_name):
    """SGP.22 5.7.13: authenticateResponseError with the session's transactionId; the
    session ends, so a PrepareDownload after it has no session."""
    code = named_numbers("AuthenticateErrorCode")[code_name]
    add(card, Match(name="ES10b.AuthenticateServer"),
        Action(ActionKind.ERROR, code=code, code_name=code_name))
    with pytest.raises(DownloadError) as error:
        download(es10, es9_direct(smdp), ADDRESS, "TINY")
    assert error.value.code == code
    session = card.registry.get(bytes.fromhex("A0000005591010FFFFFFFF8900000100")).session
    assert session.transaction_id is None and session.euicc_challenge is None


@pytest.mark.parametrize("code_name", list(named_numbers("DownloadErrorCode")))
def test_prepare_download_errors(card, es10, smdp, code_name):
    code = named_numbers("DownloadErrorCode")[code_name]
    add(card, Match(name="ES10b.PrepareDownload"),
        Action(ActionKind.ERROR, code=code, code_name=code_name))
    with pytest.raises(DownloadError) as error:
        download(es10, es9_direct(smdp), ADDRESS, "TINY")
    assert error.value.code == code


def test_a_bpp_part_error_is_a_signed_result_kept_as_notification(card, es10, smdp, store,
                                                                  marks):
    """SGP.22 5.7.6: the ProfileInstallationResult's errorResult names the part
    (bppCommandId loadProfileElements(5)) and the errorReason; the result is the pending
    Install notification; nothing is installed."""
    add(card, Match(name="ES10b.LoadBoundProfilePackage.LoadProfileElements", segment=1),
        Action(ActionKind.ERROR, code=10,
               code_name="installFailedDueToInsufficientMemoryForProfile"))
    result = download(es10, es9_direct(smdp), ADDRESS, "TINY")
    final = result.result["profileInstallationResultData"]["finalResult"]
    assert final == ("errorResult", {"bppCommandId": 5, "errorReason": 10})
    assert store.profiles() == []
    assert marks == ["injected f1: error installFailedDueToInsufficientMemoryForProfile"]
    notes = es10.call("RetrieveNotificationsListRequest", {}, "RetrieveNotificationsListResponse")
    assert notes[0] == "notificationList"
    assert [n[0] for n in notes[1]] == ["profileInstallationResult"]
    assert notes[1][0][1] == result.result
    # the next download is clean: once means once
    assert download(es10, es9_direct(smdp), ADDRESS, "TINY").ok


def test_a_bpp_rule_without_segment_matches_the_part_opening_once(card, es10, smdp):
    add(card, Match(name="ES10b.LoadBoundProfilePackage.ConfigureISDP"),
        Action(ActionKind.ERROR, code=1, code_name="incorrectInputValues"), times=None)
    result = download(es10, es9_direct(smdp), ADDRESS, "TINY")
    assert result.result["profileInstallationResultData"]["finalResult"] == (
        "errorResult", {"bppCommandId": 1, "errorReason": 1})
    (rule,) = card.faults.rules()
    assert rule.fired == 1  # one part opening per package


def test_es10_status_delay_and_malformed(card, marks):
    select_isd_r(card)
    real = store_data(card, GET_EID, le=True)
    assert real[-2:] == b"\x90\x00" and real[0] == 0xBF
    add(card, Match(name="ES10c.GetEID"), Action(ActionKind.STATUS, sw=0x6A88))
    assert store_data(card, GET_EID, le=True) == bytes.fromhex("6A88")
    add(card, Match(name="ES10c.GetEID"), Action(ActionKind.DELAY, ms=150))
    started = time.monotonic()
    assert store_data(card, GET_EID, le=True) == real
    assert time.monotonic() - started >= 0.15
    add(card, Match(name="ES10c.GetEID"), Action(ActionKind.MALFORMED, form="wrong-tag"))
    damaged = store_data(card, GET_EID, le=True)
    assert damaged[:-2] == malformed_data("wrong-tag", real[:-2]) and damaged[-2:] == b"\x90\x00"
    assert marks == ["injected f1: status 6A88", "injected f2: delay 150 ms",
                     "injected f3: malformed wrong-tag"]


# -- APDU level ------------------------------------------------------------------------------------

def test_an_iso_command_by_name_ins_and_channel(card, marks):
    add(card, Match(name="SELECT", channel=1), Action(ActionKind.STATUS, sw=0x6999))
    select_isd_r(card)  # channel 0: untouched
    assert card.transmit(bytes.fromhex("00700000") + b"\x01")[-2:] == b"\x90\x00"
    assert card.transmit(bytes.fromhex("01A4040000"))[-2:] == bytes.fromhex("6999")
    add(card, Match(ins=0xF2), Action(ActionKind.STATUS, sw=0x6F00))
    assert card.transmit(bytes.fromhex("80F2000000")) == bytes.fromhex("6F00")
    assert marks == ["injected f1: status 6999", "injected f2: status 6F00"]


def big_response_command(add_profile) -> bytes:
    """GetProfilesInfo with enough profiles that the answer passes 256 bytes."""
    for n in range(8):
        add_profile(f"89440000000000001{n:02d}", name="A profile name of some length",
                    spn="A service provider")
    return bytes.fromhex("BF2D00")


def test_no_61xx_gives_the_whole_answer_in_one_r_apdu(card, add_profile):
    command = big_response_command(add_profile)
    select_isd_r(card)
    normal = store_data(card, command)
    assert normal[-2] == 0x61  # announced, fetched with GET RESPONSE
    add(card, Match(name="STORE DATA"), Action(ActionKind.MALFORMED, form="no-61xx"))
    whole = store_data(card, command)
    assert len(whole) - 2 > 256 and whole[-2:] == b"\x90\x00"
    assert decode_exact(rsp(), "ProfileInfoListResponse", whole[:-2])[0] == "profileInfoListOk"


def test_wrong_61xx_announces_16_more(card, add_profile):
    command = big_response_command(add_profile)
    select_isd_r(card)
    add(card, Match(name="ES10c.GetProfilesInfo"),
        Action(ActionKind.MALFORMED, form="wrong-61xx"))  # asked from the ES10 level
    response = store_data(card, command)
    assert response[-2] == 0x61 and response[-1] == (256 + 16) & 0xFF


def test_6cxx_then_the_same_command_with_the_right_le(card):
    select_isd_r(card)
    real = store_data(card, GET_EID, le=True)
    add(card, Match(name="ES10c.GetEID"), Action(ActionKind.MALFORMED, form="6cxx"))
    first = store_data(card, GET_EID, le=True)
    assert first[0] == 0x6C and first[1] == len(real) - 2
    apdu = bytes([0x80, 0xE2, 0x91, 0x00, len(GET_EID)]) + GET_EID + bytes([first[1]])
    assert card.transmit(apdu) == real


def test_transport_events_leave_the_reader(card, marks):
    add(card, Match(name="STATUS"), Action(ActionKind.TRANSPORT, event="remove", ms=700))
    with pytest.raises(CardWithdrawn) as gone:
        card.transmit(bytes.fromhex("80F2000000"))
    assert gone.value.absent_for == 0.7 and not gone.value.silent
    add(card, Match(name="STATUS"), Action(ActionKind.TRANSPORT, event="mute"))
    with pytest.raises(CardWithdrawn) as gone:
        card.transmit(bytes.fromhex("80F2000000"))
    assert gone.value.silent and gone.value.absent_for == 30
    assert marks == ["injected f1: transport remove 700 ms", "injected f2: transport mute"]
    assert card.transmit(bytes.fromhex("80F2000000"))[-2:] in (b"\x90\x00", b"\x61\x00")


def test_the_catalogue_names_what_the_card_dispatches(card):
    catalog = fault_catalog(card)
    names = set(catalog.targets)
    assert {"SELECT", "MANAGE CHANNEL", "GET RESPONSE", "STATUS", "STORE DATA", "READ BINARY",
            "AUTHENTICATE", "ES10c.GetEID", "ES10b.LoadBoundProfilePackage",
            "ES10b.LoadBoundProfilePackage.StoreMetadata"} <= names
    assert catalog.targets["ES10c.GetEID"].error_codes == {}  # no error result in SGP.22
    assert catalog.targets["ES10b.LoadBoundProfilePackage.LoadProfileElements"].segmented
    assert catalog.targets["ES10b.AuthenticateServer"].error_codes["ciPKUnknown"] == 7
