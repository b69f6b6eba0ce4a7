"""ECKA key agreement and session key derivation for the BPP (SGP.22 2.6.6.1, Annex G;
BSI TR-03111 ECKA-EG/ECKA-DH, ANSI X9.63 KDF with SHA-256).

ShS is the x-coordinate of otSK.EUICC.ECKA * otPK.DP.ECKA. The KDF's SharedInfo is
keyType || keyLength || len(hostId) || hostId || len(EID) || EID, and its first 48 bytes
split into the initial MAC chaining value, S-ENC and S-MAC.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec

from .ecdsa import curve_name


@dataclass(frozen=True)
class SessionKeys:
    initial_mcv: bytes
    s_enc: bytes
    s_mac: bytes

    def __repr__(self) -> str:  # keys never reach a log
        return "SessionKeys(<secret>)"


def shared_secret(private_key: ec.EllipticCurvePrivateKey, peer_point: bytes) -> bytes:
    """ECDH with an uncompressed peer point (04 || X || Y) on the private key's curve."""
    size = (private_key.curve.key_size + 7) // 8
    if len(peer_point) != 1 + 2 * size or peer_point[0] != 0x04:
        raise ValueError(f"not an uncompressed point on {curve_name(private_key)}")
    peer = ec.EllipticCurvePublicKey.from_encoded_point(private_key.curve, bytes(peer_point))
    return private_key.exchange(ec.ECDH(), peer)


def x963_kdf(secret: bytes, shared_info: bytes, length: int) -> bytes:
    """ANSI X9.63 KDF, SHA-256: SHA-256(Z || counter || SharedInfo), counter from 1."""
    out = b""
    counter = 1
    while len(out) < length:
        out += hashlib.sha256(secret + counter.to_bytes(4, "big") + shared_info).digest()
        counter += 1
    return out[:length]


def derive_session_keys(secret: bytes, key_type: int, key_length: int, host_id: bytes,
                        eid: bytes) -> SessionKeys:
    """SGP.22 Annex G: the BPP session keys for one download."""
    if len(host_id) > 127 or len(eid) > 127:
        raise ValueError("hostId and EID must be shorter than 128 bytes")
    shared_info = (bytes([key_type, key_length, len(host_id)]) + host_id
                   + bytes([len(eid)]) + eid)
    material = x963_kdf(secret, shared_info, 3 * key_length)
    return SessionKeys(material[:key_length], material[key_length:2 * key_length],
                       material[2 * key_length:3 * key_length])
