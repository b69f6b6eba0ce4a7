"""File selection on a logical channel: ETSI TS 102 221 8.4 (file referencing by file
identifier, path and DF name; '7FFF' for the current ADF), 11.1.1.2 (SELECT P1/P2 coding)
and 8.5 (current DF, current EF, current application and record pointer, kept per logical
channel, TS 102 221 8.6 / ISO/IEC 7816-4 5.3.1.2).

:class:`FsChannelState` is what one channel has selected; it lives in
``channel.applet_state["fs"]``. :class:`Selector` turns SELECT parameters into a file of
the tree; ADFs are reached by DF name or '7FFF', never by their (temporary) FID.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from euicc.apdu import CommandApdu
from euicc.sw import SW, SwError

from .model import CURRENT_ADF_FID, MF_FID, File, FileTree, FileType

STATE_KEY = "fs"

# SELECT P1 (TS 102 221 11.1.1.2, table 11.2)
BY_FID, CHILD_DF, PARENT_DF, BY_DF_NAME = 0x00, 0x01, 0x03, 0x04
BY_PATH_FROM_MF, BY_PATH_FROM_CURRENT = 0x08, 0x09
# SELECT P2: response (b4-b3), application session control (b7), occurrence (b2-b1)
P2_FCI, P2_FCP, P2_NO_DATA = 0x00, 0x04, 0x0C
P2_RESPONSE_MASK, P2_TERMINATE, P2_OCCURRENCE_MASK = 0x0C, 0x40, 0x03
FIRST, LAST, NEXT, PREVIOUS = 0x00, 0x01, 0x02, 0x03


@dataclass
class DataTransfer:
    """A SET DATA object being assembled over several blocks (TS 102 221 11.3.2)."""

    tag: int
    header: bytes
    value: bytearray
    length: int
    last_block: int = 0


@dataclass
class FsChannelState:
    """Selection state of one logical channel (TS 102 221 8.5)."""

    current_df: File
    current_ef: File | None = None
    current_adf: File | None = None
    record: int = 0  # record pointer; 0 = undefined
    # RETRIEVE DATA: bytes not yet sent, and the last block (for retransmission)
    retrieve_rest: bytes = b""
    retrieve_last: bytes = b""
    set_data: DataTransfer | None = field(default=None, repr=False)

    @property
    def current_file(self) -> File:
        return self.current_ef if self.current_ef is not None else self.current_df

    def select(self, file: File) -> None:
        """Make ``file`` current: a DF becomes the current DF (no current EF), an EF the
        current EF with its DF as current DF; the record pointer becomes undefined. Selecting
        anything in an ADF makes that ADF the current application; the MF and DF.TELECOM
        keep it (for '7FFF')."""
        self.record = 0
        self.retrieve_rest = self.retrieve_last = b""
        self.set_data = None
        if file.type.is_df:
            self.current_df, self.current_ef = file, None
        else:
            self.current_df, self.current_ef = file.df, file
        if file.adf is not None:
            self.current_adf = file.adf


def _fids(data: bytes) -> list[int]:
    if len(data) % 2:
        raise SwError(SW.WRONG_DATA, "odd path length")
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]


class Selector:
    """Resolves SELECT parameters against one :class:`FileTree`."""

    def __init__(self, tree: FileTree) -> None:
        self.tree = tree

    @staticmethod
    def child(df: File, fid: int) -> File | None:
        """A file directly under ``df`` reachable by FID (ADFs are not)."""
        if not df.type.is_df:
            return None
        found = df.child(fid)
        return found if found is not None and found.type != FileType.ADF else None

    def by_fid(self, fid: int, state: FsChannelState) -> File:
        """TS 102 221 8.4.1: the MF, the current ADF ('7FFF'), a child of the current DF,
        the current DF itself, its parent, or a DF sibling of the current DF."""
        if fid == MF_FID:
            return self.tree.mf
        if fid == CURRENT_ADF_FID:
            if state.current_adf is None:
                raise SwError(SW.FILE_NOT_FOUND, "no current application")
            return state.current_adf
        current = state.current_df
        found = self.child(current, fid)
        if found is not None:
            return found
        if current.fid == fid and current.type != FileType.ADF:
            return current
        parent = current.parent
        if parent is not None:
            if parent.fid == fid and parent.type != FileType.ADF:
                return parent
            sibling = self.child(parent, fid)
            if sibling is not None and sibling.type.is_df:
                return sibling
        raise SwError(SW.FILE_NOT_FOUND)

    def walk(self, start: File, fids: list[int], state: FsChannelState) -> File:
        node = start
        for index, fid in enumerate(fids):
            if index == 0 and fid == CURRENT_ADF_FID:
                if state.current_adf is None:
                    raise SwError(SW.FILE_NOT_FOUND, "no current application")
                node = state.current_adf
                continue
            found = self.child(node, fid)
            if found is None:
                raise SwError(SW.FILE_NOT_FOUND)
            node = found
        return node

    def resolve(self, apdu: CommandApdu, state: FsChannelState) -> File:
        """The file SELECT (P1 other than '04') names, without selecting it."""
        if apdu.p1 == BY_FID:
            if not apdu.data:
                return self.tree.mf
            if len(apdu.data) != 2:
                raise SwError(SW.WRONG_LENGTH, "a file identifier has two bytes")
            return self.by_fid(int.from_bytes(apdu.data, "big"), state)
        if apdu.p1 == CHILD_DF:
            if len(apdu.data) != 2:
                raise SwError(SW.WRONG_LENGTH, "a file identifier has two bytes")
            found = self.child(state.current_df, int.from_bytes(apdu.data, "big"))
            if found is None or not found.type.is_df:
                raise SwError(SW.FILE_NOT_FOUND)
            return found
        if apdu.p1 == PARENT_DF:
            parent = state.current_df.parent
            if parent is None:
                raise SwError(SW.FILE_NOT_FOUND, "the MF has no parent")
            return parent
        if apdu.p1 == BY_PATH_FROM_MF:
            fids = _fids(apdu.data)
            if fids and fids[0] == MF_FID:  # tolerated: some tools include the MF
                fids = fids[1:]
            return self.walk(self.tree.mf, fids, state)
        if apdu.p1 == BY_PATH_FROM_CURRENT:
            return self.walk(state.current_df, _fids(apdu.data), state)
        raise SwError(SW.INCORRECT_P1P2)

    def by_df_name(self, aid: bytes, occurrence: int, state: FsChannelState) -> File:
        """ISO/IEC 7816-4 5.3.1.1 / TS 102 221 8.4.1: ADF whose DF name is or starts with
        ``aid``; first (exact match preferred), last, next or previous occurrence."""
        if not 1 <= len(aid) <= 16:
            raise SwError(SW.WRONG_LENGTH, "a DF name has 1 to 16 bytes")
        matches = [a for a in self.tree.adfs() if a.aid and a.aid.startswith(aid)]
        if not matches:
            raise SwError(SW.FILE_NOT_FOUND)
        if occurrence == FIRST:
            return self.tree.adf_by_aid(aid) or matches[0]
        if occurrence == LAST:
            return matches[-1]
        ordered = matches if occurrence == NEXT else list(reversed(matches))
        if state.current_adf not in ordered:
            return ordered[0]
        position = ordered.index(state.current_adf) + 1
        if position >= len(ordered):
            raise SwError(SW.FILE_NOT_FOUND, "no further occurrence")
        return ordered[position]
