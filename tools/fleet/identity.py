"""The identities of a fleet's cards: one EUM issues them all, each card its own EID and
eUICC key and certificate (SGP.22 4.5.2.1.0.2 CERT.EUICC.ECDSA, signed by the EUM whose
certificate the CI signed; SGP.29 EID), on every curve the fleet's PKI has an EUM key for.

Nothing is stored: an identity is a function of the fleet's seed, the worker index and the
card's index, so 10,000 cards cost no PKI files, and a card's identity comes back the same
after a restart or on another machine given the same PKI folder and seed.

- EID (SGP.29 2, 32 digits): the EUM's permitted prefix (its name constraint, SGP.22
  4.5.2.1.0.2), digits of the seed (the fleet's namespace), the worker index (6 digits), the
  card index (12 digits), and the two ISO 7064 MOD 97-10 check digits. Two workers of one
  fleet never share an EID, whatever their card counts.
- eUICC private key: a scalar from HMAC-SHA256 over the seed (48 bytes reduced mod n-1,
  plus 1: FIPS 186-5 A.2.1, the bias is below 2^-128).
- certificate: serial number from the same HMAC, start of validity fixed, deterministic
  ECDSA (RFC 6979) by the EUM key: the same bytes every time.

The seed makes the keys known to anyone who has it: a fleet is for load tests against test
PKIs, never for real profiles (the same caveat as :class:`euicc.crypto.entropy.SeededEntropy`).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from euicc.crypto import certs
from euicc.crypto.ecdsa import CURVE_ORDERS, curve_name, private_key_from_scalar
from euicc.pki import (
    CardCredentials,
    EuiccIdentity,
    PkiError,
    Reproducible,
    TrustedCi,
    eid_with_check_digits,
    issue_euicc_certificate,
    read_certificate,
    read_private_key,
)

WORKER_DIGITS, INDEX_DIGITS = 6, 12
MAX_WORKERS, MAX_CARDS = 10**WORKER_DIGITS, 10**INDEX_DIGITS
NOT_BEFORE = datetime(2024, 1, 1, tzinfo=UTC)  # fixed: the certificate is reproducible
SUFFIXES = {"nist": "NIST", "brp": "BRP"}  # SGP.26 file name suffixes (euicc.pki)


class FleetError(ValueError):
    """A fleet that cannot be made as asked (PKI without an EUM key, index out of range)."""


@dataclass(frozen=True)
class _Eum:
    curve: str
    certificate: x509.Certificate
    der: bytes
    key: object
    ci_pkid: bytes


def _find(directory: Path, name: str) -> Path | None:
    """A file by its SGP.26 name anywhere below ``directory`` (the layout of
    :func:`euicc.pki.generate_test_pki` or a flat SGP.26 folder)."""
    return next(iter(sorted(directory.rglob(name))), None)


def ci_certificates(directory: Path) -> list[Path]:
    """The CI certificates (CERT_CI_ECDSA_*.der) below a PKI folder."""
    return sorted(Path(directory).rglob("CERT_CI_ECDSA_*.der"))


def _seed_bytes(seed: str | bytes) -> bytes:
    return seed.encode() if isinstance(seed, str) else bytes(seed)


class FleetIssuer:
    """Issues the cards' identities under the EUM(s) of a PKI folder: files by their SGP.26
    names anywhere below it (as :func:`euicc.pki.generate_test_pki` writes them, which is
    also the folder the test SM-DP+ and osmo-smdpp run with, or a flat SGP.26 folder), the
    CI certificates and the EUM certificates with their private keys."""

    def __init__(self, pki: Path, seed: str | bytes, worker: int = 0) -> None:
        if not 0 <= worker < MAX_WORKERS:
            raise FleetError(f"worker index {worker} is not in 0..{MAX_WORKERS - 1}")
        self.pki, self.worker = Path(pki), worker
        self._seed = _seed_bytes(seed)
        cis = {}
        for path in ci_certificates(self.pki):
            cert = read_certificate(path)
            cis[certs.subject_key_id(cert)] = cert
        if not cis:
            raise FleetError(f"{self.pki}: no CI certificate (CERT_CI_ECDSA_*.der); make a "
                             "PKI with `euicc-emu pki init`")
        self.trusted_cis = tuple(
            TrustedCi(curve_name(c.public_key()), pkid, c.public_bytes(Encoding.DER))
            for pkid, c in cis.items())
        self.eums: list[_Eum] = []
        for curve, sfx in SUFFIXES.items():
            cert_path = _find(self.pki, f"CERT_EUM_ECDSA_{sfx}.der")
            key_path = _find(self.pki, f"SK_EUM_ECDSA_{sfx}.pem")
            if cert_path is None or key_path is None:
                continue
            cert, key = read_certificate(cert_path), read_private_key(key_path)
            if not certs.key_matches_certificate(key, cert):
                raise FleetError(f"{key_path} does not match {cert_path}")
            ci = cis.get(certs.authority_key_id(cert))
            if ci is None or not certs.verify_issued_by(cert, ci):
                raise FleetError(f"{cert_path} is not issued by a CI of {self.pki}")
            self.eums.append(_Eum(curve, cert, cert.public_bytes(Encoding.DER), key,
                                  certs.subject_key_id(ci)))
        if not self.eums:
            raise FleetError(f"{self.pki}: no EUM certificate with its private key "
                             "(EUM/CERT_EUM_ECDSA_*.der + SK_EUM_ECDSA_*.pem): a fleet issues "
                             "its eUICC certificates with it")
        prefixes = [set(certs.eum_permitted_eid_prefixes(e.certificate)) for e in self.eums]
        common = sorted(set.intersection(*prefixes), key=len)
        if not common:
            raise FleetError(f"the EUMs of {self.pki} permit no common EID prefix")
        self.prefix = common[-1]
        self.namespace_digits = 30 - len(self.prefix) - WORKER_DIGITS - INDEX_DIGITS
        if self.namespace_digits < 0:
            raise FleetError(f"EID prefix {self.prefix} leaves no room for the worker and "
                             "card digits")
        digest = int.from_bytes(self._mac(b"namespace"), "big")
        self.namespace = f"{digest % 10**self.namespace_digits:0{self.namespace_digits}d}" \
            if self.namespace_digits else ""

    def _mac(self, label: bytes) -> bytes:
        return hmac.new(self._seed, b"euicc-emu fleet " + label, hashlib.sha256).digest()

    def eid(self, index: int) -> str:
        """The EID of card ``index`` of this worker (SGP.29: 32 digits, MOD 97-10)."""
        if not 0 <= index < MAX_CARDS:
            raise FleetError(f"card index {index} is not in 0..{MAX_CARDS - 1}")
        return eid_with_check_digits(f"{self.prefix}{self.namespace}"
                                     f"{self.worker:0{WORKER_DIGITS}d}{index:0{INDEX_DIGITS}d}")

    def credentials(self, index: int) -> CardCredentials:
        """Card ``index``'s EID, eUICC keys and certificates (one per EUM) and the trusted
        CIs; the same every time for the same PKI, seed, worker and index."""
        eid = self.eid(index)
        identities = []
        for eum in self.eums:
            label = f"{eid} {eum.curve}".encode()
            # 48 bytes (two HMAC blocks) for a scalar below a 256-bit order: bias < 2^-128
            wide = self._mac(b"key 1 " + label) + self._mac(b"key 2 " + label)[:16]
            order = CURVE_ORDERS[eum.curve]
            key = private_key_from_scalar(int.from_bytes(wide, "big") % (order - 1) + 1,
                                          eum.curve)
            serial = int.from_bytes(self._mac(b"serial " + label)[:15], "big") | 1 << 118
            try:
                _, cert = issue_euicc_certificate(
                    eum.certificate, eum.key, eid, key=key, check_eum_key=False,
                    reproducible=Reproducible(serial, NOT_BEFORE))
            except PkiError as exc:
                raise FleetError(str(exc)) from exc
            identities.append(EuiccIdentity(eum.curve, key, cert.public_bytes(Encoding.DER),
                                            eum.der, eum.ci_pkid))
        return CardCredentials(eid, tuple(identities), self.trusted_cis)
