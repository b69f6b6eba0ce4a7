"""The applet contract (GlobalPlatform Card Specification 2.3, 3.5 / 11.9 "SELECT"; the
jcardsim-style lifecycle ``select`` / ``deselect`` / ``process``).

An applet never sees raw bytes: it gets a parsed :class:`CommandApdu` and the
:class:`Channel` it arrived on, and returns a :class:`ResponseApdu` or raises
:class:`SwError`. State that belongs to one channel (clear-on-deselect) lives in
``channel.applet_state``; state that must survive power loss goes through the card's store.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from .apdu import CommandApdu, ResponseApdu
from .tlv import tlv

if TYPE_CHECKING:
    from .channels import Channel


class Applet(ABC):
    aid: bytes
    name: str = "applet"
    multi_selectable: bool = True

    def select(self, channel: Channel) -> bytes:
        """Called when selected on ``channel``; returns the FCI (ISO/IEC 7816-4 5.3.3).

        Raise :class:`SwError` to refuse the selection."""
        return self.fci()

    def deselect(self, channel: Channel) -> None:
        """Called when another applet is selected on ``channel`` or the channel closes."""

    def reset(self) -> None:
        """Power-on or warm reset: drop clear-on-reset state."""

    @abstractmethod
    def process(self, apdu: CommandApdu, channel: Channel) -> ResponseApdu:
        """Handle one command addressed to this applet."""

    def command_names(self) -> list[str]:
        """The names of the commands the applet takes (its table's), for the fault plan."""
        return []

    def command_name(self, apdu: CommandApdu, channel: Channel) -> str | None:
        """A human name for ``apdu`` (tracing), or None if unknown."""
        return None

    def fci(self) -> bytes:
        """FCI template: '6F' { '84' AID, 'A5' proprietary data } (GP 2.3 11.9.3.1)."""
        return tlv(0x6F, tlv(0x84, self.aid) + tlv(0xA5, self.fci_proprietary()))

    def fci_proprietary(self) -> bytes:
        # '9F65' maximum length of data field in command message (GP 2.3 11.9.3.1)
        return tlv(0x9F65, b"\xff")
