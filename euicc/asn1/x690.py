"""Encoding rules the asn1tools decoder does not enforce (ITU-T X.690).

asn1tools decodes leniently: non-minimal lengths and INTEGERs, BOOLEAN TRUE as any non-zero
octet, a BIT STRING whose unused-bits octet is out of range (``82 01 80`` decodes as -128
bits), members of a SEQUENCE in any order or twice, an explicit tag whose contents hold more
than its one value. SGP.22 data is DER (SGP.22 Annex H: "DER" encoding of the RSPDefinitions
module; 5.7.2: an ES10 command whose data is not that is refused with '6A80'), so the
decoding layer checks, once for every function:

- :func:`check_tlv_form`, before decoding: every tag in its shortest form (X.690 8.1.2.4),
  every length definite and in the fewest octets (X.690 10.1), constructed contents made of
  whole TLVs;
- content rules of the primitive types, by patching the asn1tools DER types:

  ======================  ===========================================  ======================
  type                    rule                                          applies to
  ======================  ===========================================  ======================
  INTEGER, ENUMERATED     at least one octet, fewest octets (8.3.1-2)   always (BER rule)
  BIT STRING              unused bits 0..7, 0 when empty (8.6.2.2-3)    always (BER rule)
  BIT STRING              unused (padding) bits zero (11.2.1)           strict DER
  BOOLEAN                 TRUE is 'FF' (11.1)                           strict DER
  NULL                    no content octets (8.8.2)                     always (BER rule)
  OBJECT IDENTIFIER       subidentifiers in fewest octets (8.19.2)      always (BER rule)
  SEQUENCE                members in order, each once (X.680 25)        strict DER
  explicit tag            exactly one value inside (8.14)               strict DER
  ======================  ===========================================  ======================

The OBJECT IDENTIFIER patch also corrects asn1tools' splitting of the first subidentifier
(X.690 8.19.4: values of 80 and above belong to arc 2), which decoded 2.999.10 as 26.39.10.

Strict DER is switched on for the duration of one decode by :func:`strict`. Two DER rules
are left out on purpose, both about values rather than their encoding, and both broken by
peers that work with real chips: X.690 11.5 (a DEFAULT value is not encoded; osmo-smdpp's
StoreMetadata writes profileClass operational(2) out, pySim esim/es8p.py) and 11.2.2 (a
named-bit BIT STRING has its trailing zero bits removed).
"""

from __future__ import annotations

import contextvars
import threading
from contextlib import contextmanager

from asn1tools.codecs import DecodeError, ErrorWithLocation, ber, der

from .dispatch import (
    UNDECIDED,
    decode_choice,
    decode_members_any_order,
    members_of,
    note_unchecked_sizes,
)

_STRICT = contextvars.ContextVar("strict_der", default=False)
_MAX_TAG_OCTETS = 4  # tag numbers up to 2**21: far above any SGP.22 or SAIP tag


class DerError(ValueError):
    """Data that is not in DER form."""


def is_strict() -> bool:
    """Whether the decodes running now follow DER's content rules (:func:`strict`)."""
    return _STRICT.get()


@contextmanager
def strict(enabled: bool = True):
    """DER content rules on (or, ``enabled`` False, BER's) for the decodes inside."""
    token = _STRICT.set(enabled)
    try:
        yield
    finally:
        _STRICT.reset(token)


# -- TLV form (X.690 8.1.2, 8.1.3, 10.1) ------------------------------------------------------

def check_tlv_form(data: bytes) -> None:
    """Every TLV of ``data`` and of every constructed contents within, in DER form."""
    pending = [(0, len(data))]
    while pending:
        offset, end = pending.pop()
        while offset < end:
            start = offset
            # the one-octet tag and short length forms inline: they are nearly all TLVs
            first = data[offset]
            if first & 0x1F != 0x1F and offset + 1 < end and data[offset + 1] < 0x80:
                length, offset = data[offset + 1], offset + 2
            else:
                first, offset = _tag(data, offset, end)
                length, offset = _length(data, offset, end)
            if offset + length > end:
                raise DerError(f"TLV at offset {start}: {length} content octets run past "
                               "the enclosing value")
            if first & 0x20:  # constructed: its contents are TLVs too
                pending.append((offset, offset + length))
            offset += length


def _tag(data: bytes, offset: int, end: int) -> tuple[int, int]:
    first = data[offset]
    offset += 1
    if first & 0x1F != 0x1F:
        return first, offset
    if offset >= end:
        raise DerError(f"tag at offset {offset - 1} has no subsequent octets")
    if data[offset] == 0x80:
        raise DerError(f"tag at offset {offset - 1}: leading zero bits in its number "
                       "(X.690 8.1.2.4.2)")
    number, count = 0, 0
    while True:
        if offset >= end or count == _MAX_TAG_OCTETS:
            raise DerError(f"tag at offset {offset}: number too long or cut off")
        octet = data[offset]
        offset += 1
        count += 1
        number = number << 7 | octet & 0x7F
        if not octet & 0x80:
            break
    if number < 31:
        raise DerError(f"tag number {number} in the high-tag-number form (X.690 8.1.2.4)")
    return first, offset


def _length(data: bytes, offset: int, end: int) -> tuple[int, int]:
    if offset >= end:
        raise DerError(f"no length octet at offset {offset}")
    first = data[offset]
    offset += 1
    if first < 0x80:
        return first, offset
    if first == 0x80:
        raise DerError(f"indefinite length at offset {offset - 1} (X.690 10.1)")
    if first == 0xFF:
        raise DerError(f"reserved length octet FF at offset {offset - 1} (X.690 8.1.3.5)")
    count = first & 0x7F
    if offset + count > end:
        raise DerError(f"length at offset {offset - 1} is cut off")
    octets = data[offset:offset + count]
    length = int.from_bytes(octets, "big")
    if octets[0] == 0 or length < 0x80:
        raise DerError(f"length {length} at offset {offset - 1} not in the fewest octets "
                       "(X.690 10.1)")
    return length, offset + count


# -- content rules of the primitive types -------------------------------------------------------

def _integer_form(data, offset: int, length: int) -> None:
    if length == 0:
        raise DecodeError("INTEGER without content octets (X.690 8.3.1)", offset=offset)
    if length > 1:
        first, second = data[offset], data[offset + 1]
        if (first == 0x00 and second < 0x80) or (first == 0xFF and second >= 0x80):
            raise DecodeError("INTEGER not in the fewest octets (X.690 8.3.2)", offset=offset)


def _bit_string_form(data, offset: int, length: int) -> None:
    if length == 0:
        raise DecodeError("BIT STRING without its unused-bits octet (X.690 8.6.2)",
                          offset=offset)
    unused = data[offset]
    if unused > 7 or (length == 1 and unused):
        raise DecodeError(f"BIT STRING with {unused} unused bits in {length - 1} octets "
                          "(X.690 8.6.2.2, 8.6.2.3)", offset=offset)
    if _STRICT.get() and unused and data[offset + length - 1] & ((1 << unused) - 1):
        raise DecodeError("BIT STRING with non-zero unused bits (X.690 11.2.1)", offset=offset)


def _boolean_form(data, offset: int, length: int) -> None:
    if _STRICT.get() and length == 1 and data[offset] not in (0x00, 0xFF):
        raise DecodeError(f"BOOLEAN {data[offset]:02X}: DER has 00 and FF only (X.690 11.1)",
                          offset=offset)


def _null_form(data, offset: int, length: int) -> None:
    if length:
        raise DecodeError("NULL with content octets (X.690 8.8.2)", offset=offset)


def _checked(cls, check) -> None:
    """Run ``check`` on the content octets before the class's own decode_content."""
    decode_content = cls.decode_content

    def checked_decode_content(self, data, offset, length):
        check(data, offset, length)
        return decode_content(self, data, offset, length)

    cls.decode_content = checked_decode_content


_checked(der.Integer, _integer_form)
_checked(ber.Enumerated, _integer_form)
_checked(der.BitString, _bit_string_form)
_checked(ber.Boolean, _boolean_form)
_checked(ber.Null, _null_form)


def _decode_object_identifier(self, data, offset, length):
    """X.690 8.19: subidentifiers in the fewest octets; the first one is 40 * X + Y with
    X = 2 for every value from 80 on."""
    end = offset + length
    if length == 0 or data[end - 1] & 0x80:
        raise DecodeError("OBJECT IDENTIFIER empty or cut in a subidentifier", offset=offset)
    numbers, value, at_start = [], 0, True
    for position in range(offset, end):
        octet = data[position]
        if at_start and octet == 0x80:
            raise DecodeError("OBJECT IDENTIFIER subidentifier not in the fewest octets "
                              "(X.690 8.19.2)", offset=position)
        value = value << 7 | octet & 0x7F
        at_start = not octet & 0x80
        if at_start:
            numbers.append(value)
            value = 0
    first = numbers[0]
    arcs = [min(first // 40, 2), first - 40 * min(first // 40, 2), *numbers[1:]]
    return ".".join(map(str, arcs)), end


ber.ObjectIdentifier.decode_content = _decode_object_identifier


# -- SEQUENCE and explicit tags (strict DER) ------------------------------------------------------

def _member_tags(member) -> set[bytes]:
    if isinstance(member, ber.Choice):
        return set(member.tag_to_member)
    tags = {bytes(member.tag)} if getattr(member, "tag", None) is not None else set()
    constructed = getattr(member, "constructed_tag", None)
    return tags | ({bytes(constructed)} if constructed is not None else set())


_decode_members_any_order = decode_members_any_order  # BER: asn1tools' result, by tag


def _members(sequence) -> list:
    """Root members, then additions, worked out once per compiled SEQUENCE."""
    members = sequence.__dict__.get("_x690_members")
    if members is None:
        members = sequence._x690_members = members_of(sequence)
    return members


def _known_tags(sequence) -> set[bytes]:
    tags = sequence.__dict__.get("_x690_known_tags")
    if tags is None:
        tags = sequence._x690_known_tags = set().union(
            set(), *(_member_tags(m) for m in _members(sequence)))
    return tags


def _decode_sequence(self, data, offset, length):
    """X.680 25 / X.690 8.9: the members in their order, each once; elements after the
    last known member are extensions this module lacks, and must not carry a known
    member's tag."""
    if not _STRICT.get() or length is None:
        return _decode_members_any_order(self, data, offset, length)
    if self.__dict__.get("_dispatch_sized"):  # its members' sizes are left to the full walk
        note_unchecked_sizes()
    end = offset + length
    members = _members(self)
    values = {}
    for index, member in enumerate(members):
        value = ber.TAG_MISMATCH
        if offset < end:
            value, after = member.decode(data, offset, values=values)
        if value is not ber.TAG_MISMATCH:
            values[member.name] = value
            offset = after
        elif member.has_default():
            values[member.name] = member.get_default()
        elif not member.optional and index < len(self.root_members):
            raise DecodeError(f"{self.name}: member {member.name} missing or out of order",
                              offset=offset)
    while offset < end:
        if bytes(ber.read_tag(data, offset)) in _known_tags(self):
            raise DecodeError(f"{self.name}: a member out of order or repeated", offset=offset)
        offset = ber.skip_tag_length_contents(data, offset)
    if offset != end:
        raise DecodeError(f"{self.name}: contents overrun", offset=offset)
    return values, end


ber.Sequence.decode_content = _decode_sequence

_decode_explicit_tag = ber.ExplicitTag.decode_content


def _decode_explicit(self, data, offset, length):
    value, end = _decode_explicit_tag(self, data, offset, length)
    if _STRICT.get() and length is not None and end != offset + length:
        raise DecodeError(f"{self.name}: explicit tag holds more than one value (X.690 8.14)",
                          offset=end)
    return value, end


ber.ExplicitTag.decode_content = _decode_explicit


# -- CHOICE alternatives this module lacks ------------------------------------------------------

_unknown_alternatives = [0]  # CHOICE extension alternatives decoded so far, in any thread
_unknown_lock = threading.Lock()  # a count that never goes back (see dispatch._unchecked)


def unknown_alternatives_decoded() -> int:
    """How many times any decode has met a CHOICE alternative its module lacks (X.680 29.7:
    asn1tools returns it as ``(None, None)``). A caller compares the count before and after
    its decode: unchanged means its value holds none, so the value need not be searched
    (a change may come from another thread's decode: then the search says)."""
    return _unknown_alternatives[0]


def _decode_choice(self, data, offset, values=None):
    """asn1tools' Choice.decode (one dictionary look-up per value, the alternative decoded
    as :mod:`.dispatch` decodes it), counting the alternatives it does not know."""
    found = decode_choice(self, data, offset)
    if found is not UNDECIDED:
        if found is not None:
            member, decoded, offset = found
            return (member.name, decoded), offset
        member = None
    else:
        member = self.tag_to_member.get(bytes(ber.read_tag(data, offset)))
    if member is None:
        if not self.has_extension_marker:
            return ber.TAG_MISMATCH, offset
        with _unknown_lock:
            _unknown_alternatives[0] += 1
        return (None, None), ber.skip_tag_length_contents(data, offset)
    if self.__dict__.get("_dispatch_sized"):  # decoded without the table's checks
        note_unchecked_sizes()
    try:
        decoded, offset = member.decode(data, offset)
    except ErrorWithLocation as e:
        e.add_location(member)
        raise
    return (member.name, decoded), offset


ber.Choice.decode = _decode_choice
decode_choice_value = _decode_choice  # for SEQUENCE OF's decode, which finds it inline
