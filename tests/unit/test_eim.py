"""The test eIM (tools/eim) and the IPA flows of ``euicc-lpa ipa`` in-process: the ESipa
codec of the ASN.1 binding (SGP.32 6.1.2, 6.3: one tag per implicit alternative), the queue
(counterValue per EID persisted, 2.11.1.1), the signing of packages at fetch with the eUICC
Data Request first when the eIM lacks the eUICC certificate (2.11.1.2), results verified
(2.11.2.1) and acknowledged (2.11.1.4); ``euicc-emu pki eim``; the LPA's exit statuses."""

from __future__ import annotations

import io
import json
import socket

import pytest
from cryptography import x509

from euicc.asn1 import decode_exact, encode, sgp32
from euicc.crypto.ecdsa import verify_raw
from euicc_tools.eim import esipa, keys
from euicc_tools.eim.__main__ import STATE
from euicc_tools.eim.__main__ import main as eim_main
from euicc_tools.eim.queue import EimQueue, QueueError
from euicc_tools.eim.service import EimService
from euicc_tools.emulator.card import build_card
from euicc_tools.emulator.cli import main as emu_main
from euicc_tools.lpa.cli import build_parser, run
from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.esipa import http_esipa
from euicc_tools.lpa.link import DirectLink
from euicc_tools.personalities import load_personality

EID = "89049032123451234512345678901235"


@pytest.fixture
def eim(tmp_path):
    credentials = keys.generate(tmp_path / "eim", "eim.test", "127.0.0.1:8000")
    queue = EimQueue(tmp_path / "eim" / STATE)
    yield EimService(credentials, queue)
    queue.close()


def test_codec_tags_as_the_peers_send_them():
    """6.3.2.6 noEimPackageAvailable, 6.3.2.7 eimAcknowledgements: one tag each."""
    assert esipa.no_package() == bytes.fromhex("BF4F03020101")
    assert esipa.acknowledgements([1, 2]) == bytes.fromhex("BF5009BF5306800101800102")
    request = esipa.to_eim("getEimPackageRequest", {"eidValue": bytes.fromhex(EID)})
    assert request[:4] == bytes.fromhex("BF4F125A")
    assert esipa.decode_from_ipa(request) == ("getEimPackageRequest",
                                              {"eidValue": bytes.fromhex(EID)})
    with pytest.raises(esipa.EsipaError):
        esipa.decode_from_ipa(request[:-1])
    with pytest.raises(esipa.EsipaError):  # an eIM -> IPA message is no IPA -> eIM one
        esipa.decode_from_ipa(esipa.no_package())


def test_queue_counter_persisted_and_orders_in_turn(tmp_path):
    queue = EimQueue(tmp_path / STATE)
    first = queue.add(EID, "psmo", [{"getRAT": {}}])
    queue.add(EID, "download", [{"activationCode": "1$a.example$X"}])
    assert queue.next_counter(EID, 5) == 6 and queue.next_counter(EID, 5) == 7
    assert queue.next_queued(EID).id == first
    queue.mark_sent(first, 7, b"\x01", b"")
    assert queue.next_queued(EID).kind == "download"
    assert queue.next_queued("8" * 32) is None
    queue.close()
    queue = EimQueue(tmp_path / STATE)  # reopened: the counterValue is still there
    assert queue.counter(EID) == 7 and queue.next_counter(EID, 5) == 8
    for bad in ((EID[:-1], "psmo", [], None), (EID, "shout", [], None),
                (EID, "psmo", [], {"loud": 1})):
        with pytest.raises(QueueError):
            queue.add(*bad)
    queue.close()


def test_package_signed_at_fetch_after_the_certificates(eim):
    eim.queue.add(EID, "psmo", [{"getRAT": {}}])
    kind, value = esipa.decode_from_eim(eim.get_package(EID))
    assert (kind, value) == ("getEimPackageResponse", (
        "ipaEuiccDataRequest", {"tagList": bytes.fromhex("A5A6")}))  # certificates first
    eim.queue.set_certificates(EID, b"cert", None)
    answer = eim.get_package(EID)
    kind, (alternative, request) = esipa.decode_from_eim(answer)
    assert alternative == "euiccPackageRequest" and answer[3:5] == b"\xbf\x51"
    signed = request["euiccPackageSigned"]
    assert (signed["eimId"], signed["eidValue"].hex().upper(), signed["counterValue"]) == (
        "eim.test", EID, 1)
    assert verify_raw(eim.credentials.key.public_key(),
                      encode(sgp32(), "EuiccPackageSigned", signed), request["eimSignature"])
    assert eim.get_package(EID) == esipa.no_package()
    eim.queue.add(EID, "psmo", [{"getRAT": {}}], {"signature": "bad", "counter": 1})
    _, (_, spoiled) = esipa.decode_from_eim(eim.get_package(EID))
    assert spoiled["euiccPackageSigned"]["counterValue"] == 1
    assert not verify_raw(eim.credentials.key.public_key(), encode(
        sgp32(), "EuiccPackageSigned", spoiled["euiccPackageSigned"]), spoiled["eimSignature"])
    assert eim.queue.counter(EID) == 1  # a fixed counter takes no new value
    # the unsigned refusal (2.11.2.1) is kept with the oldest package sent, not acknowledged
    body = esipa.to_eim("provideEimPackageResult", ("euiccPackageResult", (
        "euiccPackageErrorUnsigned", {"eimId": "eim.test"})))
    assert eim.handle(body) == esipa.acknowledgements([]) == bytes.fromhex("BF5000")
    [result] = eim.queue.results(EID)
    assert result["summary"]["result"] == "euiccPackageErrorUnsigned"
    with pytest.raises(QueueError):
        eim.check_items("psmo", [{"enable": {"iccid": "not hex"}}])


def lpa_run(card, service, *argv):
    args = build_parser().parse_args(["--json", *argv])
    args.esipa_for = lambda address: service.handle
    out, err = io.StringIO(), io.StringIO()
    status = run(args, DirectLink(card), lambda address: None, out, err)
    return status, json.loads(out.getvalue())


def test_ipa_poll_in_process(eim, store, credentials, tmp_path):
    card = build_card(store, credentials, personality=load_personality("iot"))
    card.power_on()
    status, answer = lpa_run(card, eim, "ipa", "poll")
    assert (status, answer["code"], answer["operation"]) == (1, "noEim", "ipa poll")
    status, answer = lpa_run(card, eim, "ipa", "add-initial-eim", str(tmp_path / "none.der"))
    assert status == 2, answer
    (tmp_path / "bad.der").write_bytes(b"\xbf\x57\x01")
    assert lpa_run(card, eim, "ipa", "add-initial-eim", str(tmp_path / "bad.der"))[0] == 2
    request = eim.credentials.directory / keys.ADD_INITIAL_EIM
    assert lpa_run(card, eim, "ipa", "add-initial-eim", str(request))[0] == 0
    status, answer = lpa_run(card, eim, "ipa", "add-initial-eim", str(request))
    assert (status, answer["code"]) == (1, "unsignedEimConfigDisallowed")  # 5.9.4
    eim.queue.add(credentials.eid, "psmo", [{"getRAT": {}}])
    status, answer = lpa_run(card, eim, "ipa", "poll", "--loop")
    assert status == 0, answer
    assert [r["package"] for r in answer["data"]["rounds"]] == [
        "ipaEuiccDataRequest", "euiccPackageRequest", None]
    assert eim.queue.results(credentials.eid)[-1]["verified"] is True
    eim.queue.add(credentials.eid, "psmo", [{"getRAT": {}}], {"counter": 1})
    status, answer = lpa_run(card, eim, "ipa", "poll")
    assert (status, answer["code"]) == (1, "replayError")  # 2.11.2.1 replayError(4)
    assert answer["data"]["eimId"] == "eim.test"  # the round's report, with the refusal
    # a result left on the card (its report lost) goes to the eIM at the next poll, and is
    # removed once acknowledged (5.9.11 euiccPackageResults, 2.11.1.4, 5.9.12)
    order = eim.queue.add(credentials.eid, "psmo", [{"getRAT": {}}])
    request, counter, transaction = eim.sign(eim.queue.next_queued(credentials.eid))
    eim.queue.mark_sent(order, counter, transaction, request)
    client = Es10Client(DirectLink(card))
    client.open()
    seq = decode_exact(sgp32(), "EuiccPackageResult", client.store_data(request))[1][
        "euiccPackageResultDataSigned"]["seqNumber"]
    client.close()
    status, answer = lpa_run(card, eim, "ipa", "poll")
    assert status == 0 and answer["data"]["results"] == [
        {"acknowledged": [seq], "removed": [seq]}], answer
    assert eim.queue.results(credentials.eid)[-1]["verified"] is True
    assert lpa_run(card, eim, "ipa", "poll")[1]["data"]["results"] == []


def test_eim_unreachable_is_exit_3(store, credentials, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    card = build_card(store, credentials, personality=load_personality("iot"))
    card.power_on()
    made = keys.generate(tmp_path / "e", "eim.test", f"127.0.0.1:{port}")
    args = build_parser().parse_args(["--json", "ipa", "add-initial-eim",
                                      str(made.directory / keys.ADD_INITIAL_EIM)])
    assert run(args, DirectLink(card), lambda a: None, io.StringIO(), io.StringIO()) == 0
    args = build_parser().parse_args(["--json", "ipa", "poll"])
    args.esipa_for = lambda address: http_esipa(address, tls=True, timeout=5)
    out = io.StringIO()
    assert run(args, DirectLink(card), lambda a: None, out, io.StringIO()) == 3
    assert f"127.0.0.1:{port}" in json.loads(out.getvalue())["error"]


def test_pki_eim_under_the_test_ci(tmp_path, capsys):
    assert emu_main(["pki", "init", str(tmp_path / "pki")]) == 0
    assert emu_main(["pki", "eim", str(tmp_path / "eim"), "--ci", str(tmp_path / "pki"),
                     "--fqdn", "127.0.0.1:9000"]) == 0
    cert = x509.load_der_x509_certificate((tmp_path / "eim" / keys.CERT).read_bytes())
    ci = x509.load_der_x509_certificate((tmp_path / "pki" / keys.CI_CERT).read_bytes())
    assert cert.issuer == ci.subject
    cert.verify_directly_issued_by(ci)
    request = decode_exact(sgp32(), "AddInitialEimRequest",
                           (tmp_path / "eim" / keys.ADD_INITIAL_EIM).read_bytes())
    [config] = request["eimConfigurationDataList"]
    assert (config["eimFqdn"], config["counterValue"]) == ("127.0.0.1:9000", 0)
    assert emu_main(["pki", "eim", str(tmp_path / "eim")]) == 1  # no overwrite
    assert eim_main(["--dir", str(tmp_path / "eim"), "psmo", EID, "nonsense"]) == 1
    assert eim_main(["--dir", str(tmp_path / "none"), "orders"]) == 1
