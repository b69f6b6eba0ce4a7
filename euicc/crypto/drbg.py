"""HMAC_DRBG with SHA-256 (NIST SP 800-90A Rev. 1, 10.1.2): a deterministic random bit
generator, the same construction RFC 6979 3.2 uses to derive ECDSA nonces.

It serves two callers: RFC 6979 nonces (:func:`euicc.crypto.ecdsa.sign_raw_rfc6979`, seeded
with the private key and the message digest), and the seeded card entropy of
:class:`euicc.crypto.entropy.SeededEntropy`, where everything a card draws follows from one
seed so that a run can be repeated bit for bit. Reseeding (10.1.2.4) and the reseed counter
limit are left out: the generator is for reproducibility, not a source of secrets.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["HmacDrbg"]

OUTLEN = 32  # SHA-256 output, in bytes (SP 800-90A table 2)


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


class HmacDrbg:
    """HMAC_DRBG instantiated with ``seed_material`` (SP 800-90A 10.1.2.3: entropy input ||
    nonce || personalization string, given here as one byte string)."""

    def __init__(self, seed_material: bytes) -> None:
        self._key = b"\x00" * OUTLEN
        self._value = b"\x01" * OUTLEN
        self._update(seed_material)

    def _update(self, provided_data: bytes = b"") -> None:
        """HMAC_DRBG_Update (10.1.2.2)."""
        self._key = _hmac(self._key, self._value + b"\x00" + provided_data)
        self._value = _hmac(self._key, self._value)
        if provided_data:
            self._key = _hmac(self._key, self._value + b"\x01" + provided_data)
            self._value = _hmac(self._key, self._value)

    def generate(self, length: int, additional_input: bytes = b"") -> bytes:
        """HMAC_DRBG_Generate (10.1.2.5): ``length`` bytes, then the state moves on."""
        if length < 0:
            raise ValueError("a negative number of bytes")
        if additional_input:
            self._update(additional_input)
        out = b""
        while len(out) < length:
            self._value = _hmac(self._key, self._value)
            out += self._value
        self._update(additional_input)
        return out[:length]
