"""The asn1tools patches pinned (euicc/asn1/x690.py, euicc/asn1/__init__.py): each is on
the class the DER codec compiles the type into and is the project's function, and each
rule it adds holds on a module compiled here, apart from the SGP.22 and SAIP modules. A
new asn1tools that renames, moves or stops calling what is patched fails here rather than
letting non-DER data through silently (ITU-T X.690 clause in each case).

The lean import (euicc/asn1/lean.py) patches no class: it places deferred modules in
``sys.modules``; tests/unit/test_asn1_compiled.py pins what it leaves out.
"""

from __future__ import annotations

import threading

import asn1tools
import pytest
from asn1tools.codecs import ber, der

import euicc.asn1 as card_asn1
from euicc.asn1 import Asn1Error, decode_exact, rsp, x690

MODULE = """Pinned DEFINITIONS AUTOMATIC TAGS ::= BEGIN
    I ::= INTEGER
    E ::= ENUMERATED { zero(0), one(1), big(300) }
    B ::= BOOLEAN
    N ::= NULL
    BS ::= BIT STRING
    O ::= OBJECT IDENTIFIER
    S ::= SEQUENCE { a INTEGER, b BOOLEAN OPTIONAL }
    X ::= [APPLICATION 5] EXPLICIT INTEGER
    C ::= CHOICE { i INTEGER, b BOOLEAN, ... }
    F ::= CHOICE { i INTEGER, b BOOLEAN }
    L ::= SEQUENCE OF F
END"""


@pytest.fixture(scope="module")
def spec():
    return asn1tools.compile_string(MODULE, "der")


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


def decode(spec, type_name: str, data: str, strict: bool = False):
    with x690.strict(strict):
        return spec.decode(type_name, h(data))


def refused(spec, type_name: str, data: str, strict: bool = False) -> bool:
    try:
        decode(spec, type_name, data, strict)
    except asn1tools.DecodeError:
        return True
    return False


# -- the patches are on the classes the codec compiles into ------------------------------------

CHECKED = [  # (type, the class DER compiles it into)
    ("I", der.Integer), ("E", ber.Enumerated), ("BS", der.BitString), ("B", ber.Boolean),
    ("N", ber.Null),
]
REPLACED = [  # (type, class, attribute, the project's function)
    ("O", ber.ObjectIdentifier, "decode_content", x690._decode_object_identifier),
    ("S", ber.Sequence, "decode_content", x690._decode_sequence),
    ("X", ber.ExplicitTag, "decode_content", x690._decode_explicit),
    ("C", ber.Choice, "decode", x690._decode_choice),
    # patched on der.ArrayType, which SEQUENCE OF and SET OF inherit it from
    ("L", der.SequenceOf, "decode_content", card_asn1._decode_array_content),
]


@pytest.mark.parametrize(("type_name", "cls"), CHECKED, ids=[c[0] for c in CHECKED])
def test_content_checks_wrap_asn1tools_own_decoder(spec, type_name, cls):
    """INTEGER, ENUMERATED, BIT STRING, BOOLEAN and NULL: a check run before asn1tools' own
    decode_content, on the class asn1tools compiles the type into."""
    compiled = type(spec.types[type_name].type)
    assert compiled is cls
    patched = compiled.decode_content
    assert patched.__module__ == x690.__name__
    assert patched.__qualname__ == "_checked.<locals>.checked_decode_content"
    wrapped = dict(zip(patched.__code__.co_freevars,
                       (cell.cell_contents for cell in patched.__closure__), strict=True))
    assert wrapped["decode_content"].__module__.startswith("asn1tools.codecs.")


@pytest.mark.parametrize(("type_name", "cls", "attribute", "function"), REPLACED,
                         ids=[r[0] for r in REPLACED])
def test_replaced_methods_are_the_projects(spec, type_name, cls, attribute, function):
    compiled = type(spec.types[type_name].type)
    assert compiled is cls
    assert getattr(compiled, attribute) is function


def test_the_card_modules_use_the_patched_classes():
    """The SGP.22 module comes from the compiled-module cache (a pickle): its types are
    instances of the same, patched, asn1tools classes."""
    signed2 = rsp().types["SmdpSigned2"].type
    assert type(signed2) is ber.Sequence
    flag = next(m for m in signed2.root_members if m.name == "ccRequiredFlag")
    assert type(flag) is ber.Boolean


# -- INTEGER and ENUMERATED: X.690 8.3.1, 8.3.2 (8.4: ENUMERATED is coded as INTEGER) ----------

@pytest.mark.parametrize(("data", "value"), [
    ("02 01 00", 0), ("02 01 7F", 127), ("02 02 00 80", 128), ("02 01 FF", -1),
    ("02 01 80", -128), ("02 02 FF 7F", -129),
])
def test_minimal_integers_decode(spec, data, value):
    assert decode(spec, "I", data) == value


@pytest.mark.parametrize("data", ["02 02 00 05", "02 02 FF 85", "02 03 00 00 80", "02 00"],
                         ids=["leading-00", "leading-FF", "two-leading-00", "empty"])
def test_non_minimal_integer_refused_even_in_ber(spec, data):
    """8.3.2: the first nine bits are not all 0 nor all 1; 8.3.1: at least one octet.
    Both are BER rules, so they hold without strict DER."""
    assert refused(spec, "I", data)


def test_non_minimal_enumerated_refused(spec):
    assert decode(spec, "E", "0A 02 01 2C") == "big"
    assert refused(spec, "E", "0A 02 00 01")
    assert refused(spec, "E", "0A 00")


# -- BOOLEAN: X.690 8.2.2 (BER: TRUE is any non-zero octet), 11.1 (DER: 'FF') -----------------

def test_boolean_true_is_ff_in_der_only(spec):
    assert decode(spec, "B", "01 01 FF", strict=True) is True
    assert decode(spec, "B", "01 01 00", strict=True) is False
    assert refused(spec, "B", "01 01 01", strict=True)
    assert refused(spec, "B", "01 01 80", strict=True)
    assert decode(spec, "B", "01 01 01") is True  # BER leaves it to the decoder


# -- NULL: X.690 8.8.2 --------------------------------------------------------------------------

def test_null_has_no_contents(spec):
    assert decode(spec, "N", "05 00") is None
    assert refused(spec, "N", "05 01 00")


# -- BIT STRING: X.690 8.6.2, 8.6.2.2, 8.6.2.3, 11.2.1 ---------------------------------------

def test_bit_string_unused_bits(spec):
    assert decode(spec, "BS", "03 02 07 80", strict=True) == (b"\x80", 1)
    assert decode(spec, "BS", "03 01 00", strict=True) == (b"", 0)
    assert refused(spec, "BS", "03 00")  # 8.6.2: the initial octet is always there
    assert refused(spec, "BS", "03 02 08 80")  # 8.6.2.2: 0 to 7 unused bits
    assert refused(spec, "BS", "03 01 07")  # 8.6.2.3: none when there are no bits
    assert refused(spec, "BS", "03 02 07 C0", strict=True)  # 11.2.1: unused bits zero
    assert decode(spec, "BS", "03 02 07 C0") == (b"\xc0", 1)  # BER: their value is free


# -- OBJECT IDENTIFIER: X.690 8.19.2, 8.19.4 ---------------------------------------------------

@pytest.mark.parametrize(("data", "dotted"), [
    ("06 01 4F", "1.39"), ("06 01 50", "2.0"),
    ("06 01 78", "2.40"),  # first subidentifier 120 = 2 * 40 + 40 (asn1tools: "3.0")
    ("06 03 88 37 0A", "2.999.10"),  # 1079 = 2 * 40 + 999 (asn1tools: "26.39.10")
    ("06 06 2B 06 01 04 01 81", None),  # cut inside its last subidentifier
    ("06 03 2A 86 48", "1.2.840"),
])
def test_object_identifier_first_arcs(spec, data, dotted):
    """8.19.4: the first subidentifier is 40 X + Y, X being 2 for every value from 80 on
    (only arcs 0 and 1 limit Y to 0..39)."""
    if dotted is None:
        assert refused(spec, "O", data)
        return
    assert decode(spec, "O", data) == dotted
    assert spec.encode("O", dotted) == h(data)


@pytest.mark.parametrize("data", ["06 04 80 88 37 0A", "06 04 2A 80 86 48", "06 00"],
                         ids=["leading-80-first", "leading-80-later", "empty"])
def test_object_identifier_subidentifiers_in_fewest_octets(spec, data):
    """8.19.2: no subidentifier starts with '80'; there is at least one."""
    assert refused(spec, "O", data)


# -- SEQUENCE: X.690 8.9.2 (members in the order of the definition), X.680 25 ----------------

def test_sequence_members_in_order_each_once_in_der(spec):
    assert decode(spec, "S", "30 06 80 01 05 81 01 FF", strict=True) == {"a": 5, "b": True}
    assert refused(spec, "S", "30 06 81 01 FF 80 01 05", strict=True)
    assert refused(spec, "S", "30 09 80 01 05 81 01 FF 81 01 FF", strict=True)
    assert refused(spec, "S", "30 06 80 01 05 80 01 06", strict=True)
    assert decode(spec, "S", "30 06 81 01 FF 80 01 05") == {"a": 5, "b": True}


# -- explicit tags: X.690 8.14 ------------------------------------------------------------------

def test_explicit_tag_holds_one_value_in_der(spec):
    assert decode(spec, "X", "65 03 02 01 05", strict=True) == 5
    assert refused(spec, "X", "65 06 02 01 05 02 01 06", strict=True)


# -- CHOICE and SEQUENCE OF ---------------------------------------------------------------------

def test_unknown_choice_alternative_is_counted(spec):
    """X.680 29.7: an alternative the module lacks, after an extension marker, decodes as
    (None, None) and is counted for decode_known; without the marker it does not decode."""
    before = x690.unknown_alternatives_decoded()
    assert decode(spec, "C", "04 01 00") == (None, None)
    assert x690.unknown_alternatives_decoded() == before + 1
    assert decode(spec, "C", "81 01 FF") == ("b", True)  # AUTOMATIC TAGS: [1]
    assert x690.unknown_alternatives_decoded() == before + 1
    assert refused(spec, "F", "04 01 00")


def test_sequence_of_a_member_that_does_not_decode_is_refused(spec):
    """asn1tools' own SEQUENCE OF loop never ends on such a member: run it in a thread so a
    lost patch fails the test instead of hanging the suite."""
    outcome = []

    def run() -> None:
        outcome.append(refused(spec, "L", "30 05 80 01 05 04 00"))

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert outcome == [True]
    assert decode(spec, "L", "30 06 80 01 05 81 01 FF") == [("i", 5), ("b", True)]


# -- what the patches leave to check_tlv_form: X.690 8.1.2.4, 10.1 ----------------------------

@pytest.mark.parametrize("data", ["02 81 01 05", "02 82 00 01 05", "1F 02 01 05"],
                         ids=["long-form-length", "leading-zero-length", "high-tag-form"])
def test_non_minimal_lengths_and_tags_are_refused_by_the_decoding_layer(spec, data):
    """TLV forms are no content rule, so no class patch sees them: decode_exact refuses them
    for a strict DER module before decoding (10.1: a definite length in the fewest octets;
    8.1.2.4: a tag number below 31 in the one-octet form)."""
    strict_spec = asn1tools.compile_string(MODULE, "der")
    strict_spec.strict_der = True
    with pytest.raises(Asn1Error, match="not DER"):
        decode_exact(strict_spec, "I", h(data))
