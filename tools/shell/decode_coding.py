"""Codings shared by the EF decoders of :mod:`euicc_tools.shell.decode`:

- swapped BCD digit strings (ETSI TS 102 221 13.2 ICCID, 3GPP TS 24.008 10.5.1.4 identities,
  TS 24.008 10.5.4.7 called party BCD numbers) and the PLMN identity, MCC and MNC in three
  bytes with an 'F' filler (3GPP TS 24.008 10.5.1.3): the card's own codings
  (:mod:`euicc.coding`), their errors told in the decoders' words;
- the access technology identifier of the xPLMNwAcT files (3GPP TS 31.102 4.2.5, tables
  4.2.5.1 and 4.2.5.2);
- alpha identifiers: the SMS default 7-bit alphabet unpacked, or one of the three UCS2 forms
  (3GPP TS 23.038 6.2.1, 3GPP TS 31.102 annex A = ETSI TS 102 221 annex A);
- BER-TLV objects followed by 'FF' padding (ISO/IEC 7816-4 5.2).

All of them raise :class:`DecodeError` (a ValueError) on malformed input.
"""

from __future__ import annotations

from euicc.coding import CodingError, decode_bcd, decode_plmn, swapped_nibbles
from euicc.tlv import TlvError, parse_padded


class DecodeError(ValueError):
    pass


def is_erased(data: bytes) -> bool:
    """All 'FF': an unused record, entry or file (the erased state of the EF)."""
    return bool(data) and all(b == 0xFF for b in data)


def bcd_digits(data: bytes, what: str) -> str:
    """Swapped BCD ended by 'F' fillers, at least one digit; any other non-decimal nibble
    is an error."""
    try:
        digits = decode_bcd(data)
    except CodingError:
        digits = ""
    if not digits:
        raise DecodeError(f"{what}: not BCD ({swapped_nibbles(data)})")
    return digits


# -- PLMN (TS 24.008 10.5.1.3) ----------------------------------------------------------------

def plmn(data: bytes) -> dict | None:
    """Three bytes MCC digit 2|1, MNC digit 3|MCC digit 3, MNC digit 2|1; None when 'FFFFFF'.

    >>> plmn(bytes.fromhex("42F618"))
    {'mcc': '246', 'mnc': '81'}
    """
    if len(data) != 3:
        raise DecodeError(f"PLMN needs 3 bytes, got {len(data)}")
    if is_erased(data):
        return None
    try:
        mcc, mnc = decode_plmn(data)
    except CodingError as exc:
        raise DecodeError(str(exc)) from None
    return {"mcc": mcc, "mnc": mnc}


def plmn_or_error(data: bytes) -> dict | None:
    """One PLMN of a list: a bad entry becomes an error entry, the rest still decodes."""
    try:
        return plmn(data)
    except DecodeError as exc:
        return {"error": str(exc), "raw": data.hex().upper()}


# -- Access technology identifier (TS 31.102 4.2.5) -------------------------------------------

def access_technologies(data: bytes) -> list[str]:
    """The two AcT bytes -> the selected access technologies, in bit order.

    E-UTRAN (byte 1 b7) is refined by b6 (WB-S1) and b5 (NB-S1), '00' meaning both
    (table 4.2.5.1); GSM (byte 2 b8) by b3 (GSM) and b4 (EC-GSM-IoT), '00' meaning both
    (table 4.2.5.2).
    """
    if len(data) != 2:
        raise DecodeError(f"access technology needs 2 bytes, got {len(data)}")
    first, second = data
    selected = []
    if first & 0x80:
        selected.append("UTRAN")
    if first & 0x40:
        wide, narrow = first & 0x20, first & 0x10
        if wide or not narrow:
            selected.append("E-UTRAN WB-S1")
        if narrow or not wide:
            selected.append("E-UTRAN NB-S1")
    for mask, name in ((0x08, "NG-RAN"), (0x04, "satellite NG-RAN"),
                       (0x02, "satellite E-UTRAN WB-S1"), (0x01, "satellite E-UTRAN NB-S1")):
        if first & mask:
            selected.append(name)
    if second & 0x80:
        gsm, ec_gsm = second & 0x04, second & 0x08
        if gsm or not ec_gsm:
            selected.append("GSM")
        if ec_gsm or not gsm:
            selected.append("EC-GSM-IoT")
    for mask, name in ((0x40, "GSM COMPACT"), (0x20, "cdma2000 HRPD"),
                       (0x10, "cdma2000 1xRTT")):
        if second & mask:
            selected.append(name)
    return selected


# -- Alpha identifiers (TS 23.038 6.2.1, TS 31.102 annex A) ------------------------------------

GSM_DEFAULT_ALPHABET = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
GSM_ESCAPE = 0x1B
# The extension table reached through the escape code (TS 23.038 6.2.1.1).
GSM_EXTENSION = {0x0A: "\f", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[", 0x3D: "~",
                 0x3E: "]", 0x40: "|", 0x65: "€"}


def gsm_7bit(data: bytes) -> str:
    """SMS default alphabet, unpacked (one character a byte, b8 = 0)."""
    out, escaped = [], False
    for byte in data:
        if byte & 0x80:
            raise DecodeError(f"byte {byte:02X} is not in the SMS default alphabet")
        if escaped:
            # An unknown extension code shows as its default-alphabet character (23.038).
            out.append(GSM_EXTENSION.get(byte, GSM_DEFAULT_ALPHABET[byte]))
            escaped = False
        elif byte == GSM_ESCAPE:
            escaped = True
        else:
            out.append(GSM_DEFAULT_ALPHABET[byte])
    return "".join(out)


def _ucs2_with_base(chars: bytes, base: int) -> str:
    """Annex A '81'/'82' forms: b8 = 0 is a default-alphabet character, b8 = 1 adds the
    low seven bits to the UCS2 base pointer."""
    out, run = [], bytearray()
    for byte in chars:
        if byte & 0x80:
            out.append(gsm_7bit(bytes(run)))
            run.clear()
            out.append(chr(base + (byte & 0x7F)))
        else:
            run.append(byte)
    out.append(gsm_7bit(bytes(run)))
    return "".join(out)


def alpha(data: bytes) -> str:
    """An alpha identifier / name field padded with 'FF' (TS 31.102 annex A)."""
    if not data or data[0] == 0xFF:
        return ""
    coding = data[0]
    if coding == 0x80:
        body = data[1:]
        if len(body) % 2:
            body = body[:-1] if body[-1] == 0xFF else body
        if len(body) % 2:
            raise DecodeError("UCS2 text with an odd number of bytes")
        units = [body[i:i + 2] for i in range(0, len(body), 2)]
        if b"\xff\xff" in units:
            units = units[: units.index(b"\xff\xff")]
        try:
            return b"".join(units).decode("utf-16-be")
        except UnicodeDecodeError as exc:
            raise DecodeError(f"bad UCS2 text: {exc.reason}") from exc
    if coding in (0x81, 0x82):
        header = 3 if coding == 0x81 else 4
        if len(data) < header:
            raise DecodeError(f"'{coding:02X}' coded text shorter than its header")
        count = data[1]
        if header + count > len(data):
            raise DecodeError(f"'{coding:02X}' coded text claims {count} characters, "
                              f"has {len(data) - header}")
        base = data[2] << 7 if coding == 0x81 else int.from_bytes(data[2:4], "big")
        return _ucs2_with_base(data[header:header + count], base)
    text = data.split(b"\xff", 1)[0]
    return gsm_7bit(text)


# -- BER-TLV with padding (ISO/IEC 7816-4 5.2) ------------------------------------------------

def tlv_objects(data: bytes) -> list[tuple[int, bytes]]:
    """(tag, value) of each BER-TLV object up to the 'FF' (or '00') padding that fills the
    rest of a record or transparent EF."""
    try:
        return parse_padded(data)
    except TlvError as exc:
        raise DecodeError(f"bad TLV: {exc}") from exc


def first_object(data: bytes, tag: int) -> bytes | None:
    """The value of the first TLV object with ``tag``, None when the data is only padding."""
    for found, value in tlv_objects(data):
        if found == tag:
            return value
        raise DecodeError(f"expected tag '{tag:02X}', found '{found:02X}'")
    return None


def utf8(value: bytes, what: str) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError(f"{what} is not UTF-8: {exc.reason}") from exc


def entries(data: bytes, size: int, what: str) -> list[bytes]:
    """A transparent EF made of fixed-size entries (PLMN lists, language codes)."""
    if len(data) % size:
        raise DecodeError(f"{what}: {len(data)} bytes is not a multiple of {size}")
    return [data[i:i + size] for i in range(0, len(data), size)]
