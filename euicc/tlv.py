"""BER-TLV helpers (ISO/IEC 8825-1, ISO/IEC 7816-4 5.2): tags up to 3 bytes, definite lengths.

Used where a full ASN.1 type would be overkill (FCI templates, STORE DATA framing, partial
BPP pieces); ES10 structures themselves go through :mod:`euicc.asn1`.
"""

from __future__ import annotations

from typing import NamedTuple


class TlvError(ValueError):
    pass


def encode_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def encode_tag(tag: int) -> bytes:
    if 0 <= tag < 0x100:  # a one-octet tag, most of them: no length arithmetic
        return _ONE_OCTET[tag]
    return tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")


_ONE_OCTET = [bytes((n,)) for n in range(0x100)]


def tlv(tag: int, value: bytes) -> bytes:
    length = len(value)
    if 0 <= tag < 0x100 and length < 0x80:  # most TLVs: both in one octet each, no calls
        return bytes((tag, length)) + value
    return encode_tag(tag) + encode_length(length) + value


class Header(NamedTuple):
    """Tag and length of one TLV, and where its value starts (a named tuple: every TLV
    read makes one, and a frozen dataclass sets each field through object.__setattr__)."""

    tag: int
    length: int
    header_length: int

    @property
    def total_length(self) -> int:
        return self.header_length + self.length

    @property
    def constructed(self) -> bool:
        first = self.tag.to_bytes((self.tag.bit_length() + 7) // 8 or 1, "big")[0]
        return bool(first & 0x20)


def read_tag(data: bytes, offset: int = 0) -> tuple[int, int]:
    """Decode the BER tag at ``offset`` (at most 3 bytes); return it and the next offset."""
    start = offset
    if offset >= len(data):
        raise TlvError("no tag")
    tag = data[offset]
    offset += 1
    if tag & 0x1F == 0x1F:
        while True:
            if offset >= len(data):
                raise TlvError("truncated tag")
            tag = (tag << 8) | data[offset]
            offset += 1
            if not data[offset - 1] & 0x80:
                break
            if offset - start >= 3:
                raise TlvError("tag longer than 3 bytes")
    return tag, offset


def parse_tags(data: bytes) -> list[int]:
    """A tag list: BER tags one after the other, without lengths (ISO/IEC 7816-4 8.4)."""
    tags, offset = [], 0
    while offset < len(data):
        tag, offset = read_tag(data, offset)
        tags.append(tag)
    return tags


def read_header(data: bytes, offset: int = 0) -> Header:
    """Decode the tag and length at ``offset``; the value itself may still be missing."""
    start = offset
    tag, offset = read_tag(data, offset)
    if offset >= len(data):
        raise TlvError("no length")
    first = data[offset]
    offset += 1
    if first < 0x80:
        length = first
    elif first == 0x80 or first > 0x84:
        raise TlvError(f"unsupported length byte {first:02X}")
    else:
        n = first & 0x7F
        if offset + n > len(data):
            raise TlvError("truncated length")
        length = int.from_bytes(data[offset : offset + n], "big")
        offset += n
    return Header(tag, length, offset - start)


def _items(data: bytes):
    """(header, start offset) of each complete TLV in ``data``."""
    offset = 0
    while offset < len(data):
        head = read_header(data, offset)
        if offset + head.total_length > len(data):
            raise TlvError("value runs past the end")
        yield head, offset
        offset += head.total_length


def parse(data: bytes) -> list[tuple[int, bytes]]:
    """Split ``data`` into (tag, value) pairs; it must consist of complete TLVs only."""
    return [
        (head.tag, bytes(data[start + head.header_length : start + head.total_length]))
        for head, start in _items(data)
    ]


def split(data: bytes) -> list[bytes]:
    """Consecutive complete TLVs, each with its own tag and length."""
    return [bytes(data[start : start + head.total_length]) for head, start in _items(data)]


def children(data: bytes) -> list[tuple[int, bytes]]:
    """The TLVs inside the value of the single TLV ``data``, each as (tag, complete TLV):
    signed structures are verified over the bytes as received, not as re-encoded."""
    head = read_header(data)
    value = data[head.header_length : head.total_length]
    return [(h.tag, bytes(value[start : start + h.total_length])) for h, start in _items(value)]


def parse_padded(data: bytes) -> list[tuple[int, bytes]]:
    """(tag, value) of each BER-TLV object up to the 'FF' (or '00') padding that fills the
    rest of a record or a transparent EF (ISO/IEC 7816-4 5.2, ETSI TS 102 221 13)."""
    objects, offset = [], 0
    while offset < len(data) and data[offset] not in (0x00, 0xFF):
        head = read_header(data, offset)
        end = offset + head.total_length
        if end > len(data):
            raise TlvError(f"TLV '{head.tag:X}' at offset {offset} runs past the end")
        objects.append((head.tag, bytes(data[offset + head.header_length:end])))
        offset = end
    return objects
