"""The remembered certificate checks (euicc.crypto.certs.issued_by, load_checked): the card
verifies the SM-DP+'s CERT.DPauth and CERT.DPpb against its CI (SGP.22 5.7.13
AuthenticateServer, 5.7.5 PrepareDownload: invalidCertificate(1) where the CI's signature
fails). A verdict is remembered by the two encodings, so a certificate changed in any octet
is verified anew, and a certificate that does not load raises every time."""

from pathlib import Path

import pytest
from cryptography import x509

from euicc.crypto import certs
from euicc.pki import generate_test_pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("pki")
    generate_test_pki(directory)
    return directory


def _der(pki: Path, name: str) -> bytes:
    return next(pki.rglob(name)).read_bytes()


def test_a_verdict_is_the_verification_of_those_very_bytes(pki):
    ci = _der(pki, "CERT_CI_ECDSA_NIST.der")
    other_ci = _der(pki, "CERT_CI_ECDSA_BRP.der")
    dpauth = _der(pki, "CERT_S_SM_DPauth_ECDSA_NIST.der")
    for _ in range(2):  # the second answer comes from the memory: the same
        assert certs.issued_by(dpauth, ci) is True
        assert certs.issued_by(dpauth, other_ci) is False
    tampered = bytearray(dpauth)
    tampered[-3] ^= 0x01  # inside the signature value
    tampered = bytes(tampered)
    assert certs.issued_by(tampered, ci) is False
    assert certs.issued_by(dpauth, ci) is True
    assert certs.issued_by(dpauth, ci) == certs.verify_issued_by(
        x509.load_der_x509_certificate(dpauth), x509.load_der_x509_certificate(ci))


def test_a_certificate_that_does_not_load_raises_each_time(pki):
    dpauth = _der(pki, "CERT_S_SM_DPauth_ECDSA_NIST.der")
    assert certs.load_checked(dpauth) is certs.load_checked(dpauth)  # immutable: shared
    for _ in range(2):
        with pytest.raises(ValueError):
            certs.load_checked(dpauth[:-10])
