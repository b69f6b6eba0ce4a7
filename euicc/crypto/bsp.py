"""The BPP protection (SCP03t) on the eUICC side: SGP.22 2.6.6.2-2.6.6.4 and 5.5, after
GlobalPlatform SCP03 (Amendment D) C-MAC chaining and encryption.

For each segment (tag 86 or 87: encrypted and MACed; tag 88: MACed only):
- MAC = first 8 bytes of AES-CMAC(S-MAC, MCV || tag || length || data), where length is
  the BER length of the whole segment value (data + 8 MAC bytes) and the full 16-byte
  CMAC becomes the next MAC chaining value (MCV);
- encryption is AES-CBC with S-ENC, ICV = AES-ECB(S-ENC, block counter as 16 bytes), and
  ISO/IEC 9797-1 method 2 padding (80 00..); the counter starts at 1 for each key set
  and advances by one per segment, MAC-only segments included.
ReplaceSessionKeys switches to PPK-ENC / PPK-MAC with a new initial MCV and counter 1.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from euicc.tlv import TlvError, encode_length, read_header

MAC_LENGTH = 8
BLOCK = 16
ENCRYPTED_TAGS = (0x86, 0x87)
MAC_ONLY_TAG = 0x88


class BspError(Exception):
    """A segment that fails: ``security`` for a MAC or padding failure (SGP.22
    scp03tSecurityError), otherwise a structure error (scp03tStructureError)."""

    def __init__(self, reason: str, security: bool) -> None:
        super().__init__(reason)
        self.security = security


def pad(data: bytes) -> bytes:
    padded = data + b"\x80"
    return padded + bytes(-len(padded) % BLOCK)


def unpad(data: bytes) -> bytes:
    stripped = data.rstrip(b"\x00")
    if not stripped.endswith(b"\x80") or len(data) - len(stripped) >= BLOCK:
        raise BspError("bad padding", security=True)
    return stripped[:-1]


class BspSession:
    """One direction of BPP protection with its key set, MCV and block counter."""

    def __init__(self, s_enc: bytes, s_mac: bytes, initial_mcv: bytes) -> None:
        self.replace_keys(s_enc, s_mac, initial_mcv)

    def __repr__(self) -> str:
        return f"BspSession(counter={self._counter})"

    def replace_keys(self, enc: bytes, mac: bytes, initial_mcv: bytes) -> None:
        for name, value in (("ENC", enc), ("MAC", mac), ("MCV", initial_mcv)):
            if len(value) != BLOCK:
                raise BspError(f"{name} key must be 16 bytes", security=False)
        self._enc, self._mac, self._mcv = bytes(enc), bytes(mac), bytes(initial_mcv)
        self._counter = 1
        # Made once per key set, not per segment: the AES key object, an ECB encryptor for
        # the ICVs (ECB keeps no state between blocks) and a keyed CMAC each segment copies.
        self._aes_enc = algorithms.AES(self._enc)
        self._ecb = Cipher(self._aes_enc, modes.ECB()).encryptor()
        self._cmac_keyed = cmac.CMAC(algorithms.AES(self._mac))

    def _icv(self) -> bytes:
        return self._ecb.update(self._counter.to_bytes(BLOCK, "big"))

    def _mac_over(self, tag: int, length: int, data: bytes) -> bytes:
        c = self._cmac_keyed.copy()
        c.update(self._mcv + bytes([tag]) + encode_length(length) + data)
        return c.finalize()

    # -- eUICC side -----------------------------------------------------------------------
    def unwrap(self, tag: int, segment: bytes) -> bytes:
        """Verify (and for 86/87 decrypt) one complete segment TLV; return the plaintext."""
        try:
            head = read_header(segment)
        except TlvError as exc:
            raise BspError(str(exc), security=False) from None
        if head.tag != tag or head.total_length != len(segment):
            raise BspError("segment tag or length mismatch", security=False)
        value = segment[head.header_length:]
        if len(value) < MAC_LENGTH:
            raise BspError("segment shorter than its MAC", security=False)
        data, mac = value[:-MAC_LENGTH], value[-MAC_LENGTH:]
        full = self._mac_over(tag, len(value), data)
        if full[:MAC_LENGTH] != mac:
            raise BspError("MAC does not verify", security=True)
        if tag == MAC_ONLY_TAG:
            plain = data
        elif tag in ENCRYPTED_TAGS:
            if not data or len(data) % BLOCK:
                raise BspError("ciphertext is not whole AES blocks", security=False)
            decryptor = Cipher(self._aes_enc, modes.CBC(self._icv())).decryptor()
            plain = unpad(decryptor.update(data) + decryptor.finalize())
        else:
            raise BspError(f"tag {tag:02X} is not a BPP segment", security=False)
        self._mcv = full
        self._counter += 1
        return plain

    # -- SM-DP+ side ------------------------------------------------------------------------
    def wrap(self, tag: int, plain: bytes) -> bytes:
        """Protect one segment (tests and the test SM-DP+)."""
        if tag == MAC_ONLY_TAG:
            data = plain
        elif tag in ENCRYPTED_TAGS:
            encryptor = Cipher(self._aes_enc, modes.CBC(self._icv())).encryptor()
            data = encryptor.update(pad(plain)) + encryptor.finalize()
        else:
            raise BspError(f"tag {tag:02X} is not a BPP segment", security=False)
        length = len(data) + MAC_LENGTH
        full = self._mac_over(tag, length, data)
        self._mcv = full
        self._counter += 1
        return bytes([tag]) + encode_length(length) + data + full[:MAC_LENGTH]
