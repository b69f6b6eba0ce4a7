"""APDU trace to a pcap file with GSMTAP SIM encapsulation (osmocom GSMTAP v2,
GSMTAP_TYPE_SIM, sub-type APDU; UDP port 4729), which Wireshark and tshark decode as
ISO 7816 / ETSI TS 102 221 / GlobalPlatform traffic. Each exchange is one packet: the
command APDU followed by the response data and status word.

The card's observers hand exchanges over; PIN values and the keys AUTHENTICATE returns are
masked before they reach the file (:mod:`euicc.redact`). SGP.22 BPP segments, with the
profile's keys inside, cross the wire encrypted.
"""

from __future__ import annotations

import struct
import threading
from pathlib import Path

from .card import Exchange
from .redact import Redactor

LINKTYPE_IPV4 = 228
GSMTAP_PORT = 4729
GSMTAP_VERSION = 2
GSMTAP_TYPE_SIM = 0x04
GSMTAP_SIM_APDU = 0x00
GSMTAP_SIM_ATR = 0x01


def _checksum(header: bytes) -> int:
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def gsmtap_packet(payload: bytes, sub_type: int = GSMTAP_SIM_APDU) -> bytes:
    """IPv4 / UDP (127.0.0.1 -> 127.0.0.1:4729) / GSMTAP / payload."""
    gsmtap = struct.pack("!BBBBHbbIBBBB", GSMTAP_VERSION, 4, GSMTAP_TYPE_SIM, 0, 0, 0, 0, 0,
                         sub_type, 0, 0, 0) + payload
    udp = struct.pack("!HHHH", GSMTAP_PORT, GSMTAP_PORT, 8 + len(gsmtap), 0) + gsmtap
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
    ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
    return ip + udp


class PcapTrace:
    """An observer for :attr:`euicc.card.Card.observers` writing a pcap file."""

    def __init__(self, path: Path) -> None:
        self._file = open(path, "wb")  # noqa: SIM115 - closed by close()
        self._lock = threading.Lock()
        self._redact = Redactor()
        self._file.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, LINKTYPE_IPV4))
        self._file.flush()

    def _write(self, timestamp: float, packet: bytes) -> None:
        seconds = int(timestamp)
        micros = int((timestamp - seconds) * 1_000_000)
        with self._lock:
            self._file.write(struct.pack("<IIII", seconds, micros, len(packet), len(packet)))
            self._file.write(packet)
            self._file.flush()

    def __call__(self, exchange: Exchange) -> None:
        with self._lock:
            command, response = self._redact(exchange.command, exchange.response)
        self._write(exchange.timestamp, gsmtap_packet(command + response))

    def atr(self, timestamp: float, atr: bytes) -> None:
        self._write(timestamp, gsmtap_packet(atr, GSMTAP_SIM_ATR))

    def close(self) -> None:
        with self._lock:
            self._file.close()
