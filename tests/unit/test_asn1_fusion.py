"""SIZE and range checks made while decoding (euicc.asn1.fusion; X.680 51.5 size constraint,
51.4 value range): a profile element refused or taken exactly as by asn1tools' walk of every
constraint, with the same ConstraintsError message and location, for every primitive part
of the TS.48 packages of ../shared (or a built package) made one octet longer or shorter,
or set to a value out of an INTEGER's range, and for the ways of decoding a SEQUENCE that
the tables do not check inline (an indefinite length, the long form of a length).
"""

from __future__ import annotations

import pytest

from euicc import asn1
from euicc.asn1 import dispatch
from euicc.tlv import encode_length
from euicc_tools.testkit.profile_builder import generic_file_management
from tests.support.pe_outcomes import package_elements, pe_outcome


@pytest.fixture
def walked(monkeypatch):
    """The outcome with every constraint checked by asn1tools' walk after the decode."""
    def outcome(data: bytes):
        with monkeypatch.context() as m:
            m.setattr(asn1, "check_decoded",
                      lambda compiled, value, before: compiled.check_constraints(value))
            return pe_outcome(data)
    return outcome


# -- a BER TLV tree, to change one part and encode the rest around it ----------------------
def _parse(data: bytes, offset: int = 0, end: int | None = None) -> list:
    end = len(data) if end is None else end
    nodes = []
    while offset < end:
        start = offset
        offset += 1
        if data[start] & 0x1F == 0x1F:
            while data[offset] & 0x80:
                offset += 1
            offset += 1
        tag = data[start:offset]
        first = data[offset]
        if first < 0x80:
            length, offset = first, offset + 1
        else:
            count = first & 0x7F
            length = int.from_bytes(data[offset + 1:offset + 1 + count], "big")
            offset += 1 + count
        if tag[0] & 0x20:
            nodes.append([tag, _parse(data, offset, offset + length)])
        else:
            nodes.append([tag, data[offset:offset + length]])
        offset += length
    return nodes


def _encode(nodes: list) -> bytes:
    out = b""
    for tag, content in nodes:
        if tag is None:  # a part given encoded
            out += content
            continue
        body = _encode(content) if isinstance(content, list) else content
        out += tag + encode_length(len(body)) + body
    return out


def _primitives(nodes: list):
    for node in nodes:
        if isinstance(node[1], list):
            yield from _primitives(node[1])
        else:
            yield node


def _variants(element: bytes):
    """The element with each primitive part longer by one octet, shorter by one, and
    holding 80 00 00 (an INTEGER far below any range) or 01 00 00 00 (above 65535)."""
    tree = _parse(element)
    for node in list(_primitives(tree)):
        kept = node[1]
        for changed in (kept + b"\x00", kept[:-1], b"\x80\x00\x00", b"\x01\x00\x00\x00"):
            if changed != kept:
                node[1] = changed
                yield _encode(tree)
        node[1] = kept


def test_every_changed_part_is_refused_or_taken_as_by_the_walk(walked):
    refused = total = 0
    for element in package_elements(distinct=True):
        assert _encode(_parse(element)) == element
        for data in _variants(element):
            outcome = pe_outcome(data)
            assert outcome == walked(data), data.hex()
            total += 1
            refused += outcome[0] == "refused" and "Expected" in outcome[1]
    assert refused > total // 4  # the changes reach the size and range checks


def test_a_size_and_a_range_refused_with_the_walks_message(walked):
    """An Fcp fileID of 3 octets (SIZE(2)) and a fillFileOffset of 65536 (UInt16)."""
    tree = _parse(next(e for e in package_elements(distinct=True) if e[0] == 0xB0))  # PE-MF
    fid = next(n for n in _primitives(tree) if n[0] == b"\x83" and len(n[1]) == 2)
    fid[1] += b"\x00"
    outcome = pe_outcome(_encode(tree))
    assert outcome[0] == "refused" and "Expected between 2 and 2 bytes, but got 3" in outcome[1]
    assert outcome == walked(_encode(tree))
    gfm = generic_file_management(7, [[("filePath", b""), ("fillFileOffset", 0x1234)]])
    assert pe_outcome(gfm)[0] == "value"
    tree = _parse(gfm)
    offset = next(n for n in _primitives(tree) if n[1] == b"\x12\x34")
    offset[1] = b"\x01\x00\x00"
    outcome = pe_outcome(_encode(tree))
    assert outcome == walked(_encode(tree))
    assert outcome[0] == "refused" and "but got 65536" in outcome[1]


def test_decodes_the_tables_do_not_check_go_to_the_walk(walked):
    """An indefinite length (asn1tools' trial decodes it) and the long form of a length
    (decoded off the inline path) are counted where they could hide a size: the walk then
    checks every constraint, as before."""
    elements = package_elements(distinct=True)
    element = next(e for e in elements if e[0] == 0xAA)  # PE-End: end-header only
    header = _parse(element)[0][1][0]  # its identification: UInt15, a range check
    inner = b"\xa0\x80" + _encode(header[1]) + b"\x00\x00"  # end-header, indefinite
    indefinite = b"\xaa" + encode_length(len(inner)) + inner
    before = dispatch.unchecked_count()
    assert pe_outcome(indefinite) == walked(indefinite)
    assert dispatch.unchecked_count() > before
    mf = next(e for e in elements if e[0] == 0xB0)  # PE-MF
    for length, fid, refused in ((b"\x81\x02", b"\x3f\x00", False),
                                 (b"\x81\x03", b"\x3f\x00\x00", True)):
        # a fileID (SIZE(2)) with the long form of its length (BER, X.690 8.1.3.5):
        # decoded off the inline path
        tree = _parse(mf)
        node = next(n for n in _primitives(tree) if n[0] == b"\x83" and len(n[1]) == 2)
        node[0], node[1] = None, b"\x83" + length + fid
        data = _encode(tree)
        before = dispatch.unchecked_count()
        outcome = pe_outcome(data)
        assert outcome == walked(data)
        assert (outcome[0] == "refused") is refused
        assert (dispatch.unchecked_count() > before) is refused
