"""APDU traces, fed by the card's observers (:attr:`euicc.card.Card.observers`).

:class:`PcapTrace` writes a pcap file with GSMTAP SIM encapsulation (osmocom GSMTAP v2,
GSMTAP_TYPE_SIM, sub-type APDU; UDP port 4729; the formats are in :mod:`euicc.pcap`),
which Wireshark and tshark decode as ISO 7816 / ETSI TS 102 221 / GlobalPlatform traffic.
Each exchange is one packet: the command APDU followed by the response data and status
word. PIN values and the keys
AUTHENTICATE returns are masked before they reach the file (:mod:`euicc.redact`); SGP.22
BPP segments, with the profile's keys inside, cross the wire encrypted.

:class:`RecentExchanges` keeps the card's last exchanges in memory, for the control
socket's ``recent`` request (``euicc-emu shell -c "log --count N"``): only what names an
exchange (time, logical channel, command name, ISO 7816-4 status word, sizes, processing
time), never command or response data, so no key or PIN can be read back from it.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from .card import Exchange
from .redact import Redactor


class PcapTrace:
    """An observer for :attr:`euicc.card.Card.observers` writing a pcap file."""

    def __init__(self, path: Path) -> None:
        from . import pcap  # the formats, loaded by a card that writes a pcap file only

        self._pcap = pcap
        self._file = open(path, "wb")  # noqa: SIM115 - closed by close()
        self._lock = threading.Lock()
        self._redact = Redactor()
        self._file.write(pcap.PcapFileHeader.build({}))
        self._file.flush()

    def _write(self, timestamp: float, packet: bytes) -> None:
        with self._lock:
            self._file.write(self._pcap.record(timestamp, packet))
            self._file.flush()

    def __call__(self, exchange: Exchange) -> None:
        with self._lock:
            command, response = self._redact(exchange.command, exchange.response)
        for mark in exchange.injected:  # before the exchange it changed
            self._write(exchange.timestamp, self._pcap.log_packet(
                exchange.timestamp, f"{exchange.name}: {mark}"))
        self._write(exchange.timestamp, self._pcap.gsmtap_packet(command + response))

    def atr(self, timestamp: float, atr: bytes) -> None:
        self._write(timestamp, self._pcap.gsmtap_packet(atr, self._pcap.GSMTAP_SIM_ATR))

    def close(self) -> None:
        with self._lock:
            self._file.close()


@dataclass(frozen=True, slots=True)
class TraceEvent:
    """What the trace shows of one exchange: no data, only sizes and the status word."""

    time: float
    channel: int | None
    name: str
    sw: str
    bytes_in: int
    bytes_out: int
    ms: float
    injected: tuple[str, ...] = ()  # what the fault plan did to the exchange

    @classmethod
    def of(cls, exchange: Exchange) -> TraceEvent:
        return cls.from_record(_record(exchange))

    @classmethod
    def from_record(cls, record: tuple) -> TraceEvent:
        timestamp, channel, name, sw, bytes_in, bytes_out, duration, injected = record
        return cls(timestamp, channel, name, sw.hex().upper(), bytes_in, bytes_out,
                   round(duration * 1000, 3), injected)

    def as_dict(self) -> dict:
        entry = {"time": self.time, "channel": self.channel, "name": self.name, "sw": self.sw,
                 "in": self.bytes_in, "out": self.bytes_out, "ms": self.ms}
        if self.injected:
            entry["injected"] = list(self.injected)
        return entry


def _record(exchange: Exchange) -> tuple:
    return (exchange.timestamp, exchange.channel, exchange.name, exchange.response[-2:],
            len(exchange.command), max(len(exchange.response) - 2, 0), exchange.duration,
            exchange.injected)


class RecentExchanges:
    """A ring buffer of the last ``capacity`` exchanges (an observer of the card).

    It runs for every APDU, so it keeps a plain tuple (about a microsecond) and no lock:
    events are made only when asked for, and a copy the card's next append disturbed is
    taken again."""

    CAPACITY = 1000

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._records: deque[tuple] = deque(maxlen=capacity)

    def __call__(self, exchange: Exchange) -> None:
        self._records.append(_record(exchange))

    def last(self, count: int) -> list[TraceEvent]:
        """The last ``count`` exchanges, oldest first (fewer if the card has seen fewer)."""
        while True:
            try:
                records = list(self._records)
                break
            except RuntimeError:  # "deque mutated during iteration": the card appended
                continue
        return [TraceEvent.from_record(r) for r in records[-count:]] if count > 0 else []
