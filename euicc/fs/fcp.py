"""File Control Parameters: ETSI TS 102 221 11.1.1.3 (the FCP template '62' returned by
SELECT and STATUS) and 11.1.1.4 (its data objects), and the SAIP ``Fcp`` of a profile
package (TCA eUICC Profile Package Interoperable Format, type Fcp), with the same tags:

    '82' file descriptor (11.1.1.4.3)       '83' file identifier (11.1.1.4.4)
    '84' DF name (11.1.1.4.5)              'A5' proprietary information (11.1.1.4.6)
    '8A' life cycle status (11.1.1.4.9)    '8B'/'8C'/'AB' security attributes (11.1.1.4.7)
    'C6' PIN status template (11.1.1.4.10) '80' file size, '81' total file size (11.1.1.4.1/2)
    '88' short file identifier (11.1.1.4.8)

:func:`encode_fcp` builds the template of a :class:`File` with its live state (life cycle,
PIN enabled flags). Profiles give their FCPs as decoded ASN.1, which the Profile Package
Interpreter applies (:func:`euicc.ppi.files.merge_fcp`).
"""

from __future__ import annotations

from collections.abc import Collection

from euicc.tlv import parse, tlv

from .model import File, FileType, descriptor_byte
from .pins import UNIVERSAL_PIN, PinId, PinTable, pin_id
from .security import SECURITY_TAGS, TAG_REFERENCED, decode_arr_reference, pin_key_references

TAG_FCP = 0x62
TAG_FILE_SIZE, TAG_TOTAL_SIZE = 0x80, 0x81
TAG_DESCRIPTOR, TAG_FID, TAG_DF_NAME = 0x82, 0x83, 0x84
TAG_PROPRIETARY, TAG_LCSI, TAG_SFI = 0xA5, 0x8A, 0x88
TAG_PIN_STATUS = 0xC6
TAG_PS_DO, TAG_USAGE_QUALIFIER, TAG_KEY_REFERENCE = 0x90, 0x95, 0x83

DATA_CODING = 0x21  # TS 102 221 11.1.1.4.3: data coding byte, always '21'
# UICC characteristics of the MF (TS 102 221 11.1.1.4.6.1): clock stop allowed, no
# preferred level; supply voltage classes follow the ATR (A, B and C).
DEFAULT_UICC_CHARACTERISTICS = b"\x71"
# TS 102 222 creation-time parameters inside 'A5' that a SELECT response does not repeat
_CREATION_ONLY = (0xC1, 0xC2)  # fill pattern, repeat pattern
# Usage qualifier of the universal PIN in the PIN status template (TS 102 221 9.5.1)
USE_UNIVERSAL_PIN, DO_NOT_USE_UNIVERSAL_PIN = 0x08, 0x00


# -- encoding ----------------------------------------------------------------------------
def file_descriptor(file: File) -> bytes:
    """'82' value: descriptor byte, data coding byte, and for record EFs the record length
    (2 bytes) and the number of records."""
    value = bytes([descriptor_byte(file.type, file.shareable), DATA_CODING])
    if file.type.is_record:
        value += file.record_length.to_bytes(2, "big") + bytes([file.record_count & 0xFF])
    return value


def _size_bytes(size: int) -> bytes:
    return size.to_bytes(max(2, (size.bit_length() + 7) // 8), "big")


def normalized_security(file: File) -> bytes:
    """The security attribute TLVs of ``file``, with a SAIP one-byte '8B' (record number
    only) expanded to the EF.ARR file identifier and record TS 102 221 terminals expect."""
    out = b""
    for tag, value in parse(file.security) if file.security else []:
        if tag not in SECURITY_TAGS:
            continue
        if tag == TAG_REFERENCED and len(value) == 1:
            reference = decode_arr_reference(value, file)
            value = reference.fid.to_bytes(2, "big") + value
        out += tlv(tag, value)
    return out


def pin_status_template(
    file: File, pins: PinTable | None = None, universal_for: Collection[PinId] = (),
) -> bytes:
    """'C6' value of a DF (TS 102 221 11.1.1.4.10): the PS_DO bitmap ('90', b8 of the first
    byte for the first key reference, 1 = enabled) followed by the key references ('83'),
    the universal PIN preceded by its usage qualifier ('95'). Built from the live PINs; a
    TS 102 221-form template is returned as stored when no PINs are given."""
    if not file.pin_status:
        return b""
    if pins is None and file.pin_status[0] == TAG_PS_DO:
        return file.pin_status
    refs = pin_key_references(file.pin_status)
    found = {ref: pins.find(ref, file) if pins is not None else None for ref in refs}
    bitmap = bytearray((len(refs) + 7) // 8 or 1)
    body = b""
    for index, ref in enumerate(refs):
        pin = found[ref]
        if pins is None or (pin is not None and pin.enabled):
            bitmap[index // 8] |= 0x80 >> (index % 8)
        if ref == UNIVERSAL_PIN:
            replaced = any(p is not None and pin_id(p) in universal_for for p in found.values())
            qualifier = USE_UNIVERSAL_PIN if replaced else DO_NOT_USE_UNIVERSAL_PIN
            body += tlv(TAG_USAGE_QUALIFIER, bytes([qualifier]))
        body += tlv(TAG_KEY_REFERENCE, bytes([ref]))
    return tlv(TAG_PS_DO, bytes(bitmap)) + body


def _response_proprietary(file: File) -> bytes:
    value = file.proprietary
    if value:
        try:
            value = b"".join(tlv(t, v) for t, v in parse(value) if t not in _CREATION_ONLY)
        except ValueError:
            pass  # not TLV-shaped: return it as given
    if file.type == FileType.MF and not value:
        value = tlv(0x80, DEFAULT_UICC_CHARACTERISTICS)
    return value


def _total_size(file: File) -> int:
    if file.total_size is not None:
        return file.total_size
    return sum(f.size for f in file.walk() if not f.type.is_df)


def encode_fcp(
    file: File, pins: PinTable | None = None, universal_for: Collection[PinId] = (),
) -> bytes:
    """The FCP template ('62') of ``file`` in TS 102 221 11.1.1.3 order. ``pins`` makes
    the PS_DO of a DF show which PINs are enabled now;
    ``universal_for`` names the PINs disabled with the universal PIN as replacement."""
    body = tlv(TAG_DESCRIPTOR, file_descriptor(file))
    if file.fid is not None:
        body += tlv(TAG_FID, file.fid.to_bytes(2, "big"))
    if file.type.is_df and file.aid:
        body += tlv(TAG_DF_NAME, file.aid)
    proprietary = _response_proprietary(file)
    if proprietary:
        body += tlv(TAG_PROPRIETARY, proprietary)
    body += tlv(TAG_LCSI, bytes([file.lcsi]))
    body += normalized_security(file)
    if file.type.is_df:
        template = pin_status_template(file, pins, universal_for)
        if template:
            body += tlv(TAG_PIN_STATUS, template)
        body += tlv(TAG_TOTAL_SIZE, _size_bytes(_total_size(file)))
    else:
        body += tlv(TAG_FILE_SIZE, _size_bytes(file.size))
        # 11.1.1.4.8: an empty '88' says the EF has no SFI (absent would mean "FID b5-b1")
        body += tlv(TAG_SFI, bytes([file.sfi << 3]) if file.sfi else b"")
    return tlv(TAG_FCP, body)
