"""SEQUENCE members and CHOICE alternatives found by their tag (euicc.asn1.dispatch) decode
exactly what asn1tools' member-by-member trial decodes (X.680 25 / 29, X.690 8.9 BER: members
in any order): the same values, the same error with the same location and offset, the same
end offset, for the TS.48 packages of ../shared (or a built package) and for thousands of
damaged copies of their elements (bytes changed, cut short, parts repeated), and for the
cases the tables hand back to the trial.
"""

import random

import pytest

from euicc.asn1 import Asn1Error, decode_known, dispatch, pe, x690
from euicc.tlv import split
from euicc_tools.testkit.sized_packages import base_package
from tests.support.saip_reading import PROFILES, shared_packages


def _outcome(data: bytes):
    try:
        return "value", decode_known(pe(), "ProfileElement", data)
    except Asn1Error as exc:
        return "refused", str(exc)


@pytest.fixture
def trial(monkeypatch):
    """Decode through asn1tools' own trial (the tables switched off)."""
    def outcome(data: bytes):
        with monkeypatch.context() as m:
            m.setattr(x690, "_decode_members_any_order", dispatch._trial)
            m.setattr(x690, "decode_choice", lambda *args: dispatch.UNDECIDED)
            return _outcome(data)
    return outcome


def _elements() -> list[bytes]:
    packages = [(PROFILES / name).read_bytes() for name in shared_packages()]
    return [e for package in packages or [base_package(None)[0]] for e in split(package)]


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
    elements = _elements()
    assert elements
    for element in elements:
        outcome = _outcome(element)
        assert outcome[0] == "value"
        assert outcome == trial(element)


def test_damaged_elements_decode_or_fail_as_by_trial(trial):
    rnd = random.Random(20261202)
    elements = _elements()
    refused = 0
    for _ in range(3000):
        data = _damaged(rnd, rnd.choice(elements))
        outcome = _outcome(data)
        refused += outcome[0] == "refused"
        assert outcome == trial(data), data.hex()
    assert refused > 1000  # the damage reaches the error paths, not only harmless bytes


def test_members_out_of_order_and_repeated(trial):
    # PE-Header: major-version [0], minor-version [1], profileType [2], iccid [3] ...
    header = next(e for e in _elements() if e[0] == 0xA0)
    inner = split(header[2 if header[1] < 0x80 else 2 + (header[1] & 0x7F):])
    for members in (inner[1::-1] + inner[2:], inner[:1] + inner, inner[:-1]):
        body = b"".join(members)
        data = bytes([0xA0]) + _length(len(body)) + body
        assert _outcome(data) == trial(data)


def test_indefinite_length_is_left_to_the_trial(trial):
    end = next(e for e in _elements() if e[0] == 0xAA)  # PE-End
    body = end[2:]
    data = b"\xaa\x80" + body + b"\x00\x00"
    assert _outcome(data) == trial(data)


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    octets = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(octets)]) + octets
