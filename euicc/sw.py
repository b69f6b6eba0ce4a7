"""Status words (ISO/IEC 7816-4 5.1.3, ETSI TS 102 221 10.2.1) and the exception that carries one.

Handlers raise :class:`SwError` to end a command with a status word and no data; the card OS
turns it into the response APDU. Nothing else escapes a handler as a status word.
"""

from __future__ import annotations

from enum import IntEnum


class SW(IntEnum):
    OK = 0x9000
    PROACTIVE_COMMAND_PENDING = 0x9100  # low byte: length of the command (TS 102 221 10.2.1.1)
    BYTES_REMAINING = 0x6100  # low byte: number of bytes still available (00 = 256 or more)
    WARNING_NO_INFO = 0x6200
    END_OF_FILE = 0x6282
    MEMORY_FAILURE = 0x6581
    WRONG_LENGTH = 0x6700
    LOGICAL_CHANNEL_NOT_SUPPORTED = 0x6881
    SECURE_MESSAGING_NOT_SUPPORTED = 0x6882
    LAST_COMMAND_EXPECTED = 0x6883
    COMMAND_CHAINING_NOT_SUPPORTED = 0x6884
    COMMAND_INCOMPATIBLE = 0x6981
    SECURITY_STATUS_NOT_SATISFIED = 0x6982
    AUTH_METHOD_BLOCKED = 0x6983
    REFERENCE_DATA_NOT_USABLE = 0x6984
    CONDITIONS_NOT_SATISFIED = 0x6985
    COMMAND_NOT_ALLOWED_NO_EF = 0x6986
    WRONG_DATA = 0x6A80
    FUNCTION_NOT_SUPPORTED = 0x6A81
    FILE_NOT_FOUND = 0x6A82
    RECORD_NOT_FOUND = 0x6A83
    NOT_ENOUGH_MEMORY = 0x6A84
    INCORRECT_P1P2 = 0x6A86
    LC_INCONSISTENT_WITH_P1P2 = 0x6A87
    REFERENCED_DATA_NOT_FOUND = 0x6A88
    WRONG_P1P2 = 0x6B00
    WRONG_LE = 0x6C00  # low byte: the exact length available
    INS_NOT_SUPPORTED = 0x6D00
    CLA_NOT_SUPPORTED = 0x6E00
    NO_PRECISE_DIAGNOSIS = 0x6F00


class SwError(Exception):
    """End the current command with ``sw`` and no response data."""

    def __init__(self, sw: int, reason: str = "") -> None:
        super().__init__(f"{sw:04X} {reason}".strip())
        self.sw = int(sw)
        self.reason = reason
