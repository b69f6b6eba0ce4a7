"""The pruned constraint checks (euicc.asn1.constraints) refuse exactly what asn1tools' own
refuse (X.680 49-51: SIZE, value range, permitted alphabet), with the same message.

Each value of a generated profile package and of the ES10 messages is checked unchanged and
then with its leaves mutated (byte strings lengthened and emptied, integers pushed out of
their range), by the card's pruned checkers and by a freshly loaded, unpruned copy.
"""

import copy
import random
from pathlib import Path

import pytest
from asn1tools.codecs import constraints_checker as cc

import euicc.asn1 as asn1
from euicc.asn1 import compiled, constraints
from euicc.tlv import split
from euicc_tools.testkit.profile_builder import build_upp

ASN1 = Path(asn1.__file__).parent


def _unpruned(name: str):
    return compiled.load(ASN1 / f"{name}.asn", "der")[1]


def _leaves(value, path=()):
    """(path, leaf) of every bytes/int leaf of a decoded value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    elif isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        yield from _leaves(value[1], (*path, 1))
    elif isinstance(value, bytes | bytearray) or (isinstance(value, int)
                                                   and not isinstance(value, bool)):
        yield path, value


def _replaced(value, path, leaf):
    value = copy.deepcopy(value)
    holder = value
    for step in path[:-1]:
        holder = holder[step]
    if isinstance(holder, tuple):  # a CHOICE (name, value): rebuild it in its parent
        raise LookupError
    holder[path[-1]] = leaf
    return value


def _mutations(value, rng):
    for path, leaf in _leaves(value):
        if isinstance(leaf, int):
            candidates = [leaf + 70000, -1, 1 << 40]
        else:
            candidates = [b"", bytes(leaf) * 3 + b"\x00" * 20]
        for candidate in candidates:
            try:
                yield _replaced(value, path, candidate)
            except (LookupError, TypeError):
                pass
    rng.random()


def _outcome(spec, type_name, value):
    try:
        spec._types[type_name].check_constraints(value)
    except Exception as exc:  # noqa: BLE001 - the type and text are what is compared
        return type(exc).__name__, str(exc)
    return None


def test_profile_elements_pruned_and_unpruned_agree():
    pruned, unpruned = asn1.pe(), _unpruned("pe")
    rng = random.Random(7)
    refused = 0
    package = build_upp("8949449999999990023", "001010123456789", k=bytes(range(16)),
                        opc=bytes(16), include=("mf", "usim", "isim", "df-5gs",
                                                 "securityDomain"))
    for element in split(package):
        value = pruned.decode("ProfileElement", element)
        assert _outcome(pruned, "ProfileElement", value) is None
        for mutated in _mutations(value, rng):
            outcome = _outcome(pruned, "ProfileElement", mutated)
            assert outcome == _outcome(unpruned, "ProfileElement", mutated)
            refused += outcome is not None
    assert refused > 50  # the mutations do reach constrained fields


def test_es10_messages_pruned_and_unpruned_agree():
    pruned, unpruned = asn1.rsp(), _unpruned("rsp")
    value = {"svn": b"\x02\x02\x00", "euiccCiPKIdListForVerification": [b"\x01" * 20],
             "euiccCiPKIdListForSigning": [b"\x01" * 20]}
    for mutated in [value, *_mutations(value, random.Random(1))]:
        assert (_outcome(pruned, "EUICCInfo1", mutated)
                == _outcome(unpruned, "EUICCInfo1", mutated))
    assert _outcome(pruned, "EUICCInfo1", {**value, "svn": b"\x02"}) is not None  # SIZE(3)


def test_pruning_leaves_no_check_behind_where_there_is_a_constraint():
    """The card's modules: every type that has any constraint keeps a checker that refuses."""
    spec = asn1.pe()
    checker = spec._types["ProfileElement"].constraints_checker._type
    assert isinstance(checker, cc.Choice)
    with pytest.raises(Exception, match="between"):
        spec.encode("ProfileElement", ("header", {
            "major-version": 2, "minor-version": 1, "iccid": b"\x89" * 11,
            "eUICC-Mandatory-services": {}, "eUICC-Mandatory-GFSTEList": []}),
            check_constraints=True)


def test_in_range_patch_is_installed_and_keeps_asn1tools_meaning():
    """Pins the one replaced asn1tools method: the bounds 'MIN'/'MAX' mean open ends."""
    assert cc.Type.is_in_range is constraints._is_in_range
    check = cc.Integer("x")
    assert check.is_in_range(-(10 ** 30)) and check.is_in_range(10 ** 30)
    check.set_restricted_to_range(0, 255, False)
    assert check.is_in_range(0) and check.is_in_range(255)
    assert not check.is_in_range(-1) and not check.is_in_range(256)
    check = cc.Integer("y")
    check.set_restricted_to_range(None, 5, False)
    assert check.is_in_range(-(10 ** 30)) and not check.is_in_range(6)


def _message(checker, value):
    try:
        checker.encode(value)
    except cc.ConstraintsError as exc:
        return str(exc)
    return None


def test_fast_paths_refuse_what_asn1tools_refuses_with_its_message():
    """The prepared checkers (numeric bounds, member tuples) take the same decisions as
    asn1tools' own methods and leave the refusal, and its message, to them (X.680 51.5
    SizeConstraint, 51.4 ValueRange)."""
    octets = cc.Bytes("fileID", 2, 2, False)
    number = cc.Integer("u8")
    number.set_restricted_to_range(0, 255, False)
    entries = cc.List("list", number, 1, 2, False)
    choice = cc.Choice("c", [octets, number], False)
    record = cc.Dict("d", [octets, entries])
    checkers = [octets, number, entries, choice, record]
    cases = [(octets, b"\x3f\x00"), (octets, b"\x3f"), (number, 255), (number, 256),
             (number, -1), (entries, [1]), (entries, []), (entries, [1, 2, 3]),
             (entries, [1, 300]), (choice, ("u8", 7)), (choice, ("u8", 700)),
             (choice, ("other", 1)), (record, {"fileID": b"\x00\x01", "list": [1]}),
             (record, {"fileID": b"\x00"}), (record, {"list": [999]}), (record, {}),
             # two members refused, the later one first in the value: the prepared check
             # walks the value's order, and must still name the member asn1tools names
             (record, {"list": [999], "fileID": b"\x00"}),
             (record, {"list": [], "fileID": b"\x00\x01"})]
    original = {kind: [(c, value, _message(c, value)) for c, value in cases
                       if type(c) is kind]
                for kind in (cc.Bytes, cc.Integer, cc.List, cc.Choice, cc.Dict)}
    prepared: set[int] = set()
    for checker in checkers:
        constraints._prepare(checker, prepared)
    assert octets._low == 2 and number._high == 255 and record._checks is not None
    refused = 0
    for kind, results in original.items():
        for checker, value, message in results:
            assert _message(checker, value) == message, (kind, value)
            refused += message is not None
    assert refused == 12
