"""Digit codings shared by the card, its tools and tests, one implementation each.

Swapped BCD ("semi-octets"): decimal digits two a byte, the first digit in the low nibble,
an odd count ended by an 'F' filler in the last high nibble, unused bytes 'FF'. It is the
coding of

- the ICCID: ITU-T E.118 (up to 20 digits, the last a Luhn check digit), stored in EF.ICCID
  (ETSI TS 102 221 13.2: ten bytes, "BCD, left justified and padded with 'F'", digit 2 in
  the high nibble of byte 1) and in SGP.22 ``Iccid`` (tag '5A', "as coded in EF.ICCID");
  the SAIP ``ProfileHeader.iccid`` has the same digits in reading order, so a nibble swap
  (:func:`swap_nibbles`) turns one into the other;
- the IMSI of EF.IMSI (3GPP TS 31.102 4.2.2): a length byte, then the mobile identity of
  3GPP TS 24.008 10.5.1.4, whose first nibble is not a digit but the odd/even indicator
  (b4) and the type of identity (b3-b1, '1' IMSI) (:func:`encode_imsi`, :func:`decode_imsi`);
- the MSIN of a SUCI and the routing indicator (3GPP TS 24.501 9.11.3.4);
- the PLMN identity, MCC and MNC in three bytes (3GPP TS 24.008 10.5.1.3, used by the
  PLMN files of TS 31.102 4.2.5 / 4.2.16 and by the SUCI of TS 24.501 9.11.3.4):
  MCC digit 2 | MCC digit 1, MNC digit 3 | MCC digit 3, MNC digit 2 | MNC digit 1, MNC
  digit 3 'F' for a two-digit MNC (:func:`encode_plmn`, :func:`decode_plmn`).

Decoders come in two strengths: :func:`decode_bcd` refuses anything but digits up to the
filler and fillers after it (for decoders that report malformed content), :func:`bcd_text`
never fails and shows whatever nibbles a card or profile holds (for names in lists and logs).
"""

from __future__ import annotations

FILLER = 0xF  # the 'F' nibble that ends a digit string (TS 24.008 10.5.1.4 "1111")
ICCID_BYTES = 10  # EF.ICCID, SGP.22 Iccid (TS 102 221 13.2)
EF_IMSI_BYTES = 9  # length byte and eight bytes of mobile identity (TS 31.102 4.2.2)
IMSI_TYPE = 0x1  # type of identity IMSI (TS 24.008 table 10.5.4)
ODD_DIGITS = 0x8  # odd/even indicator, b4 of the first nibble: an odd number of digits
MNC_LENGTHS = (2, 3)


class CodingError(ValueError):
    """A digit string or PLMN that has no (valid) coding."""


def _check_digits(digits: str, what: str) -> str:
    if digits and not (digits.isascii() and digits.isdigit()):
        raise CodingError(f"{what} {digits!r} is not decimal digits")
    return digits


def swapped_nibbles(data: bytes) -> str:
    """Each byte low nibble first, as upper-case hex digits: b'\\x98\\x94' -> '8949'."""
    return "".join(f"{b & 0x0F:X}{b >> 4:X}" for b in data)


def swap_nibbles(data: bytes) -> bytes:
    """Exchange the two nibbles of every byte: SAIP ProfileHeader.iccid (digits in reading
    order) <-> EF.ICCID / SGP.22 Iccid (swapped BCD), in either direction."""
    return bytes((b & 0x0F) << 4 | b >> 4 for b in data)


def encode_bcd(digits: str, length: int | None = None) -> bytes:
    """``digits`` in swapped BCD, an odd count ended by an 'F' nibble; with ``length``
    padded with 'FF' to that many bytes. CodingError for a non-decimal digit or more
    digits than ``length`` bytes hold."""
    _check_digits(digits, "BCD string")
    if length is not None and len(digits) > 2 * length:
        raise CodingError(f"{len(digits)} digits do not fit {length} bytes")
    padded = digits + "F" * (len(digits) % 2)
    if length is not None:
        padded = padded.ljust(2 * length, "F")
    return bytes.fromhex("".join(padded[i + 1] + padded[i] for i in range(0, len(padded), 2)))


def decode_bcd(data: bytes) -> str:
    """The digits of swapped BCD ``data``, up to the first 'F' filler (all of them when
    there is none; '' when the first nibble is a filler). CodingError for a nibble 'A'-'E'
    before the filler or anything but 'F' after it."""
    nibbles = swapped_nibbles(data)
    digits, _, filler = nibbles.partition("F")
    if (digits and not digits.isdigit()) or filler.strip("F"):
        raise CodingError(f"not BCD digits ({nibbles})")
    return digits


def bcd_text(data: bytes) -> str:
    """Swapped BCD as it is shown: the nibbles low first with the trailing 'F' fillers
    dropped. Never fails: a nibble that is no digit shows as its hex digit."""
    return swapped_nibbles(data).rstrip("F")


# -- ICCID (ITU-T E.118, TS 102 221 13.2) ----------------------------------------------------

def encode_iccid(iccid: str) -> bytes:
    """The ten bytes of EF.ICCID / SGP.22 Iccid for up to 20 ICCID digits."""
    return encode_bcd(iccid, ICCID_BYTES)


def luhn_valid(digits: str) -> bool:
    """ISO/IEC 7812-1 check digit (the last ICCID digit, ITU-T E.118)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


# -- IMSI (TS 31.102 4.2.2, TS 24.008 10.5.1.4) ------------------------------------------------

def encode_imsi(imsi: str) -> bytes:
    """EF.IMSI content: the length of the mobile identity, then the identity (first nibble:
    odd/even indicator and type IMSI, then the digits, an 'F' filler after an even count),
    'FF' up to nine bytes. CodingError beyond 15 digits or for a non-decimal digit."""
    _check_digits(imsi, "IMSI")
    if not 1 <= len(imsi) <= 15:
        raise CodingError(f"an IMSI has 1 to 15 digits, not {len(imsi)}")
    first = IMSI_TYPE | (ODD_DIGITS if len(imsi) % 2 else 0)
    nibbles = [first, *(int(d) for d in imsi)]
    if len(nibbles) % 2:
        nibbles.append(FILLER)
    identity = bytes(nibbles[i] | nibbles[i + 1] << 4 for i in range(0, len(nibbles), 2))
    return (bytes([len(identity)]) + identity).ljust(EF_IMSI_BYTES, b"\xff")


def decode_imsi(content: bytes) -> str:
    """The IMSI digits of EF.IMSI content. CodingError when the length byte does not fit,
    the identity is not an IMSI, the odd/even indicator disagrees with the filler or a
    digit is not decimal."""
    if len(content) < 2:
        raise CodingError(f"EF.IMSI needs at least 2 bytes, got {len(content)}")
    length = content[0]
    if not 1 <= length <= EF_IMSI_BYTES - 1 or length + 1 > len(content):
        raise CodingError(f"IMSI length byte {length:02X} does not fit {len(content)} bytes")
    identity = content[1:1 + length]
    if identity[0] & 0x07 != IMSI_TYPE:
        raise CodingError(f"identity type {identity[0] & 0x07} is not IMSI ({IMSI_TYPE})")
    digits = swapped_nibbles(identity)[1:]
    if not identity[0] & ODD_DIGITS:
        if not digits.endswith("F"):
            raise CodingError("even IMSI without the 'F' filler")
        digits = digits[:-1]
    if not digits.isdigit():
        raise CodingError(f"IMSI digits not BCD ({digits})")
    return digits


# -- PLMN identity (TS 24.008 10.5.1.3) --------------------------------------------------------

def encode_plmn(mcc: str, mnc: str) -> bytes:
    """MCC digit 2|1, MNC digit 3|MCC digit 3, MNC digit 2|1 (high|low nibble), MNC digit 3
    'F' for a two-digit MNC: ``encode_plmn("246", "81") == bytes.fromhex("42F618")``."""
    _check_digits(mcc, "MCC")
    _check_digits(mnc, "MNC")
    if len(mcc) != 3 or len(mnc) not in MNC_LENGTHS:
        raise CodingError(f"MCC {mcc!r} / MNC {mnc!r}: the MCC has 3 digits, the MNC 2 or 3")
    mnc3 = int(mnc[2]) if len(mnc) == 3 else FILLER
    return bytes([int(mcc[1]) << 4 | int(mcc[0]), mnc3 << 4 | int(mcc[2]),
                  int(mnc[1]) << 4 | int(mnc[0])])


def decode_plmn(data: bytes) -> tuple[str, str]:
    """(MCC, MNC) of a three-byte PLMN identity. CodingError for another length or a digit
    that is not decimal (MNC digit 3 may be the 'F' of a two-digit MNC)."""
    if len(data) != 3:
        raise CodingError(f"a PLMN identity has 3 bytes, not {len(data)}")
    n = swapped_nibbles(data)  # mcc1 mcc2 mcc3 mnc3 mnc1 mnc2
    mcc, mnc = n[0:3], n[4:6] + ("" if n[3] == "F" else n[3])
    if not (mcc.isdigit() and mnc.isdigit()):
        raise CodingError(f"PLMN {data.hex().upper()}: MCC/MNC digits not BCD")
    return mcc, mnc
