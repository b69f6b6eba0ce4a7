"""SIZE constraints of OCTET STRING members and value ranges of INTEGERs checked while
decoding (X.680 51.5 size constraint, 51.4 value range), and a decoded value's constraint
walk without them.

A profile package's value is checked after its decode by walking its type's constraint
checks (:mod:`.constraints`): most of the parts a TS.48 package checks are SIZE-constrained
OCTET STRING members of SEQUENCEs (every Fcp's file identifier, SFI, descriptor, ...) and
INTEGERs with a range (each element header's identification, each fillFileOffset), and the
walk to them was 7% of a download. The decoder has each one's length or value in hand when
it makes it (:mod:`.dispatch`'s tables), so :func:`fuse` gives those members' and CHOICE
alternatives' table entries their bounds and gives each named compiled type a second
checker tree, for decoded values, without these checks. What the decode does not vouch
for goes to the full walk, which raises asn1tools' ``ConstraintsError`` with its message
and location for the same value as before:

- a length or value outside its bounds: the decode counts it
  (:func:`.dispatch.unchecked_count`);
- a SEQUENCE or CHOICE with bounds decoded by anything but its table's inline paths
  (asn1tools' member trial for indefinite lengths or an undecided tag, the strict-DER
  member walk, a member's own decode): counted the same way.

A caller compares the count before and after its decode (:func:`check_decoded`); a count
never goes back, and another thread's can only send a value to the full walk. A member
with a DEFAULT keeps its check unless the default itself is within the bounds (a default
is filled in, not decoded); everything else (lists' sizes, strings' alphabets, members of
recursive types) keeps its check in the walk.
"""

from __future__ import annotations

import copy

from asn1tools.codecs import ber, der
from asn1tools.codecs import constraints_checker as cc

from . import dispatch
from .constraints import _NOOP, _prepare, _vacuous


def fuse(spec, type_names: tuple[str, ...]) -> int:
    """Move the SIZE checks of OCTET STRING members and the range checks of INTEGER members
    and alternatives into the decode tables of the named types of a compiled specification
    (pruned and prepared before: :func:`.constraints.prune`, :func:`.dispatch.prepare`);
    the number of checks moved."""
    candidates: dict[int, tuple[object, list[tuple[object, dict]]]] = {}
    copies = []
    for name in type_names:
        compiled = spec._types[name]
        checker = copy.deepcopy(compiled.constraints_checker, {id(_NOOP): _NOOP})
        copies.append((compiled, checker))
        _pair(compiled._type, checker._type, candidates, set())
    moved = 0
    for node, pairs in candidates.values():
        names = set.intersection(*(set(found) for _, found in pairs))
        bounds = {n: b for _, found in pairs for n, b in found.items() if n in names}
        if not names or not dispatch.give_bounds(node, bounds):
            continue
        for checker, _ in pairs:
            if type(checker) is cc.Dict:
                checker.members = [m for m in checker.members if m.name not in names]
            else:  # a CHOICE: nothing left to check of these alternatives
                for name in names:
                    checker.name_to_member[name] = _NOOP
        moved += len(names) * len(pairs)
    seen: dict[int, bool] = {}
    done: set[int] = set()
    for compiled, checker in copies:
        _vacuous(checker._type, seen)
        _prepare(checker._type, done)
        compiled._decoded_checker = checker
    return moved


_CHECKER_OF = {"size": cc.Bytes, "value": cc.Integer}


def _bounds(member, checker) -> tuple[float, float] | None:
    """The bounds the decode can check for ``member`` in place of ``checker``, or None."""
    kind = dispatch.bounded_kind(member)
    if kind is None or type(checker) is not _CHECKER_OF[kind] or checker._low is None:
        return None
    bounds = (checker._low, checker._high)
    if member.has_default():  # filled in, not decoded: only a default within the bounds
        default = member.get_default()
        measure = len(default) if kind == "size" else default
        if not bounds[0] <= measure <= bounds[1]:
            return None
    return bounds


def _pair(codec, checker, candidates: dict, visited: set) -> None:
    """Walk a codec type and its checker together; note the members of each SEQUENCE and
    the alternatives of each CHOICE whose checks the decode can make."""
    key = (id(codec), id(checker))
    if key in visited or checker is _NOOP:
        return
    visited.add(key)
    while isinstance(codec, ber.ExplicitTag):
        codec = codec.inner
    if type(codec) is ber.Sequence and type(checker) is cc.Dict:
        children = {m.name: m for m in dispatch.members_of(codec)}
        checks = [(m.name, m) for m in checker.members]
    elif isinstance(codec, ber.Choice) and type(checker) is cc.Choice:
        children = {m.name: m for m in codec.members}
        checks = list(checker.name_to_member.items())
    else:
        if isinstance(codec, (ber.ArrayType, der.ArrayType)) and type(checker) is cc.List:
            _pair(codec.element_type, checker.element_type, candidates, visited)
        return  # anything else (a recursive type, ANY, ...) keeps every check below it
    found: dict[str, tuple[float, float]] = {}
    for name, member_checker in checks:
        member = children.get(name)
        if member is None or member_checker is _NOOP:
            continue
        bounds = _bounds(member, member_checker)
        if bounds is not None:
            found[name] = bounds
        else:
            _pair(member, member_checker, candidates, visited)
    candidates.setdefault(id(codec), (codec, []))[1].append((checker, found))


def check_decoded(compiled, value, before: int) -> None:
    """Check ``value``'s constraints after its decode: without the ones the decode checked
    when the count is still ``before``, else all of them."""
    checker = compiled.__dict__.get("_decoded_checker")
    if checker is None or dispatch.unchecked_count() != before:
        compiled.check_constraints(value)
    else:
        checker.encode(value)
