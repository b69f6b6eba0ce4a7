"""ESipa.TransferEimPackage (SGP.32 6.3.3.1), the eIM-initiated push: ``euicc-lpa ipa
listen`` on HTTPS with the IoT card (``--personality iot``) in a vpcd reader of the real
pcscd, the test eIM pushing (``python -m euicc_tools.eim push``, the IPA's certificate
verified against the CA given, SGP.32 6.1): the eUICC Data Request for the certificates
(2.11.1.2), a PSMO package whose EuiccPackageResult comes back in the answer and is
verified, its seqNumber then pushed as eimAcknowledgements (2.11.1.4) and removed from the
card (5.9.12), and a Profile Download Trigger taken (eimPackageReceived), carried out after
the answer and its result sent to the eIM's server (ProvideEimPackageResult, 6.3.2.7). Bad
input: a body that is no TransferEimPackageRequest is eimPackageError
invalidPackageFormat(1), an IPA that is not there is the eIM's error, exit 1."""

from __future__ import annotations

import datetime
import json
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.request

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from euicc.asn1 import decode_exact, sgp32
from euicc.store import CardStore
from euicc_tools.eim import keys
from euicc_tools.eim.__main__ import main as eim_main
from tests.integration.test_ipa_eim_pcsc import (  # noqa: F401 - fixtures
    ICCID,
    _free_port,
    eim,
    iot_card,
    lpa,
    queue,
    smdp,
)

pytestmark = pytest.mark.integration


def self_signed(directory) -> tuple:
    """A TLS certificate and key for the IPA's listener (127.0.0.1), PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test IPA")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = directory / "ipa-tls.pem", directory / "ipa-tls.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def wait_listening(port: int, listener) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert listener.poll() is None, listener.communicate()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the IPA did not start listening")


def test_the_eim_pushes_to_a_listening_ipa(iot_card, smdp, eim, tmp_path):  # noqa: F811
    directory, kept = eim
    reader = iot_card.reader
    status, answer = lpa(reader, "ipa", "add-initial-eim", str(directory / keys.ADD_INITIAL_EIM))
    assert status == 0, answer
    eid = lpa(reader, "info")[1]["data"]["eid"]
    cert, key = self_signed(tmp_path)
    port = _free_port()
    listener = subprocess.Popen(
        [sys.executable, "-m", "euicc_tools.lpa", "--json", "--reader", reader, "ipa",
         "listen", "--port", str(port), "--tls-cert", str(cert), "--tls-key", str(key),
         "--count", "5"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ))
    try:
        wait_listening(port, listener)
        ipa = ["--ipa", f"127.0.0.1:{port}"]
        # an IPA that is not there, and one whose certificate is not the CA's: the order
        # stays queued
        queue(directory, "psmo", eid, "listProfileInfo")
        assert eim_main(["--dir", str(directory), "push", eid, "--ipa", "127.0.0.1:9",
                         "--insecure"]) == 1
        assert eim_main(["--dir", str(directory), "push", eid, *ipa, "--ipa-ca",
                         str(directory / keys.TLS_CERT)]) == 1  # not its CA: refused
        assert [(o.kind, o.state) for o in kept.orders(eid)] == [("psmo", "queued")]
        # bad input to the IPA: no TransferEimPackageRequest (push 1)
        context = ssl._create_unverified_context()
        request = urllib.request.Request(f"https://127.0.0.1:{port}/gsma/rsp2/asn1",
                                         bytes.fromhex("BF4F00"))
        with urllib.request.urlopen(request, context=context, timeout=30) as reply:
            refused = reply.read()
        assert decode_exact(sgp32(), "EsipaMessageFromIpaToEim", refused) == (
            "transferEimPackageResponse", ("eimPackageError", 1))
        # the certificates, the package, its acknowledgement (pushes 2-4)
        assert eim_main(["--dir", str(directory), "push", eid, *ipa, "--ipa-ca", str(cert),
                         "--all"]) == 0
        results = kept.results(eid)
        assert [r["kind"] for r in results] == ["ipaEuiccDataResponse", "euiccPackageResult"]
        assert results[1]["verified"] is True
        # a download trigger (push 5): taken, carried out, reported to the eIM's server
        queue(directory, "download", eid, "--smdp", smdp.address, "--matching-id", "IOT")
        assert eim_main(["--dir", str(directory), "push", eid, *ipa, "--ipa-ca",
                         str(cert)]) == 0
        out, err = listener.communicate(timeout=180)
    finally:
        if listener.poll() is None:
            listener.kill()
    assert listener.returncode == 0, err
    report = json.loads(out)["data"]
    assert [t.get("package") for t in report["transfers"]] == [
        None, "ipaEuiccDataRequest", "euiccPackageRequest", "eimAcknowledgements",
        "profileDownloadTriggerRequest"]
    assert report["transfers"][3]["removed"] == [results[1]["summary"]["seqNumber"]]
    assert report["transfers"][4]["result"] == "installed"
    assert kept.results(eid)[-1]["kind"] == "profileDownloadTriggerResult"
    store = CardStore(iot_card.state)
    try:
        assert [p.iccid_digits for p in store.profiles()] == [ICCID]
        assert store.package_results() == []  # acknowledged, removed
    finally:
        store.close()
