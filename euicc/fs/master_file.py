"""The card-level UICC file system: the MF, selected on the basic channel at reset
(ETSI TS 102 221 8.2, 11.1.1 SELECT, 11.1.1.3 FCP). With no profile enabled the MF holds
no files, which is what SIM tools (pySim-shell) expect to find on an eUICC before a
profile is enabled: SELECT MF succeeds with a proper FCP, everything below it is 6A82.
"""

from __future__ import annotations

from euicc.apdu import CommandApdu, ResponseApdu
from euicc.card import FileSystem
from euicc.channels import Channel
from euicc.dispatch import ClassFamily, CommandSpec, CommandTable
from euicc.sw import SW, SwError
from euicc.tlv import tlv

MF_FID = b"\x3f\x00"

# SELECT P1 (TS 102 221 11.1.1.2)
BY_FID, CHILD_DF, PARENT_DF, BY_PATH_FROM_MF, BY_PATH_FROM_CURRENT = 0x00, 0x01, 0x03, 0x08, 0x09
# SELECT P2: return FCP, or no data
P2_FCP, P2_NO_DATA = 0x04, 0x0C


def mf_fcp() -> bytes:
    """FCP of the MF (TS 102 221 11.1.1.3.1)."""
    return tlv(
        0x62,
        tlv(0x82, b"\x78\x21")  # file descriptor: shareable DF
        + tlv(0x83, MF_FID)
        + tlv(0xA5, tlv(0x80, b"\x71"))  # UICC characteristics: clock stop, 3V and 1.8V
        + tlv(0x8A, b"\x05")  # life cycle: operational, activated
        + tlv(0x8B, b"\x2f\x06\x01")  # security attributes: EF.ARR record 1
        + tlv(0xC6, tlv(0x90, b"\x40") + tlv(0x83, b"\x01") + tlv(0x83, b"\x81")),
    )


class CardFileSystem(FileSystem):
    """Answers file selection and file commands when no application owns the channel."""

    aid = b""
    name = "MF"

    def __init__(self) -> None:
        self._commands = CommandTable(
            [CommandSpec("SELECT", 0xA4, ClassFamily.INTERINDUSTRY, self.select_file)]
            + [
                CommandSpec(name, ins, ClassFamily.INTERINDUSTRY, self._no_current_ef)
                for name, ins in (
                    ("READ BINARY", 0xB0), ("UPDATE BINARY", 0xD6), ("READ RECORD", 0xB2),
                    ("UPDATE RECORD", 0xDC), ("SEARCH RECORD", 0xA2), ("INCREASE", 0x32),
                )
            ]
        )

    def select(self, channel: Channel) -> bytes:
        return mf_fcp()

    def fci(self) -> bytes:
        return mf_fcp()

    def status(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        return ResponseApdu(b"" if apdu.p2 == 0x0C else mf_fcp())

    def process(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        return self._commands.dispatch(apdu, channel)

    def command_name(self, apdu: CommandApdu, channel: Channel) -> str | None:
        return self._commands.name_of(apdu)

    def select_file(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        if apdu.p2 not in (0x00, P2_FCP, P2_NO_DATA):
            raise SwError(SW.INCORRECT_P1P2)
        if apdu.p1 == BY_FID:
            if len(apdu.data) not in (0, 2):
                raise SwError(SW.WRONG_LENGTH, "a file identifier has two bytes")
            found = apdu.data in (b"", MF_FID)
        elif apdu.p1 in (BY_PATH_FROM_MF, BY_PATH_FROM_CURRENT):
            if len(apdu.data) % 2:
                raise SwError(SW.WRONG_DATA, "odd path length")
            found = apdu.data in (b"", MF_FID)
        elif apdu.p1 in (CHILD_DF, PARENT_DF):
            found = False
        else:
            raise SwError(SW.INCORRECT_P1P2)
        if not found:
            raise SwError(SW.FILE_NOT_FOUND)
        return ResponseApdu(b"" if apdu.p2 == P2_NO_DATA else mf_fcp())

    def _no_current_ef(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        raise SwError(SW.COMMAND_NOT_ALLOWED_NO_EF)
