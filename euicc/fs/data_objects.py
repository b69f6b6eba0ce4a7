"""Data oriented commands on BER-TLV structured EFs: ETSI TS 102 221 11.3.0 (generic
mechanism: first / next / retransmit blocks, tag '5C' for the tag list, '62F1' more data
available, '63F1' more data expected), 11.3.1 RETRIEVE DATA and 11.3.2 SET DATA.

The EF body holds its data objects one after the other (:class:`File`); SET DATA replaces
an object in place or appends it, a first block with a tag only deletes it.

:class:`DataObjectCommands` gets what it needs of the file system engine
(:class:`euicc.fs.commands.FileCommands`) as callables when the engine makes it, as
:class:`euicc.fs.pin_commands.PinCommands` does: this module does not know the engine.
"""

from __future__ import annotations

from collections.abc import Callable

from euicc.apdu import MAX_SHORT_LE, CommandApdu, ResponseApdu
from euicc.channels import Channel
from euicc.sw import SW, SwError
from euicc.tlv import TlvError, encode_tag, read_header, read_tag, tlv

from .model import File, FileType
from .security import AccessMode
from .selection import DataTransfer, FsChannelState

TAG_LIST = 0x5C
# P2 b8-b7 (TS 102 221 table 11.33 / 11.35); b5-b1 SFI with the first block
FIRST_BLOCK, NEXT_BLOCK, RETRANSMIT_BLOCK = 0x80, 0x00, 0x40
BLOCK_MASK, SFI_MASK = 0xC0, 0x1F


def data_objects(ef: File) -> list[tuple[int, bytes]]:
    """(tag, complete TLV) of each data object in a BER-TLV EF, up to any erased padding."""
    body, offset, found = bytes(ef.body), 0, []
    while offset < len(body) and body[offset] not in (0x00, 0xFF):
        head = read_header(body, offset)
        end = offset + head.total_length
        if end > len(body):
            break
        found.append((head.tag, body[offset:end]))
        offset = end
    return found


def _tag_of(data: bytes) -> tuple[int, int]:
    try:
        return read_tag(data)
    except TlvError as err:
        raise SwError(SW.WRONG_DATA, "bad tag") from err


def _send_block(apdu: CommandApdu, state: FsChannelState, rest: bytes) -> ResponseApdu:
    limit = apdu.le or MAX_SHORT_LE
    if not apdu.extended:
        limit = min(limit, MAX_SHORT_LE)
    state.retrieve_last, state.retrieve_rest = rest[:limit], rest[limit:]
    return _last_block(state)


def _last_block(state: FsChannelState) -> ResponseApdu:
    sw = SW.MORE_DATA_AVAILABLE if state.retrieve_rest else SW.OK
    return ResponseApdu(state.retrieve_last, sw)


def _first_block(ef: File, data: bytes) -> DataTransfer | None:
    """Start a SET DATA transfer; None when the block only deletes an object."""
    tag, end = _tag_of(data)
    if tag == TAG_LIST:
        raise SwError(SW.WRONG_DATA, "tag '5C' is reserved")
    if end == len(data):
        return None
    try:
        head = read_header(data)
    except TlvError as err:
        raise SwError(SW.WRONG_DATA, "bad length") from err
    value = data[head.header_length:]
    if len(value) > head.length:
        raise SwError(SW.WRONG_LENGTH, "more value than the length announces")
    others = sum(len(obj) for t, obj in data_objects(ef) if t != tag)
    if others + head.header_length + head.length > ef.size:
        raise SwError(SW.NOT_ENOUGH_MEMORY)
    return DataTransfer(tag, bytes(data[:head.header_length]), bytearray(value), head.length,
                        len(value))


class DataObjectCommands:
    """Handlers ``(apdu, channel) -> ResponseApdu`` for RETRIEVE DATA and SET DATA."""

    def __init__(
        self,
        state: Callable[[Channel], FsChannelState],
        ef: Callable[[FsChannelState, int], File],
        access: Callable[[File, AccessMode, int, FileType], None],
        changed: Callable[[File], None],
    ) -> None:
        """``state``: the channel's file system selection; ``ef(state, sfi)``: the EF with
        that short identifier in the current DF (it becomes the current EF), the current EF
        for SFI 0; ``access(ef, mode, ins, file_type)``: raise the status word of a wrong
        file type, life cycle or access condition; ``changed(ef)``: persist a new body."""
        self.state = state
        self.ef = ef
        self.access = access
        self.changed = changed

    def _target(self, apdu: CommandApdu, state: FsChannelState) -> File:
        if apdu.p1 != 0x00:
            raise SwError(SW.INCORRECT_P1P2)
        block = apdu.p2 & BLOCK_MASK
        if block == FIRST_BLOCK:
            return self.ef(state, apdu.p2 & SFI_MASK)
        if block not in (NEXT_BLOCK, RETRANSMIT_BLOCK) or apdu.p2 & SFI_MASK:
            raise SwError(SW.INCORRECT_P1P2)
        return self.ef(state, 0)

    def retrieve_data(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        """11.3.1: first block (P2 '80' | SFI, data = tag) answers the object's TLV, as far as
        Le allows; next blocks (P2 '00') the rest; P2 '40' repeats the last block."""
        state = self.state(channel)
        ef = self._target(apdu, state)
        self.access(ef, AccessMode.READ, apdu.ins, FileType.BER_TLV)
        block = apdu.p2 & BLOCK_MASK
        if block == RETRANSMIT_BLOCK:
            if not state.retrieve_last:
                raise SwError(SW.CONDITIONS_NOT_SATISFIED, "no block to repeat")
            return _last_block(state)
        if block == NEXT_BLOCK:
            if not state.retrieve_rest:
                raise SwError(SW.CONDITIONS_NOT_SATISFIED, "no data object being retrieved")
            return _send_block(apdu, state, state.retrieve_rest)
        tag, end = _tag_of(apdu.data)
        if end != len(apdu.data):
            raise SwError(SW.WRONG_DATA, "the first block carries a tag only")
        objects = data_objects(ef)
        if tag == TAG_LIST:
            found = tlv(TAG_LIST, b"".join(encode_tag(t) for t, _ in objects))
        else:
            found = next((obj for t, obj in objects if t == tag), b"")
            if not found:
                raise SwError(SW.REFERENCED_DATA_NOT_FOUND, f"no data object {tag:X}")
        return _send_block(apdu, state, found)

    def _store(self, ef: File, tag: int, replacement: bytes | None) -> None:
        objects = data_objects(ef)
        out, placed = [], False
        for t, obj in objects:
            if t == tag:
                if replacement is not None:
                    out.append(replacement)
                placed = True
            else:
                out.append(obj)
        if not placed and replacement is not None:
            out.append(replacement)
        ef.body = bytearray(b"".join(out))
        self.changed(ef)

    def set_data(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        """11.3.2: first block (P2 '80' | SFI) tag, length and the start of the value, or the
        tag alone to delete; next blocks (P2 '00') the rest of the value; P2 '40' replaces the
        previous block. '63F1' asks for more."""
        state = self.state(channel)
        ef = self._target(apdu, state)
        self.access(ef, AccessMode.UPDATE, apdu.ins, FileType.BER_TLV)
        block = apdu.p2 & BLOCK_MASK
        if block == FIRST_BLOCK:
            transfer = _first_block(ef, apdu.data)
            if transfer is None:
                tag, _ = _tag_of(apdu.data)
                if all(t != tag for t, _obj in data_objects(ef)):
                    raise SwError(SW.REFERENCED_DATA_NOT_FOUND, f"no data object {tag:X}")
                state.set_data = None
                self._store(ef, tag, None)
                return ResponseApdu()
        else:
            transfer = state.set_data
            if transfer is None:
                raise SwError(SW.CONDITIONS_NOT_SATISFIED, "no data object being set")
            if block == RETRANSMIT_BLOCK:
                del transfer.value[len(transfer.value) - transfer.last_block:]
            transfer.value += apdu.data
            transfer.last_block = len(apdu.data)
            if len(transfer.value) > transfer.length:
                state.set_data = None
                raise SwError(SW.WRONG_LENGTH, "more value than the length announced")
        if len(transfer.value) < transfer.length:
            state.set_data = transfer
            return ResponseApdu(sw=SW.MORE_DATA_EXPECTED)
        state.set_data = None
        self._store(ef, transfer.tag, transfer.header + bytes(transfer.value))
        return ResponseApdu()
