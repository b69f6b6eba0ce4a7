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


class Transport(ABC):
    @abstractmethod
    def serve(self, card: CardLink, stop: threading.Event) -> None:
        """Carry APDUs to ``card`` until ``stop`` is set; survive peer restarts."""

    @abstractmethod
    def describe(self) -> str:
        """Where the card shows up, for the log."""
