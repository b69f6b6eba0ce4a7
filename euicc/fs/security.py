"""Access conditions of UICC files: ETSI TS 102 221 9.2 (security attributes: 9.2.5 compact,
9.2.6 expanded and 9.2.7 referenced to EF.ARR with security environments SE00/SE01), 9.3-9.5
(PIN key references, universal PIN, disabled PINs) and ISO/IEC 7816-4 9.3 (access mode and
security condition data objects).

A file carries its security attributes as FCP TLVs (:attr:`File.security`): '8B' (EF.ARR
file identifier and record, optionally SE ID / record pairs), '8C' (compact: an AM byte and
one SC byte per access mode bit) or 'AB' (expanded: AM DOs each followed by SC DOs). An
EF.ARR record holds an expanded-format rule list. :func:`check` evaluates the rule that
covers an operation against the PINs verified so far and raises '6982' when it is not met.

Rules of evaluation kept here (ISO/IEC 7816-4 9.3.3): the SC DOs that follow one AM DO are
alternatives (OR); 'A0' is an OR template, 'AF' an AND template, 'A7' a NOT template; '90'
always, '97' never; 'A4' a control reference template naming a key reference ('83'). A PIN
that is disabled counts as verified (TS 102 221 9.5.1) unless it was replaced by the
universal PIN, which then has to be verified instead (TS 102 221 9.4.1, 9.5.1).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import Enum

from euicc.ins import Ins
from euicc.sw import SW, SwError
from euicc.tlv import TlvError, parse, read_header

from .model import File, FileTree, FileType, LifeCycle
from .pins import UNIVERSAL_PIN, PinId, PinTable, pin_id

TAG_REFERENCED, TAG_COMPACT, TAG_EXPANDED = 0x8B, 0x8C, 0xAB
SECURITY_TAGS = (TAG_REFERENCED, TAG_COMPACT, TAG_EXPANDED)

EF_ARR_UNDER_MF = 0x2F06  # TS 102 221 13.4
EF_ARR_ELSEWHERE = 0x6F06  # TS 31.102 4.2.55 and 4.5.5 (ADF and DF.TELECOM level)
# SE IDs of the referenced format (TS 102 221 9.2.7)
SE_APPLICATION_PIN_NOT_NEEDED, SE_APPLICATION_PIN = 0x00, 0x01

# Security condition DOs (ISO/IEC 7816-4 9.3.3, table 35)
SC_ALWAYS, SC_NEVER, SC_BYTE, SC_CRT_AUTH = 0x90, 0x97, 0x9E, 0xA4
SC_OR, SC_NOT, SC_AND = 0xA0, 0xA7, 0xAF
AM_BYTE = 0x80


class AccessMode(Enum):
    """What a command does to a file; the AM byte bit depends on EF or DF (ISO/IEC
    7816-4 tables 17 and 18), INCREASE has no bit and goes by its INS (command header DO)."""

    READ = "read"  # READ BINARY/RECORD, SEARCH RECORD, RETRIEVE DATA
    UPDATE = "update"  # UPDATE BINARY/RECORD, SET DATA
    WRITE = "write"
    INCREASE = "increase"
    DEACTIVATE = "deactivate"
    ACTIVATE = "activate"
    TERMINATE = "terminate"
    DELETE = "delete"
    DELETE_CHILD = "delete child"
    CREATE_EF = "create EF"
    CREATE_DF = "create DF"


_EF_BITS = {
    AccessMode.READ: 0x01, AccessMode.UPDATE: 0x02, AccessMode.WRITE: 0x04,
    AccessMode.DEACTIVATE: 0x08, AccessMode.ACTIVATE: 0x10, AccessMode.TERMINATE: 0x20,
    AccessMode.DELETE: 0x40,
}
_DF_BITS = {
    AccessMode.DELETE_CHILD: 0x01, AccessMode.CREATE_EF: 0x02, AccessMode.CREATE_DF: 0x04,
    AccessMode.DEACTIVATE: 0x08, AccessMode.ACTIVATE: 0x10, AccessMode.TERMINATE: 0x20,
    AccessMode.DELETE: 0x40,
}


# -- PIN status template and key references ---------------------------------------------
def pin_key_references(pin_status: bytes) -> list[int]:
    """The key references a DF's PIN status template lists, in order. Accepts the
    TS 102 221 11.1.1.4.10 value ('90' PS_DO, ['95'] '83' ...) and the SAIP
    pinStatusTemplateDO, which is the bare list of key references."""
    if not pin_status:
        return []
    if pin_status[0] != 0x90:
        return list(pin_status)
    try:
        return [value[0] for tag, value in parse(pin_status) if tag == 0x83 and value]
    except TlvError:
        return []


def status_template_of(file: File) -> File | None:
    """The nearest DF (the file itself, or up the tree) that has a PIN status template."""
    node: File | None = file.df
    while node is not None and not node.pin_status:
        node = node.parent
    return node


def application_pin(file: File) -> int | None:
    """The global application PIN ('01'-'08') of the application ``file`` belongs to."""
    owner = status_template_of(file)
    refs = pin_key_references(owner.pin_status) if owner is not None else []
    return next((ref for ref in refs if 0x01 <= ref <= 0x08), None)


def key_reference_satisfied(
    key_ref: int, file: File, verified: Collection[PinId], pins: PinTable,
    universal_for: Collection[PinId] = (),
) -> bool:
    """Is the access condition "key ``key_ref`` verified" met for ``file``? A disabled PIN
    is met, unless it was disabled with the universal PIN as replacement: then the universal
    PIN counts."""
    pin = pins.find(key_ref, file)
    if pin is None:
        return False
    if pin.enabled:
        return pin_id(pin) in verified
    if pin_id(pin) in universal_for:
        universal = pins.find(UNIVERSAL_PIN, file)
        return universal is None or not universal.enabled or pin_id(universal) in verified
    return True


def current_se(file: File, pins: PinTable, universal_for: Collection[PinId] = ()) -> int:
    """SE ID the referenced format selects (TS 102 221 9.2.7): SE01 while the
    application PIN is enabled, or disabled with an enabled universal PIN not used in its
    place; SE00 when no PIN is to be asked for the application PIN or the universal PIN is
    used instead."""
    ref = application_pin(file)
    pin = pins.find(ref, file) if ref is not None else None
    if pin is None or pin.enabled:
        return SE_APPLICATION_PIN
    if pin_id(pin) in universal_for:
        return SE_APPLICATION_PIN_NOT_NEEDED
    universal = pins.find(UNIVERSAL_PIN, file)
    if universal is not None and universal.enabled:
        return SE_APPLICATION_PIN
    return SE_APPLICATION_PIN_NOT_NEEDED


# -- security attribute TLVs ------------------------------------------------------------
def security_attributes(file: File) -> list[tuple[int, bytes]]:
    """The '8B' / '8C' / 'AB' data objects of ``file`` (tag, value), in stored order."""
    if not file.security:
        return []
    try:
        return [(tag, value) for tag, value in parse(file.security) if tag in SECURITY_TAGS]
    except TlvError:
        return []


def implicit_arr_fid(file: File) -> int:
    """EF.ARR of a SAIP one-byte '8B' (record number only): '2F06' for the MF, ADFs and
    files directly under the MF, '6F06' for any other file (SAIP Fcp,
    securityAttributesReferenced)."""
    if file.type in (FileType.MF, FileType.ADF) or (
        file.parent is not None and file.parent.type == FileType.MF
    ):
        return EF_ARR_UNDER_MF
    return EF_ARR_ELSEWHERE


@dataclass(frozen=True)
class ArrReference:
    """A decoded '8B': EF.ARR file identifier and the record to use for each SE ID
    (``None`` as key: the one record used whatever the SE)."""

    fid: int
    records: dict[int | None, int]

    def record_for(self, se_id: int) -> int | None:
        if None in self.records:
            return self.records[None]
        return self.records.get(se_id)


def decode_arr_reference(value: bytes, file: File) -> ArrReference:
    """'8B' value: record (SAIP, 1 byte), FID + record (3 bytes) or FID + SE ID/record pairs
    (TS 102 221 9.2.7)."""
    if len(value) == 1:
        return ArrReference(implicit_arr_fid(file), {None: value[0]})
    if len(value) == 3:
        return ArrReference(int.from_bytes(value[:2], "big"), {None: value[2]})
    if len(value) >= 4 and len(value) % 2 == 0:
        pairs = value[2:]
        records = {pairs[i]: pairs[i + 1] for i in range(0, len(pairs), 2)}
        return ArrReference(int.from_bytes(value[:2], "big"), records)
    raise ValueError(f"malformed '8B' security attribute {value.hex()}")


def find_arr(file: File, fid: int) -> File | None:
    """The EF.ARR ``fid`` that governs ``file`` (TS 102 221 9.2.7, SAIP Fcp): searched in
    the DF holding the file (for a DF or ADF: its parent; the MF: itself), then upwards
    to the MF."""
    node: File | None = file if file.type == FileType.MF or file.parent is None else file.parent
    while node is not None:
        found = node.child(fid)
        if found is not None and found.type.is_record:
            return found
        node = node.parent
    return None


# -- access rules ------------------------------------------------------------------------
@dataclass(frozen=True)
class AccessRule:
    """One AM DO and the SC DOs that follow it (ISO/IEC 7816-4 9.3.3)."""

    am_tag: int
    am_value: bytes
    conditions: tuple[tuple[int, bytes], ...]


def _is_am_tag(tag: int) -> bool:
    return 0x80 <= tag <= 0x8F or tag == 0x9C


def parse_rules(data: bytes) -> list[AccessRule]:
    """An expanded-format rule list (an EF.ARR record or an 'AB' value); stops at the 'FF'
    padding of a record."""
    rules: list[AccessRule] = []
    offset = 0
    while offset < len(data) and data[offset] not in (0xFF, 0x00):
        head = read_header(data, offset)
        end = offset + head.total_length
        if end > len(data):
            raise TlvError("access rule runs past the end")
        value = bytes(data[offset + head.header_length:end])
        if _is_am_tag(head.tag):
            rules.append(AccessRule(head.tag, value, ()))
        elif rules:
            last = rules[-1]
            conditions = last.conditions + ((head.tag, value),)
            rules[-1] = AccessRule(last.am_tag, last.am_value, conditions)
        offset = end
    return rules


@dataclass(frozen=True)
class _Context:
    file: File
    verified: Collection[PinId]
    pins: PinTable
    universal_for: Collection[PinId]

    def key_met(self, key_ref: int) -> bool:
        return key_reference_satisfied(key_ref, self.file, self.verified, self.pins,
                                       self.universal_for)

    def sc_byte_met(self, sc: int) -> bool:
        """A compact SC byte (ISO/IEC 7816-4 table 20): '00' always, 'FF' never; b5 user
        authentication with the key named by the SE number b4-b1 (0: the application PIN);
        secure messaging and external authentication are not available here."""
        if sc == 0x00:
            return True
        if sc == 0xFF:
            return False
        results = []
        if sc & 0x40:
            results.append(False)  # secure messaging
        if sc & 0x20:
            results.append(False)  # external authentication
        if sc & 0x10:
            key_ref = sc & 0x0F or application_pin(self.file) or 0x01
            results.append(self.key_met(key_ref))
        if not results:
            return False
        return all(results) if sc & 0x80 else any(results)

    def condition_met(self, tag: int, value: bytes) -> bool:
        if tag == SC_ALWAYS:
            return True
        if tag == SC_BYTE:
            return len(value) == 1 and self.sc_byte_met(value[0])
        if tag == SC_CRT_AUTH:
            refs = [v[0] for t, v in parse(value) if t == 0x83 and v]
            return bool(refs) and self.key_met(refs[0])
        if tag in (SC_OR, SC_AND, SC_NOT):
            results = [self.condition_met(t, v) for t, v in parse(value)]
            if tag == SC_OR:
                return any(results)
            if tag == SC_AND:
                return bool(results) and all(results)
            return not any(results)
        return False  # '97' never, secure messaging templates, anything unknown


def _bit_for(file: File, mode: AccessMode) -> int:
    return (_DF_BITS if file.type.is_df else _EF_BITS).get(mode, 0)


def _header_matches(rule: AccessRule, ins: int | None) -> bool:
    """A command header AM DO ('81'-'8F': CLA b4, INS b3, P1 b2, P2 b1 present)."""
    if ins is None or not 0x81 <= rule.am_tag <= 0x8F or not rule.am_tag & 0x04:
        return False
    index = 1 if rule.am_tag & 0x08 else 0
    return len(rule.am_value) > index and rule.am_value[index] == ins


def _am_byte_matches(rule: AccessRule, bit: int) -> bool:
    if rule.am_tag != AM_BYTE or not rule.am_value or not bit:
        return False
    am = rule.am_value[0]
    if am & 0x80:  # b7-b4 proprietary, only b3-b1 keep their standard meaning
        am &= 0x07
    return bool(am & bit)


def _expanded_allows(rules: list[AccessRule], file: File, mode: AccessMode,
                     ins: int | None, context: _Context) -> bool:
    if mode == AccessMode.INCREASE and ins is None:
        ins = Ins.INCREASE
    rule = next((r for r in rules if _header_matches(r, ins)), None)
    if rule is None:
        rule = next((r for r in rules if _am_byte_matches(r, _bit_for(file, mode))), None)
    if rule is None and mode == AccessMode.INCREASE:
        # Profiles that give INCREASE no command header DO: it modifies the file like UPDATE.
        bit = _bit_for(file, AccessMode.UPDATE)
        rule = next((r for r in rules if _am_byte_matches(r, bit)), None)
    if rule is None:
        return False
    return any(context.condition_met(tag, value) for tag, value in rule.conditions)


def _compact_allows(value: bytes, file: File, mode: AccessMode, context: _Context) -> bool:
    """'8C': AM byte, then one SC byte per set bit from b7 down to b1 (ISO/IEC 7816-4 9.3.2)."""
    if not value:
        return False
    am, sc_bytes = value[0], value[1:]
    mode = AccessMode.UPDATE if mode == AccessMode.INCREASE else mode
    bit = _bit_for(file, mode)
    standard = am & 0x07 if am & 0x80 else am
    if not bit or not standard & bit:
        return False
    index = sum(1 for b in range(6, -1, -1) if am & (1 << b) and (1 << b) > bit)
    return index < len(sc_bytes) and context.sc_byte_met(sc_bytes[index])


def rules_for(tree: FileTree, file: File, pins: PinTable,
              universal_for: Collection[PinId] = ()) -> list[AccessRule] | None:
    """The expanded rule list '8B' or 'AB' gives ``file`` now (None when neither is there)."""
    for tag, value in security_attributes(file):
        if tag == TAG_EXPANDED:
            return parse_rules(value)
        if tag == TAG_REFERENCED:
            reference = decode_arr_reference(value, file)
            record = reference.record_for(current_se(file, pins, universal_for))
            arr = find_arr(file, reference.fid)
            if arr is None or record is None or not 1 <= record <= arr.record_count:
                return []  # the card cannot read the rule: access is not granted
            return parse_rules(arr.record(record))
    return None


def is_allowed(
    tree: FileTree, file: File, mode: AccessMode, verified: Collection[PinId],
    pins: PinTable, *, ins: int | None = None, universal_for: Collection[PinId] = (),
) -> bool:
    attributes = security_attributes(file)
    if not attributes or file.lcsi in (LifeCycle.CREATION, LifeCycle.INITIALISATION):
        # No attributes at all (hand-made files), or a file still being personalised
        # (ISO/IEC 7816-4 5.3.3.2): nothing to enforce.
        return True
    context = _Context(file, verified, pins, universal_for)
    try:
        tag, value = attributes[0]
        if tag == TAG_COMPACT:
            return _compact_allows(value, file, mode, context)
        rules = rules_for(tree, file, pins, universal_for)
        return _expanded_allows(rules or [], file, mode, ins, context)
    except (TlvError, ValueError, IndexError):
        return False  # a rule the card cannot understand never grants access


def check(
    tree: FileTree, file: File, mode: AccessMode, verified: Collection[PinId],
    pins: PinTable, *, ins: int | None = None, universal_for: Collection[PinId] = (),
) -> None:
    """Raise '6982' unless the access condition of ``mode`` on ``file`` is met."""
    if not is_allowed(tree, file, mode, verified, pins, ins=ins, universal_for=universal_for):
        raise SwError(SW.SECURITY_STATUS_NOT_SATISFIED, f"{mode.value} {file.label}")

