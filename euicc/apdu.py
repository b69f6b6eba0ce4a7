"""Command and response APDUs: ISO/IEC 7816-4 5.1 (cases 1-4, short and extended lengths)
and 5.4.1 (class byte: logical channel, secure messaging and chaining indications).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from .sw import SW, SwError

MAX_SHORT_LE = 256
MAX_EXTENDED_LE = 65536


@dataclass(frozen=True)
class ClassByte:
    """Decoded CLA: first interindustry (0x0X, and 0x8X-0xBX proprietary with the same coding)
    or further interindustry (0x4X-0x7X, 0xCX-0xFX), ISO/IEC 7816-4 5.4.1, TS 102 221 10.1.1."""

    raw: int
    channel: int
    secure_messaging: bool
    chaining: bool
    proprietary: bool

    @classmethod
    def decode(cls, cla: int) -> ClassByte:
        decoded = _CLASS_BYTES[cla] if 0 <= cla <= 0xFF else None
        if decoded is None:
            raise SwError(SW.CLA_NOT_SUPPORTED, _cla_refusal(cla))
        return decoded

    @classmethod
    def _decode(cls, cla: int) -> ClassByte | None:
        if cla == 0xFF or (not cla & 0x40 and cla & 0x20):
            return None
        proprietary = bool(cla & 0x80)
        if cla & 0x40:
            return cls(cla, 4 + (cla & 0x0F), bool(cla & 0x20), bool(cla & 0x10), proprietary)
        return cls(cla, cla & 0x03, bool(cla & 0x0C), bool(cla & 0x10), proprietary)


def _cla_refusal(cla: int) -> str:
    if cla == 0xFF:
        return "CLA FF is invalid (PPS)"
    return f"CLA {cla:02X} is reserved" if 0 <= cla <= 0xFF else f"CLA {cla} is not a byte"


# All 256 class bytes decoded once (None: refused with 6E00): each command's CLA is then an
# index, not a decoding and a frozen dataclass built anew.
_CLASS_BYTES: tuple[ClassByte | None, ...] = tuple(ClassByte._decode(cla) for cla in range(256))


class CommandApdu(NamedTuple):
    """A parsed C-APDU. ``le`` is None when absent, else the number of bytes expected
    (an encoded 00 means 256, or 65536 in extended form). Immutable; a named tuple rather
    than a frozen dataclass because every APDU makes one, and a frozen dataclass sets each
    field through ``object.__setattr__``."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None
    extended: bool = False

    @property
    def case(self) -> int:
        if not self.data:
            return 1 if self.le is None else 2
        return 3 if self.le is None else 4

    @property
    def class_byte(self) -> ClassByte:
        return ClassByte.decode(self.cla)

    @property
    def p1p2(self) -> int:
        return (self.p1 << 8) | self.p2

    @classmethod
    def parse(cls, raw: bytes) -> CommandApdu:
        """Parse per ISO/IEC 7816-4 5.1; a malformed length raises 6700."""
        if len(raw) < 4:
            raise SwError(SW.WRONG_LENGTH, "APDU shorter than a header")
        cla, ins, p1, p2 = raw[0], raw[1], raw[2], raw[3]
        body = raw[4:]
        if ins & 0xF0 in (0x60, 0x90):
            raise SwError(SW.INS_NOT_SUPPORTED, f"INS {ins:02X} is invalid")
        n = len(body)
        if n == 0:
            return cls(cla, ins, p1, p2)
        if n == 1:
            return cls(cla, ins, p1, p2, le=body[0] or MAX_SHORT_LE)
        if body[0] != 0:
            lc = body[0]
            if n == 1 + lc:
                return cls(cla, ins, p1, p2, bytes(body[1:]))
            if n == 2 + lc:
                return cls(cla, ins, p1, p2, bytes(body[1:-1]), body[-1] or MAX_SHORT_LE)
            raise SwError(SW.WRONG_LENGTH, f"Lc {lc} does not match {n - 1} body bytes")
        # body[0] == 0 and more bytes follow: extended length
        if n < 3:
            raise SwError(SW.WRONG_LENGTH, "short Lc of zero")
        if n == 3:
            le = int.from_bytes(body[1:3], "big") or MAX_EXTENDED_LE
            return cls(cla, ins, p1, p2, le=le, extended=True)
        lc = int.from_bytes(body[1:3], "big")
        if lc == 0:
            raise SwError(SW.WRONG_LENGTH, "extended Lc of zero")
        if n == 3 + lc:
            return cls(cla, ins, p1, p2, bytes(body[3:]), extended=True)
        if n == 5 + lc:
            le = int.from_bytes(body[-2:], "big") or MAX_EXTENDED_LE
            return cls(cla, ins, p1, p2, bytes(body[3:-2]), le, extended=True)
        raise SwError(SW.WRONG_LENGTH, f"extended Lc {lc} does not match {n - 3} body bytes")

    def to_bytes(self) -> bytes:
        out = bytes([self.cla, self.ins, self.p1, self.p2])
        ext = self.extended or len(self.data) > 255 or (self.le or 0) > MAX_SHORT_LE
        if ext:
            if self.data:
                out += b"\x00" + len(self.data).to_bytes(2, "big") + self.data
            if self.le is not None:
                le = b"" if self.data else b"\x00"
                out += le + (self.le % MAX_EXTENDED_LE).to_bytes(2, "big")
            return out
        if self.data:
            out += bytes([len(self.data)]) + self.data
        if self.le is not None:
            out += bytes([self.le % MAX_SHORT_LE])
        return out


class ResponseApdu(NamedTuple):
    """An R-APDU: data and status word (a named tuple, as :class:`CommandApdu`)."""

    data: bytes = b""
    sw: int = SW.OK

    def to_bytes(self) -> bytes:
        return self.data + self.sw.to_bytes(2, "big")

    @property
    def sw1(self) -> int:
        return self.sw >> 8
