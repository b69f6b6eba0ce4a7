"""vsmartcard vpcd transport (vsmartcard virtualsmartcard/src/vpcd, protocol in
shared/docs/vpcd.md): 2-byte big-endian length framing; length-1 frames are control bytes
(0 power off, 1 power on, 2 warm reset: no reply; 4 request ATR: reply with the ATR);
longer frames are C-APDUs answered with exactly one R-APDU frame.

Normal mode connects to pcscd's vpcd (the card is the TCP client, slot n on port
35963 + n) and reconnects forever, keeping card state. Reversed mode listens and lets vpcd
connect. Latency: vpcd sends length and payload separately, so the card re-arms
TCP_QUICKACK before every read and answers in a single send (the "40 ms trap").
"""

from __future__ import annotations

import logging
import socket
import threading
from enum import IntEnum

from .base import CardLink, Transport

log = logging.getLogger(__name__)

VPCD_BASE_PORT = 35963
RECONNECT_DELAY = 0.5
IDLE_POLL = 1.0  # how often a blocked read wakes to look at the stop flag


class Control(IntEnum):
    POWER_OFF = 0
    POWER_ON = 1
    RESET = 2
    ATR = 4


class PeerClosed(ConnectionError):
    pass


def slot_port(slot: int) -> int:
    return VPCD_BASE_PORT + slot


def parse_endpoint(text: str, default_port: int = VPCD_BASE_PORT) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep:
        return text, default_port
    return host.strip("[]") or "127.0.0.1", int(port)


def _tune(sock: socket.socket) -> None:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    _quickack(sock)


def _quickack(sock: socket.socket) -> None:
    if hasattr(socket, "TCP_QUICKACK"):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        except OSError:
            pass


def _read_exact(sock: socket.socket, n: int, stop: threading.Event) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        _quickack(sock)
        try:
            chunk = sock.recv(n - len(buf))
        except TimeoutError:
            if stop.is_set():
                raise PeerClosed("stopping") from None
            continue
        if not chunk:
            raise PeerClosed("vpcd closed the connection")
        buf += chunk
    return bytes(buf)


def _send_frame(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(len(payload).to_bytes(2, "big") + payload)


def serve_connection(sock: socket.socket, card: CardLink, stop: threading.Event) -> None:
    """Run the vpcd protocol on one connected socket until it closes or ``stop`` is set."""
    _tune(sock)
    sock.settimeout(IDLE_POLL)
    while not stop.is_set():
        length = int.from_bytes(_read_exact(sock, 2, stop), "big")
        payload = _read_exact(sock, length, stop) if length else b""
        if length == 1:
            control = payload[0]
            if control == Control.ATR:
                _send_frame(sock, card.atr)
            elif control == Control.POWER_ON:
                card.power_on()
            elif control == Control.RESET:
                card.warm_reset()
            elif control == Control.POWER_OFF:
                card.power_off()
            else:
                log.warning("vpcd sent unknown control byte %02X; ignored", control)
        elif length == 0:
            log.debug("vpcd sent an empty frame; ignored")
        else:
            _send_frame(sock, card.transmit(payload))


class VpcdClient(Transport):
    """The card connects to pcscd's vpcd driver and reconnects whenever it goes away."""

    def __init__(self, host: str = "127.0.0.1", port: int = VPCD_BASE_PORT) -> None:
        self.host, self.port = host, port

    def describe(self) -> str:
        slot = self.port - VPCD_BASE_PORT
        reader = f"Virtual PCD 00 {slot:02d}" if 0 <= slot < 100 else "vpcd reader"
        return f"{reader} (vpcd at {self.host}:{self.port})"

    def serve(self, card: CardLink, stop: threading.Event) -> None:
        waiting_logged = False
        while not stop.is_set():
            try:
                sock = socket.create_connection((self.host, self.port), timeout=2)
            except OSError as exc:
                if not waiting_logged:
                    log.info("waiting for vpcd at %s:%d (%s)", self.host, self.port, exc)
                    waiting_logged = True
                stop.wait(RECONNECT_DELAY)
                continue
            waiting_logged = False
            log.info("card inserted in %s", self.describe())
            with sock:
                try:
                    serve_connection(sock, card, stop)
                except (OSError, PeerClosed) as exc:
                    if not stop.is_set():
                        log.info("vpcd connection lost (%s); reconnecting", exc)
            card.power_off()
            stop.wait(RECONNECT_DELAY)


class VpcdServer(Transport):
    """Reversed mode: the card listens and vpcd (DEVICENAME host:port) connects to it."""

    def __init__(self, host: str = "127.0.0.1", port: int = VPCD_BASE_PORT) -> None:
        self.host, self.port = host, port

    def describe(self) -> str:
        return f"reversed vpcd listener on {self.host}:{self.port}"

    def serve(self, card: CardLink, stop: threading.Event) -> None:
        with socket.create_server((self.host, self.port), reuse_port=False) as listener:
            listener.settimeout(IDLE_POLL)
            log.info("listening for vpcd on %s:%d", self.host, self.port)
            while not stop.is_set():
                try:
                    sock, peer = listener.accept()
                except TimeoutError:
                    continue
                log.info("card inserted: vpcd connected from %s:%d", *peer[:2])
                with sock:
                    try:
                        serve_connection(sock, card, stop)
                    except (OSError, PeerClosed) as exc:
                        log.info("vpcd connection lost (%s)", exc)
                card.power_off()
