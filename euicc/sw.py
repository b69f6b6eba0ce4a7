"""Status words (ISO/IEC 7816-4 5.1.3, ETSI TS 102 221 10.2.1) and the exception that carries one.

Handlers raise :class:`SwError` to end a command with a status word and no data; the card OS
turns it into the response APDU. Nothing else escapes a handler as a status word.
"""

from __future__ import annotations

from enum import IntEnum


class SW(IntEnum):
    """Every status word the card answers, in the order of TS 102 221 10.2.1 (named after
    its wording there; ISO/IEC 7816-4 5.1.3 for the interindustry ones, 3GPP TS 31.102 7.3
    for the NAA's authentication errors). A member ending in '00' or 'C0' takes a count in
    its low byte or nibble, as noted."""

    # 10.2.1.1 normal processing
    OK = 0x9000
    PROACTIVE_COMMAND_PENDING = 0x9100  # low byte: length of the command (TS 102 221 10.2.1.1)
    BYTES_REMAINING = 0x6100  # low byte: number of bytes still available (00 = 256 or more)
    # 10.2.1.3 warnings
    WARNING_NO_INFO = 0x6200
    END_OF_FILE = 0x6282  # end of file/record reached before reading Le bytes
    SELECTED_FILE_INVALIDATED = 0x6283  # SELECT of a deactivated file
    MORE_DATA_AVAILABLE = 0x62F1  # RETRIEVE DATA (11.3.1): next block
    VERIFICATION_FAILED = 0x63C0  # low nibble: further attempts allowed
    MORE_DATA_EXPECTED = 0x63F1  # SET DATA (11.3.2): next block
    # 10.2.1.4 execution errors
    MEMORY_FAILURE = 0x6581
    # 10.2.1.5 checking errors
    WRONG_LENGTH = 0x6700
    WRONG_P1P2 = 0x6B00
    INS_NOT_SUPPORTED = 0x6D00
    CLA_NOT_SUPPORTED = 0x6E00
    NO_PRECISE_DIAGNOSIS = 0x6F00
    # 10.2.1.5 functions in CLA not supported
    LOGICAL_CHANNEL_NOT_SUPPORTED = 0x6881
    SECURE_MESSAGING_NOT_SUPPORTED = 0x6882
    LAST_COMMAND_EXPECTED = 0x6883
    COMMAND_CHAINING_NOT_SUPPORTED = 0x6884
    # 10.2.1.5 command not allowed
    COMMAND_INCOMPATIBLE = 0x6981  # with the file structure
    SECURITY_STATUS_NOT_SATISFIED = 0x6982
    AUTH_METHOD_BLOCKED = 0x6983  # authentication/PIN method blocked
    REFERENCE_DATA_NOT_USABLE = 0x6984  # referenced data invalidated
    CONDITIONS_NOT_SATISFIED = 0x6985  # conditions of use not satisfied
    COMMAND_NOT_ALLOWED_NO_EF = 0x6986
    # 10.2.1.5 wrong parameters
    WRONG_DATA = 0x6A80  # incorrect parameters in the data field
    FUNCTION_NOT_SUPPORTED = 0x6A81
    FILE_NOT_FOUND = 0x6A82
    RECORD_NOT_FOUND = 0x6A83
    NOT_ENOUGH_MEMORY = 0x6A84
    INCORRECT_P1P2 = 0x6A86
    LC_INCONSISTENT_WITH_P1P2 = 0x6A87
    REFERENCED_DATA_NOT_FOUND = 0x6A88
    WRONG_LE = 0x6C00  # low byte: the exact length available
    # 10.2.1.6 application errors
    MAX_VALUE_REACHED = 0x9850  # INCREASE cannot be performed
    AUTH_INCORRECT_MAC = 0x9862  # TS 31.102 / 31.103 7.3: authentication error, incorrect MAC
    SECURITY_CONTEXT_NOT_SUPPORTED = 0x9864  # TS 31.102 7.3: authentication error


class SwError(Exception):
    """End the current command with ``sw`` and no response data."""

    def __init__(self, sw: int, reason: str = "") -> None:
        super().__init__(f"{sw:04X} {reason}".strip())
        self.sw = int(sw)
        self.reason = reason
