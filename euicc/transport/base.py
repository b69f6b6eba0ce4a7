"""The transport contract: something that carries APDUs between a reader and a Card.

A transport only moves bytes and power events; everything the card does lives in
:class:`euicc.card.Card`. ``CardLink`` is the narrow view of the card a transport needs.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from typing import Protocol


class CardLink(Protocol):
    atr: bytes

    def power_on(self) -> bytes: ...

    def power_off(self) -> None: ...

    def warm_reset(self) -> bytes: ...

    def transmit(self, raw: bytes) -> bytes: ...


class CardWithdrawn(Exception):
    """Raised by ``CardLink.transmit`` instead of an answer: the card leaves the reader (a
    fault plan's transport event). The transport drops the connection, so the reader sees
    the card removed, and brings the card back after ``absent_for`` seconds; with ``silent``
    the card first keeps the command unanswered that long, then leaves (no answer within
    the LPA's timeout)."""

    def __init__(self, absent_for: float, silent: bool = False) -> None:
        super().__init__(f"card {'silent' if silent else 'removed'} for {absent_for:.3f} s")
        self.absent_for = absent_for
        self.silent = silent


class TransportError(Exception):
    """A transport that cannot start (a port in use, an address that does not resolve)."""


class Transport(ABC):
    def open(self) -> None:
        """Take what the transport needs before any card serves (a listening port), so a
        start-up failure is reported at once in the caller's thread. Optional."""

    @abstractmethod
    def serve(self, card: CardLink, stop: threading.Event) -> None:
        """Carry APDUs to ``card`` until ``stop`` is set; survive peer restarts."""

    @abstractmethod
    def describe(self) -> str:
        """Where the card shows up, for the log."""
