"""Test PKI for the eUICC: generation and loading of card credentials.

Certificate profiles follow SGP.22 4.5.2 (Certificates) as instantiated by the GSMA SGP.26
test certificates, extension by extension (order, criticality, registeredID SANs, CRL
distribution points). The EID (SGP.29) is 32 digits whose last two are ISO 7064 MOD 97-10
check digits, as for an IBAN: the whole number mod 97 == 1.

On-disk layout written by :func:`generate_test_pki`; it doubles as an osmo-smdpp certs
directory (``osmo-smdpp.py -c <directory>``, add ``-b`` for brainpool)::

    CertificateIssuer/CERT_CI_ECDSA_{NIST,BRP}.der     trusted CIs (osmo-smdpp parses every
                                                      .der/.pem here as a CI certificate)
    CertificateIssuerKeys/SK_CI_ECDSA_{NIST,BRP}.pem  CI keys, kept out of CertificateIssuer/
    DPauth/CERT_S_SM_DPauth_ECDSA_{NIST,BRP}.der + SK_S_SM_DPauth_ECDSA_{NIST,BRP}.pem
    DPpb/CERT_S_SM_DPpb_ECDSA_{NIST,BRP}.der     + SK_S_SM_DPpb_ECDSA_{NIST,BRP}.pem
    DPtls/CERT_S_SM_DP_TLS_{NIST,BRP}.der/.pem   + SK_S_SM_DP_TLS_{NIST,BRP}.pem
    EUM/CERT_EUM_ECDSA_{NIST,BRP}.der            + SK_EUM_ECDSA_{NIST,BRP}.pem
    eUICC/CERT_EUICC_ECDSA_{NIST,BRP}.der        + SK_EUICC_ECDSA_{NIST,BRP}.pem

Keys are PEM "EC PARAMETERS" + SEC1 "EC PRIVATE KEY" like the SGP.26 files, mode 0600.
:func:`load_card_credentials` finds files by these SGP.26 names anywhere below a folder, so
it also reads a flat SGP.26 folder.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from euicc.crypto import certs
from euicc.crypto.ecdsa import curve_name, generate_private_key

DEFAULT_EID_PREFIX = "89049032"
_SUFFIX = {"nist": "NIST", "brp": "BRP"}  # curve -> SGP.26 file name suffix
_EC_PARAMETERS = {"nist": "06082A8648CE3D030107", "brp": "06092B2403030208010107"}  # curve OIDs
_CRL_A = "http://ci.test.example.com/CRL-A.crl"
_CRL_B = "http://ci.test.example.com/CRL-B.crl"
_RID_CI, _RID_EUM, _RID_DP = "2.999.1", "2.999.5", "2.999.10"  # SGP.26 test registeredIDs
_NO_EXPIRY = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)  # RFC 5280 4.1.2.5
_Key = ec.EllipticCurvePrivateKey


class PkiError(Exception):
    """Unusable or inconsistent PKI material."""


# --- EID (SGP.29) ---------------------------------------------------------------------------

def eid_with_check_digits(prefix30: str) -> str:
    """Append the two MOD 97-10 check digits to the first 30 EID digits."""
    if len(prefix30) != 30 or not (prefix30.isascii() and prefix30.isdigit()):
        raise ValueError(f"EID body must be 30 decimal digits, got {prefix30!r}")
    return f"{prefix30}{98 - int(prefix30 + '00') % 97:02d}"


def eid_is_valid(eid: str) -> bool:
    """True for 32 decimal digits whose value mod 97 == 1."""
    return (isinstance(eid, str) and len(eid) == 32 and eid.isascii() and eid.isdigit()
            and int(eid) % 97 == 1)


def random_eid(prefix: str = DEFAULT_EID_PREFIX) -> str:
    """A random valid EID starting with ``prefix``."""
    body = prefix + "".join(secrets.choice("0123456789") for _ in range(30 - len(prefix)))
    return eid_with_check_digits(body)


def _check_eid(eid: str) -> None:
    if not eid_is_valid(eid):
        raise PkiError(f"invalid EID {eid!r} (32 digits, MOD 97-10 check digits)")


# --- data model -----------------------------------------------------------------------------

@dataclass(frozen=True)
class EuiccIdentity:
    """One eUICC key + certificate chain; ci_pkid = SKI of the CI that issued the EUM."""

    curve: str
    private_key: _Key
    certificate_der: bytes
    eum_certificate_der: bytes
    ci_pkid: bytes


@dataclass(frozen=True)
class TrustedCi:
    """A CI certificate the card trusts for verification; its SKI is the PKID."""

    curve: str
    pkid: bytes
    certificate_der: bytes


@dataclass(frozen=True)
class CardCredentials:
    eid: str
    identities: tuple[EuiccIdentity, ...]
    trusted_cis: tuple[TrustedCi, ...]

    def identity_for_ci(self, pkid: bytes) -> EuiccIdentity | None:
        return next((i for i in self.identities if i.ci_pkid == pkid), None)

    @property
    def pkids_for_verification(self) -> tuple[bytes, ...]:
        """euiccCiPKIdListForVerification: every trusted CI."""
        return tuple(dict.fromkeys(ci.pkid for ci in self.trusted_cis))

    @property
    def pkids_for_signing(self) -> tuple[bytes, ...]:
        """euiccCiPKIdListForSigning: the CIs for which the card holds a certificate chain."""
        return tuple(dict.fromkeys(i.ci_pkid for i in self.identities))


# --- files ----------------------------------------------------------------------------------

def _key_pem(key: _Key) -> bytes:
    params = base64.b64encode(bytes.fromhex(_EC_PARAMETERS[curve_name(key)])).decode()
    sec1 = key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())
    return f"-----BEGIN EC PARAMETERS-----\n{params}\n-----END EC PARAMETERS-----\n".encode() + sec1


def _write(path: Path, data: bytes, private: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as f:
        if private:
            os.fchmod(f.fileno(), 0o600)
        f.write(data)


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def read_certificate(path: Path) -> x509.Certificate:
    try:
        return certs.load_certificate(path.read_bytes())
    except ValueError as e:
        raise PkiError(f"{path}: not a certificate ({e})") from None


def read_private_key(path: Path) -> _Key:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as e:
        raise PkiError(f"{path}: not an unencrypted PEM private key ({e})") from None
    if not isinstance(key, _Key):
        raise PkiError(f"{path}: not an EC private key")
    return key


# --- certificate profiles (SGP.22 4.5.2, as in SGP.26) --------------------------------------

def _name(*attrs: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in attrs])


def _key_usage(**flags: bool) -> x509.KeyUsage:
    names = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
             "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")
    return x509.KeyUsage(**{n: flags.get(n, False) for n in names})


def _policy(oid: x509.ObjectIdentifier) -> x509.CertificatePolicies:
    return x509.CertificatePolicies([x509.PolicyInformation(oid, None)])


def _crl_points(*uris: str) -> x509.CRLDistributionPoints:
    return x509.CRLDistributionPoints([x509.DistributionPoint(
        [x509.UniformResourceIdentifier(u)], None, None, None) for u in uris])


def _rid(oid: str) -> x509.RegisteredID:
    return x509.RegisteredID(x509.ObjectIdentifier(oid))


def _issue(subject: x509.Name, public_key: ec.EllipticCurvePublicKey,
           issuer: x509.Certificate | None, issuer_key: _Key, not_after: datetime,
           extensions: Iterable[tuple[x509.ExtensionType | str, bool]],
           reproducible: Reproducible | None = None) -> x509.Certificate:
    """Sign a certificate; the items "SKI" / "AKI" place the key identifiers in the order.
    ``reproducible``: its serial number and start of validity, and a deterministic ECDSA
    signature (RFC 6979), so that the same inputs give the same certificate bytes."""
    if reproducible is None:
        serial = secrets.randbits(63) | 1 << 62
        not_before = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    else:
        serial, not_before = reproducible.serial, reproducible.not_before
    builder = (x509.CertificateBuilder().subject_name(subject)
               .issuer_name(subject if issuer is None else issuer.subject)
               .public_key(public_key).serial_number(serial)
               .not_valid_before(not_before).not_valid_after(not_after))
    for ext, critical in extensions:
        if ext == "SKI":
            ext = x509.SubjectKeyIdentifier.from_public_key(public_key)
        elif ext == "AKI":
            ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
            ext = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
        builder = builder.add_extension(ext, critical)
    return builder.sign(issuer_key, hashes.SHA256(),
                        ecdsa_deterministic=reproducible is not None or None)


def _years(n: int) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(days=365 * n)


def _make_ci(curve: str) -> tuple[_Key, x509.Certificate]:
    key = generate_private_key(curve)
    subject = _name((NameOID.COMMON_NAME, "Test CI"),
                    (NameOID.ORGANIZATIONAL_UNIT_NAME, "TESTCERT"),
                    (NameOID.ORGANIZATION_NAME, "RSPTEST"), (NameOID.COUNTRY_NAME, "IT"))
    return key, _issue(subject, key.public_key(), None, key, _years(35), [
        ("SKI", False), (x509.BasicConstraints(ca=True, path_length=None), True),
        (_policy(certs.OID_RSP_ROLE_CI), True),
        (_key_usage(key_cert_sign=True, crl_sign=True), True),
        (x509.SubjectAlternativeName([_rid(_RID_CI)]), False),
        (_crl_points(_CRL_A, _CRL_B), False)])


def _make_eum(ci: x509.Certificate, ci_key: _Key, eid_prefix: str) -> tuple[_Key, x509.Certificate]:
    key = generate_private_key(curve_name(ci_key))
    org = (NameOID.ORGANIZATION_NAME, "RSP Test EUM")
    subject = _name((NameOID.COUNTRY_NAME, "DE"), org, (NameOID.COMMON_NAME, "EUM Test"))
    permitted = x509.DirectoryName(_name(org, (NameOID.SERIAL_NUMBER, eid_prefix)))
    return key, _issue(subject, key.public_key(), ci, ci_key, _years(34), [
        ("AKI", False), ("SKI", False), (_key_usage(key_cert_sign=True), True),
        (_policy(certs.OID_RSP_ROLE_EUM), True),
        (x509.SubjectAlternativeName([_rid(_RID_EUM)]), False),
        (x509.BasicConstraints(ca=True, path_length=0), True), (_crl_points(_CRL_B), False),
        (x509.NameConstraints(permitted_subtrees=[permitted], excluded_subtrees=None), True)])


def _make_dp(ci: x509.Certificate, ci_key: _Key, role: x509.ObjectIdentifier,
             smdp_address: str) -> tuple[_Key, x509.Certificate]:
    key = generate_private_key(curve_name(ci_key))
    signing = _key_usage(digital_signature=True)
    if role == certs.OID_RSP_ROLE_DP_TLS:
        subject = _name((NameOID.ORGANIZATION_NAME, "ACME"), (NameOID.COMMON_NAME, smdp_address))
        eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                     ExtendedKeyUsageOID.CLIENT_AUTH])
        san = x509.SubjectAlternativeName([x509.DNSName(smdp_address), _rid(_RID_DP)])
        extensions = [(signing, True), (eku, True), (_policy(role), False), ("SKI", False),
                      ("AKI", False), (san, False)]
    else:
        subject = _name((NameOID.ORGANIZATION_NAME, "ACME"), (NameOID.COMMON_NAME, "TEST SM-DP+"))
        extensions = [("AKI", False), ("SKI", False),
                      (x509.SubjectAlternativeName([_rid(_RID_DP)]), False),
                      (signing, True), (_policy(role), True)]
    extensions.append((_crl_points(_CRL_A, _CRL_B), False))
    return key, _issue(subject, key.public_key(), ci, ci_key, _years(10), extensions)


@dataclass(frozen=True)
class Reproducible:
    """What makes an issued certificate the same every time: a given serial number
    (RFC 5280 4.1.2.2: positive, at most 20 octets) and start of validity; the signature is
    then deterministic ECDSA (RFC 6979)."""

    serial: int
    not_before: datetime


def issue_euicc_certificate(eum_cert: x509.Certificate, eum_key: _Key, eid: str,
                            curve: str | None = None, *, key: _Key | None = None,
                            reproducible: Reproducible | None = None,
                            check_eum_key: bool = True) -> tuple[_Key, x509.Certificate]:
    """An eUICC key and certificate for ``eid``, signed by the EUM (SGP.26 eUICC profile,
    valid until 9999-12-31): a fresh key on ``curve`` (default: the EUM's curve) unless
    ``key`` is given; ``reproducible`` makes the certificate bytes a function of the inputs
    (a fleet re-issues its cards' certificates from a seed). PkiError for an invalid EID, an
    EID outside the EUM's name constraint, or a key not matching the EUM certificate
    (``check_eum_key`` off: the caller checked it once for many certificates)."""
    _check_eid(eid)
    if check_eum_key and not certs.key_matches_certificate(eum_key, eum_cert):
        raise PkiError("EUM private key does not match the EUM certificate")
    key = key or generate_private_key(curve or curve_name(eum_cert.public_key()))
    attrs = [(a.oid, a.value) for a in eum_cert.subject
             if a.oid in (NameOID.COUNTRY_NAME, NameOID.ORGANIZATION_NAME)]
    subject = _name(*attrs, (NameOID.SERIAL_NUMBER, eid), (NameOID.COMMON_NAME, "Test eUICC"))
    cert = _issue(subject, key.public_key(), eum_cert, eum_key, _NO_EXPIRY, [
        ("SKI", False), ("AKI", False), (_key_usage(digital_signature=True), True),
        (_policy(certs.OID_RSP_ROLE_EUICC), True)], reproducible)
    if not certs.euicc_name_permitted(cert, eum_cert):
        raise PkiError(f"EID {eid} is not permitted by EUM {eum_cert.subject.rfc4514_string()} "
                       f"(permitted prefixes {certs.eum_permitted_eid_prefixes(eum_cert)})")
    return key, cert


def generate_test_pki(directory: Path, eid: str | None = None,
                      smdp_address: str = "testsmdpplus1.example.com", *,
                      overwrite: bool = False) -> None:
    """Generate CI, EUM, eUICC and SM-DP+ (DPauth, DPpb, DPtls) material on both curves.

    ``eid`` defaults to a random valid EID starting with 89049032; each EUM may certify the
    EIDs starting with its first 8 digits. Existing files are only replaced with ``overwrite``.
    """
    eid = random_eid() if eid is None else eid
    _check_eid(eid)
    directory = Path(directory)
    out: dict[Path, tuple[bytes, bool]] = {}
    for curve, sfx in _SUFFIX.items():
        ci_key, ci = _make_ci(curve)
        eum_key, eum = _make_eum(ci, ci_key, eid[:8])
        euicc_key, euicc = issue_euicc_certificate(eum, eum_key, eid)
        items = [("CertificateIssuer", f"CI_ECDSA_{sfx}", ci_key, ci),
                 ("EUM", f"EUM_ECDSA_{sfx}", eum_key, eum),
                 ("eUICC", f"EUICC_ECDSA_{sfx}", euicc_key, euicc)]
        for folder, stem, role in (
                ("DPauth", f"S_SM_DPauth_ECDSA_{sfx}", certs.OID_RSP_ROLE_DP_AUTH),
                ("DPpb", f"S_SM_DPpb_ECDSA_{sfx}", certs.OID_RSP_ROLE_DP_PB),
                ("DPtls", f"S_SM_DP_TLS_{sfx}", certs.OID_RSP_ROLE_DP_TLS)):
            items.append((folder, stem, *_make_dp(ci, ci_key, role, smdp_address)))
        for folder, stem, key, cert in items:
            key_folder = "CertificateIssuerKeys" if folder == "CertificateIssuer" else folder
            out[directory / folder / f"CERT_{stem}.der"] = (_der(cert), False)
            out[directory / key_folder / f"SK_{stem}.pem"] = (_key_pem(key), True)
            if folder == "DPtls":  # osmo-smdpp serves TLS from the PEM copy
                pem = cert.public_bytes(serialization.Encoding.PEM)
                out[directory / folder / f"CERT_{stem}.pem"] = (pem, False)
    existing = sorted(str(p) for p in out if p.exists())
    if existing and not overwrite:
        raise PkiError(f"refusing to overwrite existing PKI files: {', '.join(existing)}")
    for path, (data, private) in out.items():
        _write(path, data, private)


# --- loading --------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Eum:
    cert: x509.Certificate
    key: _Key | None
    ci_pkid: bytes
    path: Path


def _find(index: dict[str, list[Path]], *names: str) -> Path | None:
    """First of ``names`` present below the folder; PkiError if present twice, differently."""
    for name in names:
        paths = index.get(name, [])
        if len({p.read_bytes() for p in paths}) > 1:
            raise PkiError(f"{name} found more than once with different content: "
                           f"{', '.join(map(str, paths))}")
        if paths:
            return paths[0]
    return None


def _load_cas(index: dict[str, list[Path]]) -> tuple[list[TrustedCi], list[_Eum]]:
    cis: list[tuple[TrustedCi, x509.Certificate]] = []
    eums: list[_Eum] = []
    for sfx in _SUFFIX.values():
        path = _find(index, f"CERT_CI_ECDSA_{sfx}.der", f"CERT_CI_ECDSA_{sfx}.pem")
        if path is not None:
            cert = read_certificate(path)
            if not (certs.has_role(cert, certs.OID_RSP_ROLE_CI)
                    and certs.verify_issued_by(cert, cert)):
                raise PkiError(f"{path}: not a self-signed CI certificate with id-rspRole-ci")
            pkid = certs.subject_key_id(cert)
            cis.append((TrustedCi(curve_name(cert.public_key()), pkid, _der(cert)), cert))
    for sfx in _SUFFIX.values():
        path = _find(index, f"CERT_EUM_ECDSA_{sfx}.der")
        if path is not None:
            eums.append(_load_eum(path, _find(index, f"SK_EUM_ECDSA_{sfx}.pem"), cis))
    return [ci for ci, _ in cis], eums


def _load_eum(path: Path, key_path: Path | None,
              cis: list[tuple[TrustedCi, x509.Certificate]]) -> _Eum:
    cert = read_certificate(path)
    if not certs.has_role(cert, certs.OID_RSP_ROLE_EUM):
        raise PkiError(f"{path}: no id-rspRole-eum certificate policy")
    ci = next((ci for ci, ci_cert in cis if certs.verify_issued_by(cert, ci_cert)), None)
    if ci is None:
        raise PkiError(f"{path}: not issued by any CI found (AKI "
                       f"{(certs.authority_key_id(cert) or b'').hex().upper()}, "
                       f"CI PKIDs {[c.pkid.hex().upper() for c, _ in cis]})")
    key = read_private_key(key_path) if key_path else None
    if key is not None and not certs.key_matches_certificate(key, cert):
        raise PkiError(f"{key_path} does not match the public key of {path}")
    return _Eum(cert, key, ci.pkid, path)


def _load_identity(cert_path: Path, key_path: Path, eums: list[_Eum]) -> EuiccIdentity:
    cert, key = read_certificate(cert_path), read_private_key(key_path)
    if not certs.has_role(cert, certs.OID_RSP_ROLE_EUICC):
        raise PkiError(f"{cert_path}: no id-rspRole-euicc certificate policy")
    if not certs.key_matches_certificate(key, cert):
        raise PkiError(f"{key_path} does not match the public key of {cert_path}")
    eum = next((e for e in eums if certs.verify_issued_by(cert, e.cert)), None)
    if eum is None:
        raise PkiError(f"{cert_path}: not issued by any EUM certificate found (bad signature or "
                       f"unknown AKI {(certs.authority_key_id(cert) or b'').hex().upper()})")
    try:
        eid = certs.eid_from_certificate(cert)
    except ValueError as e:
        raise PkiError(f"{cert_path}: {e}") from None
    if not eid_is_valid(eid):
        raise PkiError(f"{cert_path}: subject serialNumber {eid!r} is not a valid EID")
    if not certs.euicc_name_permitted(cert, eum.cert):
        raise PkiError(f"{cert_path}: EID {eid} not permitted by {eum.path} "
                       f"(permitted prefixes {certs.eum_permitted_eid_prefixes(eum.cert)})")
    return EuiccIdentity(curve_name(key), key, _der(cert), _der(eum.cert), eum.ci_pkid)


def _eid_of(identity: EuiccIdentity) -> str:
    return certs.eid_from_certificate(x509.load_der_x509_certificate(identity.certificate_der))


def _eums_for(eid: str, issue_into: Path, eums: list[_Eum], index: dict[str, list[Path]],
              cis: list[tuple[TrustedCi, x509.Certificate]]) -> list[_Eum]:
    """EUMs that can vouch for ``eid``: those of the folder, and EUMs made earlier into
    ``issue_into`` or made now with a CI private key (for an EID outside every EUM range,
    or with no EUM key at hand)."""
    own = []
    for sfx in _SUFFIX.values():
        cert_path, key_path = issue_into / f"CERT_EUM_ECDSA_{sfx}.der", (
            issue_into / f"SK_EUM_ECDSA_{sfx}.pem")
        if cert_path.is_file() and key_path.is_file():
            own.append(_load_eum(cert_path, key_path, cis))
    usable = [e for e in own + eums if certs.eid_permitted(eid, e.cert)]
    if any(e.key is not None for e in usable) or any(
            (issue_into / f"CERT_EUICC_ECDSA_{_SUFFIX[curve_name(e.cert.public_key())]}.der")
            .is_file() for e in usable):
        return usable
    for ci, ci_cert in cis:
        sfx = _SUFFIX[ci.curve]
        key_path = _find(index, f"SK_CI_ECDSA_{sfx}.pem")
        if key_path is None:
            continue
        eum_key, eum_cert = _make_eum(ci_cert, read_private_key(key_path), eid[:8])
        _write(issue_into / f"CERT_EUM_ECDSA_{sfx}.der", _der(eum_cert))
        _write(issue_into / f"SK_EUM_ECDSA_{sfx}.pem", _key_pem(eum_key), private=True)
        usable.append(_Eum(eum_cert, eum_key, ci.pkid, issue_into / f"CERT_EUM_ECDSA_{sfx}.der"))
    if not usable and eums:
        ranges = sorted({p for e in eums for p in certs.eum_permitted_eid_prefixes(e.cert)})
        raise PkiError(f"EID {eid} is not permitted by any EUM certificate (ranges {ranges}) "
                       "and no CI private key is at hand to make an EUM for it")
    return usable


def _issued_identities(eid: str, issue_into: Path, eums: list[_Eum]) -> list[EuiccIdentity]:
    """Reuse matching eUICC credentials in ``issue_into``, else issue them with the EUM keys."""
    identities: list[EuiccIdentity] = []
    problems: list[str] = []
    for eum in eums:
        sfx = _SUFFIX[curve_name(eum.cert.public_key())]
        cert_path = issue_into / f"CERT_EUICC_ECDSA_{sfx}.der"
        key_path = issue_into / f"SK_EUICC_ECDSA_{sfx}.pem"
        if cert_path.is_file() and key_path.is_file():
            try:
                identity = _load_identity(cert_path, key_path, [eum])
            except PkiError:
                identity = None  # stale or foreign material: replaced below
            if identity is not None and _eid_of(identity) == eid:
                identities.append(identity)
                continue
        if eum.key is None:
            problems.append(f"{eum.path}: no EUM private key (SK_EUM_ECDSA_{sfx}.pem)")
            continue
        try:
            key, cert = issue_euicc_certificate(eum.cert, eum.key, eid)
        except PkiError as e:
            problems.append(str(e))
            continue
        _write(cert_path, _der(cert))
        _write(key_path, _key_pem(key), private=True)
        identities.append(_load_identity(cert_path, key_path, [eum]))
    if not identities:
        raise PkiError(f"cannot issue an eUICC certificate for EID {eid}: "
                       + ("; ".join(problems) or "no EUM certificate found"))
    return identities


def _index(directory: Path, exclude: Path | None = None) -> dict[str, list[Path]]:
    """Every file below ``directory`` by name (``exclude``: a folder left out)."""
    index: dict[str, list[Path]] = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file() and not (exclude and path.resolve().is_relative_to(exclude)):
            index.setdefault(path.name, []).append(path)
    return index


def pki_fingerprint(directory: Path) -> str:
    """Which PKI a folder holds: SHA-256 (hex) over its CI and EUM certificates, the
    issuers every eUICC certificate of the card chains to. Reads, never issues."""
    directory = Path(directory)
    if not directory.is_dir():
        raise PkiError(f"PKI folder {directory} does not exist")
    cis, eums = _load_cas(_index(directory))
    digest = hashlib.sha256()
    for der in sorted([ci.certificate_der for ci in cis] + [_der(e.cert) for e in eums]):
        digest.update(len(der).to_bytes(4, "big") + der)
    return digest.hexdigest()


def load_card_credentials(directory: Path, eid: str | None = None, *,
                          issue_into: Path | None = None) -> CardCredentials:
    """Load and check the card's eUICC identities and trusted CIs.

    Checks: CIs self-signed with the CI policy; each EUM issued by a CI present; each eUICC
    certificate issued by an EUM present, matching its private key, with a valid EID
    permitted by the EUM, one EID for all. If ``eid`` differs from the certificates' EID (or
    there is no eUICC certificate), eUICC credentials for ``eid`` are reused from
    ``issue_into`` or issued with the EUM private key(s) and written there (a folder owned by
    the caller, excluded from the search). Without ``issue_into`` that is a PkiError: the
    card never presents an EID its certificate does not carry.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise PkiError(f"PKI folder {directory} does not exist")
    exclude = Path(issue_into).resolve() if issue_into is not None else None
    index = _index(directory, exclude)
    cis, eums = _load_cas(index)
    if not cis:
        raise PkiError(f"no CI certificate (CERT_CI_ECDSA_NIST/BRP) found under {directory}")
    identities = []
    for sfx in _SUFFIX.values():
        cert_path = _find(index, f"CERT_EUICC_ECDSA_{sfx}.der")
        key_path = _find(index, f"SK_EUICC_ECDSA_{sfx}.pem")
        if cert_path is None and key_path is None:
            continue
        if cert_path is None or key_path is None:
            raise PkiError(f"found {cert_path or key_path} but not the matching eUICC "
                           f"{'private key' if key_path is None else 'certificate'}")
        identities.append(_load_identity(cert_path, key_path, eums))
    eids = sorted({_eid_of(i) for i in identities})
    if len(eids) > 1:
        raise PkiError(f"eUICC certificates under {directory} carry different EIDs: {eids}")
    cert_eid = eids[0] if eids else None
    if eid is None and cert_eid is None:
        raise PkiError(f"no eUICC certificate + key (CERT_EUICC_ECDSA_*.der, "
                       f"SK_EUICC_ECDSA_*.pem) found under {directory}")
    if eid is None or eid == cert_eid:
        return CardCredentials(cert_eid, tuple(identities), tuple(cis))
    _check_eid(eid)
    if issue_into is None:
        found = f"does not match certificate EID {cert_eid}" if cert_eid else "has no certificate"
        raise PkiError(f"EID {eid} {found} under {directory}; pass issue_into (with the EUM "
                       "private key present) to issue a matching eUICC certificate")
    issue_into = Path(issue_into)
    ci_certs = [(ci, x509.load_der_x509_certificate(ci.certificate_der)) for ci in cis]
    eums = _eums_for(eid, issue_into, eums, index, ci_certs)
    return CardCredentials(eid, tuple(_issued_identities(eid, issue_into, eums)), tuple(cis))
