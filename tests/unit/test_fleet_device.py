"""Devices of a fleet (issue 14, point 2; tools/fleet/device.py) against the test SM-DP+
over real HTTPS on loopback: the whole SGP.22 3.1.3 download with the Install notification
delivered (5.6.4) and removed (5.7.11), management with its notifications (3.2, 3.5), one
kept-alive connection per SM-DP+, the server's certificate verified against the CI; and
every bad input - an unreachable SM-DP+, TLS failures, SM-DP+ errors with their SGP.22
subject and reason codes, malformed ES9+ JSON - a failure of that step with the reason."""

from __future__ import annotations

import base64
import json
import re
import socket
import ssl
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from euicc.pki import generate_test_pki
from euicc_tools.fleet import Fleet
from euicc_tools.fleet.device import Device, DeviceError, Target, parse_activation_code
from tests.support.fleet import SMDP_NAME, https_smdp, profiles_folder, verified_https


@pytest.fixture
def fleet(pki_dir, tmp_path):
    fleet = Fleet(tmp_path / "fleet", pki_dir, "device tests")
    yield fleet
    fleet.close()


@pytest.fixture
def served(pki_dir, tmp_path):
    with https_smdp(pki_dir, profiles_folder(tmp_path / "profiles")) as served:
        yield served


def steps_of(device_steps):
    return [(what, failure is None) for what, _, failure in device_steps]


def test_download_notify_enable_disable_delete_over_verified_https(fleet, served, pki_dir):
    smdp, address, connect_to = served
    seen = []
    device = Device(fleet.card(0), verified_https(pki_dir, connect_to).for_device(),
                    lambda *step: seen.append(step))
    first = device.download(Target(address, "TS48"))
    second = device.download(Target(address, "TS48"))
    assert first["iccid"] != second["iccid"]  # the SM-DP+ gives each download its own
    assert first["notification"]["delivered"] and first["notification"]["removed"]
    assert steps_of(seen[:5]) == [("initiateAuthentication", True),
                                  ("authenticateClient", True),
                                  ("getBoundProfilePackage", True),
                                  ("handleNotification", True), ("download", True)]
    device.enable(first["iccid"])
    device.disable(first["iccid"])
    device.delete(first["iccid"])
    assert device.installed == [second["iccid"]]
    assert [(i.eid, i.iccid.hex(), i.success) for i in smdp.installs] == [
        (device.eid, iccid, True) for iccid in (
            smdp.installs[0].iccid.hex(), smdp.installs[1].iccid.hex())]
    assert len(smdp.notifications) == 5  # two installs, enable, disable, delete
    clients = device._es9_for.clients
    # one connection per SM-DP+ address for the whole session: the download's address and
    # the notificationAddress (the name without the port)
    assert sorted(clients) == sorted({address, SMDP_NAME})
    assert all(c.connections == 1 for c in clients.values())
    device.close()


def test_an_sm_dp_refusal_carries_its_subject_and_reason_codes(fleet, served, pki_dir):
    """SGP.22 5.6.3: an unknown matchingId is subject 8.2.6 (Profile), reason 3.8 (refused)."""
    _, address, connect_to = served
    seen = []
    device = Device(fleet.card(1), verified_https(pki_dir, connect_to).for_device(),
                    lambda *step: seen.append(step))
    with pytest.raises(DeviceError, match="8.2.6/3.8") as caught:
        device.download(Target(address, "NO-SUCH-PROFILE"))
    assert caught.value.code == "8.2.6/3.8"
    assert steps_of(seen) == [("initiateAuthentication", True), ("authenticateClient", False),
                              ("download", False)]
    assert "8.2.6 reason 3.8" in str(seen[1][2])


def test_an_unreachable_sm_dp_is_a_failure_of_the_first_step(fleet, pki_dir):
    seen = []
    device = Device(fleet.card(2), verified_https(pki_dir, "127.0.0.1:1").for_device(),
                    lambda *step: seen.append(step))
    with pytest.raises(DeviceError, match="initiateAuthentication.*refused"):
        device.download(Target(f"{SMDP_NAME}:1", "TS48"))
    assert steps_of(seen) == [("initiateAuthentication", False), ("download", False)]


def test_a_server_certificate_of_another_ci_fails_tls(fleet, served, tmp_path):
    _, address, connect_to = served
    generate_test_pki(tmp_path / "other")
    device = Device(fleet.card(3), verified_https(tmp_path / "other", connect_to)
                    .for_device())
    with pytest.raises(DeviceError, match="TLS: unable to get local issuer certificate"):
        device.download(Target(address, "TS48"))
    # the explicit insecure switch accepts it (as lpac does)
    insecure = Device(fleet.card(3), verified_https(tmp_path / "other", connect_to,
                                                    insecure=True).for_device())
    assert insecure.download(Target(address, "TS48"))["notification"]["delivered"]


def test_a_server_name_the_certificate_does_not_carry_fails_tls(fleet, served, pki_dir):
    _, address, connect_to = served
    device = Device(fleet.card(4), verified_https(pki_dir, connect_to).for_device())
    with pytest.raises(DeviceError, match="TLS: Hostname mismatch"):
        device.download(Target("other.example.com:" + address.rsplit(":")[1], "TS48"))


class Garbage(BaseHTTPRequestHandler):
    """An HTTPS server that answers every ES9+ call with ``answer`` (status, body)."""

    protocol_version = "HTTP/1.1"
    answer = (200, b"{not json")

    def log_message(self, *args):
        pass

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        status, body = self.answer
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.mark.parametrize("status, body, reason", [
    (200, b"{not json", "not an ES9+ response: JSONDecodeError"),
    (200, b"[1, 2]", "not an ES9+ response"),
    (200, json.dumps({"header": {"functionExecutionStatus": {"status": "Executed-Success"}}})
     .encode(), "initiateAuthentication: the answer has no transactionId"),
    (200, json.dumps({"header": {"functionExecutionStatus": {"status": "Executed-Success"}},
                      "transactionId": "01", "serverSigned1": "%%"}).encode(),
     "initiateAuthentication: the answer has no valid serverSigned1"),
    (200, json.dumps({"header": {"functionExecutionStatus": {"status": "Failed"}}}).encode(),
     "refused, subject None reason None"),
    (500, b"", "answered HTTP 500"),
])
def test_malformed_es9_answers_are_failures_with_the_reason(fleet, pki_dir, status, body,
                                                            reason):
    handler = type("Answer", (Garbage,), {"answer": (status, body)})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls = pki_dir / "DPtls"
    context.load_cert_chain(tls / "CERT_S_SM_DP_TLS_NIST.pem", tls / "SK_S_SM_DP_TLS_NIST.pem")
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    port = httpd.server_address[1]
    seen = []
    try:
        device = Device(fleet.card(5), verified_https(pki_dir, f"127.0.0.1:{port}")
                        .for_device(), lambda *step: seen.append(step))
        with pytest.raises(DeviceError, match=re.escape(reason)):
            device.download(Target(f"{SMDP_NAME}:{port}", "TS48"))
    finally:
        httpd.shutdown()
        httpd.server_close()
    # the failing step is the first ES9+ call; the download fails with the same reason
    assert steps_of(seen) == [("initiateAuthentication", False), ("download", False)]
    assert reason in str(seen[0][2]) and reason in str(seen[1][2])


@pytest.mark.parametrize("code, target", [
    ("LPA:1$smdp.example.com$MATCH-1", Target("smdp.example.com", "MATCH-1")),
    ("1$smdp.example.com:8443$M$1.3.6.1.4.1.31746", Target("smdp.example.com:8443", "M")),
])
def test_activation_codes(code, target):
    """SGP.22 4.1: AC_Format 1, SM-DP+ address, AC_Token, optional OID and CC flag."""
    assert parse_activation_code(code) == target


@pytest.mark.parametrize("code, reason", [
    ("LPA:2$smdp.example.com$M", "AC_Format must be 1"),
    ("LPA:1$smdp.example.com", "3 to 5"),
    ("LPA:1$$M", "no SM-DP+ address"),
    ("LPA:1$smdp.example.com$", "no AC_Token"),
    ("LPA:1$smdp.example.com$M$$2", "is not 0 or 1"),
    ("LPA:1$smdp.example.com$M$$1", "requires a confirmation code"),
])
def test_bad_activation_codes_say_what_is_wrong(code, reason):
    with pytest.raises(ValueError, match=re.escape(reason)):
        parse_activation_code(code)


@contextmanager
def raw_server(answer: bytes | None):
    """A TCP server on loopback that sends ``answer`` (not TLS) to each connection and
    closes it, or with None says nothing and keeps it open (a silent SM-DP+)."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            if answer is None:
                accepted.append(connection)
            else:
                connection.sendall(answer)
                connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()
        for connection in accepted:
            connection.close()
        thread.join(5)


@pytest.mark.parametrize("answer, timeout, reason", [
    (b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", 30.0, "TLS: "),  # no TLS
    (None, 0.3, "timed out"),  # accepts, never answers
])
def test_a_peer_that_is_no_tls_sm_dp_fails_the_first_step(fleet, pki_dir, answer, timeout,
                                                          reason):
    seen = []
    with raw_server(answer) as port:
        device = Device(fleet.card(6), verified_https(pki_dir, f"127.0.0.1:{port}",
                                                      timeout=timeout).for_device(),
                        lambda *step: seen.append(step))
        with pytest.raises(DeviceError, match="initiateAuthentication.*" + reason):
            device.download(Target(f"{SMDP_NAME}:{port}", "TS48"))
    assert steps_of(seen) == [("initiateAuthentication", False), ("download", False)]


def garbling(es9, function: str, change):
    """``es9`` with ``function``'s answer passed through ``change``."""
    def call(name: str, body: dict):
        answer = es9(name, body)
        return change(answer) if name == function else answer
    return call


@pytest.mark.parametrize("function, change, reason", [
    ("authenticateClient", lambda a: {**a, "smdpSigned2": "%%"},
     "authenticateClient: the answer has no valid smdpSigned2"),
    ("authenticateClient", lambda a: {k: v for k, v in a.items() if k != "transactionId"},
     "authenticateClient: the answer has no transactionId"),
    ("getBoundProfilePackage", lambda a: {**a, "boundProfilePackage": 7},
     "getBoundProfilePackage: the answer has no valid boundProfilePackage"),
])
def test_a_malformed_later_answer_fails_its_own_step(fleet, pki_dir, tmp_path, function,
                                                     change, reason):
    from euicc_tools.smdp.es9 import Smdp
    from euicc_tools.testkit.in_process_es9 import es9_direct

    smdp = Smdp(SMDP_NAME, pki_dir, profiles_folder(tmp_path / "profiles"))
    seen = []
    device = Device(fleet.card(7), lambda address: garbling(es9_direct(smdp), function,
                                                            change),
                    lambda *step: seen.append(step))
    with pytest.raises(DeviceError, match=re.escape(reason)):
        device.download(Target(SMDP_NAME, "TS48"))
    assert (function, False) in steps_of(seen) and steps_of(seen)[-1] == ("download", False)
    assert [what for what, ok in steps_of(seen) if not ok] == [function, "download"]


def test_a_bound_profile_package_the_card_refuses_fails_the_download_with_its_reason(
        fleet, pki_dir, tmp_path):
    """A BPP that is no BPP of this session (an empty InitialiseSecureChannel): the card
    answers with a ProfileInstallationResult naming its error (SGP.22 5.7.6, errorReason
    scp03tStructureError at initialiseSecureChannel), the download fails with that code,
    and the card downloads again."""
    from euicc_tools.smdp.es9 import Smdp
    from euicc_tools.testkit.in_process_es9 import es9_direct

    smdp = Smdp(SMDP_NAME, pki_dir, profiles_folder(tmp_path / "profiles"))
    junk = base64.b64encode(bytes.fromhex("BF3603800100")).decode()
    seen = []
    device = Device(fleet.card(8), lambda address: garbling(
        es9_direct(smdp), "getBoundProfilePackage",
        lambda a: {**a, "boundProfilePackage": junk}), lambda *step: seen.append(step))
    with pytest.raises(DeviceError) as caught:
        device.download(Target(SMDP_NAME, "TS48"))
    assert caught.value.code == "scp03tStructureError"
    assert "initialiseSecureChannel" in str(caught.value)
    assert steps_of(seen)[-1] == ("download", False)
    again = Device(fleet.card(8), lambda address: es9_direct(smdp))
    assert again.download(Target(SMDP_NAME, "TS48"))["iccid"]
