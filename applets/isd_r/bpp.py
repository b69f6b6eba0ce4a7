"""ES10b.LoadBoundProfilePackage (SGP.22 5.7.6; BPP structure 2.5.5, SCP03t 2.6.6 and 5.5):
the Bound Profile Package arrives as a byte stream cut into pieces (one ES10 command
each, shared/docs/interop.md). The loader consumes the stream element by element as soon
as each one is complete, whatever the cut:

    BF36 { BF23 InitialiseSecureChannel, A0 {87..} ConfigureISDP, A1 {88..} StoreMetadata,
           [A2 {87} ReplaceSessionKeys], A3 {86..} profile elements }

Nothing is persisted before the last element: the new ISD-P, its metadata and its profile
elements are written in one transaction at the end, so an interrupted or failed download
leaves nothing behind. Every failure ends the load with a ProfileInstallationResult
carrying the SGP.22 bppCommandId and errorReason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum

from euicc.tlv import Header, TlvError, read_header

MAX_BPP = 2 * 1024 * 1024  # a profile package is tens of kilobytes; bound memory use


class BppCommandId(IntEnum):
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


# Where the stream is: what the next TLV must be.
EXPECT_BPP, EXPECT_ISC, EXPECT_A0, EXPECT_A1, EXPECT_88, EXPECT_A2_OR_A3 = range(6)
EXPECT_86, DONE, EXPECT_A3 = 6, 7, 8


@dataclass
class BppStream:
    """Splits the BPP byte stream into the elements the installer acts on.

    ``on_element(kind, tlv_bytes)`` is called with kind one of "BF23", "87@A0", "A1",
    "88", "87@A2", "A3", "86", "end".
    """

    on_element: Callable[[str, bytes], None]
    buffer: bytearray = field(default_factory=bytearray)
    state: int = EXPECT_BPP
    remaining: dict[str, int] = field(default_factory=dict)  # bytes left in BF36/A1/A3
    received: int = 0

    def feed(self, data: bytes) -> bool:
        """Add one piece; return True once the whole package has been consumed."""
        self.received += len(data)
        if self.received > MAX_BPP:
            raise BppFailure(BppCommandId.LOAD_PROFILE_ELEMENTS, ErrorReason.INSUFFICIENT_MEMORY,
                             "package too large")
        self.buffer += data
        while self.state != DONE:
            head = self._header()
            if head is None:
                return False
            if not self._step(head):
                return False
        if self.buffer:
            raise BppFailure(BppCommandId.LOAD_PROFILE_ELEMENTS,
                             ErrorReason.SCP03T_STRUCTURE_ERROR, "data after the package")
        return True

    def _header(self) -> Header | None:
        try:
            return read_header(self.buffer)
        except TlvError as exc:
            if len(self.buffer) >= 8:  # long enough for any header: it is malformed
                raise BppFailure(self._command(), ErrorReason.SCP03T_STRUCTURE_ERROR,
                                 str(exc)) from None
            return None

    def _command(self) -> BppCommandId:
        return {
            EXPECT_BPP: BppCommandId.INITIALISE_SECURE_CHANNEL,
            EXPECT_ISC: BppCommandId.INITIALISE_SECURE_CHANNEL,
            EXPECT_A0: BppCommandId.CONFIGURE_ISDP, EXPECT_A1: BppCommandId.STORE_METADATA,
            EXPECT_88: BppCommandId.STORE_METADATA,
            EXPECT_A2_OR_A3: BppCommandId.REPLACE_SESSION_KEYS,
        }.get(self.state, BppCommandId.LOAD_PROFILE_ELEMENTS)

    def _take(self, head: Header, whole: bool) -> bytes | None:
        """Remove a header (whole=False) or a complete TLV from the buffer."""
        size = head.total_length if whole else head.header_length
        if len(self.buffer) < size:
            return None
        taken = bytes(self.buffer[:size])
        del self.buffer[:size]
        if self.state != EXPECT_BPP:
            self.remaining["BF36"] -= size
        container = {EXPECT_88: "A1", EXPECT_86: "A3"}.get(self.state)
        if container is not None:
            self.remaining[container] -= size
        return taken

    def _expect(self, head: Header, *tags: int) -> None:
        if head.tag not in tags:
            raise BppFailure(self._command(), ErrorReason.SCP03T_STRUCTURE_ERROR,
                             f"tag {head.tag:X} where {'/'.join(f'{t:X}' for t in tags)} belongs")

    def _step(self, head: Header) -> bool:
        state = self.state
        if state == EXPECT_BPP:
            self._expect(head, 0xBF36)
            self._take(head, whole=False)
            self.remaining["BF36"] = head.length
            self.state = EXPECT_ISC
            return True
        if state == EXPECT_ISC:
            self._expect(head, 0xBF23)
            return self._whole(head, "BF23", EXPECT_A0)
        if state == EXPECT_A0:
            self._expect(head, 0xA0)
            return self._whole(head, "87@A0", EXPECT_A1)
        if state == EXPECT_A1:
            self._expect(head, 0xA1)
            self._take(head, whole=False)
            self.remaining["A1"] = head.length
            self.on_element("A1", b"")
            self.state = EXPECT_88 if head.length else EXPECT_A2_OR_A3
            return True
        if state == EXPECT_88:
            self._expect(head, 0x88)
            if not self._whole(head, "88", EXPECT_88):
                return False
            if self.remaining["A1"] < 0:
                raise BppFailure(BppCommandId.STORE_METADATA,
                                 ErrorReason.SCP03T_STRUCTURE_ERROR, "88 overruns A1")
            if self.remaining["A1"] == 0:
                self.state = EXPECT_A2_OR_A3
            return True
        if state in (EXPECT_A2_OR_A3, EXPECT_A3):
            self._expect(head, *((0xA2, 0xA3) if state == EXPECT_A2_OR_A3 else (0xA3,)))
            if head.tag == 0xA2:
                return self._whole(head, "87@A2", EXPECT_A3)
            self._take(head, whole=False)
            self.remaining["A3"] = head.length
            self.on_element("A3", b"")
            self.state = EXPECT_86 if head.length else DONE
            self._finish_if_done()
            return True
        self._expect(head, 0x86)
        if not self._whole(head, "86", EXPECT_86):
            return False
        if self.remaining["A3"] < 0:
            raise BppFailure(BppCommandId.LOAD_PROFILE_ELEMENTS,
                             ErrorReason.SCP03T_STRUCTURE_ERROR, "86 overruns A3")
        if self.remaining["A3"] == 0:
            self.state = DONE
            self._finish_if_done()
        return True

    def _whole(self, head: Header, kind: str, next_state: int) -> bool:
        taken = self._take(head, whole=True)
        if taken is None:
            return False
        self.on_element(kind, taken)
        self.state = next_state
        return True

    def _finish_if_done(self) -> None:
        if self.state == DONE:
            if self.remaining["BF36"] != 0:
                raise BppFailure(BppCommandId.LOAD_PROFILE_ELEMENTS,
                                 ErrorReason.SCP03T_STRUCTURE_ERROR,
                                 "BF36 length does not match its content")
            self.on_element("end", b"")
