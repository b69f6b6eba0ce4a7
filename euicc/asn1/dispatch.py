"""SEQUENCE members and CHOICE alternatives found by their tag (X.680 25 and 29: in a
SEQUENCE, and among the alternatives of a CHOICE, the tags are distinct, X.680 25.6 / 29.2),
for asn1tools' BER/DER decoder.

asn1tools decodes a SEQUENCE by trying each member in turn at the current offset (BER lets
the members come in any order, so it loops over the untried members until none decodes):
a member that is absent still costs a tag comparison and a call, a present one a call
through ``decode`` that compares its tag again: a quarter of the time of decoding a TS.48
profile package, whose Fcp and template SEQUENCEs have dozens of OPTIONAL members.

:func:`decode_members_any_order` gives the same values, the same errors and the same end
offset as asn1tools' ``MembersType.decode_content`` for a definite length (X.690 8.1.3.3):
a table made once per compiled SEQUENCE maps each member's tag to the member, so each
encoded member costs one dictionary look-up, and a member whose type decodes the standard
way (tag, length, contents: asn1tools' ``StandardDecodeMixin``) has its length and contents
decoded without a second look at its tag. Where the table cannot say what asn1tools'
trial would decide, the trial runs as before: indefinite lengths, two members with one tag
(an ambiguous module), a member whose tags are not known before decoding (ANY, an unresolved
recursive type) and an untagged extensible CHOICE (which asn1tools lets take any tag as an
unknown extension, X.680 29.7).

It is the codec's own work in another order, not a second codec: every value is still
decoded by the asn1tools type of its member.
"""

from __future__ import annotations

import threading

from asn1tools.codecs import ErrorWithLocation, ber, der

_standard_decode = ber.StandardDecodeMixin.decode
_octets_content = der.OctetString.decode_content
_INTEGERS = (ber.Integer, der.Integer)
_trial = ber.MembersType.decode_content  # asn1tools' own member-by-member trial
_NO_TABLE = object()
_NO_DEFAULT = object()  # a mandatory member's entry in a table: no DEFAULT to fill in


def _tags(member) -> list[bytes] | None:
    """Every tag that starts an encoding of ``member``; None when it cannot be known."""
    if isinstance(member, ber.Choice):
        if member.has_extension_marker:
            return None  # takes any tag (as an unknown alternative)
        return list(member.tag_to_member)
    if isinstance(member, ber.Recursive):
        return None if member.inner is None else _tags(member.inner)
    if isinstance(member, (ber.Any, ber.AnyDefinedBy)) or getattr(member, "tag", None) is None:
        return None
    tags = [bytes(member.tag)]
    constructed = getattr(member, "constructed_tag", None)
    if constructed is not None and bytes(constructed) != tags[0]:
        tags.append(bytes(constructed))
    return tags


# How a member found by its tag is decoded (the second item of a table entry). _SEQUENCE
# is _BY_CONTENTS everywhere but in _decode_phase (see there).
_BY_DECODE, _BY_CONTENTS, _OCTETS, _SEQUENCE = 0, 1, 2, 3

# Decodes that did not vouch for the SIZE of a member given bounds (.fusion): a length out
# of them, or a SEQUENCE with such members decoded another way than by its tables. Counted
# under a lock (rare: errors and fallbacks): a count never goes back, so a decode that
# counted always finds it changed, whichever threads decode at the same time.
_unchecked = [0]
_count_lock = threading.Lock()


def unchecked_count() -> int:
    """How many decodes so far, in any thread, left a bounded member's size to the full
    constraint walk (:mod:`.fusion`); a caller compares it before and after its decode."""
    return _unchecked[0]


def note_unchecked_sizes() -> None:
    """A decode that did not check a size or range its tables would have (or found one out
    of its bounds): the value goes to the full constraint walk."""
    with _count_lock:
        _unchecked[0] += 1


def members_of(sequence) -> list:
    """A compiled SEQUENCE's root members and additions."""
    return list(sequence.root_members) + (ber.flatten(sequence.additions)
                                          if sequence.additions else [])


def bounded_kind(member) -> str | None:
    """"size" for a member the tables decode as a DER OCTET STRING inline, "value" for an
    INTEGER they decode by its contents; None for any other (:func:`give_bounds`)."""
    if type(member).decode is not _standard_decode:
        return None
    if type(member).decode_content is _octets_content:
        return "size"
    return "value" if type(member) in _INTEGERS else None  # its contents: an int


def give_bounds(node, bounds: dict[str, tuple[float, float]]) -> bool:
    """Give the table entries of the members (a SEQUENCE) or alternatives (a CHOICE) of
    ``node`` named in ``bounds`` their bounds (low, high): the decode then checks an OCTET
    STRING's length or an INTEGER's value against them (:mod:`.fusion`). False, and nothing
    changed, when ``node`` has no tables or a named member is not decoded inline by them."""
    if isinstance(node, ber.Choice):
        table = node.__dict__.get("_dispatch_table")
        tables = None if table is None else [table]
    else:
        tables = _tables(node)
        tables = None if tables is None else tables[:2]
    if tables is None:
        return False
    entries = [(where, key, entry) for table in tables for where in table[:2]
               for key, entry in where.items() if entry[0].name in bounds]
    inline = {entry[0].name for _, _, entry in entries if entry[1] in (_OCTETS, _BY_CONTENTS)}
    if inline != set(bounds):
        return False
    for where, key, (member, how, _) in entries:
        where[key] = (member, how, bounds[member.name])
    node._dispatch_sized = True
    return True


def _how(member, tag: bytes) -> int:
    if type(member).decode is not _standard_decode or tag != bytes(member.tag):
        return _BY_DECODE  # its own decode (a CHOICE, a constructed string, ...)
    if type(member).decode_content is _octets_content:
        return _OCTETS  # DER OCTET STRING: its contents as bytes, inline
    if type(member) is ber.Sequence:
        return _SEQUENCE
    return _BY_CONTENTS


def _table(members: list):
    """({first octet: (member, how, bounds)} for one-octet tags, {tag: (member, how,
    bounds)} for longer ones, the members that must be accounted for when absent, in order),
    or None when the members' tags do not decide which member an encoding is. ``bounds``
    is None until :func:`give_bounds`."""
    short, long = {}, {}
    for member in members:
        tags = _tags(member)
        if tags is None:
            return None
        for tag in tags:
            where, key = (short, tag[0]) if len(tag) == 1 else (long, tag)
            if key in where:
                return None
            where[key] = (member, _how(member, tag), None)  # bounds: see give_bounds
    return short, long, [(m.name, m, m.get_default() if m.has_default() else _NO_DEFAULT)
                         for m in members if not m.optional]


def _tables(sequence):
    """The root members' and the additions' tables of a compiled SEQUENCE, made once."""
    tables = sequence.__dict__.get("_dispatch_tables", _NO_TABLE)
    if tables is _NO_TABLE:
        root = _table(sequence.root_members)
        additions = ber.flatten(sequence.additions) if sequence.additions else []
        extra = _table(additions)
        tables = None if root is None or extra is None else (root, extra, additions)
        sequence._dispatch_tables = tables
    return tables


def _decode_at(member, how: int, data, offset: int, tag_length: int, values=None,
               bounds=None):
    """(value, end) of ``member`` whose tag of ``tag_length`` octets is at ``offset``; an
    OCTET STRING given ``bounds`` has its length checked (:func:`give_bounds`)."""
    try:
        if how == _BY_DECODE:
            if bounds is not None:  # e.g. the constructed form: asn1tools decodes it
                note_unchecked_sizes()
            return member.decode(data, offset, values=values)
        at = offset + tag_length
        length = data[at] if at < len(data) else 0x80
        if length < 0x80 and at + 1 + length <= len(data):
            start = at + 1  # the short form, checked as decode_length checks it
        else:
            length, start = ber.decode_length(data, at,
                                              enforce_definite=not member.indefinite_allowed)
        if how == _OCTETS:
            if bounds is not None and not bounds[0] <= length <= bounds[1]:
                note_unchecked_sizes()
            return bytes(data[start:start + length]), start + length
        value, end = member.decode_content(data, start, length)
        if bounds is not None and not bounds[0] <= value <= bounds[1]:
            note_unchecked_sizes()  # an INTEGER out of its range
        return value, end
    except ErrorWithLocation as e:
        e.add_location(member)
        raise


class _Undecided(Exception):
    """The data ends inside a tag or right after it: asn1tools' trial says which member's
    error that is, so it decodes this SEQUENCE."""


def _member_at(data, offset: int, table):
    """(member, how, bounds, tag length) of the member whose tag is at ``offset``, or
    None."""
    size = len(data)
    if offset + 1 >= size:
        raise _Undecided
    first = data[offset]
    if first & 0x1F != 0x1F:
        found = table[0].get(first)
        return None if found is None else (*found, 1)
    end = offset + 1
    while end < size and data[end] & 0x80:
        end += 1
    if end + 1 >= size:
        raise _Undecided
    found = table[1].get(bytes(data[offset:end + 1]))
    return None if found is None else (*found, end + 1 - offset)


def _decode_phase(table, data, values, offset, end, ignore_missing=False) -> int:
    """asn1tools' ``decode_members`` for a definite length, by table."""
    short = table[0]
    size = len(data)
    copy = data.__class__ is not bytes  # a bytes slice is already the value's bytes
    while offset < end:
        first = data[offset]
        if first & 0x1F != 0x1F and offset + 1 < size:
            found = short.get(first)
            if found is None:
                break  # no member takes this tag: asn1tools stops here too
            member, how, bounds = found
            if how == _OCTETS:  # the commonest member: a short OCTET STRING, all inline
                length = data[offset + 1]
                stop = offset + 2 + length
                if length < 0x80 and stop <= size:
                    name = member.name
                    if name in values:
                        break  # a member twice: asn1tools has none left to try
                    if bounds is not None and not bounds[0] <= length <= bounds[1]:
                        note_unchecked_sizes()  # the full walk raises the constraint's error
                    value = data[offset + 2:stop]
                    values[name] = bytes(value) if copy else value
                    offset = stop
                    continue
            tag_length = 1
        else:
            found = _member_at(data, offset, table)
            if found is None:
                break
            member, how, bounds, tag_length = found
        name = member.name
        if name in values:
            break  # a member twice: asn1tools has none left to try
        at = offset + tag_length
        length = data[at] if how != _BY_DECODE and at < size else 0x80
        if length < 0x80 and at + 1 + length <= size:  # _decode_at's commonest cases, inline
            if how == _OCTETS:
                if bounds is not None and not bounds[0] <= length <= bounds[1]:
                    note_unchecked_sizes()  # the full walk raises the constraint's error
                value = data[at + 1:at + 1 + length]
                values[name] = bytes(value) if copy else value
                offset = at + 1 + length
                continue
            try:
                if how == _SEQUENCE:
                    # A SEQUENCE's contents as its decode_content (euicc.asn1.x690) decodes
                    # them where DER is not enforced, which is always here: a strict decode
                    # takes the members in order and never comes to this table.
                    values[name], offset = decode_members_any_order(member, data, at + 1,
                                                                    length)
                else:
                    values[name], offset = member.decode_content(data, at + 1, length)
                    if bounds is not None and not bounds[0] <= values[name] <= bounds[1]:
                        note_unchecked_sizes()  # an INTEGER out of its range
            except ErrorWithLocation as e:
                e.add_location(member)
                raise
            continue
        value, after = _decode_at(member, how, data, offset, tag_length, values, bounds)
        if value is ber.TAG_MISMATCH:
            break  # not for a tag in the table; asn1tools would stop too
        values[name] = value
        offset = after
    out_of_data = offset >= end
    for name, member, default in table[2]:  # the mandatory members no data was found for
        if name in values:
            continue
        if default is not _NO_DEFAULT:  # as asn1tools: a DEFAULT member takes its default
            values[name] = default
        elif ignore_missing:
            break
        elif out_of_data:
            raise ber.MissingMandatoryFieldError(member, offset)
        else:
            raise ber.DecodeTagError(member, data, offset, location=member)
    return offset


def _trial_unchecked(self, data, offset, length):
    """asn1tools' trial, which checks no size: counted where the tables have bounds."""
    if self.__dict__.get("_dispatch_sized"):
        note_unchecked_sizes()
    return _trial(self, data, offset, length)


def decode_members_any_order(self, data, offset, length):
    """A SEQUENCE's contents, members in any order (BER), as asn1tools decodes them."""
    if length is None:
        return _trial_unchecked(self, data, offset, length)
    tables = self.__dict__.get("_dispatch_tables", _NO_TABLE)  # _tables' made case, inline
    if tables is _NO_TABLE:
        tables = _tables(self)
    if tables is None:
        return _trial(self, data, offset, length)  # no tables: no bounds given
    root, extra, additions = tables
    start, end = offset, offset + length
    values = {}
    try:
        offset = _decode_phase(root, data, values, offset, end)
        if additions:
            offset = _decode_phase(extra, data, values, offset, end, ignore_missing=True)
    except _Undecided:
        return _trial_unchecked(self, data, start, length)
    # asn1tools leaves data after the last known member (extensions), and ends where the
    # last member ended when that runs past the SEQUENCE's own length (BER does not check)
    return values, max(offset, end)


def decode_short_alternative(short: dict, data, offset: int, size: int,
                             members_by_table: bool = False):
    """(alternative, value, end) of the alternative whose one-octet tag is at ``offset``
    (``offset + 1 < size``; ``short``: the CHOICE's one-octet-tag table), when its length is
    short and its kind lets it be decoded here: an OCTET STRING sliced, anything else by its
    contents (a SEQUENCE's members straight from its table with ``members_by_table``, which
    BER allows and strict DER does not: a SEQUENCE OF's decode asks so outside strict DER).
    Bounds given by :func:`give_bounds` are checked. None for no such alternative or one
    that takes its own decode."""
    found = short.get(data[offset])
    if found is None:
        return None
    member, how, bounds = found
    if how == _BY_DECODE:
        return None
    length = data[offset + 1]
    start = offset + 2
    if length >= 0x80 or start + length > size:
        return None
    if how == _OCTETS:
        if bounds is not None and not bounds[0] <= length <= bounds[1]:
            note_unchecked_sizes()
        value = data[start:start + length]
        return member, value if data.__class__ is bytes else bytes(value), start + length
    try:
        if how == _SEQUENCE and members_by_table:
            value, end = decode_members_any_order(member, data, start, length)
        else:
            value, end = member.decode_content(data, start, length)
    except ErrorWithLocation as e:
        e.add_location(member)
        raise
    if bounds is not None and not bounds[0] <= value <= bounds[1]:
        note_unchecked_sizes()  # an INTEGER out of its range
    return member, value, end


def decode_choice(self, data, offset):
    """(alternative, value, end) of a CHOICE whose alternative's tag is at ``offset``, the
    alternative decoded as :func:`decode_members_any_order` decodes a member; None when no
    alternative has the tag."""
    table = self.__dict__.get("_dispatch_table", _NO_TABLE)
    if table is _NO_TABLE:
        table = self._dispatch_table = _table(self.members)
    if table is None:
        return _NO_TABLE
    size = len(data)
    first = data[offset] if offset + 1 < size else 0x1F
    if first & 0x1F != 0x1F:  # a one-octet tag (the commonest case, inline)
        decoded = decode_short_alternative(table[0], data, offset, size)
        if decoded is not None:
            return decoded
        found = table[0].get(first)
        if found is None:
            return None
        member, how, bounds = found
        tag_length = 1
    else:
        try:
            found = _member_at(data, offset, table)
        except _Undecided:
            return _NO_TABLE
        if found is None:
            return None
        member, how, bounds, tag_length = found
    value, end = _decode_at(member, how, data, offset, tag_length, bounds=bounds)
    return member, value, end


UNDECIDED = _NO_TABLE  # decode_choice's answer when the table cannot decide


def prepare(spec) -> int:
    """Make the tables of every SEQUENCE and CHOICE of a compiled specification now, at
    start-up, instead of at each type's first decode (the first download would pay for
    them); the number of types given a table."""
    seen: set[int] = set()
    pending = [compiled.type for types in spec.modules.values() for compiled in types.values()]
    made = 0
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, ber.Sequence):
            made += _tables(node) is not None
            pending += node.root_members
            pending += ber.flatten(node.additions) if node.additions else []
        elif isinstance(node, ber.Choice):
            if "_dispatch_table" not in node.__dict__:
                node._dispatch_table = _table(node.members)
            made += node._dispatch_table is not None
            pending += node.members
        else:
            pending += [child for child in (getattr(node, "element_type", None),
                                            getattr(node, "inner", None))
                        if child is not None and hasattr(child, "decode")]
            pending += getattr(node, "root_members", None) or []
    return made
