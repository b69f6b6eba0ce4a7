"""The UICC file system command engine on a :class:`FileTree`: ETSI TS 102 221 11.1.1
SELECT, 11.1.2 STATUS, 11.1.3 READ BINARY, 11.1.4 UPDATE BINARY, 11.1.5 READ RECORD,
11.1.6 UPDATE RECORD, 11.1.7 SEARCH RECORD, 11.1.8 INCREASE, 11.1.14 DEACTIVATE FILE,
11.1.15 ACTIVATE FILE, 11.3.1 RETRIEVE DATA and 11.3.2 SET DATA, ISO/IEC 7816-4 11.5.3 GET
CHALLENGE; the PIN commands (11.1.9-11.1.13) come from :mod:`euicc.fs.pin_commands`, RETRIEVE
and SET DATA from :mod:`euicc.fs.data_objects`, each made here with the engine's parts it
needs (neither module imports this one).

Every file access passes the access conditions of :mod:`euicc.fs.security` first; status
words follow TS 102 221 10.2.1. Each body or life cycle change is reported through
``tree.on_change(file)``; selection state is per logical channel
(``channel.applet_state["fs"]``, a :class:`FsChannelState`).

Wiring: ``engine.table`` is a :class:`euicc.dispatch.CommandTable` of all handlers;
``engine.process(apdu, channel)`` dispatches one command, ``engine.select_file`` serves the
card OS's SELECT by FID/path, ``engine.select_adf`` makes an ADF current when the card OS
selected its application by AID.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping

from euicc.apdu import MAX_SHORT_LE, CommandApdu, ResponseApdu
from euicc.channels import Channel
from euicc.dispatch import ALL_CASES, NO_DATA, WITH_DATA, ClassFamily, CommandSpec, CommandTable
from euicc.ins import Ins
from euicc.sw import SW, SwError
from euicc.tlv import TlvError, parse, tlv

from .data_objects import DataObjectCommands
from .fcp import encode_fcp
from .model import File, FileTree, FileType, LifeCycle, Pin
from .pin_commands import PinCommands
from .pins import PinId, PinTable
from .security import AccessMode, application_pin, check, key_reference_satisfied
from .selection import (
    BY_DF_NAME,
    P2_FCI,
    P2_FCP,
    P2_NO_DATA,
    P2_OCCURRENCE_MASK,
    P2_RESPONSE_MASK,
    P2_TERMINATE,
    STATE_KEY,
    FsChannelState,
    Selector,
)

INTER, PROPRIETARY = ClassFamily.INTERINDUSTRY, ClassFamily.PROPRIETARY
CASES_1_3 = frozenset({1, 3})
SFI_FLAG = 0x80  # READ/UPDATE BINARY P1 b8: b5-b1 carry an SFI
# Record modes in P2 b3-b1 (TS 102 221 table 11.8 / 11.10)
MODE_NEXT, MODE_PREVIOUS, MODE_ABSOLUTE = 0x02, 0x03, 0x04
SEARCH_SIMPLE, SEARCH_ENHANCED = 0x04, 0x06
# Enhanced search indication byte (TS 102 221 11.1.7.2): b4 search from the first occurrence
# of a value (else from an offset), b3-b1 where to start
SEARCH_FROM_VALUE = 0x08
START_AT_P1_FORWARD, START_AT_P1_BACKWARD, START_NEXT, START_PREVIOUS = 0x04, 0x05, 0x06, 0x07
SPECIAL_INFO_TAG, USABLE_WHEN_DEACTIVATED = 0xC0, 0x40  # TS 102 222 'C0' in 'A5'
CHALLENGE_LENGTH = 8


def is_deactivated(file: File) -> bool:
    """LCSI '04'/'06' operational deactivated, '0C'-'0F' terminated (11.1.1.4.9)."""
    return file.lcsi in (0x04, 0x06) or file.lcsi & 0xFC == 0x0C


def usable_when_deactivated(file: File) -> bool:
    """TS 102 222 special file information b7: readable and updatable when deactivated."""
    try:
        info = dict(parse(file.proprietary)).get(SPECIAL_INFO_TAG, b"")
    except TlvError:
        return False
    return bool(info) and bool(info[0] & USABLE_WHEN_DEACTIVATED)


class FileCommands:
    """The file system engine of one profile: its tree, its PINs and PUKs.

    ``pins`` are the profile's PINs (a list, local PINs told apart by :attr:`Pin.scope`, or
    a mapping key reference -> PIN); ``puks`` maps PUK key references to PUKs (a PIN finds
    its PUK through ``Pin.unblock_ref``). ``on_pin_change`` is called with each PIN/PUK
    whose counter, value or enabled flag changed. ``random_bytes`` feeds GET CHALLENGE."""

    def __init__(
        self,
        tree: FileTree,
        pins: Iterable[Pin] | Mapping[int, Pin],
        puks: Mapping[int, Pin] | None = None,
        on_pin_change: Callable[[Pin], None] = lambda _pin: None,
        random_bytes: Callable[[int], bytes] = os.urandom,
        application_commands: Iterable[CommandSpec] = (),
    ) -> None:
        """``application_commands``: the commands of the applications this file system
        holds (the NAAs' AUTHENTICATE, GET IDENTITY), dispatched from the same table."""
        self.tree = tree
        self.pins = PinTable(pins)
        self.pin_commands = PinCommands(
            self.pins, puks, on_pin_change, lambda channel: self.state(channel).current_df
        )
        self.data_commands = DataObjectCommands(
            self.state, self.ef_by_sfi_or_current, self.access, self.changed)
        self.random_bytes = random_bytes
        self.selector = Selector(tree)
        p, d = self.pin_commands, self.data_commands
        self.table = CommandTable(
            [
                CommandSpec(Ins.SELECT, INTER, self.select_file),
                CommandSpec(Ins.STATUS, PROPRIETARY, self.status, NO_DATA),
                CommandSpec(Ins.READ_BINARY, INTER, self.read_binary, NO_DATA),
                CommandSpec(Ins.UPDATE_BINARY, INTER, self.update_binary, WITH_DATA),
                CommandSpec(Ins.READ_RECORD, INTER, self.read_record, NO_DATA),
                CommandSpec(Ins.UPDATE_RECORD, INTER, self.update_record, WITH_DATA),
                CommandSpec(Ins.SEARCH_RECORD, INTER, self.search_record, WITH_DATA),
                CommandSpec(Ins.INCREASE, PROPRIETARY, self.increase, WITH_DATA),
                CommandSpec(Ins.VERIFY_PIN, INTER, p.verify, CASES_1_3),
                CommandSpec(Ins.CHANGE_PIN, INTER, p.change, frozenset({3})),
                CommandSpec(Ins.DISABLE_PIN, INTER, p.disable, frozenset({3})),
                CommandSpec(Ins.ENABLE_PIN, INTER, p.enable, frozenset({3})),
                CommandSpec(Ins.UNBLOCK_PIN, INTER, p.unblock, CASES_1_3),
                CommandSpec(Ins.DEACTIVATE_FILE, INTER, self.deactivate_file, CASES_1_3),
                CommandSpec(Ins.ACTIVATE_FILE, INTER, self.activate_file, CASES_1_3),
                CommandSpec(Ins.GET_CHALLENGE, INTER, self.get_challenge, frozenset({2})),
                CommandSpec(Ins.RETRIEVE_DATA, PROPRIETARY, d.retrieve_data, ALL_CASES),
                CommandSpec(Ins.SET_DATA, PROPRIETARY, d.set_data, WITH_DATA),
                *application_commands,
            ]
        )

    # -- engine API --------------------------------------------------------------------
    @property
    def verified(self) -> set[PinId]:
        """PINs (key reference, scope) verified since the last reset (card-level)."""
        return self.pin_commands.verified

    @property
    def universal_for(self) -> set[PinId]:
        """PINs disabled with the universal PIN as their replacement."""
        return self.pin_commands.universal_for

    def reset(self) -> None:
        """Card reset: all PINs unverified (channel states go with the channels)."""
        self.pin_commands.reset()

    def process(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        return self.table.dispatch(apdu, channel)

    def command_name(self, apdu: CommandApdu) -> str | None:
        return self.table.name_of(apdu)

    def state(self, channel: Channel) -> FsChannelState:
        """The channel's selection state; a channel new to the file system is on the MF."""
        state = channel.applet_state.get(STATE_KEY)
        if state is None:
            state = FsChannelState(current_df=self.tree.mf)
            channel.applet_state[STATE_KEY] = state
        return state

    def current_adf(self, channel: Channel) -> File | None:
        """The application selected on ``channel`` (TS 102 221 8.2), if any."""
        return self.state(channel).current_adf

    def application_pin_verified(self, file: File) -> bool:
        """Whether the application PIN of ``file``'s application (its PIN status template,
        TS 102 221 9.4.1) is verified, or disabled - in which case a universal PIN that
        replaced it must be (9.5.1): the rule of every access condition naming that PIN."""
        ref = application_pin(file)
        return ref is None or key_reference_satisfied(ref, file, self.verified, self.pins,
                                                      self.universal_for)

    def fcp(self, file: File) -> bytes:
        """FCP template of ``file`` with the live PIN status."""
        return encode_fcp(file, self.pins, self.universal_for)

    def select_adf(self, channel: Channel, adf: File) -> bytes:
        """Make ``adf`` the current application and DF on ``channel``; returns its FCP."""
        self.state(channel).select(adf)
        return self.fcp(adf)

    def check(self, file: File, mode: AccessMode, ins: int | None = None) -> None:
        """Raise '6982' unless ``mode`` on ``file`` is allowed with the PINs verified now."""
        check(self.tree, file, mode, self.verified, self.pins, ins=ins,
              universal_for=self.universal_for)

    def changed(self, file: File) -> None:
        self.tree.on_change(file)

    # -- helpers -----------------------------------------------------------------------
    def _selected_response(self, file: File, p2: int) -> ResponseApdu:
        sw = SW.SELECTED_FILE_INVALIDATED if is_deactivated(file) else SW.OK
        return ResponseApdu(b"" if p2 & P2_RESPONSE_MASK == P2_NO_DATA else self.fcp(file), sw)

    @staticmethod
    def current_ef(state: FsChannelState) -> File:
        if state.current_ef is None:
            raise SwError(SW.COMMAND_NOT_ALLOWED_NO_EF)
        return state.current_ef

    def ef_by_sfi(self, state: FsChannelState, sfi: int) -> File:
        """The EF with short identifier ``sfi`` in the current DF; it becomes current EF."""
        if not 1 <= sfi <= 30:
            raise SwError(SW.INCORRECT_P1P2, f"SFI {sfi}")
        ef = state.current_df.child_by_sfi(sfi)
        if ef is None:
            raise SwError(SW.FILE_NOT_FOUND, f"no EF with SFI {sfi:02X}")
        if ef is not state.current_ef:
            state.select(ef)
        return ef

    def ef_by_sfi_or_current(self, state: FsChannelState, sfi: int) -> File:
        """The EF with short identifier ``sfi``, or the current EF when ``sfi`` is 0 (P1 or P2
        of the record and data oriented commands, TS 102 221 11.1.5, 11.3.1)."""
        return self.ef_by_sfi(state, sfi) if sfi else self.current_ef(state)

    def access(self, ef: File, mode: AccessMode, ins: int, *types: FileType) -> None:
        """Type, life cycle and security checks before touching ``ef``."""
        if ef.type not in types:
            raise SwError(SW.COMMAND_INCOMPATIBLE, f"{ef.label} is {ef.type.name}")
        if is_deactivated(ef) and not usable_when_deactivated(ef):
            raise SwError(SW.CONDITIONS_NOT_SATISFIED, f"{ef.label} is deactivated")
        self.check(ef, mode, ins)

    @staticmethod
    def content(ef: File) -> bytes:
        """The EF's ``size`` bytes (a short body reads as erased 'FF')."""
        return bytes(ef.body[:ef.size]).ljust(ef.size, b"\xff")

    # -- SELECT / STATUS ---------------------------------------------------------------
    def select_file(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        """11.1.1: by FID, child DF, parent, DF name, path from the MF or the current DF."""
        state = self.state(channel)
        if apdu.p1 == BY_DF_NAME:
            return self._select_by_name(apdu, state)
        if apdu.p2 not in (P2_FCI, P2_FCP, P2_NO_DATA):
            raise SwError(SW.INCORRECT_P1P2)
        target = self.selector.resolve(apdu, state)
        state.select(target)
        return self._selected_response(target, apdu.p2)

    def _select_by_name(self, apdu: CommandApdu, state: FsChannelState) -> ResponseApdu:
        if apdu.p2 & 0xB0 or apdu.p2 & P2_RESPONSE_MASK == 0x08:
            raise SwError(SW.INCORRECT_P1P2)
        adf = self.selector.by_df_name(apdu.data, apdu.p2 & P2_OCCURRENCE_MASK, state)
        if apdu.p2 & P2_TERMINATE:  # 11.1.1.2: end of the application session
            if adf is not state.current_adf:
                raise SwError(SW.CONDITIONS_NOT_SATISFIED, "not the current application")
            state.select(self.tree.mf)
            state.current_adf = None
            return ResponseApdu()
        state.select(adf)
        return self._selected_response(adf, apdu.p2)

    def status(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        """11.1.2: P2 '00' FCP of the current DF, '01' DF name of the current application,
        '0C' no data."""
        if apdu.p1 not in (0x00, 0x01, 0x02) or apdu.p2 not in (0x00, 0x01, 0x0C):
            raise SwError(SW.INCORRECT_P1P2)
        state = self.state(channel)
        if apdu.p2 == 0x0C:
            return ResponseApdu()
        if apdu.p2 == 0x01:
            adf = state.current_adf
            return ResponseApdu(tlv(0x84, adf.aid) if adf is not None and adf.aid else b"")
        return ResponseApdu(self.fcp(state.current_df))

    # -- transparent EFs ---------------------------------------------------------------
    def _binary_target(self, apdu: CommandApdu, state: FsChannelState) -> tuple[File, int]:
        if apdu.p1 & SFI_FLAG:
            if apdu.p1 & 0x60:
                raise SwError(SW.INCORRECT_P1P2)
            return self.ef_by_sfi(state, apdu.p1 & 0x1F), apdu.p2
        return self.current_ef(state), apdu.p1p2

    def read_binary(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        """11.1.3: offset in P1-P2 (or SFI in P1 and offset in P2); '6282' when the file
        ends before Le bytes, '6B00' for an offset beyond it."""
        ef, offset = self._binary_target(apdu, self.state(channel))
        self.access(ef, AccessMode.READ, apdu.ins, FileType.TRANSPARENT)
        if offset >= ef.size:
            raise SwError(SW.WRONG_P1P2, "offset beyond the end of the file")
        available = self.content(ef)[offset:]
        wanted = apdu.le
        if wanted is None or (wanted == MAX_SHORT_LE and not apdu.extended):
            return ResponseApdu(available[:MAX_SHORT_LE])
        if wanted > len(available):
            return ResponseApdu(available, SW.END_OF_FILE)
        return ResponseApdu(available[:wanted])

    def update_binary(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        """11.1.4."""
        ef, offset = self._binary_target(apdu, self.state(channel))
        self.access(ef, AccessMode.UPDATE, apdu.ins, FileType.TRANSPARENT)
        if offset >= ef.size:
            raise SwError(SW.WRONG_P1P2, "offset beyond the end of the file")
        if offset + len(apdu.data) > ef.size:
            raise SwError(SW.WRONG_LENGTH, "data runs past the end of the file")
        body = bytearray(self.content(ef))
        body[offset:offset + len(apdu.data)] = apdu.data
        ef.body = body
        self.changed(ef)
        return ResponseApdu()

    # -- record EFs --------------------------------------------------------------------
    def _record_target(self, apdu: CommandApdu, state: FsChannelState) -> File:
        return self.ef_by_sfi_or_current(state, apdu.p2 >> 3)

    @staticmethod
    def _move(state: FsChannelState, ef: File, mode: int, p1: int) -> int:
        """The record NEXT / PREVIOUS / ABSOLUTE (P1, or the current record when P1 is 0)
        designates; NEXT and PREVIOUS move the record pointer, wrapping round only in a
        cyclic EF."""
        count, current, cyclic = ef.record_count, state.record, ef.type == FileType.CYCLIC
        if mode == MODE_ABSOLUTE:
            number = p1 or current
            if not 1 <= number <= count:
                raise SwError(SW.RECORD_NOT_FOUND)
            return number
        if mode not in (MODE_NEXT, MODE_PREVIOUS) or p1 != 0:
            raise SwError(SW.INCORRECT_P1P2)
        if mode == MODE_NEXT:
            number = 1 if current == 0 else current + 1
            if number > count:
                number = 1 if cyclic else 0
        else:
            number = count if current == 0 else current - 1
            if number < 1:
                number = count if cyclic else 0
        if not 1 <= number <= count:
            raise SwError(SW.RECORD_NOT_FOUND)
        state.record = number
        return number

    def read_record(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        """11.1.5: P2 b8-b4 SFI (0: current EF), b3-b1 '02' next, '03' previous, '04'
        absolute (P1) or current (P1 = 0)."""
        state = self.state(channel)
        ef = self._record_target(apdu, state)
        self.access(ef, AccessMode.READ, apdu.ins, FileType.LINEAR_FIXED, FileType.CYCLIC)
        number = self._move(state, ef, apdu.p2 & 0x07, apdu.p1)
        record = self.content(ef)[(number - 1) * ef.record_length:number * ef.record_length]
        if apdu.le is not None and apdu.le < len(record) and apdu.le != MAX_SHORT_LE:
            raise SwError(SW.WRONG_LE | (len(record) & 0xFF))
        return ResponseApdu(record)

    def update_record(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        """11.1.6: as READ RECORD; a cyclic EF takes PREVIOUS only, which overwrites the
        oldest record and makes it record 1."""
        state = self.state(channel)
        ef = self._record_target(apdu, state)
        self.access(ef, AccessMode.UPDATE, apdu.ins, FileType.LINEAR_FIXED, FileType.CYCLIC)
        if len(apdu.data) != ef.record_length:
            raise SwError(SW.WRONG_LENGTH, f"records of {ef.label} have {ef.record_length} bytes")
        mode = apdu.p2 & 0x07
        if ef.type == FileType.CYCLIC:
            if mode != MODE_PREVIOUS or apdu.p1 != 0:
                raise SwError(SW.INCORRECT_P1P2, "a cyclic EF is updated with PREVIOUS")
            self._push_cyclic(ef, apdu.data)
            state.record = 1
        else:
            number = self._move(state, ef, mode, apdu.p1)
            body = bytearray(self.content(ef))
            body[(number - 1) * ef.record_length:number * ef.record_length] = apdu.data
            ef.body = body
        self.changed(ef)
        return ResponseApdu()

    def _push_cyclic(self, ef: File, record: bytes) -> None:
        """Write over the oldest record, which becomes record 1 (TS 102 221 8.3.3)."""
        body = self.content(ef)
        ef.body = bytearray(record + body[:len(body) - ef.record_length])

    def _search_order(self, state: FsChannelState, ef: File, start: int, p1: int) -> range:
        count, current = ef.record_count, state.record
        if start in (START_AT_P1_FORWARD, START_AT_P1_BACKWARD):
            first = p1 or current or (1 if start == START_AT_P1_FORWARD else count)
            if not 1 <= first <= count:
                raise SwError(SW.RECORD_NOT_FOUND)
            if start == START_AT_P1_FORWARD:
                return range(first, count + 1)
            return range(first, 0, -1)
        if start == START_NEXT:
            return range(current + 1, count + 1)
        if start == START_PREVIOUS:
            return range((current or count + 1) - 1, 0, -1)
        raise SwError(SW.INCORRECT_P1P2)

    def search_record(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        """11.1.7: simple search (P2 b3-b1 '04': records from P1 onwards starting with the
        pattern) and enhanced search ('06': indication byte, offset or value, pattern).
        Answers the matching record numbers and moves the pointer to the first."""
        state = self.state(channel)
        ef = self._record_target(apdu, state)
        self.access(ef, AccessMode.READ, apdu.ins, FileType.LINEAR_FIXED, FileType.CYCLIC)
        mode = apdu.p2 & 0x07
        if mode == SEARCH_SIMPLE:
            start, pattern, offset, value = START_AT_P1_FORWARD, apdu.data, 0, None
        elif mode == SEARCH_ENHANCED:
            if len(apdu.data) < 3 or apdu.data[0] & 0xF0:
                raise SwError(SW.WRONG_DATA, "bad search indication")
            start, pattern = apdu.data[0] & 0x07, apdu.data[2:]
            by_value = bool(apdu.data[0] & SEARCH_FROM_VALUE)
            offset, value = (0, apdu.data[1]) if by_value else (apdu.data[1], None)
        else:
            raise SwError(SW.INCORRECT_P1P2)
        if not pattern or len(pattern) > ef.record_length:
            raise SwError(SW.WRONG_LENGTH, "pattern longer than a record")
        content, rl = self.content(ef), ef.record_length
        found = []
        for number in self._search_order(state, ef, start, apdu.p1):
            record = content[(number - 1) * rl:number * rl]
            position = offset
            if value is not None:
                position = record.find(bytes([value])) + 1
                if position == 0:
                    continue
            if record[position:position + len(pattern)] == pattern:
                found.append(number)
        if not found:
            raise SwError(SW.RECORD_NOT_FOUND, "pattern not found")
        state.record = found[0]
        return ResponseApdu(bytes(found))

    def increase(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        """11.1.8: add the data to record 1 of a cyclic EF and store the sum as the new
        record 1; the response is the new record followed by the value added."""
        if apdu.p1p2 != 0:
            raise SwError(SW.INCORRECT_P1P2)
        state = self.state(channel)
        ef = self.current_ef(state)
        self.access(ef, AccessMode.INCREASE, apdu.ins, FileType.CYCLIC)
        rl = ef.record_length
        if len(apdu.data) > rl:
            raise SwError(SW.WRONG_LENGTH, "value longer than a record")
        total = int.from_bytes(self.content(ef)[:rl], "big") + int.from_bytes(apdu.data, "big")
        if total >> (8 * rl):
            raise SwError(SW.MAX_VALUE_REACHED)
        record = total.to_bytes(rl, "big")
        self._push_cyclic(ef, record)
        state.record = 1
        self.changed(ef)
        return ResponseApdu(record + apdu.data)

    # -- life cycle ----------------------------------------------------------------------
    def _life_cycle(self, apdu: CommandApdu, channel: Channel, mode: AccessMode,
                    lcsi: int) -> ResponseApdu:
        state = self.state(channel)
        if apdu.data:
            target = self.selector.resolve(apdu, state)
            state.select(target)
        elif apdu.p1p2 != 0:
            raise SwError(SW.INCORRECT_P1P2)
        file = state.current_file
        self.check(file, mode, apdu.ins)
        if file.lcsi != lcsi:
            file.lcsi = lcsi
            self.changed(file)
        return ResponseApdu()

    def deactivate_file(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        """11.1.14: the current file, or the one P1/data name (selected first)."""
        return self._life_cycle(apdu, channel, AccessMode.DEACTIVATE, LifeCycle.DEACTIVATED)

    def activate_file(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        """11.1.15."""
        return self._life_cycle(apdu, channel, AccessMode.ACTIVATE, LifeCycle.ACTIVATED)

    # -- misc ------------------------------------------------------------------------------
    def get_challenge(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        """ISO/IEC 7816-4 11.5.3: random bytes (Le of them, 8 when Le is '00')."""
        if apdu.p1p2 != 0:
            raise SwError(SW.INCORRECT_P1P2)
        length = apdu.le if apdu.le and apdu.le < MAX_SHORT_LE else CHALLENGE_LENGTH
        return ResponseApdu(self.random_bytes(length))
