"""What the hostile-input tests build: the PKI of a second SM-DP+ under the same CIs, a
StoreMetadata that lies about the package, and a snapshot of everything a card stores."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from euicc.pki import read_certificate, read_private_key
from euicc_tools.smdp.profiles import Profile, store_metadata

OTHER_SMDP_OID = "2.999.12"  # the SM-DP+ of the test PKI is 2.999.10 (SGP.26 registeredID)
CURVES = ("NIST", "BRP")


def reissue(certificate: x509.Certificate, issuer_key: ec.EllipticCurvePrivateKey,
            smdp_oid: str | None = None, without: tuple[type, ...] = (),
            ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """The same certificate profile (extensions, criticality, names) for a fresh key, signed
    by ``issuer_key``; with ``smdp_oid`` its subjectAltName names that SM-DP+ instead, and
    the extension types in ``without`` are left out."""
    key = ec.generate_private_key(issuer_key.curve)
    now = datetime.now(UTC).replace(microsecond=0)
    builder = (x509.CertificateBuilder().subject_name(certificate.subject)
               .issuer_name(certificate.issuer).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(days=1))
               .not_valid_after(now + timedelta(days=365)))
    for extension in certificate.extensions:
        value = extension.value
        if isinstance(value, without):
            continue
        if isinstance(value, x509.SubjectKeyIdentifier):
            value = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        elif isinstance(value, x509.SubjectAlternativeName) and smdp_oid is not None:
            value = x509.SubjectAlternativeName(
                [x509.RegisteredID(x509.ObjectIdentifier(smdp_oid))])
        builder = builder.add_extension(value, extension.critical)
    return builder.sign(issuer_key, hashes.SHA256()), key


def other_smdp_pki(pki_dir: Path, target: Path, role: str = "DPpb",
                   smdp_oid: str = OTHER_SMDP_OID) -> Path:
    """A copy of the test PKI whose ``role`` certificates (both curves) belong to another
    SM-DP+: same CI, same certificate profile, another key and SM-DP+ OID."""
    shutil.copytree(pki_dir, target)
    for curve in CURVES:
        ci_key = read_private_key(target / "CertificateIssuerKeys" / f"SK_CI_ECDSA_{curve}.pem")
        cert_path = target / role / f"CERT_S_SM_{role}_ECDSA_{curve}.der"
        cert, key = reissue(read_certificate(cert_path), ci_key, smdp_oid)
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.DER))
        (target / role / f"SK_S_SM_{role}_ECDSA_{curve}.pem").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption()))
    return target


def lying_metadata(profile: Profile, provider: str, address: str) -> bytes:
    """StoreMetadata naming another ICCID than the package's ProfileHeader (last digit pair
    changed), for a dishonest SM-DP+ (euicc_tools.smdp.es9.Smdp.metadata_for)."""
    iccid = bytearray(profile.iccid)
    iccid[-2] ^= 0x11
    return store_metadata(dataclasses.replace(profile, iccid=bytes(iccid)), provider, address)


STORE_TABLES = ("profiles", "isdp_content", "isdp_image", "isdp_files", "isdp_secrets",
                "notifications")


def store_snapshot(store) -> dict[str, list]:
    """Every row of the card's profile and notification tables, and its metadata."""
    db = store._db
    snapshot = {table: db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
                for table in STORE_TABLES}
    snapshot["meta"] = db.execute("SELECT * FROM meta ORDER BY key").fetchall()
    return snapshot


def rows(store, table: str) -> int:
    return store._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
