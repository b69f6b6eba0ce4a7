"""``euicc-lpa`` in-process (its parser and ``run``, a DirectLink to the card, ES9+ into the
test SM-DP+): lpac's operations with SGP.22's names for every result (5.7.16-5.7.19, 5.7.21,
5.7.4), notifications delivered and removed only once accepted (5.7.9-5.7.11, 5.6.4), the
Install notification of a download (3.1.3), malformed answers and status words (5.7,
ISO/IEC 7816-4 5.6) reported with the channel closed, and the exit statuses."""

from __future__ import annotations

import pytest

from euicc.faults import Action, ActionKind, Match, Rule
from euicc.store import ProfileState
from euicc_tools.lpa.cli import build_parser
from euicc_tools.lpa.es9 import Es9Unreachable
from tests.support.downloads import ADDRESS
from tests.support.lpa_runs import Es9Log, lpa

TINY_ICCID = "8944123400000000011"
CLOSE_CHANNEL_1 = bytes.fromhex("0070800100")  # MANAGE CHANNEL close (TS 102 221 11.1.17)


@pytest.fixture
def es9(smdp):
    return Es9Log(smdp)


def install_tiny(card, es9, *extra: str):
    run = lpa(card, es9, "download", "--smdp", ADDRESS, "--matching-id", "TINY", *extra)
    assert run.status == 0, run.answer
    return run


def test_info(card, es9, credentials):
    run = lpa(card, es9, "info")
    assert run.status == 0 and run.answer["ok"] and run.answer["operation"] == "info"
    data = run.answer["data"]
    assert data["eid"] == credentials.eid
    assert data["euiccInfo2"]["svn"] == "2.4.0"
    assert data["euiccInfo1"]["euiccCiPKIdListForSigning"] == [
        i.ci_pkid.hex().upper() for i in credentials.identities]
    assert data["configuredAddresses"] == {"defaultDpAddress": None,
                                           "rootDsAddress": "lpa.ds.gsma.com"}
    assert run.apdus[-1] == CLOSE_CHANNEL_1


def test_download_delivers_and_removes_the_install_notification(card, es9, smdp, store):
    """SGP.22 3.1.3: the LPAd delivers the ProfileInstallationResult (HandleNotification,
    5.6.4), then RemoveNotificationFromList (5.7.11)."""
    data = install_tiny(card, es9).answer["data"]
    assert data["result"] == "installed" and data["profile"]["iccid"] == TINY_ICCID
    assert data["notification"] == {
        "seqNumber": data["seqNumber"], "operation": "install", "address": ADDRESS,
        "iccid": TINY_ICCID, "delivered": True, "removed": True}
    assert es9.functions() == ["initiateAuthentication", "authenticateClient",
                               "getBoundProfilePackage", "handleNotification"]
    assert all(accepted for _, _, accepted in es9.calls)
    assert len(smdp.notifications) == 1 and store.notifications() == []
    (row,) = lpa(card, es9, "list").answer["data"]
    assert row == {"iccid": TINY_ICCID, "isdpAid": row["isdpAid"], "state": "disabled",
                   "class": "operational", "name": "TINY", "provider": smdp.provider,
                   "nickname": None, "ppr": []}


def test_no_notify_then_notifications_process(card, es9, smdp, store):
    data = install_tiny(card, es9, "--no-notify").answer["data"]
    assert data["notification"] is None and len(store.notifications()) == 1
    (pending,) = lpa(card, es9, "notifications-list").answer["data"]
    assert pending == {"seqNumber": data["seqNumber"], "operation": "install",
                       "address": ADDRESS, "iccid": TINY_ICCID}
    run = lpa(card, es9, "notifications-process")
    assert run.status == 0 and [r["removed"] for r in run.answer["data"]] == [True]
    assert store.notifications() == [] and len(smdp.notifications) == 1


def test_management_and_their_notifications(card, es9, smdp, store):
    install_tiny(card, es9)
    assert lpa(card, es9, "enable", TINY_ICCID).answer["data"] == {
        "function": "ES10c.EnableProfile", "result": "ok"}
    assert store.profiles()[0].state == ProfileState.ENABLED
    assert lpa(card, es9, "nickname", TINY_ICCID, "mine").status == 0
    assert lpa(card, es9, "list").answer["data"][0]["nickname"] == "mine"
    assert lpa(card, es9, "disable", TINY_ICCID).status == 0
    # the profile's metadata asks for enable and disable notifications at the SM-DP+
    operations = [n["operation"] for n in lpa(card, es9, "notifications-list").answer["data"]]
    assert operations == ["enable", "disable"]
    run = lpa(card, es9, "notifications-process", "--seq",
              str(store.notifications()[1].seq), "--no-remove")
    assert run.status == 0 and run.answer["data"][0]["operation"] == "disable"
    assert run.answer["data"][0]["removed"] is False and len(store.notifications()) == 2
    assert lpa(card, es9, "delete", TINY_ICCID).status == 0
    assert store.profiles() == []
    assert [a for a, name, _ in es9.calls if name == "handleNotification"] == [ADDRESS] * 2


@pytest.mark.parametrize("argv, code", [
    (["enable", "8944000000000000000"], "iccidOrAidNotFound"),  # SGP.22 5.7.16
    (["disable", "A0000005591010FFFFFFFF8900001000"], "iccidOrAidNotFound"),  # 5.7.17
    (["delete", "8944000000000000000"], "iccidOrAidNotFound"),  # 5.7.18
    (["nickname", "8944000000000000000", "x"], "iccidNotFound"),  # 5.7.21
    (["memory-reset", "--operational"], "nothingToDelete"),  # 5.7.19
])
def test_refusals_by_their_sgp22_names(card, es9, argv, code):
    run = lpa(card, es9, *argv)
    assert run.status == 1
    assert run.answer == {"ok": False, "operation": argv[0], "code": code,
                          "error": run.answer["error"]}
    assert code in run.answer["error"] and run.apdus[-1] == CLOSE_CHANNEL_1


def test_default_address(card, es9):
    """SGP.22 5.7.4 SetDefaultDpAddress, read back with 5.7.3."""
    assert lpa(card, es9, "set-default-address", "smdp.example.org").status == 0
    addresses = lpa(card, es9, "info").answer["data"]["configuredAddresses"]
    assert addresses["defaultDpAddress"] == "smdp.example.org"
    assert lpa(card, es9, "memory-reset", "--default-address").status == 0
    assert lpa(card, es9, "info").answer["data"]["configuredAddresses"][
        "defaultDpAddress"] is None


@pytest.mark.parametrize("argv, words", [
    (["enable", "not-an-iccid"], "neither an ICCID nor an ISD-P AID"),
    (["nickname", TINY_ICCID, "n" * 65], "at most 64"),
    (["nickname", "A0000005591010FFFFFFFF8900001000", "x"], "not its ISD-P AID"),
])
def test_requests_that_cannot_be_made_are_usage_errors(card, es9, argv, words):
    run = lpa(card, es9, *argv)
    assert run.status == 2 and words in run.answer["error"] and run.answer["code"] is None


@pytest.mark.parametrize("argv", [
    ["download", "--matching-id", "TINY"],  # --smdp missing
    ["--block-size", "300", "info"],
    ["download", "--smdp", "a", "--matching-id", "b", "--reject", "because"],
    ["notifications-process", "--seq", "-1"],
    ["frobnicate"],
])
def test_argparse_usage_errors_exit_2(argv):
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args(argv)
    assert done.value.code == 2


def test_a_failed_delivery_keeps_the_notification(card, es9, smdp, store):
    """SGP.22 3.5: only a notification the SM-DP+ accepted is removed."""
    install_tiny(card, es9, "--no-notify")

    def unreachable(address):
        def call(name, body):
            raise Es9Unreachable(name, f"https://{address}: connection refused")
        return call

    run = lpa(card, unreachable, "notifications-process")
    assert run.status == 1 and "connection refused" in run.answer["error"]
    assert run.answer["data"][0]["delivered"] is False
    assert len(store.notifications()) == 1 and smdp.notifications == []
    unknown = lpa(card, es9, "notifications-process", "--seq", "999")
    assert unknown.status == 1 and "no pending notification 999" in unknown.answer["error"]


def test_a_notification_the_smdp_refuses_stays(card, es9, smdp, store):
    """HandleNotification (5.6.4) refused: signature does not verify (8.1/6.1)."""
    install_tiny(card, es9, "--no-notify")
    smdp._transactions.clear()  # the SM-DP+ no longer knows the transaction: 8.10.1/3.9
    run = lpa(card, es9, "notifications-process")
    assert run.status == 1 and run.answer["code"] == "8.10.1/3.9"
    assert len(store.notifications()) == 1


@pytest.mark.parametrize("action, words", [
    (Action(ActionKind.MALFORMED, form="wrong-tag"), "not a ProfileInfoListResponse"),
    (Action(ActionKind.MALFORMED, form="invalid-der"), "not a ProfileInfoListResponse"),
    (Action(ActionKind.STATUS, sw=0x6A88), "SW 6A88"),
])
def test_a_wrong_answer_is_a_clean_failure_with_the_channel_closed(card, es9, action, words):
    card.faults.add(Rule(Match(name="ES10c.GetProfilesInfo"), action))
    run = lpa(card, es9, "list")
    assert run.status == 1 and words in run.answer["error"]
    assert run.apdus[-1] == CLOSE_CHANNEL_1


def test_the_card_leaving_is_a_transport_failure(card, es9):
    card.faults.add(Rule(Match(name="ES10c.GetEID"),
                         Action(ActionKind.TRANSPORT, event="remove", ms=10)))
    run = lpa(card, es9, "info")
    assert run.status == 3 and "left the reader" in run.answer["error"]


def test_basic_channel_and_small_blocks(card, es9, store):
    run = lpa(card, es9, "--basic-channel", "--block-size", "16", "download", "--smdp",
              ADDRESS, "--matching-id", "TINY")
    assert run.status == 0 and len(store.profiles()) == 1
    assert all(apdu[1] != 0x70 for apdu in run.apdus)  # no MANAGE CHANNEL at all
    assert all(len(apdu) <= 5 + 16 for apdu in run.apdus if apdu[1] == 0xE2)


def test_human_output_and_errors_on_stderr(card, es9):
    import io

    from euicc_tools.lpa.cli import run
    from tests.support.lpa_runs import RecordingLink

    out, err = io.StringIO(), io.StringIO()
    args = build_parser().parse_args(["enable", "8944000000000000000"])
    assert run(args, RecordingLink(card), es9, out, err) == 1
    assert out.getvalue() == ""
    assert err.getvalue() == ("euicc-lpa enable: ES10c.EnableProfile: iccidOrAidNotFound "
                              "(1)\n")
    out = io.StringIO()
    assert run(build_parser().parse_args(["list"]), RecordingLink(card), es9, out, err) == 0
    assert out.getvalue() == "no profiles\n"


@pytest.mark.parametrize("wanted, present, chosen", [
    ("PCD 00 01", set(), "Virtual PCD 00 01"),  # a name given: a card is not asked for
    (None, {"Virtual PCD 00 01"}, "Virtual PCD 00 01"),  # none: the first with a card
])
def test_reader_choice(wanted, present, chosen):
    from euicc_tools.lpa.link import choose_reader

    names = ["Virtual PCD 00 00", "Virtual PCD 00 01"]
    assert choose_reader(wanted, names, present.__contains__) == chosen


@pytest.mark.parametrize("wanted, words", [
    ("Yubikey", "no PC/SC reader name contains 'Yubikey' (readers: 'Virtual PCD 00 00')"),
    (None, "no reader given (--reader or EUICC_LPA_READER) and no reader has a card "
           "(readers: 'Virtual PCD 00 00')"),
])
def test_no_reader_says_what_was_looked_for(wanted, words):
    from euicc_tools.lpa.link import LinkError, choose_reader

    with pytest.raises(LinkError) as missing:
        choose_reader(wanted, ["Virtual PCD 00 00"], lambda name: False)
    assert str(missing.value) == words


def test_es9_over_https_names_each_failure(smdp):
    """SGP.22 6.5: a Failed functionExecutionStatus is Es9Refused with its subject and
    reason codes; an HTTP error status or no server at all is Es9Unreachable (exit 3)."""
    import socket

    from euicc_tools.lpa.es9 import Es9Refused, https_es9
    from euicc_tools.lpa.outcome import ExitStatus, classify
    from euicc_tools.smdp.server import serve

    httpd = serve(smdp, "127.0.0.1", 0, tls=True)
    try:
        es9 = https_es9(f"127.0.0.1:{httpd.server_address[1]}", timeout=10)
        with pytest.raises(Es9Refused) as refused:
            es9("initiateAuthentication", {"smdpAddress": "other.example"})
        assert refused.value.code == "8.8.1/3.8"  # SM-DP+ address refused
        assert classify(refused.value).status == ExitStatus.FAILED
        with pytest.raises(Es9Unreachable) as http_error:
            es9("noSuchFunction", {"x": 1})
        assert "HTTP 404" in str(http_error.value)
    finally:
        httpd.shutdown()
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(Es9Unreachable) as nobody:
        https_es9(f"127.0.0.1:{port}", timeout=10)("initiateAuthentication", {})
    assert classify(nobody.value).status == ExitStatus.TRANSPORT
