"""SGP.22 certificate checks (SGP.22 4.5.2 Certificates, test profiles in SGP.26).

What the card needs to judge the certificates it receives or holds:

* role: every RSP certificate carries exactly the certificatePolicies OID of its role
  (id-rspRole, SGP.22 4.5.2; values checked against the SGP.26 test certificates);
* chaining: issuer and subject are linked by authorityKeyIdentifier == subjectKeyIdentifier
  (the CI key identifier is the "PKID" of euiccCiPKIdListForVerification / ForSigning) and
  the ECDSA-SHA256 signature. Names are deliberately not compared: the SGP.26 EUM names its
  issuer "GSMA Test CI" while the CI certificate with the same key says "Test CI";
* EID: the eUICC certificate's subject serialNumber is the EID, and the EUM certificate
  limits which EIDs it may certify (EUM nameConstraints: a permitted directoryName whose
  serialNumber is the EID prefix, e.g. ``O=RSP Test EUM, serialNumber=89049032``; SGP.22 v3
  EUM certificates may instead carry the permittedEins extension).

Certificates are :class:`cryptography.x509.Certificate`.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, SignatureAlgorithmOID

__all__ = [
    "OID_PERMITTED_EINS",
    "OID_RSP_ROLE_CI",
    "OID_RSP_ROLE_DP_AUTH",
    "OID_RSP_ROLE_DP_PB",
    "OID_RSP_ROLE_DP_TLS",
    "OID_RSP_ROLE_EUICC",
    "OID_RSP_ROLE_EUM",
    "authority_key_id",
    "eid_from_certificate",
    "eid_permitted",
    "euicc_name_permitted",
    "eum_permitted_eid_prefixes",
    "has_role",
    "issued_by",
    "key_matches_certificate",
    "load_certificate",
    "load_checked",
    "subject_key_id",
    "verify_issued_by",
]

# id-rsp OBJECT IDENTIFIER ::= {joint-iso-itu-t(2) international-organizations(23) gsma(146) rsp(1)}
# id-rspRole ::= {id-rsp cert-objects(2) 1}
OID_RSP_ROLE_CI = x509.ObjectIdentifier("2.23.146.1.2.1.0")
OID_RSP_ROLE_EUICC = x509.ObjectIdentifier("2.23.146.1.2.1.1")
OID_RSP_ROLE_EUM = x509.ObjectIdentifier("2.23.146.1.2.1.2")
OID_RSP_ROLE_DP_TLS = x509.ObjectIdentifier("2.23.146.1.2.1.3")
OID_RSP_ROLE_DP_AUTH = x509.ObjectIdentifier("2.23.146.1.2.1.4")
OID_RSP_ROLE_DP_PB = x509.ObjectIdentifier("2.23.146.1.2.1.5")
#: SGP.22 v3 EUM extension ``PermittedEins ::= SEQUENCE OF PrintableString`` (EID prefixes).
OID_PERMITTED_EINS = x509.ObjectIdentifier("2.23.146.1.2.2.0")


def load_certificate(data: bytes) -> x509.Certificate:
    """Parse a DER or PEM certificate (ValueError if it is neither)."""
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def _extension(cert: x509.Certificate, ext_type: type) -> x509.Extension | None:
    try:
        return cert.extensions.get_extension_for_class(ext_type)
    except x509.ExtensionNotFound:
        return None


def subject_key_id(cert: x509.Certificate) -> bytes:
    """The subjectKeyIdentifier (for a CI certificate: its PKID). ValueError if absent."""
    ext = _extension(cert, x509.SubjectKeyIdentifier)
    if ext is None:
        raise ValueError(f"certificate {cert.subject.rfc4514_string()} has no subjectKeyIdentifier")
    return ext.value.key_identifier


def authority_key_id(cert: x509.Certificate) -> bytes | None:
    """The keyIdentifier of the authorityKeyIdentifier extension, or None."""
    ext = _extension(cert, x509.AuthorityKeyIdentifier)
    return None if ext is None else ext.value.key_identifier


def verify_issued_by(cert: x509.Certificate, issuer_cert: x509.Certificate) -> bool:
    """True if ``issuer_cert`` issued ``cert``: AKI == issuer SKI and a valid ECDSA-SHA256
    signature by the issuer's key. A root without AKI passes when it verifies itself.
    """
    issuer_key = issuer_cert.public_key()
    if not isinstance(issuer_key, ec.EllipticCurvePublicKey):
        return False
    if cert.signature_algorithm_oid != SignatureAlgorithmOID.ECDSA_WITH_SHA256:
        return False
    aki = authority_key_id(cert)
    issuer_ski = _extension(issuer_cert, x509.SubjectKeyIdentifier)
    if aki is None:
        if cert != issuer_cert:
            return False
    elif issuer_ski is None or aki != issuer_ski.value.key_identifier:
        return False
    try:
        issuer_key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


@lru_cache(maxsize=64)
def load_checked(der: bytes) -> x509.Certificate:
    """A DER certificate with its extensions parsed (cryptography parses them on first
    access: a malformed one raises here), remembered by its encoding: the certificate
    objects are immutable, and an SM-DP+ sends the same ones at every download. What
    fails to load is not remembered (it raises again)."""
    cert = x509.load_der_x509_certificate(der)
    cert.extensions  # noqa: B018
    return cert


@lru_cache(maxsize=64)
def issued_by(cert_der: bytes, issuer_der: bytes) -> bool:
    """:func:`verify_issued_by` of two DER-encoded certificates, remembered: an SM-DP+
    presents the same CERT.DPauth and CERT.DPpb at every download, and the verdict is a
    function of the two encodings alone (the identifiers, the issuer's key and the signature
    are in them). A certificate that differs in any octet is verified anew. Bounded; the
    parsed certificates are :func:`load_checked`'s, which the caller has just used."""
    return verify_issued_by(load_checked(cert_der), load_checked(issuer_der))


def has_role(cert: x509.Certificate, oid: x509.ObjectIdentifier | str) -> bool:
    """True if the certificatePolicies extension lists ``oid`` (an id-rspRole value)."""
    if isinstance(oid, str):
        oid = x509.ObjectIdentifier(oid)
    ext = _extension(cert, x509.CertificatePolicies)
    return ext is not None and any(p.policy_identifier == oid for p in ext.value)


def key_matches_certificate(
    private_key: ec.EllipticCurvePrivateKey, cert: x509.Certificate
) -> bool:
    """True if ``private_key`` belongs to the public key certified by ``cert``."""
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private_key.public_key().public_bytes(*fmt) == cert.public_key().public_bytes(*fmt)


def eid_from_certificate(cert: x509.Certificate) -> str:
    """The EID: the single subject serialNumber of an eUICC certificate (ValueError otherwise)."""
    values = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    if len(values) != 1:
        raise ValueError(
            f"certificate {cert.subject.rfc4514_string()} has {len(values)} subject serialNumber"
            " attributes, expected exactly one (the EID)"
        )
    value = values[0].value
    return value if isinstance(value, str) else value.decode()


def _permitted_directory_names(eum_cert: x509.Certificate) -> list[x509.Name]:
    ext = _extension(eum_cert, x509.NameConstraints)
    if ext is None or not ext.value.permitted_subtrees:
        return []
    return [g.value for g in ext.value.permitted_subtrees if isinstance(g, x509.DirectoryName)]


def _der_items(data: bytes, expected_tag: int) -> list[bytes]:
    """Values of consecutive single-byte-tag DER TLVs, all with ``expected_tag``."""
    items, pos = [], 0
    while pos < len(data):
        if data[pos] != expected_tag or pos + 2 > len(data):
            raise ValueError("unexpected DER content")
        length, pos = data[pos + 1], pos + 2
        if length & 0x80:
            count = length & 0x7F
            length, pos = int.from_bytes(data[pos:pos + count], "big"), pos + count
        if pos + length > len(data):
            raise ValueError("truncated DER content")
        items.append(data[pos:pos + length])
        pos += length
    return items


def _permitted_eins(eum_cert: x509.Certificate) -> list[str]:
    try:
        ext = eum_cert.extensions.get_extension_for_oid(OID_PERMITTED_EINS)
    except x509.ExtensionNotFound:
        return []
    raw = getattr(ext.value, "value", b"")
    try:
        (seq,) = _der_items(raw, 0x30)
        return [item.decode("ascii") for item in _der_items(seq, 0x13)]
    except (ValueError, UnicodeDecodeError):
        return []


def eum_permitted_eid_prefixes(eum_cert: x509.Certificate) -> list[str]:
    """EID prefixes an EUM may certify.

    From the nameConstraints permittedSubtrees directoryName serialNumber (SGP.22 v2 EUM
    certificates, e.g. SGP.26 ``DirName: O=RSP Test EUM, serialNumber=89049032``) and from
    the SGP.22 v3 permittedEins extension if present.
    """
    prefixes: list[str] = []
    for name in _permitted_directory_names(eum_cert):
        for attr in name.get_attributes_for_oid(NameOID.SERIAL_NUMBER):
            value = attr.value if isinstance(attr.value, str) else attr.value.decode()
            prefixes.append(value.upper())
    prefixes.extend(p.strip().upper() for p in _permitted_eins(eum_cert))
    return list(dict.fromkeys(p for p in prefixes if p))


def eid_permitted(eid: str, eum_cert: x509.Certificate) -> bool:
    """True if ``eid`` starts with one of the EUM's permitted EID prefixes."""
    eid = eid.upper()
    return any(eid.startswith(p) for p in eum_permitted_eid_prefixes(eum_cert))


def euicc_name_permitted(euicc_cert: x509.Certificate, eum_cert: x509.Certificate) -> bool:
    """SGP.22 reading of the EUM name constraint for an eUICC certificate subject.

    A permitted directoryName matches when every attribute other than serialNumber (the
    EUM organisation) occurs with the same value in the subject and the subject
    serialNumber (EID) starts with the constraint's serialNumber. Without a directoryName
    constraint the permittedEins prefixes apply to the EID alone.
    """
    try:
        eid = eid_from_certificate(euicc_cert).upper()
    except ValueError:
        return False
    subject = {(a.oid, a.value) for a in euicc_cert.subject}
    names = _permitted_directory_names(eum_cert)
    for name in names:
        serials = [str(a.value).upper() for a in name.get_attributes_for_oid(NameOID.SERIAL_NUMBER)]
        others = [(a.oid, a.value) for a in name if a.oid != NameOID.SERIAL_NUMBER]
        if all(o in subject for o in others) and all(eid.startswith(s) for s in serials):
            return True
    if not names:
        prefixes = [p.strip().upper() for p in _permitted_eins(eum_cert)]
        return any(p and eid.startswith(p) for p in prefixes)
    return False
