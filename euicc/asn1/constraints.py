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
    """Prune the checker trees of every type of a compiled specification and give what is
    left its fast path (:func:`_prepare`); the number of types left with no check at all."""
    seen: dict[int, bool] = {}
    vacuous = 0
    for types in spec.modules.values():
        for compiled in types.values():
            if _vacuous(compiled.constraints_checker._type, seen):
                vacuous += 1
    prepared: set[int] = set()
    for types in spec.modules.values():
        for compiled in types.values():
            _prepare(compiled.constraints_checker._type, prepared)
    return vacuous


# -- fast paths ---------------------------------------------------------------------------
# A profile package has some 1,700 SIZE-constrained OCTET STRINGs (file identifiers, FCP
# parts, keys); asn1tools checks each through is_in_range's two comparisons with "MIN" and
# "MAX". The bounds as numbers make the check of a value that passes one comparison chain;
# a value that fails goes to asn1tools' own check, which raises its ConstraintsError with
# its message. A checker never prepared keeps asn1tools' path.
_bytes_check, _integer_check, _dict_check = cc.Bytes.encode, cc.Integer.encode, cc.Dict.encode
_list_check, _choice_check = cc.List.encode, cc.Choice.encode


def _bounds(checker) -> tuple[float, float]:
    low, high = checker.minimum, checker.maximum
    return (float("-inf") if low == "MIN" else low), (float("inf") if high == "MAX" else high)


def _prepare(checker, done: set[int]) -> None:
    if id(checker) in done:
        return
    done.add(id(checker))
    if type(checker) in (cc.Bytes, cc.Integer):
        checker._low, checker._high = _bounds(checker)
    elif isinstance(checker, cc.Dict):
        for member in checker.members:
            _prepare(member, done)
        # A SIZE-bounded OCTET STRING member (1,750 of a TS.48 package's 3,100 checked
        # parts) is tested in the SEQUENCE's own loop, without a call; one that fails the
        # test goes to its checker, which raises asn1tools' error with its location.
        checker._checks = tuple((m.name, m, *(_bounds(m) if type(m) is cc.Bytes
                                              else (None, None)))
                                for m in checker.members)
    elif type(checker) is cc.List:
        checker._low, checker._high = _bounds(checker)
        _prepare(checker.element_type, done)
    elif type(checker) is cc.Choice:
        # the alternatives to check; a pruned one (nothing to check) maps to None
        checker._checks = {name: None if member is _NOOP else member
                           for name, member in checker.name_to_member.items()}
        for member in checker.name_to_member.values():
            _prepare(member, done)
    elif isinstance(checker, cc.Recursive) and checker.inner is not None:
        _prepare(checker.inner, done)


def _bytes_encode(self, data) -> None:
    low = self._low
    if low is None or not low <= len(data) <= self._high:
        _bytes_check(self, data)


def _integer_encode(self, data) -> None:
    low = self._low
    if low is None or not low <= data <= self._high:
        _integer_check(self, data)


def _dict_encode(self, data) -> None:
    checks = self._checks
    if checks is None:
        return _dict_check(self, data)
    for name, member, low, high in checks:
        if name in data:
            value = data[name]
            if low is not None and low <= len(value) <= high:
                continue
            try:
                member.encode(value)
            except cc.ErrorWithLocation as e:
                e.add_location(member)
                raise


def _list_encode(self, data) -> None:
    low = self._low
    if low is None or not low <= len(data) <= self._high:
        return _list_check(self, data)
    element = self.element_type
    if element is _NOOP:
        return
    checks = element._checks if type(element) is cc.Choice else None
    if checks is None:
        for entry in data:
            element.encode(entry)
        return
    for entry in data:  # a SEQUENCE OF CHOICE (every SAIP File): _choice_encode, inline
        member = checks.get(entry[0], _NOOP)
        if member is None:
            continue  # an alternative with nothing to check
        if member is _NOOP:
            element.encode(entry)  # not in the table: asn1tools' own check says why
            continue
        try:
            member.encode(entry[1])
        except cc.ErrorWithLocation as e:
            e.add_location(member)
            raise


def _choice_encode(self, data) -> None:
    checks = self._checks
    if checks is None or data[0] not in checks:
        return _choice_check(self, data)
    member = checks[data[0]]
    if member is not None:
        try:
            member.encode(data[1])
        except cc.ErrorWithLocation as e:
            e.add_location(member)
            raise


for _checker in (cc.Bytes, cc.Integer, cc.List):
    _checker._low = _checker._high = None
cc.Dict._checks = cc.Choice._checks = None
cc.Bytes.encode, cc.Integer.encode, cc.Dict.encode = _bytes_encode, _integer_encode, _dict_encode
cc.List.encode, cc.Choice.encode = _list_encode, _choice_encode


def _is_in_range(self, value) -> bool:
    """asn1tools' ``Type.is_in_range`` with its two bound look-ups inlined (it is called for
    every constrained leaf of every value checked)."""
    minimum, maximum = self.minimum, self.maximum
    return (minimum == "MIN" or value >= minimum) and (maximum == "MAX" or value <= maximum)


cc.Type.is_in_range = _is_in_range
