import pytest

from euicc.tlv import TlvError, encode_length, parse, read_header, tlv


def test_lengths_roundtrip():
    for n in (0, 1, 127, 128, 255, 256, 65535, 70000):
        value = bytes(n)
        head = read_header(tlv(0xBF36, value))
        assert (head.tag, head.length) == (0xBF36, n)
        assert head.header_length == 2 + len(encode_length(n))


def test_parse_sequence():
    assert parse(bytes.fromhex("5A01AA9F700101")) == [(0x5A, b"\xaa"), (0x9F70, b"\x01")]


@pytest.mark.parametrize("raw", ["5A", "5A02AA", "BF", "5A80", "5A85FFFFFFFFFF", "BFFFFFFF0100"])
def test_malformed(raw):
    with pytest.raises(TlvError):
        parse(bytes.fromhex(raw))


def test_parse_padded_stops_at_filler_and_refuses_truncation():
    from euicc.tlv import TlvError, parse_padded

    assert parse_padded(bytes.fromhex("800101A1028100FFFF")) == [(0x80, b"\x01"),
                                                                 (0xA1, b"\x81\x00")]
    assert parse_padded(b"\xff" * 4) == []
    with pytest.raises(TlvError):
        parse_padded(bytes.fromhex("8005AABB"))
