"""The ES9+ relay of the indirect profile download (SGP.32 3.2, ESipa 6.3.2.1-6.3.2.5) in
process: the IPA's ESipa requests and their tags (one tag per implicit alternative; the
cancelSessionResponse as 'A1'), the test eIM's mapping of each to the ES9+ call (SGP.22
6.5.2) and back, its session per transactionId, the ESipa error codes it answers for an ES9+
refusal, an unreachable SM-DP+, an unknown transactionId and a malformed relay body; and
``euicc-lpa ipa poll --indirect`` downloading through it into the IoT card, the Install
notification forwarded to the SM-DP+ (6.3.2.4)."""

from __future__ import annotations

import base64
import io
import json

import pytest

from euicc.asn1 import decode_exact, encode, rsp
from euicc.tlv import tlv
from euicc_tools.eim import esipa, keys
from euicc_tools.eim.__main__ import STATE
from euicc_tools.eim.queue import EimQueue
from euicc_tools.eim.relay import FUNCTIONS, Session, https_es9_for
from euicc_tools.eim.service import EimService
from euicc_tools.emulator.card import build_card
from euicc_tools.lpa import relay
from euicc_tools.lpa.cli import build_parser, run
from euicc_tools.lpa.es9 import Es9Malformed, Es9Refused, Es9Unreachable
from euicc_tools.lpa.link import DirectLink
from euicc_tools.personalities import load_personality
from euicc_tools.testkit.in_process_es9 import es9_direct
from tests.support.downloads import ADDRESS

CHALLENGE = bytes(range(16))
INFO1 = encode(rsp(), "EUICCInfo1", {"svn": b"\x02\x02\x00",
                                     "euiccCiPKIdListForVerification": [bytes(20)],
                                     "euiccCiPKIdListForSigning": [bytes(20)]})


def make_eim(tmp_path, es9_for) -> EimService:
    credentials = keys.generate(tmp_path / "eim", "eim.test", "127.0.0.1:8000")
    return EimService(credentials, EimQueue(tmp_path / "eim" / STATE), es9_for)


class Recording:
    """An SM-DP+ stand-in that records the ES9+ calls and answers as told."""

    def __init__(self, answers: dict) -> None:
        self.answers, self.calls = answers, []

    def __call__(self, address: str):
        def call(function: str, body: dict):
            self.calls.append((address, function, body))
            answer = self.answers[function]
            if isinstance(answer, Exception):
                raise answer
            return answer
        return call


def initiate(eim: EimService, address: str | None = ADDRESS) -> bytes:
    body = {"euiccChallenge": base64.b64encode(CHALLENGE).decode(),
            "euiccInfo1": base64.b64encode(INFO1).decode()}
    if address is not None:
        body["smdpAddress"] = address
    return eim.handle(relay.request("initiateAuthentication", body))


def test_ipa_requests_tags_as_sgp32_has_them():
    """6.3.2.1-6.3.2.5: 'BF39' with [1] euiccChallenge, [3] smdpAddress, 'BF20'; 'BF3B' /
    'BF3A' with [0] transactionId and the card's 'BF38' / 'BF21'; 'BF41' with the card's
    CancelSessionResponse as [1] ('A1', AUTOMATIC TAGS); 'BF3D' 'A0' around the
    notification (6.3.2.4, AUTOMATIC TAGS again)."""
    b64 = lambda data: base64.b64encode(data).decode()  # noqa: E731
    init = relay.request("initiateAuthentication", {
        "euiccChallenge": b64(CHALLENGE), "euiccInfo1": b64(INFO1), "smdpAddress": "a.b"})
    assert init == tlv(0xBF39, bytes.fromhex("8110") + CHALLENGE + bytes.fromhex("8303612E62")
                       + INFO1)
    kind, value = esipa.decode_from_ipa(init)
    assert (kind, value["euiccChallenge"], value["smdpAddress"]) == (
        "initiateAuthenticationRequestEsipa", CHALLENGE, "a.b")
    cancel = relay.request("cancelSession", {"transactionId": "0102",
                                             "cancelSessionResponse": b64(bytes.fromhex(
                                                 "BF4103810105"))})
    assert cancel == bytes.fromhex("BF4109800201 02A103810105".replace(" ", ""))
    assert esipa.decode_from_ipa(cancel) == ("cancelSessionRequestEsipa", {
        "transactionId": b"\x01\x02", "cancelSessionResponse": (
            "cancelSessionResponseError", 5)})
    assert relay.request("handleNotification", {"pendingNotification": b64(
        bytes.fromhex("3000"))}) == bytes.fromhex("BF3D04A0023000")
    result = esipa.to_eim("handleNotificationEsipa", ("provideEimPackageResult", (
        "eimPackageError", 1)))
    assert result == bytes.fromhex("BF3D05A103020101")  # [1] IMPLICIT in place of 'BF50'
    with pytest.raises(Es9Malformed):
        relay.request("authenticateClient", {"transactionId": "zz"})


def test_relay_binds_the_transaction_to_the_smdp(tmp_path):
    """6.3.2.1: the SM-DP+ of smdpAddress; its transactionId binds the later calls to it
    (kept as the SM-DP+ spelled it); 6.3.2.5 ends the session: invalidTransactionId(1)
    after it, with no ES9+ call."""
    smdp = Recording({"initiateAuthentication": {"transactionId": "0a0b", "serverSigned1": ""},
                      "cancelSession": {}})
    eim = make_eim(tmp_path, smdp)
    kind, (alternative, code) = esipa.decode_from_eim(initiate(eim))
    # the stand-in's answer lacks the ES9+ members: not an ok, 127 (module docstring)
    assert (kind, alternative, code) == ("initiateAuthenticationResponseEsipa",
                                         "initiateAuthenticationErrorEsipa", 127)
    assert eim.relay.sessions == {}
    eim.relay.sessions[b"\x0a\x0b"] = Session("other.example", smdp("other.example"), "0a0b")
    body = relay.request("cancelSession", {"transactionId": "0A0B", "cancelSessionResponse":
                                           base64.b64encode(bytes.fromhex("BF4103810105"))
                                           .decode()})
    assert esipa.decode_from_eim(eim.handle(body)) == ("cancelSessionResponseEsipa",
                                                       ("cancelSessionOk", {}))
    address, function, sent = smdp.calls[-1]
    assert (address, function, sent["transactionId"]) == ("other.example", "cancelSession",
                                                          "0a0b")
    assert base64.b64decode(sent["cancelSessionResponse"]) == bytes.fromhex("BF4103810105")
    assert esipa.decode_from_eim(eim.handle(body)) == ("cancelSessionResponseEsipa",
                                                       ("cancelSessionError", 1))
    assert len(smdp.calls) == 2


@pytest.mark.parametrize("failure, code", [
    (Es9Refused("initiateAuthentication", "8.8.1", "3.8"), 1),  # invalidDpAddress
    (Es9Refused("initiateAuthentication", "8.8.3", "3.1"), 2),  # euiccVersionNotSupportedByDp
    (Es9Refused("initiateAuthentication", "8.8.2", "3.1"), 3),  # ciPKIdNotSupported
    (Es9Refused("initiateAuthentication", "1.2.1", "2.1"), 127),  # not in the list
    (Es9Unreachable("initiateAuthentication", "no route"), 1),  # invalidDpAddress
    (Es9Malformed("initiateAuthentication", "not JSON"), 127),
])
def test_initiate_authentication_errors(tmp_path, failure, code):
    """6.3.2.1 initiateAuthenticationErrorEsipa for each ES9+ failure (SGP.22 5.6.1 codes)."""
    eim = make_eim(tmp_path, Recording({"initiateAuthentication": failure}))
    assert esipa.decode_from_eim(initiate(eim)) == (
        "initiateAuthenticationResponseEsipa", ("initiateAuthenticationErrorEsipa", code))
    assert eim.relay.sessions == {}


def test_unknown_transaction_and_missing_members(tmp_path):
    """6.3.2.2 / 6.3.2.3 / 6.3.2.5 invalidTransactionId (10 / 95 / 1) for a transactionId
    the eIM never opened; 6.3.2.1 without smdpAddress: invalidDpAddress(1)."""
    smdp = Recording({})
    eim = make_eim(tmp_path, smdp)
    b64 = lambda data: base64.b64encode(data).decode()  # noqa: E731
    for function, member, card, alternative, code in (
            ("authenticateClient", "authenticateServerResponse", "BF3803810101",
             "authenticateClientErrorEsipa", 10),
            ("getBoundProfilePackage", "prepareDownloadResponse", "BF2103810101",
             "getBoundProfilePackageErrorEsipa", 95),
            ("cancelSession", "cancelSessionResponse", "BF4103810105", "cancelSessionError",
             1)):
        body = relay.request(function, {"transactionId": "99", member: b64(bytes.fromhex(
            card))})
        assert esipa.decode_from_eim(eim.handle(body))[1] == (alternative, code), function
    assert esipa.decode_from_eim(initiate(eim, None))[1] == (
        "initiateAuthenticationErrorEsipa", 1)
    assert smdp.calls == []


def test_malformed_relay_body(tmp_path):
    """A relay tag around content that is not the ESipa type: that function's
    undefinedError(127); a body that is no ESipa message at all: EsipaError (HTTP 400)."""
    eim = make_eim(tmp_path, Recording({}))
    for tag, alternative in ((0xBF39, "initiateAuthenticationErrorEsipa"),
                             (0xBF3B, "authenticateClientErrorEsipa"),
                             (0xBF3A, "getBoundProfilePackageErrorEsipa"),
                             (0xBF41, "cancelSessionError")):
        body = tag.to_bytes(2, "big") + bytes.fromhex("03040102")
        assert esipa.decode_from_eim(eim.handle(body))[1] == (alternative, 127), hex(tag)
        assert esipa.decode_from_eim(eim.handle(body[:-1]))[1] == (alternative, 127)
    with pytest.raises(esipa.EsipaError):
        eim.handle(b"\x30\x00")
    with pytest.raises(esipa.EsipaError):
        eim.handle(b"")


def test_mapping_tables_use_the_asn1_codes():
    """Every code of the tables is a named number of its ESipa error INTEGER."""
    from euicc.asn1 import integer_names, sgp32_types
    types = {"initiateAuthenticationRequestEsipa": "InitiateAuthenticationResponseEsipa",
             "authenticateClientRequestEsipa": "AuthenticateClientResponseEsipa",
             "getBoundProfilePackageRequestEsipa": "GetBoundProfilePackageResponseEsipa",
             "cancelSessionRequestEsipa": "CancelSessionResponseEsipa"}
    for kind, function in FUNCTIONS.items():
        names = integer_names(types[kind], function.error, sgp32_types())
        codes = {*function.errors.values(), function.unreachable}
        codes |= {function.invalid_transaction} - {None}
        if kind != "initiateAuthenticationRequestEsipa":
            codes.add(127)
            assert names["undefinedError"] == 127
        assert codes <= set(names.values()), kind


def test_no_ci_means_no_unverified_call():
    """Without --es9-ca and --es9-insecure the relay makes no unverified ES9+ call."""
    call = https_es9_for()("smdp.example")
    with pytest.raises(Es9Unreachable, match="--es9-ca"):
        call("initiateAuthentication", {})


def lpa_poll(card, eim, *argv):
    args = build_parser().parse_args(["--json", "ipa", "poll", *argv])
    args.esipa_for = lambda address: eim.handle
    out = io.StringIO()

    def direct(address):
        raise AssertionError(f"a direct ES9+ call to {address} in indirect mode")

    status = run(args, DirectLink(card), direct, out, io.StringIO())
    return status, json.loads(out.getvalue())


def test_indirect_download_through_the_relay(tmp_path, store, credentials, smdp):
    """3.2 indirect profile download: every ES9+ call of the IPA through the eIM; the
    profile installed, the Install notification forwarded to the SM-DP+ (6.3.2.4), the
    ProfileDownloadTriggerResult kept (2.11.2.3); a refused matchingId comes back as
    authenticateClientErrorEsipa matchingIdRefused(6) (SGP.22 8.2.6/3.8)."""
    eim = make_eim(tmp_path, lambda address: es9_direct(smdp))
    card = build_card(store, credentials, personality=load_personality("iot"))
    card.power_on()
    args = build_parser().parse_args(["--json", "ipa", "add-initial-eim",
                                      str(eim.credentials.directory / keys.ADD_INITIAL_EIM)])
    assert run(args, DirectLink(card), None, io.StringIO(), io.StringIO()) == 0
    eid = credentials.eid
    eim.queue.add(eid, "download", [{"activationCode": f"1${ADDRESS}$TINY"}])
    status, answer = lpa_poll(card, eim, "--indirect")
    assert status == 0, answer
    data = answer["data"]
    assert (data["indirect"], data["result"], data["iccid"]) == (
        True, "installed", "8944123400000000011")
    assert data["notification"]["delivered"] and data["notification"]["removed"]
    [notification] = smdp.notifications
    pending = decode_exact(rsp(), "PendingNotification", notification)
    assert pending[0] == "profileInstallationResult"
    kept = eim.queue.results()
    assert [r["kind"] for r in kept] == ["notification", "profileDownloadTriggerResult"]
    assert kept[0]["summary"]["forwarded"] is True
    assert kept[0]["summary"]["address"] == ADDRESS
    # the Install notification kept with the EID's download order (the EID from the eUICC
    # certificate of AuthenticateClient), the trigger result with it too (eimTransactionId)
    assert (kept[0]["eid"], kept[0]["summary"]["finalResult"]) == (eid, "successResult")
    [order] = eim.queue.orders(eid)
    assert kept[0]["order"] == kept[1]["order"] == order.id and order.state == "done"
    assert "successResult" in kept[1]["summary"]["finalResult"]
    assert eim.relay.sessions == {}  # ended by its Install notification

    eim.queue.add(eid, "download", [{"activationCode": f"1${ADDRESS}$NOSUCH"}])
    status, answer = lpa_poll(card, eim, "--indirect")
    assert (status, answer["code"]) == (1, "matchingIdRefused"), answer
    assert "profileDownloadError" in json.dumps(eim.queue.results()[-1]["summary"])

    # 6.3.2.4 has no output data: a notification the SM-DP+ does not take is still 204 to
    # the IPA, and kept by the eIM as not forwarded, with the reason
    down = Es9Unreachable("handleNotification", "https://smdp.test.example: down")
    second = make_eim(tmp_path / "second", Recording({"handleNotification": down}))
    body = relay.request("handleNotification", {
        "pendingNotification": base64.b64encode(notification).decode()})
    assert second.handle(body) is None
    [kept] = second.queue.results()
    assert kept["summary"]["forwarded"] is False and "down" in kept["summary"]["error"]
    assert kept["order"] is None  # no relayed session, no order to close


def test_relay_verifies_the_smdp_tls_certificate(tmp_path):
    """The ES9+ leg over HTTPS (SGP.22 6.5) with CERT.DP.TLS verified against the CI given
    (serve --es9-ca, SGP.22 4.5.2): the test SM-DP+ whose TLS certificate names localhost
    is reached at localhost; under another CI the same SM-DP+ does not verify and the eIM
    answers invalidDpAddress(1) (an SM-DP+ it cannot use)."""
    from euicc.pki import generate_test_pki, load_card_credentials
    from euicc.store import CardStore
    from euicc_tools.lpa.es10 import Es10Client
    from euicc_tools.smdp.es9 import Smdp
    from euicc_tools.smdp.server import serve

    pki, other = tmp_path / "pki", tmp_path / "other"
    generate_test_pki(pki, smdp_address="localhost")
    generate_test_pki(other)
    (tmp_path / "profiles").mkdir()
    smdp = Smdp("localhost", pki, tmp_path / "profiles")
    httpd = serve(smdp, "127.0.0.1", 0, tls=True)
    address = f"localhost:{httpd.server_address[1]}"
    smdp.address = address
    store = CardStore(tmp_path / "state")
    card = build_card(store, load_card_credentials(pki), personality=load_personality("iot"))
    card.power_on()
    try:
        with Es10Client(DirectLink(card)) as es10:
            info1 = es10.store_data(bytes.fromhex("BF2000"))
        body = relay.request("initiateAuthentication", {
            "euiccChallenge": base64.b64encode(CHALLENGE).decode(),
            "euiccInfo1": base64.b64encode(info1).decode(), "smdpAddress": address})
        ci = "CertificateIssuer/CERT_CI_ECDSA_NIST.der"
        verified = make_eim(tmp_path / "a", https_es9_for([pki / ci], timeout=10))
        kind, (alternative, ok) = esipa.decode_from_eim(verified.handle(body))
        assert alternative == "initiateAuthenticationOkEsipa", ok
        assert ok["serverSigned1"]["serverAddress"] == address
        assert list(verified.relay.sessions) == [ok["transactionId"]]
        foreign = make_eim(tmp_path / "b", https_es9_for([other / ci], timeout=10))
        assert esipa.decode_from_eim(foreign.handle(body))[1] == (
            "initiateAuthenticationErrorEsipa", 1)
        assert foreign.relay.sessions == {}
    finally:
        httpd.shutdown()
        store.close()
