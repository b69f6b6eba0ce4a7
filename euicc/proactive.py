"""Proactive UICC, the part an eUICC needs (ETSI TS 102 221 14.6 and 7.4.2.2; ETSI TS
102 223 5.2 TERMINAL PROFILE, 6.4.7 REFRESH, 6.6.13; SGP.22 3.2.1 and 3.2.2: after an
enable or disable with refreshFlag set, the eUICC asks the terminal for a UICC reset).

A terminal that sent TERMINAL PROFILE announcing REFRESH is told of a pending command by
'91xx' in place of '9000' and fetches it with FETCH; it answers with TERMINAL RESPONSE.
A terminal that never sent TERMINAL PROFILE (a PC/SC tool, an LPA on a laptop) is never
sent '91xx', as TS 102 223 5.2 requires, so its status words stay those it expects.
"""

from __future__ import annotations

from euicc.tlv import tlv

# TERMINAL PROFILE byte 3 bit 8: "Proactive UICC: REFRESH" (TS 102 223 5.2)
_REFRESH_BYTE, _REFRESH_BIT = 2, 0x80
REFRESH = 0x01  # type of command (TS 102 223 9.4)
UICC_RESET = 0x04  # REFRESH command qualifier: UICC Reset (TS 102 223 8.6)


def refresh_command(number: int = 1, qualifier: int = UICC_RESET) -> bytes:
    """REFRESH (TS 102 223 6.6.13): command details and device identities UICC -> terminal."""
    return tlv(0xD0, tlv(0x81, bytes([number, REFRESH, qualifier])) + tlv(0x82, b"\x81\x82"))


class ProactiveSession:
    """Proactive commands waiting for the terminal, and what the terminal said it supports.

    Cleared at every reset, like the rest of the card's volatile state."""

    def __init__(self) -> None:
        self.terminal_profile = b""
        self._pending: list[bytes] = []
        self.awaiting_response: bytes | None = None

    def reset(self) -> None:
        self.terminal_profile = b""
        self._pending.clear()
        self.awaiting_response = None

    def supports_refresh(self) -> bool:
        tp = self.terminal_profile
        return len(tp) > _REFRESH_BYTE and bool(tp[_REFRESH_BYTE] & _REFRESH_BIT)

    def request_refresh(self) -> None:
        """Queue a REFRESH (UICC reset) if the terminal can run it; otherwise the terminal
        is expected to reset the card itself (SGP.22 3.2.1, refreshFlag not honoured)."""
        command = refresh_command()
        if self.supports_refresh() and command not in self._pending:
            self._pending.append(command)

    def pending_length(self) -> int:
        """Length of the next command to FETCH (0: none, or not to be announced)."""
        if not self.terminal_profile or not self._pending:
            return 0
        return len(self._pending[0])

    def fetch(self) -> bytes | None:
        if not self._pending:
            return None
        command = self._pending.pop(0)
        self.awaiting_response = command
        return command

    def terminal_response(self, data: bytes) -> bool:
        """True when ``data`` answers the command last fetched."""
        command, self.awaiting_response = self.awaiting_response, None
        return command is not None and data[:1] in (b"\x81", b"\x01")
