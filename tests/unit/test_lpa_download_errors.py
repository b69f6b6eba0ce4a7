"""``euicc-lpa download`` when something refuses (SGP.22 3.1.3 and its sub-procedures): what
the LPAd tells the SM-DP+ and the card, the exit status and the SGP.22 code. The card's
refusals come from its fault plan, each the function's own answer (5.7.13
AuthenticateErrorCode, 5.7.5 DownloadErrorCode, 5.7.6 errorResult); the SM-DP+ is the
project's, so a cancelSession it accepts has a verified eUICC signature (5.6.5)."""

from __future__ import annotations

import pytest

from euicc.faults import Action, ActionKind, Match, Rule
from euicc_applets.isd_r.applet import ISD_R_AID
from euicc_tools.lpa.download import CancelSessionReason
from tests.support.downloads import ADDRESS
from tests.support.lpa_runs import Es9Log, lpa

START = ["initiateAuthentication", "authenticateClient"]


@pytest.fixture
def es9(smdp):
    return Es9Log(smdp)


def download(card, es9, matching_id="TINY", *extra):
    return lpa(card, es9, "download", "--smdp", ADDRESS, "--matching-id", matching_id, *extra)


def session_of(card):
    return card.registry.get(ISD_R_AID).session


def fault(card, name, action, **kwargs):
    card.faults.add(Rule(Match(name=name, **kwargs), action))


def smdp_transaction_ended(smdp) -> bool:
    """The SM-DP+'s one transaction is over: out of its active table, in the ended record."""
    (tx,) = [*smdp._transactions.values(), *smdp._ended.values()]
    return tx.done and not smdp._transactions


def test_authenticate_server_error_goes_to_authenticate_client(card, es9, smdp, store):
    """SGP.22 3.0.1 / 5.6.3: the authenticateResponseError is the AuthenticateClient input;
    the SM-DP+ ends the session and refuses; the LPAd exits 1 with the eUICC's code."""
    fault(card, "ES10b.AuthenticateServer", Action(ActionKind.ERROR, code=1,
                                                   code_name="invalidCertificate"))
    run = download(card, es9)
    assert (run.status, run.answer["code"]) == (1, "invalidCertificate")
    assert es9.calls[-1] == (ADDRESS, "authenticateClient", False)
    assert es9.functions() == START
    assert smdp_transaction_ended(smdp) and store.profiles() == []


def test_prepare_download_error_goes_to_get_bound_profile_package(card, es9, smdp, store):
    """SGP.22 3.1.3 / 5.6.2: the downloadResponseError is the GetBoundProfilePackage input."""
    fault(card, "ES10b.PrepareDownload", Action(ActionKind.ERROR, code=5,
                                                code_name="invalidTransactionId"))
    run = download(card, es9)
    assert (run.status, run.answer["code"]) == (1, "invalidTransactionId")
    assert es9.functions() == [*START, "getBoundProfilePackage"]
    assert es9.calls[-1][2] is False and smdp_transaction_ended(smdp)


@pytest.mark.parametrize("reason", ["endUserRejection", "postponed", "timeout"])
def test_end_user_rejection_cancels_on_both_sides(card, es9, smdp, store, reason):
    """3.1.3.1 Download Confirmation declined: Common Cancel Session (3.0.2) with the
    reason, ES10b.CancelSession (5.7.14) then ES9+.CancelSession (5.6.5), which the SM-DP+
    accepts (the eUICC's signature over the reason verifies). The user's choice: exit 0."""
    run = download(card, es9, "TINY", "--reject", reason)
    assert run.status == 0
    assert run.answer["data"] == {"profile": {"iccid": "8944123400000000011", "name": "TINY",
                                              "provider": smdp.provider},
                                  "result": "rejected", "reason": reason}
    assert es9.functions() == [*START, "cancelSession"] and es9.calls[-1][2] is True
    assert session_of(card).transaction_id is None and smdp_transaction_ended(smdp)
    assert store.profiles() == [] and store.notifications() == []


def test_a_missing_confirmation_code_is_an_end_user_rejection(card, es9, smdp, store):
    """ccRequiredFlag with no code: the End User did not give it (3.1.3.1), so the session
    is cancelled with endUserRejection; not what the user asked for: exit 1."""
    run = download(card, es9, "BIG")
    assert (run.status, run.answer["code"]) == (1, "endUserRejection")
    assert "confirmation code" in run.answer["error"]
    assert "the session was cancelled (endUserRejection)" in run.answer["error"]
    assert es9.functions() == [*START, "cancelSession"] and es9.calls[-1][2] is True
    assert session_of(card).transaction_id is None
    assert download(card, es9, "BIG", "--confirmation-code", "1234").status == 0
    assert len(store.profiles()) == 1


def test_a_refused_bound_profile_package_cancels_the_card_session(card, es9, smdp, store):
    """A wrong confirmation code: GetBoundProfilePackage refused (8.2.7/3.8) after
    PrepareDownload succeeded; the eUICC's session is cancelled (undefinedReason) and the
    SM-DP+ told (it accepts: the transaction was still open)."""
    run = download(card, es9, "BIG", "--confirmation-code", "0000")
    assert (run.status, run.answer["code"]) == (1, "8.2.7/3.8")
    assert "the session was cancelled (undefinedReason)" in run.answer["error"]
    assert es9.functions() == [*START, "getBoundProfilePackage", "cancelSession"]
    assert [accepted for *_, accepted in es9.calls[-2:]] == [False, True]
    assert session_of(card).transaction_id is None and store.profiles() == []


def test_a_status_word_while_loading_cancels_with_load_bpp_execution_error(card, es9, store):
    """An error status word instead of a LoadBoundProfilePackage answer: Common Cancel
    Session, loadBppExecutionError (5.7.14). This card has dropped the session with the
    failed part, so it answers invalidTransactionId, and that answer goes to the SM-DP+
    (5.6.5 takes either alternative of CancelSessionResponse)."""
    fault(card, "ES10b.LoadBoundProfilePackage.StoreMetadata", Action(ActionKind.STATUS,
                                                                      sw=0x6A80))
    run = download(card, es9)
    assert run.status == 1 and run.answer["error"].startswith("STORE DATA block 0: SW 6A80")
    assert ("cancelling the session (loadBppExecutionError) failed too: "
            "ES10b.CancelSession: invalidTransactionId") in run.answer["error"]
    assert es9.functions()[-1] == "cancelSession"
    assert store.profiles() == [] and session_of(card).transaction_id is None


def test_a_malformed_answer_while_loading_cancels_the_live_session(card, es9, smdp, store):
    """Data on an intermediate BPP piece that is no ProfileInstallationResult: the card
    still holds the session, cancels it (loadBppExecutionError) with a signed answer the
    SM-DP+ accepts (5.6.5)."""
    fault(card, "ES10b.LoadBoundProfilePackage.ConfigureISDP",
          Action(ActionKind.MALFORMED, form="trailing"))
    run = download(card, es9)
    assert run.status == 1 and "not a ProfileInstallationResult" in run.answer["error"]
    assert "the session was cancelled (loadBppExecutionError)" in run.answer["error"]
    assert es9.calls[-1] == (ADDRESS, "cancelSession", True)
    assert session_of(card).transaction_id is None and smdp_transaction_ended(smdp)
    assert store.profiles() == []


def test_an_error_result_is_delivered_and_exits_1(card, es9, smdp, store):
    """5.7.6: a ProfileInstallationResult with errorResult ends the download; it is the
    pending Install notification: delivered (5.6.4) and removed (5.7.11)."""
    fault(card, "ES10b.LoadBoundProfilePackage.LoadProfileElements",
          Action(ActionKind.ERROR, code=10,
                 code_name="installFailedDueToInsufficientMemoryForProfile"), segment=1)
    run = download(card, es9)
    assert (run.status, run.answer["code"]) == (
        1, "installFailedDueToInsufficientMemoryForProfile")
    data = run.answer["data"]
    assert (data["result"], data["bppCommandId"]) == ("installFailed", "loadProfileElements")
    assert data["notification"]["delivered"] and data["notification"]["removed"]
    assert es9.functions()[-1] == "handleNotification"
    assert store.profiles() == [] and store.notifications() == []
    assert len(smdp.notifications) == 1


def test_an_error_result_with_no_notify_stays_pending(card, es9, store):
    fault(card, "ES10b.LoadBoundProfilePackage.ConfigureISDP",
          Action(ActionKind.ERROR, code=1, code_name="incorrectInputValues"))
    run = download(card, es9, "TINY", "--no-notify")
    assert (run.status, run.answer["code"]) == (1, "incorrectInputValues")
    assert "handleNotification" not in es9.functions() and len(store.notifications()) == 1


def test_a_malformed_authenticate_server_answer(card, es9, store):
    fault(card, "ES10b.AuthenticateServer", Action(ActionKind.MALFORMED, form="trailing"))
    run = download(card, es9)
    assert run.status == 1 and "AuthenticateServerResponse" in run.answer["error"]
    assert es9.functions() == ["initiateAuthentication"] and store.profiles() == []
    assert run.apdus[-1] == bytes.fromhex("0070800100")


def test_an_unknown_smdp_matching_id(card, es9):
    """AuthenticateClient refused by the SM-DP+ (8.2.6/3.8): exit 1 with its codes."""
    run = download(card, es9, "NOSUCH")
    assert (run.status, run.answer["code"]) == (1, "8.2.6/3.8")


def test_the_reasons_are_the_asn1_modules():
    assert {r.name: r.value for r in CancelSessionReason} == {
        "endUserRejection": 0, "postponed": 1, "timeout": 2, "pprNotAllowed": 3,
        "metadataMismatch": 4, "loadBppExecutionError": 5, "undefinedReason": 127}
