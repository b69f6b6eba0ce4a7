"""Logical channels (ISO/IEC 7816-4 5.1.1.2 and 11.1.2, ETSI TS 102 221 11.1.17): each one
has its own selected applet, its own per-applet scratch state and its own pending response
for GET RESPONSE. Channel 0, the basic channel, is always open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .sw import SW, SwError

if TYPE_CHECKING:
    from .applet import Applet

MAX_CHANNELS = 20  # 0-3 in the first interindustry class, 4-19 in the further one


@dataclass
class Channel:
    number: int
    applet: Applet | None = None
    # Clear-on-deselect state of the selected applet (e.g. a STORE DATA reassembly buffer).
    applet_state: dict[str, Any] = field(default_factory=dict)
    # Response data not yet fetched with GET RESPONSE (None: nothing pending).
    pending: bytes | None = None
    # ((CLA, INS, P1, P2), response) of a command answered '6Cxx' by the fault plan: the same
    # command with the right Le gets that response (ISO/IEC 7816-3 10.3.3).
    resend: tuple[tuple[int, int, int, int], Any] | None = None

    def deselect(self) -> None:
        if self.applet is not None:
            applet, self.applet = self.applet, None
            applet.deselect(self)
        self.applet_state.clear()


class ChannelTable:
    def __init__(self, max_channels: int = MAX_CHANNELS) -> None:
        self.max_channels = max_channels
        self._open: dict[int, Channel] = {}
        self.reset()

    def reset(self) -> None:
        for channel in list(self._open.values()):
            channel.deselect()
        self._open = {0: Channel(0)}

    def get(self, number: int) -> Channel:
        channel = self._open.get(number)
        if channel is None:
            raise SwError(SW.LOGICAL_CHANNEL_NOT_SUPPORTED, f"channel {number} is not open")
        return channel

    def open(self, number: int | None = None) -> Channel:
        if number is None:
            number = next((n for n in range(1, self.max_channels) if n not in self._open), None)
            if number is None:
                raise SwError(SW.FUNCTION_NOT_SUPPORTED, "no logical channel available")
        elif not 0 < number < self.max_channels:
            raise SwError(SW.INCORRECT_P1P2, f"channel {number} does not exist")
        elif number in self._open:
            raise SwError(SW.INCORRECT_P1P2, f"channel {number} is already open")
        channel = Channel(number)
        self._open[number] = channel
        return channel

    def close(self, number: int) -> None:
        if number == 0:
            raise SwError(SW.INCORRECT_P1P2, "the basic channel cannot be closed")
        channel = self._open.pop(number, None)
        if channel is None:
            raise SwError(SW.REFERENCED_DATA_NOT_FOUND, f"channel {number} is not open")
        channel.deselect()

    def __iter__(self):
        return iter(list(self._open.values()))
