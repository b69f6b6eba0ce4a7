"""The IPA flows of ``euicc-lpa ipa`` against the project's test eIM (ESipa over HTTPS, the
ASN.1 binding, SGP.32 6.1.2 / 6.3) and test SM-DP+ (ES9+ over HTTPS), with the IoT card
(``--personality iot``) in a vpcd reader of the real pcscd: AddInitialEim (5.9.4), the eUICC
Data Request for the certificates (2.11.1.2), PSMOs listProfileInfo, getRAT, enable,
disable, delete (2.11.1.1.3), the indirect profile download of a Profile Download Trigger
(2.11.1.3, 3.2), the eCOs addEim, updateEim, deleteEim, listEim (2.11.1.1.2), each
EuiccPackageResult verified by the eIM with the eUICC certificate (2.11.2.1) and removed
from the card once acknowledged (2.11.1.4, 5.9.12); and the hostile packages each refused
as SGP.32 2.11.2.1 / 5.9.1 say with nothing changed: a bad eimSignature and an unknown eIM
(euiccPackageErrorUnsigned), a replayed counterValue (replayError 4), another EID
(invalidEid 3), malformed DER (the card's status word, eimPackageError
invalidPackageFormat 1 to the eIM). And the indirect profile download through the eIM's ES9+
relay (``ipa poll --indirect``, SGP.32 3.2, 6.3.2.1-6.3.2.5) with its bad input."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
from contextlib import contextmanager

import pytest

from euicc.asn1 import decode_exact, encode, rsp, sgp32
from euicc.coding import bcd_text
from euicc.store import CardStore
from euicc_tools.eim import keys
from euicc_tools.eim.__main__ import STATE
from euicc_tools.eim.__main__ import main as eim_main
from euicc_tools.eim.queue import EimQueue
from euicc_tools.eim.relay import https_es9_for
from euicc_tools.eim.server import serve as serve_eim
from euicc_tools.eim.service import EimService
from euicc_tools.lpa.esipa import EsipaUnreachable, http_esipa
from euicc_tools.lpa.relay import request as relay_request
from euicc_tools.testkit.emulator_process import Emulator
from euicc_tools.testkit.profile_builder import build_upp
from tests.support.downloads import serving_smdp

pytestmark = pytest.mark.integration
ICCID = "89441234000000000772"
OTHER_EID = "89049032000000000000000000000014"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def iot_card(pcscd, tmp_path):
    emulator = Emulator(tmp_path / "card", extra=["--personality", "iot"]).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def smdp(iot_card, tmp_path):
    package = build_upp(ICCID, "001010000000772", k=bytes(range(16)), opc=bytes(16),
                        include=("mf", "usim"))
    with serving_smdp(iot_card.state / "pki", tmp_path / "profiles", {"IOT": package},
                      address=None) as (server, _):
        yield server


@contextmanager
def running_eim(iot_card, tmp_path):
    """The test eIM on loopback over HTTPS, its certificate under the card's test CI; its
    ES9+ relay does not verify the SM-DP+ (whose TLS certificate names another host), and
    records the ES9+ functions it called: (folder, queue, service, [(address, function)])."""
    port = _free_port()
    directory = tmp_path / "eim"
    credentials = keys.generate(directory, "eim.test", f"127.0.0.1:{port}",
                                ci_pki=iot_card.state / "pki")
    queue = EimQueue(directory / STATE)
    relayed: list[tuple[str, str]] = []
    insecure = https_es9_for(insecure=True)

    def recording(address):
        es9 = insecure(address)

        def call(function, body):
            relayed.append((address, function))
            return es9(function, body)
        return call

    service = EimService(credentials, queue, recording)
    httpd = serve_eim(service, "127.0.0.1", port, tls=True)
    try:
        yield directory, queue, service, relayed
    finally:
        httpd.shutdown()
        queue.close()


@pytest.fixture
def eim(iot_card, tmp_path):
    with running_eim(iot_card, tmp_path) as (directory, queue, _, _):
        yield directory, queue


@pytest.fixture
def eim_service(iot_card, tmp_path):
    with running_eim(iot_card, tmp_path) as running:
        yield running


def lpa(reader: str, *argv: str) -> tuple[int, dict]:
    done = subprocess.run([sys.executable, "-m", "euicc_tools.lpa", "--json", "--reader",
                           reader, *argv], capture_output=True, text=True, timeout=180,
                          env=dict(os.environ))
    (line,) = done.stdout.splitlines()
    return done.returncode, json.loads(line)


def queue(directory, *argv: str) -> None:
    assert eim_main(["--dir", str(directory), *argv]) == 0


def card_state(emulator) -> tuple[list, list]:
    """(profiles, eIMs) of the card's store: what a refusal must leave as it was."""
    store = CardStore(emulator.state)
    try:
        profiles = [(bcd_text(p.iccid), p.state.name) for p in store.profiles()]
        eims = store.eims()
    finally:
        store.close()
    return profiles, eims


def test_ipa_with_the_test_eim(iot_card, smdp, eim, tmp_path):
    directory, kept = eim
    reader = iot_card.reader
    status, answer = lpa(reader, "ipa", "add-initial-eim", str(directory / keys.ADD_INITIAL_EIM))
    assert status == 0 and answer["data"]["result"] == "ok", answer
    status, answer = lpa(reader, "info")
    eid = answer["data"]["eid"]

    # PSMOs listProfileInfo and getRAT; the eIM asks for the certificates first
    queue(directory, "psmo", eid, "listProfileInfo", "getRAT")
    status, answer = lpa(reader, "ipa", "poll", "--loop")
    assert status == 0, answer
    rounds = answer["data"]["rounds"]
    assert [r["package"] for r in rounds] == ["ipaEuiccDataRequest", "euiccPackageRequest",
                                              None]
    assert rounds[0]["tags"] == ["A5", "A6"] and rounds[0]["result"] == "ipaEuiccData"
    signed = rounds[1]["value"]["euiccPackageResultDataSigned"]
    assert [list(r) for r in signed["euiccResult"]] == [["listProfileInfoResult"],
                                                        ["getRATResult"]]
    assert rounds[1]["acknowledged"] == rounds[1]["removed"] == [signed["seqNumber"]]
    assert all(r["results"] == [] for r in rounds)  # no result was left on the card
    [data, result] = kept.results(eid)
    assert data["summary"]["certificates"] == ["euiccCertificate", "eumCertificate"]
    assert result["verified"] is True and result["summary"]["counterValue"] == 1

    # indirect profile download (Profile Download Trigger)
    queue(directory, "download", eid, "--smdp", smdp.address, "--matching-id", "IOT")
    status, answer = lpa(reader, "ipa", "poll")
    assert status == 0, answer
    assert (answer["data"]["result"], answer["data"]["iccid"]) == ("installed", ICCID)
    assert answer["data"]["notification"]["removed"] is True
    trigger = kept.results(eid)[-1]
    assert trigger["kind"] == "profileDownloadTriggerResult"
    assert trigger["summary"]["finalResult"] == {"successResult": trigger["summary"][
        "finalResult"]["successResult"]}

    # hostile packages: each refused as SGP.32 says, nothing changed on the card
    before = card_state(iot_card)
    assert before[0] == [(ICCID, "DISABLED")]
    hostile = [
        (["--bad-signature"], "euiccPackageErrorUnsigned"),
        (["--eim-id", "eim.unknown"], "euiccPackageErrorUnsigned"),
        (["--counter", "1"], "replayError"),
        (["--eid-value", OTHER_EID], "invalidEid"),
    ]
    for faults, code in hostile:
        queue(directory, "psmo", eid, f"enable:{ICCID}", *faults)
        status, answer = lpa(reader, "ipa", "poll")
        assert (status, answer["code"]) == (1, code), (faults, answer)
        assert card_state(iot_card) == before, faults
        assert answer["data"]["eimId"] == "eim.test" and answer["data"]["results"] == []
        assert kept.results(eid)[-1]["kind"] == "euiccPackageResult"
    # malformed DER inside 'BF51': the card refuses it with a status word
    queue(directory, "psmo", eid, "getRAT", "--raw", "300380")
    status, answer = lpa(reader, "ipa", "poll")
    assert status == 1 and "LoadEuiccPackage" in answer["error"], answer
    assert kept.results()[-1]["summary"] == {"eimPackageError": 1}
    assert card_state(iot_card) == before

    # enable, disable, delete
    for psmo, state in (("enable", [(ICCID, "ENABLED")]), ("disable", [(ICCID, "DISABLED")]),
                        ("delete", [])):
        queue(directory, "psmo", eid, f"{psmo}:{ICCID}")
        status, answer = lpa(reader, "ipa", "poll", "--loop")
        assert status == 0, answer
        [result] = [r for r in answer["data"]["rounds"] if r["package"]]
        [[name, code]] = [list(r.items())[0] for r in
                          result["value"]["euiccPackageResultDataSigned"]["euiccResult"]]
        assert (name, code) == (f"{psmo}Result", 0)
        assert card_state(iot_card)[0] == state
        assert kept.results(eid)[-1]["verified"] is True
    assert len(smdp.notifications) >= 3  # install, enable, disable (delete: next poll)

    # eCOs: addEim, listEim, updateEim, deleteEim
    other = tmp_path / "eim2"
    keys.generate(other, "eim.second", "127.0.0.1:1")
    queue(directory, "eco", eid, f"addEim:{other}", "listEim")
    status, answer = lpa(reader, "ipa", "poll")
    assert status == 0, answer
    results = answer["data"]["value"]["euiccPackageResultDataSigned"]["euiccResult"]
    assert results[0] == {"addEimResult": {"addEimResultCode": 0}}
    assert [e["eimId"] for e in results[1]["listEimResult"]["eimIdList"]] == [
        "eim.test", "eim.second"]
    keys.generate(other, "eim.second", "127.0.0.1:2", overwrite=True)  # a new key
    queue(directory, "eco", eid, f"updateEim:{other}", "deleteEim:eim.second", "listEim")
    status, answer = lpa(reader, "ipa", "poll")
    assert status == 0, answer
    results = answer["data"]["value"]["euiccPackageResultDataSigned"]["euiccResult"]
    assert results[:2] == [{"updateEimResult": 0}, {"deleteEimResult": 0}]
    assert [e["eimId"] for e in results[2]["listEimResult"]["eimIdList"]] == ["eim.test"]
    assert all(r["verified"] is not False for r in kept.results(eid))
    assert decode_exact(sgp32(), "EuiccPackageResult", bytes.fromhex(
        kept.results(eid)[-1]["der"]))[0] == "euiccPackageResultSigned"
    # the eIM's counterValue for this card, persisted: one per package it signed with the
    # next value (listProfileInfo+getRAT, bad signature, unknown eIM, other EID, enable,
    # disable, delete, two eCO packages; not the replay nor the raw one)
    assert kept.counter(eid) == 9


def test_indirect_download_through_the_eim_relay(iot_card, smdp, eim_service):
    """SGP.32 3.2 indirect profile download: the IPA polls, gets the Profile Download
    Trigger (2.11.1.3) and makes every ES9+ step through the eIM (6.3.2.1-6.3.2.3), which
    calls the test SM-DP+; the profile is installed, the Install notification reaches the
    SM-DP+ through the eIM (6.3.2.4), the eIM keeps the ProfileDownloadTriggerResult
    (2.11.2.3). Bad input, each answered with the ESipa error of relay.py's mapping and
    nothing installed: an unreachable SM-DP+ (initiateAuthenticationErrorEsipa
    invalidDpAddress 1), an SM-DP+ refusal (SGP.22 8.2.6/3.8 -> authenticateClientErrorEsipa
    matchingIdRefused 6), an SM-DP+ whose TLS certificate does not verify (invalidDpAddress),
    an unknown transactionId (invalidTransactionId 10 / 95 / 1), a malformed relay body
    (undefinedError 127; no ESipa message at all: HTTP 400)."""
    directory, kept, service, relayed = eim_service
    reader = iot_card.reader
    status, answer = lpa(reader, "ipa", "add-initial-eim", str(directory / keys.ADD_INITIAL_EIM))
    assert status == 0, answer
    eid = lpa(reader, "info")[1]["data"]["eid"]

    queue(directory, "download", eid, "--smdp", smdp.address, "--matching-id", "IOT")
    status, answer = lpa(reader, "ipa", "poll", "--indirect")
    assert status == 0, answer
    data = answer["data"]
    assert (data["indirect"], data["result"], data["iccid"]) == (True, "installed", ICCID)
    assert data["notification"]["delivered"] and data["notification"]["removed"]
    assert relayed == [(smdp.address, f) for f in (
        "initiateAuthentication", "authenticateClient", "getBoundProfilePackage",
        "handleNotification")]
    assert len(smdp.notifications) == 1
    notification, trigger = kept.results()[-2:]
    assert notification["summary"]["forwarded"] is True
    assert notification["summary"]["notification"] == "profileInstallationResult"
    assert notification["eid"] == eid and notification["order"] == trigger["order"]
    assert trigger["kind"] == "profileDownloadTriggerResult" and trigger["eid"] == eid
    assert "successResult" in trigger["summary"]["finalResult"]
    assert card_state(iot_card)[0] == [(ICCID, "DISABLED")]
    assert service.relay.sessions == {}  # ended by the Install notification
    installed = card_state(iot_card)

    # bad input: each refused with the documented ESipa error, nothing installed
    unreachable = f"127.0.0.1:{_free_port()}"
    ci = iot_card.state / "pki" / keys.CI_CERT
    for smdp_address, matching_id, code, es9_for in (
            (unreachable, "IOT", "invalidDpAddress", None),
            (smdp.address, "NOSUCH", "matchingIdRefused", None),
            (smdp.address, "IOT", "invalidDpAddress", https_es9_for([ci]))):
        if es9_for is not None:  # verified against the CI: the certificate names another host
            service.relay.es9_for = es9_for
        queue(directory, "download", eid, "--smdp", smdp_address, "--matching-id",
              matching_id)
        status, answer = lpa(reader, "ipa", "poll", "--indirect")
        assert (status, answer["code"]) == (1, code), answer
        assert kept.results()[-1]["summary"]["result"] == "profileDownloadError"
        assert card_state(iot_card) == installed

    esipa = http_esipa(keys.load(directory).fqdn, tls=True, timeout=30)
    b64 = lambda data: base64.b64encode(data).decode()  # noqa: E731
    refused = {"transactionId": b"\x99", "authenticateErrorCode": 1}
    for function, member, card, answer in (  # a transactionId the eIM never opened
            ("authenticateClient", "authenticateServerResponse", encode(
                rsp(), "AuthenticateServerResponse", ("authenticateResponseError", refused)),
             "BF3B0382010A"),
            ("getBoundProfilePackage", "prepareDownloadResponse", encode(
                rsp(), "PrepareDownloadResponse", ("downloadResponseError", {
                    "transactionId": b"\x99", "downloadErrorCode": 1})), "BF3A0381015F"),
            ("cancelSession", "cancelSessionResponse", bytes.fromhex("BF4103810105"),
             "BF4103810101")):
        body = relay_request(function, {"transactionId": "99", member: b64(card)})
        assert esipa(body) == bytes.fromhex(answer), function
    for body, answer in (("BF3B0404020102", "BF3B0382017F"),  # not the ESipa type
                         ("BF3903040102", "BF390381017F")):
        assert esipa(bytes.fromhex(body)) == bytes.fromhex(answer), body
    with pytest.raises(EsipaUnreachable, match="HTTP 400"):
        esipa(bytes.fromhex("300100"))  # no ESipa message at all
    assert card_state(iot_card) == installed
