"""Where a card's randomness and signatures come from: one object handed to the card when it
is assembled (``build_card(..., entropy=...)``) and passed down to every part that draws.

What the card draws (and who asks):

- the eUICC challenge of ES10b.GetEUICCChallenge, 16 bytes (SGP.22 5.7.7; the ISD-R
  session, :mod:`euicc_applets.isd_r.session`);
- the one-time key pair otPK/otSK.EUICC.ECKA of PrepareDownload (SGP.22 3.1.3, 5.7.5) on
  the curve of CERT.DPpb (:mod:`euicc_applets.isd_r.authentication`);
- the ECDSA signatures with SK.EUICC.SIG: euiccSignature1 and 2, the CancelSession
  signature, euiccSignPIR and the notification signatures (SGP.22 2.6.9, 5.7.5, 5.7.13,
  5.7.14, 4.7, 3.5);
- the GET CHALLENGE bytes of the file system (ISO/IEC 7816-4 11.5.3,
  :mod:`euicc.fs.commands`);
- the ephemeral key of the SUCI's ECIES protection scheme, X25519 for Profile A and
  secp256r1 for Profile B (3GPP TS 33.501 C.3.2, :mod:`euicc_applets.naa.suci`).

:class:`SystemEntropy` (the default) takes them from the operating system's generator and
OpenSSL, as a card in service must. :class:`SeededEntropy` derives every one of them from a
seed through an HMAC_DRBG (NIST SP 800-90A 10.1.2): two cards with the same seed that are
sent the same commands answer with the same bytes, so a run can be repeated and a known
answer recorded; cards of a fleet are told apart by their seeds. Its keys are secrets to
nobody who knows the seed: it is for tests and reproducible runs, never for a card that
holds real profiles.

The test PKI (:mod:`euicc.pki`) is made by the tools side, not the card, and keeps drawing
from the operating system.
"""

from __future__ import annotations

import os
import threading
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric import ec, x25519

from .drbg import HmacDrbg
from .ecdsa import (
    CURVE_ORDERS,
    curve_for_name,
    generate_private_key,
    sign_raw,
    sign_raw_rfc6979,
)

__all__ = ["CardEntropy", "SeededEntropy", "SystemEntropy"]

X25519_KEY_BYTES = 32  # RFC 7748 5: a 32-byte scalar, clamped by the function itself
NONCE_DATA_BYTES = 32  # k' of RFC 6979 3.6 drawn for every signature of a seeded card


class CardEntropy(Protocol):
    """What a card asks of its source of randomness and its signer."""

    def random_bytes(self, length: int) -> bytes:
        """``length`` random bytes (challenges)."""

    def new_ec_key(self, curve: str) -> ec.EllipticCurvePrivateKey:
        """A fresh key pair on ``"nist"`` (P-256) or ``"brp"`` (brainpoolP256r1)."""

    def new_x25519_key(self) -> x25519.X25519PrivateKey:
        """A fresh X25519 key pair (RFC 7748)."""

    def sign(self, key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
        """ECDSA-SHA256 of ``data`` as r || s (BSI TR-03111 plain format, SGP.22 2.6.9)."""


class SystemEntropy:
    """The operating system's generator, OpenSSL's key generation and ECDSA nonces."""

    def random_bytes(self, length: int) -> bytes:
        return os.urandom(length)

    def new_ec_key(self, curve: str) -> ec.EllipticCurvePrivateKey:
        return generate_private_key(curve)

    def new_x25519_key(self) -> x25519.X25519PrivateKey:
        return x25519.X25519PrivateKey.generate()

    def sign(self, key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
        return sign_raw(key, data)


class SeededEntropy:
    """Everything from ``seed``, in the order the card asks for it.

    One HMAC_DRBG (SP 800-90A 10.1.2) seeded with ``seed`` gives the random bytes; EC
    private keys are drawn from it by rejection sampling (SEC 1 v2 3.2.1, as FIPS 186-5
    A.2.2: a candidate c of 256 bits is kept when c <= n - 2, and d = c + 1); X25519 keys are
    32 drawn bytes. Signatures use RFC 6979 nonces with 32 drawn bytes as the additional
    data k' of RFC 6979 3.6, so they depend on the seed as well as on key and message, and
    remain valid ECDSA signatures for any verifier.
    """

    PERSONALIZATION = b"euicc-emu SeededEntropy v1"  # SP 800-90A 8.7.1

    def __init__(self, seed: bytes) -> None:
        self.seed = bytes(seed)
        self._drbg = HmacDrbg(self.seed + self.PERSONALIZATION)
        self._lock = threading.Lock()  # a card's control thread may draw while it runs

    def random_bytes(self, length: int) -> bytes:
        with self._lock:
            return self._drbg.generate(length)

    def new_ec_key(self, curve: str) -> ec.EllipticCurvePrivateKey:
        order = CURVE_ORDERS[curve]
        size = (order.bit_length() + 7) // 8
        while True:
            candidate = int.from_bytes(self.random_bytes(size), "big")
            if candidate <= order - 2:
                return ec.derive_private_key(candidate + 1, curve_for_name(curve))

    def new_x25519_key(self) -> x25519.X25519PrivateKey:
        return x25519.X25519PrivateKey.from_private_bytes(self.random_bytes(X25519_KEY_BYTES))

    def sign(self, key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
        return sign_raw_rfc6979(key, data, self.random_bytes(NONCE_DATA_BYTES))
