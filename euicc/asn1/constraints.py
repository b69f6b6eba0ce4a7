"""Constraint checking (X.680 49-51: SIZE, value range, permitted alphabet) without the walk
through parts of a value that have no constraint.

asn1tools checks a decoded or to-be-encoded value against its type's constraints by walking
the whole value: every member of every SEQUENCE, every entry of every SEQUENCE OF, down to
each leaf, whether or not anything below has a constraint. Most of a profile element has
none (file contents, FCPs as OCTET STRINGs without SIZE), so the walk was about 40% of
decoding a TS.48 profile for the Profile Package Interpreter.

:func:`prune` rewrites a compiled module's checker trees once, keeping every check: a part
whose subtree has no constraint at all is dropped from its SEQUENCE's member list, and the
element checker of an unconstrained SEQUENCE OF becomes a no-op, as does a CHOICE whose
alternatives have none (its own check, of the alternative's name, can only fail for a value
the encoder refuses anyway, and never for a decoded one). What remains still raises
asn1tools' ``ConstraintsError`` with the same message for the same value.
"""

from __future__ import annotations

from asn1tools.codecs import constraints_checker as cc

# Leaves that never refuse a value (their encode is a no-op in asn1tools).
_NO_CHECK = (cc.Boolean, cc.Null, cc.Float, cc.Enumerated, cc.Time, cc.Skip)
_RANGED = (cc.Integer, cc.Bytes, cc.BitString)
_NOOP = cc.Skip("pruned")


def _unbounded(checker) -> bool:
    return checker.minimum == "MIN" and checker.maximum == "MAX"


def _vacuous(checker, seen: dict[int, bool]) -> bool:
    """True when ``checker`` can never raise; prunes its children on the way."""
    key = id(checker)
    if key in seen:
        return seen[key]
    seen[key] = False  # a recursive type met again while being worked out: keep it
    if isinstance(checker, _NO_CHECK):
        result = True
    elif isinstance(checker, cc.String):
        result = _unbounded(checker) and checker.permitted_alphabet is None
    elif isinstance(checker, _RANGED):
        result = type(checker) in _RANGED and _unbounded(checker)
    elif isinstance(checker, cc.Dict):
        checker.members = [m for m in checker.members if not _vacuous(m, seen)]
        result = not checker.members
    elif isinstance(checker, cc.List):
        if _vacuous(checker.element_type, seen):
            checker.element_type = _NOOP
        result = _unbounded(checker) and checker.element_type is _NOOP
    elif isinstance(checker, cc.Choice):
        for name, member in checker.name_to_member.items():
            if _vacuous(member, seen):
                checker.name_to_member[name] = _NOOP
        # A CHOICE's own check refuses an alternative name the type lacks: a decoded value
        # has none, and the encoder refuses one itself (asn1tools EncodeError).
        result = all(m is _NOOP for m in checker.name_to_member.values())
    elif isinstance(checker, cc.Recursive):
        result = checker.inner is not None and _vacuous(checker.inner, seen)
    else:
        result = False  # a checker class this module does not know: keep its check
    seen[key] = result
    return result


def prune(spec) -> int:
    """Prune the checker trees of every type of a compiled specification; the number of
    types left with no check at all."""
    seen: dict[int, bool] = {}
    vacuous = 0
    for types in spec.modules.values():
        for compiled in types.values():
            if _vacuous(compiled.constraints_checker._type, seen):
                vacuous += 1
    return vacuous


def _is_in_range(self, value) -> bool:
    """asn1tools' ``Type.is_in_range`` with its two bound look-ups inlined (it is called for
    every constrained leaf of every value checked)."""
    minimum, maximum = self.minimum, self.maximum
    return (minimum == "MIN" or value >= minimum) and (maximum == "MAX" or value <= maximum)


cc.Type.is_in_range = _is_in_range
