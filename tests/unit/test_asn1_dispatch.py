"""SEQUENCE members and CHOICE alternatives found by their tag (euicc.asn1.dispatch) decode
exactly what asn1tools' member-by-member trial decodes (X.680 25 / 29, X.690 8.9 BER: members
in any order): the same values, the same error with the same location and offset, the same
end offset, for the TS.48 packages of ../shared (or a built package) and for thousands of
damaged copies of their elements (bytes changed, cut short, parts repeated), and for the
cases the tables hand back to the trial.
"""

import random

import pytest

from euicc import asn1
from euicc.asn1 import dispatch, x690
from euicc.tlv import split
from tests.support.pe_outcomes import package_elements, pe_outcome


@pytest.fixture
def trial(monkeypatch):
    """Decode through asn1tools' own trial (the tables switched off, and with them the
    checks they make: every constraint is checked by asn1tools' walk, euicc.asn1.fusion)."""
    def outcome(data: bytes):
        with monkeypatch.context() as m:
            m.setattr(x690, "_decode_members_any_order", dispatch._trial)
            m.setattr(x690, "decode_choice", lambda *args: dispatch.UNDECIDED)
            # and SEQUENCE OF's own paths to the CHOICE table (its short alternatives, then
            # decode_choice): each element through the CHOICE's decode, by trial
            m.setattr(asn1, "decode_short_alternative", lambda *args: None)
            m.setattr(asn1, "decode_choice", lambda *args: dispatch.UNDECIDED)
            m.setattr(asn1, "check_decoded",
                      lambda compiled, value, before: compiled.check_constraints(value))
            return pe_outcome(data)
    return outcome


def _damaged(rnd: random.Random, element: bytes) -> bytes:
    data = bytearray(element)
    kind = rnd.randrange(3)
    if kind == 0:
        for _ in range(rnd.randint(1, 3)):
            data[rnd.randrange(len(data))] = rnd.randrange(256)
    elif kind == 1:
        del data[rnd.randrange(len(data)):]
    else:
        at, source = rnd.randrange(len(data)), rnd.randrange(len(data))
        data[at:at] = data[source:source + rnd.randint(1, 20)]
    return bytes(data)


def test_packages_decode_as_by_trial(trial):
    elements = package_elements()
    assert elements
    for element in elements:
        outcome = pe_outcome(element)
        assert outcome[0] == "value"
        assert outcome == trial(element)


def test_damaged_elements_decode_or_fail_as_by_trial(trial):
    rnd = random.Random(20261202)
    elements = package_elements()
    refused = 0
    for _ in range(3000):
        data = _damaged(rnd, rnd.choice(elements))
        outcome = pe_outcome(data)
        refused += outcome[0] == "refused"
        assert outcome == trial(data), data.hex()
    assert refused > 1000  # the damage reaches the error paths, not only harmless bytes


def test_members_out_of_order_and_repeated(trial):
    # PE-Header: major-version [0], minor-version [1], profileType [2], iccid [3] ...
    header = next(e for e in package_elements() if e[0] == 0xA0)
    inner = split(header[2 if header[1] < 0x80 else 2 + (header[1] & 0x7F):])
    for members in (inner[1::-1] + inner[2:], inner[:1] + inner, inner[:-1]):
        body = b"".join(members)
        data = bytes([0xA0]) + _length(len(body)) + body
        assert pe_outcome(data) == trial(data)


def test_indefinite_length_is_left_to_the_trial(trial):
    end = next(e for e in package_elements() if e[0] == 0xAA)  # PE-End
    body = end[2:]
    data = b"\xaa\x80" + body + b"\x00\x00"
    assert pe_outcome(data) == trial(data)


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    octets = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(octets)]) + octets
