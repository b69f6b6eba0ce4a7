"""ASN.1 modules of the card, compiled once per process (SGP.22 Annex H, RSPDefinitions;
TCA eUICC Profile Package Interoperable Format, PEDefinitions) and kept compiled between
runs (:mod:`euicc.asn1.compiled`); asn1tools is imported without the codecs and the command
line the card never uses (:mod:`euicc.asn1.lean`).

:func:`rsp` returns the compiled SGP.22 module and :func:`pe` the compiled profile package
module (both DER codec). :func:`decode_exact` refuses trailing bytes, which asn1tools would
otherwise ignore silently, and decodes the SGP.22 module as strict DER (SGP.22 Annex H; the
checks are in :mod:`euicc.asn1.x690`, which also makes asn1tools refuse the forms X.690
forbids in BER as well). Profile packages (SAIP) keep BER tolerance for the forms BER allows.

asn1tools' DER decoder of SEQUENCE OF / SET OF loops forever when a member does not decode
(a CHOICE member with a tag none of its alternatives has comes back without consuming a
byte): :func:`_decode_array_content` replaces that loop with one that refuses such data, so
a malformed ES10 request or profile element gets its error instead of hanging the card.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from .lean import import_asn1tools

asn1tools = import_asn1tools()  # before anything imports it whole (see .lean)

from asn1tools.codecs import ErrorWithLocation, ber, der  # noqa: E402

from .compiled import load as load_compiled  # noqa: E402
from .constraints import prune as prune_constraint_checks  # noqa: E402
from .dispatch import (  # noqa: E402
    UNDECIDED,
    decode_choice,
    decode_short_alternative,
)
from .dispatch import prepare as prepare_dispatch  # noqa: E402
from .dispatch import unchecked_count as unchecked_sizes  # noqa: E402
from .fusion import check_decoded  # noqa: E402
from .fusion import fuse as fuse_size_checks  # noqa: E402
from .x690 import (  # noqa: E402
    DerError,
    check_tlv_form,
    decode_choice_value,
    strict,
    unknown_alternatives_decoded,
)
from .x690 import is_strict as strict_now  # noqa: E402

_HERE = Path(__file__).parent


class Asn1Error(ValueError):
    """Data that does not decode as the expected ASN.1 type."""


def _decode_array_content(self, data, offset, length):
    decoded, start = [], offset
    element_type = self.element_type
    # a SEQUENCE OF CHOICE (every SAIP File): the alternative found by its tag here, as
    # x690's CHOICE decode would find it, one call fewer per value; that decode otherwise
    by_tag = type(element_type).decode is decode_choice_value
    short = None
    if by_tag:
        table = element_type.__dict__.get("_dispatch_table")
        short = table[0] if table else None
    inline = short is not None and not strict_now()  # strict DER: each through its decode
    size = len(data)
    while offset - start < length:
        if inline and offset + 1 < size and data[offset] & 0x1F != 0x1F:
            # a one-octet tag: decoded here when short (members by table: BER here)
            found = decode_short_alternative(short, data, offset, size, True)
            if found is not None:
                member, value, offset = found
                decoded.append((member.name, value))
                continue
        found = decode_choice(element_type, data, offset) if by_tag else None
        if found is not None and found is not UNDECIDED:
            member, value, after = found
            element = (member.name, value)
        else:
            element, after = element_type.decode(data, offset)
        if after is None or after <= offset:
            raise asn1tools.DecodeError(f"{self.name}: member at offset {offset} does not "
                                        "decode")
        decoded.append(element)
        offset = after
    return decoded, offset


der.ArrayType.decode_content = _decode_array_content


@cache
def _module(name: str) -> tuple[dict, asn1tools.compiler.Specification]:
    """(parsed, compiled) of one of the card's modules, from the compiled-module cache, its
    constraint checks pruned of the parts that check nothing (:mod:`.constraints`), its
    members' tag tables made (:mod:`.dispatch`). ``name`` may join several files with
    "+", compiled as one specification (the later ones import from the earlier)."""
    files = tuple(_HERE / f"{part}.asn" for part in name.split("+"))
    parsed, spec = load_compiled(files if len(files) > 1 else files[0], "der")
    prune_constraint_checks(spec)
    prepare_dispatch(spec)
    return parsed, spec


@cache
def rsp() -> asn1tools.compiler.Specification:
    spec = _module("rsp")[1]
    spec.strict_der = True  # SGP.22 data is DER, ES10 requests included (5.7.2: '6A80')
    return spec


@cache
def sgp32() -> asn1tools.compiler.Specification:
    """SGP32Definitions (SGP.32 v1.0, sgp32.asn) compiled with the SGP.22 module it imports
    from: one specification that encodes and decodes the types of both, strict DER as
    :func:`rsp` (SGP.32 2.1.3 keeps SGP.22's encoding rules). Only an IoT card loads it."""
    spec = _module("rsp+sgp32")[1]
    spec.strict_der = True
    return spec


@cache
def pe() -> asn1tools.compiler.Specification:
    """PEDefinitions (SAIP 3.3.1, also decodes 2.x): one ``ProfileElement`` per TLV of a
    package, the sizes of its OCTET STRING members checked as it decodes (:mod:`.fusion`)."""
    spec = _module("pe")[1]
    fuse_size_checks(spec, ("ProfileElement",))
    return spec


def _decode_with_length(spec: asn1tools.compiler.Specification, type_name: str, data):
    """asn1tools' ``Specification.decode_with_length(..., check_constraints=True)`` for the
    BER/DER codec, given the data as ``bytes``: asn1tools copies its input into a bytearray
    first, and then every OCTET STRING of the value was a bytearray slice copied again into
    bytes (a profile package has some 1,400). The same type objects decode, raise and
    check constraints; only the input is not copied."""
    try:
        compiled = spec._types[type_name]
        root = compiled._type
    except (AttributeError, KeyError):
        return spec.decode_with_length(type_name, data, check_constraints=True)
    data = bytes(data)
    before = unchecked_sizes()
    try:
        value, length = root.decode(data, 0)
        ber.check_decode_error(root, value, data, length)
    except ErrorWithLocation as e:
        e.add_location(root)
        raise
    check_decoded(compiled, value, before)  # the sizes the decode checked, not again
    return value, length


def decode_exact(spec: asn1tools.compiler.Specification, type_name: str, data: bytes):
    """Decode ``data`` as exactly one ``type_name`` value, constraints checked; in DER form
    where the module is strict DER."""
    is_strict = getattr(spec, "strict_der", False)
    try:
        if is_strict:
            check_tlv_form(data)
        if is_strict is strict_now():  # already so (a profile element): no context to set
            value, length = _decode_with_length(spec, type_name, data)
        else:
            with strict(is_strict):
                value, length = _decode_with_length(spec, type_name, data)
    except DerError as exc:
        raise Asn1Error(f"{type_name}: not DER: {exc}") from None
    except Exception as exc:  # asn1tools raises several unrelated exception types
        raise Asn1Error(f"{type_name}: {exc}") from exc
    if length != len(data):
        raise Asn1Error(f"{type_name}: {len(data) - length} trailing bytes")
    return value


def decode_known(spec: asn1tools.compiler.Specification, type_name: str, data: bytes):
    """:func:`decode_exact`, and where the value holds a CHOICE alternative the module does
    not define (:func:`unknown_alternative`), or None. The value is searched only when the
    decode met such an alternative."""
    before = unknown_alternatives_decoded()
    value = decode_exact(spec, type_name, data)
    if unknown_alternatives_decoded() == before:
        return value, None
    return value, unknown_alternative(value)


def encode(spec: asn1tools.compiler.Specification, type_name: str, value) -> bytes:
    return bytes(spec.encode(type_name, value, check_constraints=True))


def encode_decoded(spec: asn1tools.compiler.Specification, type_name: str, value) -> bytes:
    """Encode a value that :func:`decode_exact` produced (its constraints checked then)
    and that was changed only in ways that keep them (a field replaced by one of the same
    type and size): the constraint checks, a third of an encode, would find nothing, and
    neither would asn1tools' check of each part's Python type (the decoder made them)."""
    return bytes(spec.encode(type_name, value, check_types=False, check_constraints=False))


@cache
def rsp_types() -> dict:
    """The SGP.22 module's type definitions as parsed (members, named numbers and bits,
    constraints), parsed once, for readers of the module's names and limits."""
    return _module("rsp")[0]["RSPDefinitions"]["types"]


@cache
def sgp32_types() -> dict:
    """The SGP.32 module's type definitions as parsed (SGP32Definitions), over the SGP.22
    ones it refers to (an SGP.32 name wins), for readers of the modules' names."""
    parsed = _module("rsp+sgp32")[0]
    return {**parsed["RSPDefinitions"]["types"], **parsed["SGP32Definitions"]["types"]}


def integer_names(type_name: str, member: str | None = None,
                  types: dict | None = None) -> dict[str, int]:
    """The named numbers of an INTEGER type of the SGP.22 module (or of ``types``, e.g.
    :func:`sgp32_types`), or of a member of a SEQUENCE / CHOICE type (following one type
    reference): name -> number."""
    types = rsp_types() if types is None else types
    definition = types[type_name]
    if member is not None:
        definition = next(m for m in definition["members"] if m["name"] == member)
    while "named-numbers" not in definition and definition["type"] in types:
        definition = types[definition["type"]]
    return {name: int(number) for name, number in definition.get("named-numbers", {}).items()}


def named_bits(type_name: str) -> dict[str, int]:
    """Bit numbers of a named BIT STRING type of the SGP.22 module, by name."""
    return {name: int(number) for name, number in rsp_types()[type_name]["named-bits"]}



def unknown_alternative(value, path: str = "") -> str | None:
    """Where a decoded value holds a CHOICE alternative the module does not define, or None.
    The modules are extensible (EXTENSIBILITY IMPLIED, extension markers), so asn1tools
    decodes such an alternative as ``(None, None)`` (X.680 29.7: an unknown extension)
    instead of refusing it; a caller that must act on the value cannot."""
    if isinstance(value, tuple) and len(value) == 2:
        name, member = value
        if name is None and member is None:
            return path or "/"
        if not isinstance(name, str):
            return None  # a BIT STRING: (bytes, number of bits)
        members = [(name, member)]
    elif isinstance(value, dict):
        members = list(value.items())
    elif isinstance(value, list):
        members = [(f"[{n}]", member) for n, member in enumerate(value)]
    else:
        return None
    for name, member in members:
        where = unknown_alternative(member, f"{path}/{name}")
        if where is not None:
            return where
    return None
