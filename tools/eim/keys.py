"""The test eIM's credentials (``euicc-emu pki eim DIR``): its signing key (NIST P-256, SGP.32
2.11.1.1: eimSignature is ECDSA as SGP.22 2.6.5), a certificate of that key issued by the
test CI when a PKI folder with the CI's key is given, else self-signed (2.11.1.1.1 lets the
eIM Configuration Data carry either eimPublicKey or eimCertificate), a TLS key and
certificate for ESipa over HTTPS (6.1.1), ``eim.json`` (eimId, eimFqdn, the initial
counterValue) and ``add_initial_eim.der``: the AddInitialEimRequest (5.9.4) that associates
the eIM with a card (``euicc-lpa ipa add-initial-eim FILE``).

Test material only: the private keys are written unencrypted (mode 0600)."""

from __future__ import annotations

import ipaddress
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from euicc.asn1 import encode, sgp32

KEY, CERT = "SK_EIM_ECDSA_NIST.pem", "CERT_EIM_ECDSA_NIST.der"
TLS_KEY, TLS_CERT = "SK_EIM_TLS_NIST.pem", "CERT_EIM_TLS_NIST.pem"
CONFIG, ADD_INITIAL_EIM = "eim.json", "add_initial_eim.der"
CI_KEY = Path("CertificateIssuerKeys") / "SK_CI_ECDSA_NIST.pem"
CI_CERT = Path("CertificateIssuer") / "CERT_CI_ECDSA_NIST.der"


class EimKeyError(Exception):
    """Credentials that cannot be made or read (message names the file)."""


@dataclass
class EimCredentials:
    eim_id: str
    fqdn: str
    initial_counter: int
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    directory: Path

    @property
    def tls_files(self) -> tuple[Path, Path]:
        return self.directory / TLS_CERT, self.directory / TLS_KEY

    def spki(self) -> dict:
        der = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return sgp32().modules["PKIX1Explicit88"]["SubjectPublicKeyInfo"].decode(der)

    def configuration(self) -> dict:
        """EimConfigurationData (2.11.1.1.1) for AddInitialEim or the addEim eCO."""
        return {"eimId": self.eim_id, "eimFqdn": self.fqdn,
                "counterValue": self.initial_counter,
                "eimPublicKeyData": ("eimPublicKey", self.spki())}

    def add_initial_eim_request(self) -> bytes:
        return encode(sgp32(), "AddInitialEimRequest",
                      {"eimConfigurationDataList": [self.configuration()]})


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "euicc-emu test eIM")])


def _certificate(subject: str, key, issuer: x509.Name, issuer_key, extensions) -> x509.Certificate:
    now = datetime.now(UTC).replace(microsecond=0)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(issuer)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(days=1))
               .not_valid_after(now + timedelta(days=365 * 10)))
    for extension in extensions:
        builder = builder.add_extension(extension, critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, data: bytes, private: bool = False) -> None:
    path.write_bytes(data)
    if private:
        os.chmod(path, 0o600)


def _pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _tls_names(fqdn: str) -> list[x509.GeneralName]:
    host = fqdn.rsplit(":", 1)[0] if fqdn.count(":") == 1 else fqdn
    names: list[x509.GeneralName] = [x509.DNSName("localhost"),
                                     x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    try:
        names.append(x509.IPAddress(ipaddress.ip_address(host)))
    except ValueError:
        names.append(x509.DNSName(host))
    return list(dict.fromkeys(names))


def generate(directory: Path, eim_id: str, fqdn: str, ci_pki: Path | None = None,
             initial_counter: int = 0, overwrite: bool = False) -> EimCredentials:
    """Write the eIM's key, certificate, TLS pair, eim.json and add_initial_eim.der."""
    directory = Path(directory)
    files = [directory / n for n in (KEY, CERT, TLS_KEY, TLS_CERT, CONFIG, ADD_INITIAL_EIM)]
    existing = [str(p) for p in files if p.exists()]
    if existing and not overwrite:
        raise EimKeyError(f"refusing to overwrite {', '.join(existing)} (use --force)")
    key = ec.generate_private_key(ec.SECP256R1())
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    if ci_pki is not None:
        try:
            ci_key = serialization.load_pem_private_key((ci_pki / CI_KEY).read_bytes(), None)
            ci = x509.load_der_x509_certificate((ci_pki / CI_CERT).read_bytes())
        except (OSError, ValueError) as exc:
            raise EimKeyError(f"the test CI in {ci_pki}: {exc}") from None
        ci_ski = ci.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        cert = _certificate(eim_id, key, ci.subject, ci_key, [
            ski, x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ci_ski)])
    else:
        cert = _certificate(eim_id, key, _name(eim_id), key, [ski])
    tls_key = ec.generate_private_key(ec.SECP256R1())
    tls = _certificate(fqdn, tls_key, _name(fqdn), tls_key,
                       [x509.SubjectAlternativeName(_tls_names(fqdn))])
    directory.mkdir(parents=True, exist_ok=True)
    _write(directory / KEY, _pem(key), private=True)
    _write(directory / CERT, cert.public_bytes(serialization.Encoding.DER))
    _write(directory / TLS_KEY, _pem(tls_key), private=True)
    _write(directory / TLS_CERT, tls.public_bytes(serialization.Encoding.PEM))
    _write(directory / CONFIG, json.dumps({"eimId": eim_id, "eimFqdn": fqdn,
                                           "counterValue": initial_counter}, indent=1).encode())
    credentials = EimCredentials(eim_id, fqdn, initial_counter, key, cert, directory)
    _write(directory / ADD_INITIAL_EIM, credentials.add_initial_eim_request())
    return credentials


def load(directory: Path) -> EimCredentials:
    directory = Path(directory)
    try:
        config = json.loads((directory / CONFIG).read_text())
        key = serialization.load_pem_private_key((directory / KEY).read_bytes(), None)
        cert = x509.load_der_x509_certificate((directory / CERT).read_bytes())
        return EimCredentials(config["eimId"], config["eimFqdn"], int(config["counterValue"]),
                              key, cert, directory)
    except (OSError, ValueError, KeyError) as exc:
        raise EimKeyError(f"eIM credentials in {directory} (euicc-emu pki eim DIR): "
                          f"{exc}") from None
