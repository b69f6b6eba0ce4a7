"""SUCI calculation performed on the USIM, without APDUs: 3GPP TS 31.102 5.3.48 (services
n124 "Subscription identifier privacy support" and n125 "SUCI calculation by the USIM"),
7.5 GET IDENTITY and 4.4.11.8 EF.SUCI_Calc_Info; the protection schemes of 3GPP TS 33.501
Annex C (C.2 null scheme, C.3 ECIES Profiles A and B, test data C.4); the SUCI coding of
3GPP TS 24.501 9.11.3.4 (5GS mobile identity, type of identity SUCI, SUPI format IMSI).

ECIES (TS 33.501 C.3.2 / C.3.4, SECG SEC 1 v2 5.1.3 with the C.3.2 changes):

    Z        = X25519(eph_priv, hn_pub)                       Profile A (RFC 7748)
             = x(eph_priv * hn_pub) on secp256r1              Profile B (cofactor h = 1)
    K        = ANSI-X9.63-KDF-SHA-256(Z, SharedInfo1 = eph_pub, 64 bytes)
    EK || ICB || MK = K[0:16] || K[16:32] || K[32:64]
    C        = AES-128-CTR(EK, ICB, MSIN in BCD)               counter: low 32 bits of ICB
    tag      = HMAC-SHA-256(MK, C)[0:8]                        SharedInfo2 empty
    output   = eph_pub || C || tag    (eph_pub: 32 bytes raw, or 33 bytes compressed point)

GET IDENTITY (TS 31.102 7.5, TS 102 221 11.1.23): CLA '8X'/'CX'/'EX', INS '78', P1 '00',
P2 b7..b1 = identity context ('01' SUCI, '02' SUCI 5G NSWO), no command data; the response
is the SUCI TLV data object 'A1' L <SUCI value>, the value being octets 4 onward of the
5GS mobile identity IE (no IEI, no length): '01' || PLMN (3) || routing indicator (2) ||
protection scheme id || home network public key id || scheme output.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from enum import IntEnum

from cryptography.hazmat.primitives.asymmetric import ec, x25519
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from euicc.coding import CodingError, decode_bcd, decode_plmn, encode_bcd, encode_plmn
from euicc.crypto.ecka import x963_kdf
from euicc.crypto.entropy import CardEntropy, SystemEntropy
from euicc.tlv import TlvError, parse_padded, tlv

__all__ = [
    "SUCI_TAG", "HomeNetworkKey", "IdentityContext", "ProtectionScheme",
    "SchemeEntry", "SelectedScheme", "Suci", "SuciCalcInfo", "calculate_suci",
    "decode_suci_value", "get_identity_response", "msin_bcd", "msin_from_bcd",
    "parse_get_identity_p2", "parse_suci_calc_info", "protect_msin", "select_scheme",
    "suci_value", "unprotect",
]

SUCI_TAG = 0xA1  # TS 31.102 7.5.2: SUCI TLV data object

# TS 31.102 4.4.11.8
TAG_SCHEME_LIST = 0xA0
TAG_KEY_LIST = 0xA1
TAG_KEY_ID = 0x80
TAG_PUBLIC_KEY = 0x81

# TS 33.501 C.3.4.1 / C.3.4.2: enckeylen, icblen, mackeylen, maclen
ENC_KEY_BYTES = 16
ICB_BYTES = 16
MAC_KEY_BYTES = 32
MAC_TAG_BYTES = 8

X25519_KEY_BYTES = 32
P256_SCALAR_BYTES = 32
P256_COMPRESSED_BYTES = 33
P256_UNCOMPRESSED_BYTES = 65

SUPI_FORMAT_IMSI_TYPE_SUCI = 0x01  # TS 24.501 9.11.3.4 octet 4: SUPI format 000, type 001
ROUTING_INDICATOR_UNSET = b"\xff\xff"
# TS 24.501 Table 9.11.3.4.1: with no routing indicator in the USIM the UE codes bits 1-4 of
# octet 8 as "0000" and every other digit as "1111", i.e. routing indicator "0"
ROUTING_INDICATOR_DEFAULT = b"\xf0\xff"


class ProtectionScheme(IntEnum):
    """Protection scheme identifiers, TS 33.501 Annex C.1 / TS 24.501 9.11.3.4 octet 10."""

    NULL = 0
    PROFILE_A = 1
    PROFILE_B = 2


class IdentityContext(IntEnum):
    """GET IDENTITY P2 b7..b1, TS 31.102 7.5.1."""

    SUCI = 0x01
    SUCI_5G_NSWO = 0x02


# --- BCD helpers ----------------------------------------------------------------------------

def _digits(text: str, what: str) -> str:
    if not text.isascii() or not text.isdigit():
        raise ValueError(f"{what} must consist of decimal digits")
    return text


def msin_bcd(msin: str) -> bytes:
    """The MSIN as scheme input (TS 33.501 C.3.1, TS 24.501 Figure 9.11.3.4.3a): packed BCD,
    first digit in the low nibble, an odd count padded with 'F' in the last high nibble
    (:func:`euicc.coding.encode_bcd`)."""
    _digits(msin, "MSIN")
    if not msin:
        raise ValueError("MSIN is empty")
    return encode_bcd(msin)


def _check_routing_indicator(routing_indicator: bytes) -> bytes:
    """Bytes 1-2 of EF.Routing_Indicator (TS 31.102 4.4.11.11) are already coded as octets
    8-9 of the SUCI: 1 to 4 BCD digits, low nibble first, trailing digits 'F'. An unset file
    ('FFFF') becomes the "not configured" value of TS 24.501 Table 9.11.3.4.1."""
    if len(routing_indicator) != 2:
        raise ValueError("the routing indicator has 2 bytes")
    if routing_indicator == ROUTING_INDICATOR_UNSET:
        return ROUTING_INDICATOR_DEFAULT
    try:
        digits = decode_bcd(routing_indicator)
    except CodingError:
        digits = ""
    if not digits:
        raise ValueError(f"invalid routing indicator {routing_indicator.hex().upper()}")
    return bytes(routing_indicator)


# --- ECIES (TS 33.501 C.3) ------------------------------------------------------------------

def _aes128_ctr(key: bytes, icb: bytes, data: bytes) -> bytes:
    """AES-128-CTR whose counter blocks follow NIST SP 800-38A B.1 with m = 32 (TS 33.501
    C.3.4.0): only the low 32 bits of the ICB count, wrapping without carry into the rest."""
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    prefix, counter = icb[:12], int.from_bytes(icb[12:], "big")
    blocks = b"".join(prefix + ((counter + i) & 0xFFFFFFFF).to_bytes(4, "big")
                      for i in range((len(data) + 15) // 16))
    keystream = encryptor.update(blocks) + encryptor.finalize()
    return bytes(a ^ b for a, b in zip(data, keystream, strict=False))


@dataclass(frozen=True)
class _EciesKeys:
    enc_key: bytes = field(repr=False)
    icb: bytes = field(repr=False)
    mac_key: bytes = field(repr=False)


def _derive_keys(shared_secret: bytes, ephemeral_public: bytes) -> _EciesKeys:
    material = x963_kdf(shared_secret, ephemeral_public,
                        ENC_KEY_BYTES + ICB_BYTES + MAC_KEY_BYTES)
    return _EciesKeys(material[:ENC_KEY_BYTES],
                      material[ENC_KEY_BYTES:ENC_KEY_BYTES + ICB_BYTES],
                      material[ENC_KEY_BYTES + ICB_BYTES:])


def _mac_tag(mac_key: bytes, ciphertext: bytes) -> bytes:
    return hmac.new(mac_key, ciphertext, hashlib.sha256).digest()[:MAC_TAG_BYTES]


def _scheme(scheme: int) -> ProtectionScheme:
    try:
        return ProtectionScheme(scheme)
    except ValueError:
        raise ValueError(f"unsupported protection scheme {scheme}") from None


def _p256_public_key(data: bytes) -> ec.EllipticCurvePublicKey:
    if len(data) not in (P256_COMPRESSED_BYTES, P256_UNCOMPRESSED_BYTES):
        raise ValueError("a Profile B public key is a 33-byte compressed or 65-byte "
                         "uncompressed secp256r1 point")
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), bytes(data))


def _p256_private_key(scalar: bytes) -> ec.EllipticCurvePrivateKey:
    if len(scalar) != P256_SCALAR_BYTES:
        raise ValueError("a Profile B private key is a 32-byte scalar")
    return ec.derive_private_key(int.from_bytes(scalar, "big"), ec.SECP256R1())


def _compressed(public_key: ec.EllipticCurvePublicKey) -> bytes:
    return public_key.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)


def protect_msin(scheme: int, home_public_key: bytes, msin_bcd: bytes,
                 ephemeral: bytes | None = None, entropy: CardEntropy | None = None) -> bytes:
    """The scheme output of TS 33.501 C.2 / C.3 for the scheme input ``msin_bcd``.

    The null scheme returns the input itself. Profiles A and B return ephemeral public key ||
    ciphertext || MAC tag. ``ephemeral`` fixes the ephemeral private key (32 bytes: an X25519
    key for Profile A, a secp256r1 scalar for Profile B) for test vectors; without it a fresh
    key pair is made for every call, as C.3.2 requires, by ``entropy`` (the card's,
    :mod:`euicc.crypto.entropy`; the operating system's when not given).
    """
    entropy = entropy if entropy is not None else SystemEntropy()
    scheme = _scheme(scheme)
    if scheme is ProtectionScheme.NULL:
        return bytes(msin_bcd)
    if scheme is ProtectionScheme.PROFILE_A:
        if len(home_public_key) != X25519_KEY_BYTES:
            raise ValueError("a Profile A public key has 32 bytes")
        peer = x25519.X25519PublicKey.from_public_bytes(bytes(home_public_key))
        if ephemeral is not None and len(ephemeral) != X25519_KEY_BYTES:
            raise ValueError("a Profile A ephemeral private key has 32 bytes")
        private = (x25519.X25519PrivateKey.from_private_bytes(bytes(ephemeral))
                   if ephemeral is not None else entropy.new_x25519_key())
        ephemeral_public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        shared = private.exchange(peer)
    else:
        peer = _p256_public_key(home_public_key)
        private = (_p256_private_key(ephemeral) if ephemeral is not None
                   else entropy.new_ec_key("nist"))
        ephemeral_public = _compressed(private.public_key())
        shared = private.exchange(ec.ECDH(), peer)  # the x coordinate (cofactor 1)
    keys = _derive_keys(shared, ephemeral_public)
    ciphertext = _aes128_ctr(keys.enc_key, keys.icb, bytes(msin_bcd))
    return ephemeral_public + ciphertext + _mac_tag(keys.mac_key, ciphertext)


def unprotect(scheme: int, home_private_key: bytes, output: bytes) -> bytes:
    """The home network side (SIDF, TS 33.501 C.3.3): the scheme input from a scheme output.
    Raises ValueError when the output is malformed or its MAC tag does not verify."""
    scheme = _scheme(scheme)
    if scheme is ProtectionScheme.NULL:
        return bytes(output)
    if scheme is ProtectionScheme.PROFILE_A:
        if len(home_private_key) != X25519_KEY_BYTES:
            raise ValueError("a Profile A private key has 32 bytes")
        point_bytes = X25519_KEY_BYTES
    else:
        point_bytes = P256_COMPRESSED_BYTES
    if len(output) < point_bytes + MAC_TAG_BYTES:
        raise ValueError("scheme output too short")
    ephemeral_public = bytes(output[:point_bytes])
    ciphertext = bytes(output[point_bytes:-MAC_TAG_BYTES])
    tag = bytes(output[-MAC_TAG_BYTES:])
    if scheme is ProtectionScheme.PROFILE_A:
        private = x25519.X25519PrivateKey.from_private_bytes(bytes(home_private_key))
        shared = private.exchange(x25519.X25519PublicKey.from_public_bytes(ephemeral_public))
    else:
        if ephemeral_public[0] not in (0x02, 0x03):
            raise ValueError("a Profile B ephemeral public key is a compressed point")
        private = _p256_private_key(home_private_key)
        shared = private.exchange(ec.ECDH(), _p256_public_key(ephemeral_public))
    keys = _derive_keys(shared, ephemeral_public)
    if not hmac.compare_digest(tag, _mac_tag(keys.mac_key, ciphertext)):
        raise ValueError("SUCI MAC tag does not verify")
    return _aes128_ctr(keys.enc_key, keys.icb, ciphertext)


# --- EF.SUCI_Calc_Info ----------------------------------------------------------------------

@dataclass(frozen=True)
class SchemeEntry:
    """One entry of the Protection Scheme Identifier List, in priority order. ``key_index``
    is the 1-based position of a key in the Home Network Public Key List; 0 for the null
    scheme."""

    scheme: int
    key_index: int


@dataclass(frozen=True)
class HomeNetworkKey:
    identifier: int  # the Home Network Public Key Identifier sent in the SUCI
    public_key: bytes


@dataclass(frozen=True)
class SuciCalcInfo:
    schemes: tuple[SchemeEntry, ...]
    keys: tuple[HomeNetworkKey, ...]


@dataclass(frozen=True)
class SelectedScheme:
    scheme: ProtectionScheme
    key_identifier: int
    public_key: bytes | None  # None for the null scheme


def _data_objects(data: bytes) -> list[tuple[int, bytes]]:
    """The file's BER-TLVs up to its 'FF' filler (the SAIP templates make it larger than
    its content)."""
    try:
        return parse_padded(data)
    except TlvError as exc:
        raise ValueError(f"malformed SUCI calculation information: {exc}") from None


def parse_suci_calc_info(data: bytes) -> SuciCalcInfo:
    """The content of EF.SUCI_Calc_Info (TS 31.102 4.4.11.8) or of the SAIP DF.SAIP
    EF.SUCI_Calc_Info_USIM, which uses the same coding:

        'A0' L (protection scheme id, key index)*   in priority order, highest first
        'A1' L ('80' L key identifier '81' L public key)*   conditional: absent when only the
                                                            null scheme is listed
    """
    objects = _data_objects(bytes(data))
    if not objects or objects[0][0] != TAG_SCHEME_LIST:
        raise ValueError("EF.SUCI_Calc_Info does not start with the protection scheme list 'A0'")
    scheme_list = objects[0][1]
    if len(scheme_list) % 2:
        raise ValueError("the protection scheme list holds (scheme, key index) byte pairs")
    schemes = tuple(SchemeEntry(scheme_list[i], scheme_list[i + 1])
                    for i in range(0, len(scheme_list), 2))
    keys: list[HomeNetworkKey] = []
    for tag, value in objects[1:]:
        if tag != TAG_KEY_LIST:
            raise ValueError(f"unexpected tag {tag:02X} in EF.SUCI_Calc_Info")
        items = _data_objects(value)
        if len(items) % 2 or any(
                (t1, t2) != (TAG_KEY_ID, TAG_PUBLIC_KEY) for (t1, _), (t2, _) in
                zip(items[::2], items[1::2], strict=True)):
            raise ValueError("the public key list holds '80' identifier / '81' key pairs")
        for (_, identifier), (_, public_key) in zip(items[::2], items[1::2], strict=True):
            if len(identifier) != 1:
                raise ValueError("a home network public key identifier has 1 byte")
            keys.append(HomeNetworkKey(identifier[0], public_key))
    return SuciCalcInfo(schemes, tuple(keys))


def select_scheme(info: SuciCalcInfo) -> SelectedScheme:
    """The highest-priority entry the USIM can use: the null scheme, or Profile A / B whose
    key index names a key of the list. Proprietary schemes (3..15) and dangling indices are
    passed over, as TS 33.501 6.12.2 has the UE pick the first scheme it supports."""
    for entry in info.schemes:
        if entry.scheme == ProtectionScheme.NULL:
            # TS 23.003 2.2B: the public key identifier is 0 with the null scheme
            return SelectedScheme(ProtectionScheme.NULL, 0, None)
        if entry.scheme not in (ProtectionScheme.PROFILE_A, ProtectionScheme.PROFILE_B):
            continue
        if 1 <= entry.key_index <= len(info.keys):
            key = info.keys[entry.key_index - 1]
            return SelectedScheme(ProtectionScheme(entry.scheme), key.identifier, key.public_key)
    raise ValueError("no usable protection scheme in EF.SUCI_Calc_Info")


# --- the SUCI -------------------------------------------------------------------------------

def _split_imsi(imsi: str, mnc_length: int) -> tuple[str, str, str]:
    _digits(imsi, "IMSI")
    if mnc_length not in (2, 3):
        raise ValueError("the MNC has 2 or 3 digits")
    if not 3 + mnc_length < len(imsi) <= 15:
        raise ValueError("an IMSI has MCC, MNC and a non-empty MSIN, 15 digits at most")
    return imsi[:3], imsi[3:3 + mnc_length], imsi[3 + mnc_length:]


def suci_value(imsi: str, mnc_length: int, routing_indicator: bytes, scheme: int, key_id: int,
               scheme_output: bytes) -> bytes:
    """The SUCI for SUPI format IMSI as octets 4 onward of the 5GS mobile identity IE
    (TS 24.501 9.11.3.4), which is also the value of the GET IDENTITY SUCI TLV (TS 31.102
    7.5.2): '01', MCC/MNC, routing indicator, protection scheme id, home network public key
    identifier, scheme output (for the null scheme: the MSIN in BCD)."""
    mcc, mnc, _ = _split_imsi(imsi, mnc_length)
    if not 0 <= scheme <= 0x0F:
        raise ValueError("the protection scheme identifier has 4 bits")
    if not 0 <= key_id <= 0xFF:
        raise ValueError("the home network public key identifier has 1 byte")
    if scheme == ProtectionScheme.NULL and key_id:
        raise ValueError("the null scheme is sent with home network public key identifier 0")
    return (bytes([SUPI_FORMAT_IMSI_TYPE_SUCI]) + encode_plmn(mcc, mnc)
            + _check_routing_indicator(routing_indicator) + bytes([scheme, key_id])
            + bytes(scheme_output))


def calculate_suci(imsi: str, mnc_length: int, routing_indicator: bytes, info: SuciCalcInfo,
                   ephemeral: bytes | None = None, entropy: CardEntropy | None = None) -> bytes:
    """TS 31.102 5.3.48 in one step: choose the scheme from EF.SUCI_Calc_Info, conceal the
    MSIN of EF.IMSI and code the SUCI value (:func:`suci_value`). ``ephemeral`` and
    ``entropy`` as for :func:`protect_msin`."""
    _, _, msin = _split_imsi(imsi, mnc_length)
    selected = select_scheme(info)
    output = protect_msin(selected.scheme, selected.public_key or b"", msin_bcd(msin),
                          ephemeral, entropy)
    return suci_value(imsi, mnc_length, routing_indicator, selected.scheme,
                      selected.key_identifier, output)


def get_identity_response(suci: bytes) -> bytes:
    """The GET IDENTITY response data: the SUCI TLV data object 'A1' L SUCI (TS 31.102
    7.5.2), ``suci`` being a :func:`suci_value`."""
    return tlv(SUCI_TAG, bytes(suci))


def parse_get_identity_p2(p2: int) -> IdentityContext:
    """The identity context of GET IDENTITY from P2 b7..b1 (TS 31.102 7.5.1). b8 carries the
    TS 102 221 11.1.23 global / specific reference data flag and is not checked. Raises
    ValueError for contexts this module does not know."""
    try:
        return IdentityContext(p2 & 0x7F)
    except ValueError:
        raise ValueError(f"unknown identity context in P2 {p2:02X}") from None


@dataclass(frozen=True)
class Suci:
    """A decoded SUCI value of SUPI format IMSI (for tests and the network side)."""

    mcc: str
    mnc: str
    routing_indicator: bytes
    scheme: int
    key_identifier: int
    scheme_output: bytes


def decode_suci_value(value: bytes) -> Suci:
    """Inverse of :func:`suci_value`."""
    if len(value) < 9 or value[0] != SUPI_FORMAT_IMSI_TYPE_SUCI:
        raise ValueError("not a SUCI of SUPI format IMSI")
    try:
        mcc, mnc = decode_plmn(value[1:4])
    except CodingError:
        raise ValueError("invalid MCC/MNC coding") from None
    return Suci(mcc, mnc, bytes(value[4:6]), value[6] & 0x0F, value[7], bytes(value[8:]))


def msin_from_bcd(data: bytes) -> str:
    """The MSIN digits of a null-scheme output or an unprotected scheme input (a ValueError
    unless it is BCD digits up to 'F' fillers)."""
    return decode_bcd(data)
