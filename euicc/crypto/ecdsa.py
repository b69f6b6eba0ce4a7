"""ECDSA with SHA-256 on NIST P-256 and brainpoolP256r1 for SGP.22.

SGP.22 2.6 (security overview; signature creation and verification in 2.6.9) uses
ECDSA with SHA-256 on the curve of the CI key: NIST P-256 or brainpoolP256r1. Signatures in
ES10 / ES9+ messages (serverSignature1, euiccSignature1, smdpSignature2, ...) are carried
in [APPLICATION 55] ('5F37') in the "plain" format of BSI TR-03111 (referenced through
GlobalPlatform Card Specification Amendment E): r || s, each left-padded to the size of the
curve order (32 bytes here, 64 bytes total). X.509 certificates (SGP.22 4.5.2) use the DER
``Ecdsa-Sig-Value`` of RFC 5480 instead; :func:`raw_to_der` / :func:`der_to_raw` convert.

``deterministic=True`` uses RFC 6979 nonces, so a signature can be reproduced bit for
bit from the key and the data (known-answer tests). :func:`sign_raw_rfc6979` computes the
same signature here, and takes RFC 6979 3.6's additional data k' as well: the nonce then
also depends on it (a seeded card mixes its seed in, :mod:`euicc.crypto.entropy`).
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from .drbg import HmacDrbg

__all__ = [
    "CURVES",
    "CURVE_ORDERS",
    "curve_for_name",
    "curve_name",
    "der_to_raw",
    "generate_private_key",
    "private_key_from_scalar",
    "raw_to_der",
    "sign_raw",
    "sign_raw_rfc6979",
    "verify_raw",
]

#: Curve short names used throughout the project (SGP.26 file suffixes NIST / BRP).
CURVES: dict[str, type[ec.EllipticCurve]] = {
    "nist": ec.SECP256R1,
    "brp": ec.BrainpoolP256R1,
}

#: Order n of the base point: SEC 2 v2 2.4.2 (secp256r1), RFC 5639 3.4 (brainpoolP256r1, q).
CURVE_ORDERS: dict[str, int] = {
    "nist": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "brp": 0xA9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7,
}

_EcKey = ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey


def curve_for_name(name: str) -> ec.EllipticCurve:
    """Curve object for ``"nist"`` or ``"brp"``."""
    try:
        return CURVES[name]()
    except KeyError:
        raise ValueError(f"unsupported curve {name!r} (expected 'nist' or 'brp')") from None


def curve_name(key: _EcKey | ec.EllipticCurve) -> str:
    """``"nist"`` or ``"brp"`` for an EC key (private or public) or a curve object."""
    curve = key if isinstance(key, ec.EllipticCurve) else getattr(key, "curve", None)
    for name, cls in CURVES.items():
        if isinstance(curve, cls):
            return name
    raise ValueError(f"unsupported key or curve {getattr(curve, 'name', key)!r}")


def generate_private_key(curve: str) -> ec.EllipticCurvePrivateKey:
    """Fresh private key on ``"nist"`` or ``"brp"``."""
    return ec.generate_private_key(curve_for_name(curve))


def private_key_from_scalar(scalar: bytes | int, curve: str = "nist") -> ec.EllipticCurvePrivateKey:
    """Private key from its big-endian scalar (e.g. a published test key)."""
    value = int.from_bytes(scalar, "big") if isinstance(scalar, bytes | bytearray) else scalar
    return ec.derive_private_key(value, curve_for_name(curve))


def _field_size(key: _EcKey) -> int:
    return (key.curve.key_size + 7) // 8


def sign_raw(
    private_key: ec.EllipticCurvePrivateKey, data: bytes, deterministic: bool = False
) -> bytes:
    """Sign ``data`` (hashed with SHA-256 here) and return r || s (64 bytes for P-256/BP256).

    ``deterministic=True`` derives the nonce per RFC 6979 (HMAC-SHA-256).
    """
    algorithm = ec.ECDSA(hashes.SHA256(), deterministic_signing=deterministic)
    return der_to_raw(private_key.sign(data, algorithm), _field_size(private_key))


def _bits2int(data: bytes, qlen: int) -> int:
    """RFC 6979 2.3.2: the leftmost ``qlen`` bits of ``data`` as an integer."""
    return int.from_bytes(data, "big") >> max(0, 8 * len(data) - qlen)


def sign_raw_rfc6979(
    private_key: ec.EllipticCurvePrivateKey, data: bytes, additional_data: bytes = b""
) -> bytes:
    """ECDSA-SHA256 of ``data`` as r || s with the nonce of RFC 6979 3.2 (HMAC-SHA-256),
    ``additional_data`` being the k' of RFC 6979 3.6 (appended to the seed of steps d and f).

    With no additional data this is the signature of ``sign_raw(..., deterministic=True)``;
    with some, the nonce is still a function of key, message and k' alone. The signature
    itself is SEC 1 v2 4.1.3: r = x(kG) mod n, s = k^-1 (e + r d) mod n.
    """
    name = curve_name(private_key)
    curve, n = curve_for_name(name), CURVE_ORDERS[name]
    qlen, size = n.bit_length(), _field_size(private_key)
    d = private_key.private_numbers().private_value
    e = _bits2int(hashlib.sha256(data).digest(), qlen)
    # RFC 6979 3.2 d-f: K, V seeded with int2octets(x) || bits2octets(h1) || k'
    nonces = HmacDrbg(d.to_bytes(size, "big") + (e % n).to_bytes(size, "big")
                      + additional_data)
    while True:
        k = _bits2int(nonces.generate(size), qlen)  # 3.2 h: T, then k = bits2int(T)
        if not 1 <= k < n:
            continue
        r = ec.derive_private_key(k, curve).public_key().public_numbers().x % n
        s = pow(k, -1, n) * (e + r * d) % n
        if r and s:
            return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def verify_raw(public_key: ec.EllipticCurvePublicKey, data: bytes, signature: bytes) -> bool:
    """True if ``signature`` (r || s) is a valid ECDSA-SHA256 signature of ``data``.

    Never raises for a malformed signature: wrong length, r or s zero or out of range all
    simply give False.
    """
    size = _field_size(public_key)
    if not isinstance(signature, bytes | bytearray) or len(signature) != 2 * size:
        return False
    try:
        public_key.verify(raw_to_der(bytes(signature)), data, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True


def raw_to_der(signature: bytes) -> bytes:
    """r || s (two equal halves) -> DER ``Ecdsa-Sig-Value`` SEQUENCE { r INTEGER, s INTEGER }."""
    if not signature or len(signature) % 2:
        raise ValueError(f"raw ECDSA signature of odd or zero length {len(signature)}")
    half = len(signature) // 2
    r = int.from_bytes(signature[:half], "big")
    s = int.from_bytes(signature[half:], "big")
    return encode_dss_signature(r, s)


def der_to_raw(signature: bytes, size: int = 32) -> bytes:
    """DER ``Ecdsa-Sig-Value`` -> r || s, each left-padded to ``size`` bytes."""
    r, s = decode_dss_signature(signature)
    if r < 0 or s < 0 or max(r.bit_length(), s.bit_length()) > 8 * size:
        raise ValueError(f"ECDSA signature component does not fit in {size} bytes")
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def public_point(key: ec.EllipticCurvePublicKey) -> bytes:
    """The uncompressed point 04 || X || Y (SEC 1 2.3.3), as SGP.22 carries public keys."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
