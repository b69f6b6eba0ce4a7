"""ES10b.LoadBoundProfilePackage (SGP.22 5.7.6; BPP structure 2.5.5, SCP03t 2.6.6 and 5.5):
the Bound Profile Package arrives as a byte stream cut into pieces (one ES10 command
each, shared/docs/interop.md). The stream splits it element by element as soon as each
one is complete, whatever the cut, into events naming the part of the package they belong
to (its bppCommandId) and, inside StoreMetadata and LoadProfileElements, the segment:

    BF36 { BF23 InitialiseSecureChannel, A0 {87..} ConfigureISDP, A1 {88..} StoreMetadata,
           [A2 {87} ReplaceSessionKeys], A3 {86..} LoadProfileElements }

Nothing is persisted before the last element: the new ISD-P, its metadata and its profile
elements are written in one transaction at the end, so an interrupted or failed download
leaves nothing behind. Every failure ends the load with a ProfileInstallationResult
carrying the SGP.22 bppCommandId and errorReason.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import NamedTuple

from euicc.tlv import Header, TlvError, read_header

MAX_BPP = 2 * 1024 * 1024  # a profile package is tens of kilobytes; bound memory use
BPP_TAG = 0xBF36  # BoundProfilePackage (SGP.22 2.5.5)


class BppCommandId(IntEnum):
    """The parts of a package (SGP.22 2.5.5), numbered as ProfileInstallationResult's
    bppCommandId (SGP.22 5.7.6) reports the one that failed."""

    INITIALISE_SECURE_CHANNEL = 0
    CONFIGURE_ISDP = 1
    STORE_METADATA = 2
    STORE_METADATA2 = 3
    REPLACE_SESSION_KEYS = 4
    LOAD_PROFILE_ELEMENTS = 5


class ErrorReason(IntEnum):
    INCORRECT_INPUT_VALUES = 1
    INVALID_SIGNATURE = 2
    INVALID_TRANSACTION_ID = 3
    UNSUPPORTED_CRT_VALUES = 4
    UNSUPPORTED_REMOTE_OPERATION_TYPE = 5
    UNSUPPORTED_PROFILE_CLASS = 6
    SCP03T_STRUCTURE_ERROR = 7
    SCP03T_SECURITY_ERROR = 8
    ICCID_ALREADY_EXISTS = 9
    INSUFFICIENT_MEMORY = 10
    INTERRUPTION = 11
    PE_PROCESSING_ERROR = 12
    # installFailedDueToIccidMismatch (SGP.22 v2.1's name, pySim's) is the ASN.1's later
    # installFailedDueToDataMismatch (lpac's): the StoreMetadata ICCID is not the package's
    ICCID_MISMATCH = 13
    DATA_MISMATCH = 13
    INVALID_NAA_KEY = 14
    PPR_NOT_ALLOWED = 15
    UNKNOWN_ERROR = 127


class BppFailure(Exception):
    def __init__(self, command: BppCommandId, reason: ErrorReason, detail: str,
                 sima_response: bytes | None = None) -> None:
        super().__init__(f"{command.name}: {reason.name}: {detail}")
        self.command = command
        self.reason = reason
        # EUICCResponse of the Profile Package Interpreter naming the failing element
        self.sima_response = sima_response


class StreamState(Enum):
    """Where the stream is: the tags the next TLV may have, and the part of the package a
    structure error there is reported against (its bppCommandId)."""

    EXPECT_BPP = (BppCommandId.INITIALISE_SECURE_CHANNEL, (BPP_TAG,))
    EXPECT_ISC = (BppCommandId.INITIALISE_SECURE_CHANNEL, (0xBF23,))
    EXPECT_A0 = (BppCommandId.CONFIGURE_ISDP, (0xA0,))
    EXPECT_A1 = (BppCommandId.STORE_METADATA, (0xA1,))
    EXPECT_88 = (BppCommandId.STORE_METADATA, (0x88,))
    EXPECT_A2_OR_A3 = (BppCommandId.REPLACE_SESSION_KEYS, (0xA2, 0xA3))
    EXPECT_A3 = (BppCommandId.LOAD_PROFILE_ELEMENTS, (0xA3,))
    EXPECT_86 = (BppCommandId.LOAD_PROFILE_ELEMENTS, (0x86,))
    DONE = (BppCommandId.LOAD_PROFILE_ELEMENTS, ())

    def __init__(self, part: BppCommandId, tags: tuple[int, ...]) -> None:
        self.part = part
        self.tags = tags


class BppEvent(NamedTuple):
    """One complete element of the package (a named tuple, as the TLV headers it is cut
    by: a package makes some forty).

    ``tlv`` is the part's whole TLV (BF23, A0, A2) or one segment (88, 86); ``segment``
    numbers the segments of StoreMetadata and LoadProfileElements from 1. The event that
    opens one of those two parts (its A1 or A3 header) has segment 0 and no bytes.
    """

    part: BppCommandId
    tlv: bytes = b""
    segment: int = 0

    @property
    def opens_part(self) -> bool:
        return self.segment == 0 and not self.tlv


@dataclass
class BppStream:
    """Splits the BPP byte stream into the :class:`BppEvent` the installer acts on."""

    buffer: bytearray = field(default_factory=bytearray)
    state: StreamState = StreamState.EXPECT_BPP
    left_in_bpp: int = 0  # bytes of BF36's value not yet taken
    left_in_part: int = 0  # bytes of the open A1 or A3 not yet taken
    segment: int = 0  # segments taken from the open A1 or A3
    received: int = 0

    @property
    def done(self) -> bool:
        """The whole package has been consumed."""
        return self.state is StreamState.DONE

    def feed(self, data: bytes) -> Iterator[BppEvent]:
        """Add one piece and yield the elements it completes. The stream advances as the
        events are taken, so a failure while acting on one stops it right there."""
        self.received += len(data)
        if self.received > MAX_BPP:
            raise BppFailure(BppCommandId.LOAD_PROFILE_ELEMENTS, ErrorReason.INSUFFICIENT_MEMORY,
                             "package too large")
        self.buffer += data
        while not self.done:
            head = self._header()
            if head is None:
                return
            progressed = yield from self._step(head)
            if not progressed:
                return
        if self.buffer:
            raise BppFailure(BppCommandId.LOAD_PROFILE_ELEMENTS,
                             ErrorReason.SCP03T_STRUCTURE_ERROR, "data after the package")

    def _header(self) -> Header | None:
        try:
            return read_header(self.buffer)
        except TlvError as exc:
            if len(self.buffer) >= 8:  # long enough for any header: it is malformed
                raise BppFailure(self.state.part, ErrorReason.SCP03T_STRUCTURE_ERROR,
                                 str(exc)) from None
            return None

    def _take(self, head: Header, whole: bool) -> bytes | None:
        """Remove a header (whole=False) or a complete TLV from the buffer."""
        size = head.total_length if whole else head.header_length
        if len(self.buffer) < size:
            return None
        taken = bytes(self.buffer[:size])
        del self.buffer[:size]
        if self.state is not StreamState.EXPECT_BPP:
            self.left_in_bpp -= size
        if self.state in (StreamState.EXPECT_88, StreamState.EXPECT_86):
            self.left_in_part -= size
        return taken

    def _expect(self, head: Header) -> None:
        tags = self.state.tags
        if head.tag not in tags:
            raise BppFailure(self.state.part, ErrorReason.SCP03T_STRUCTURE_ERROR,
                             f"tag {head.tag:X} where {'/'.join(f'{t:X}' for t in tags)} belongs")

    def _step(self, head: Header) -> Iterator[BppEvent]:
        """Take the element at the head of the buffer; return False if it is incomplete."""
        state = self.state
        self._expect(head)
        if state is StreamState.EXPECT_BPP:
            self._take(head, whole=False)
            self.left_in_bpp = head.length
            self.state = StreamState.EXPECT_ISC
            return True
        if state is StreamState.EXPECT_ISC:
            return (yield from self._whole(head, StreamState.EXPECT_A0))
        if state is StreamState.EXPECT_A0:
            return (yield from self._whole(head, StreamState.EXPECT_A1))
        if state is StreamState.EXPECT_A1:
            yield self._open(head, StreamState.EXPECT_88 if head.length
                             else StreamState.EXPECT_A2_OR_A3)
            return True
        if state is StreamState.EXPECT_88:
            if not (yield from self._segment(head)):
                return False
            if self.left_in_part == 0:
                self.state = StreamState.EXPECT_A2_OR_A3
            return True
        if state is not StreamState.EXPECT_86:  # EXPECT_A2_OR_A3, EXPECT_A3
            if head.tag == 0xA2:
                return (yield from self._whole(head, StreamState.EXPECT_A3))
            yield self._open(head, StreamState.EXPECT_86 if head.length else StreamState.DONE)
            self._finish_if_done()
            return True
        if not (yield from self._segment(head)):
            return False
        if self.left_in_part == 0:
            self.state = StreamState.DONE
            self._finish_if_done()
        return True

    def _whole(self, head: Header, next_state: StreamState) -> Iterator[BppEvent]:
        """A part that is one TLV (BF23, A0, A2)."""
        taken = self._take(head, whole=True)
        if taken is None:
            return False
        part = self.state.part
        self.state = next_state
        yield BppEvent(part, taken)
        return True

    def _open(self, head: Header, next_state: StreamState) -> BppEvent:
        """The header of A1 or A3: the part's segments follow."""
        part = (BppCommandId.STORE_METADATA if head.tag == 0xA1
                else BppCommandId.LOAD_PROFILE_ELEMENTS)
        self._take(head, whole=False)
        self.left_in_part = head.length
        self.segment = 0
        self.state = next_state
        return BppEvent(part)

    def _segment(self, head: Header) -> Iterator[BppEvent]:
        """One 88 of A1 or 86 of A3, which must not run past its container."""
        taken = self._take(head, whole=True)
        if taken is None:
            return False
        self.segment += 1
        yield BppEvent(self.state.part, taken, self.segment)  # acted on before the check
        if self.left_in_part < 0:
            raise BppFailure(self.state.part, ErrorReason.SCP03T_STRUCTURE_ERROR,
                             f"{head.tag:X} overruns {'A1' if head.tag == 0x88 else 'A3'}")
        return True

    def _finish_if_done(self) -> None:
        if self.done and self.left_in_bpp != 0:
            raise BppFailure(BppCommandId.LOAD_PROFILE_ELEMENTS,
                             ErrorReason.SCP03T_STRUCTURE_ERROR,
                             "BF36 length does not match its content")
