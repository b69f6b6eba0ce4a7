"""vsmartcard vpcd transport (vsmartcard virtualsmartcard/src/vpcd, protocol in
shared/docs/vpcd.md): 2-byte big-endian length framing; length-1 frames are control bytes
(0 power off, 1 power on, 2 warm reset: no reply; 4 request ATR: reply with the ATR);
longer frames are C-APDUs answered with exactly one R-APDU frame.

Normal mode connects to pcscd's vpcd (the card is the TCP client, slot n on port
35963 + n) and reconnects forever, keeping card state. Reversed mode listens and lets vpcd
connect. The card counts as inserted once vpcd powers it or asks its ATR (pcscd does both
when it sees a card): vpcd accepts a second connection to a slot it already serves and then
never speaks on it, so a connection alone proves nothing; one that stays silent is reported
as a busy slot. Latency: vpcd sends length and payload separately, so the card re-arms
TCP_QUICKACK before every read and answers in a single send (the "40 ms trap").
"""

from __future__ import annotations

import logging
import select
import socket
import threading
import time
from enum import IntEnum

from .base import CardLink, CardWithdrawn, Transport, TransportError

log = logging.getLogger(__name__)

VPCD_BASE_PORT = 35963
VPCD_SLOTS = 16  # slots a vpcd reader configuration can name (ports 35963..35978)
RECONNECT_DELAY = 0.5
IDLE_POLL = 1.0  # how often a blocked read wakes to look at the stop flag
BUSY_AFTER = 3.0  # seconds of silence after connecting before the slot is called busy


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
    """HOST[:PORT] (IPv6 in brackets) -> (host, port); ValueError naming what is wrong."""
    host, sep, port = text.rpartition(":")
    if not sep or (text.startswith("[") and text.endswith("]")):
        host, port = text, str(default_port)
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{text!r}: the port must be a number from 1 to 65535")
    return host, int(port)


def _tune(sock: socket.socket) -> None:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    _quickack(sock)


def _quickack(sock: socket.socket) -> None:
    if hasattr(socket, "TCP_QUICKACK"):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        except OSError:
            pass


def _read_exact(sock: socket.socket, n: int, stop: threading.Event,
                on_idle=lambda: None) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        _quickack(sock)
        try:
            chunk = sock.recv(n - len(buf))
        except TimeoutError:
            if stop.is_set():
                raise PeerClosed("stopping") from None
            on_idle()
            continue
        if not chunk:
            raise PeerClosed("vpcd closed the connection")
        buf += chunk
    return bytes(buf)


def _await_next(sock: socket.socket, spin_us: int) -> None:
    """Poll ``sock`` without blocking for up to ``spin_us`` microseconds after an answer.

    An LPA sends a function's STORE DATA blocks back to back, each after pcscd passed on the
    answer to the last (about 0.1-0.2 ms here). A card thread that blocks in recv between
    them lets its CPU idle, and on a virtual machine a vCPU that halts costs its wake-up and
    a cold cache on every command: measured through pcscd on the 2-vCPU machine, a 12 kB
    TS.48 download took the LPA 51 ms with blocking reads and 41-45 ms with 300 us of
    polling, the card's own time 17 -> 14.5-15.4 ms (README, Performance). The poll ends
    at the next command's first byte, or after ``spin_us`` when none comes (the end of a
    burst): an idle card polls nothing."""
    if spin_us <= 0:
        return
    deadline = time.perf_counter() + spin_us / 1e6
    while time.perf_counter() < deadline:
        if select.select([sock], [], [], 0)[0]:
            return


def _send_frame(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(len(payload).to_bytes(2, "big") + payload)


class _Insertion:
    """Logs "card inserted" at vpcd's first word on a connection, or, after BUSY_AFTER
    seconds of silence, that the slot looks busy."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.since = time.monotonic()
        self.inserted = self.busy_logged = False

    def spoken(self) -> None:
        if not self.inserted:
            self.inserted = True
            log.info("card inserted in %s", self.where)

    def idle(self) -> None:
        if self.inserted or self.busy_logged or time.monotonic() - self.since < BUSY_AFTER:
            return
        self.busy_logged = True
        log.warning("%s accepted the connection but has not powered the card for %.0f s: "
                    "the slot looks busy (another card serving it?); waiting", self.where,
                    BUSY_AFTER)


def serve_connection(sock: socket.socket, card: CardLink, stop: threading.Event,
                     where: str = "vpcd reader", spin_us: int = 0) -> None:
    """Run the vpcd protocol on one connected socket until it closes or ``stop`` is set;
    after each answer poll ``spin_us`` for the next command (:func:`_await_next`)."""
    _tune(sock)
    sock.settimeout(IDLE_POLL)
    insertion = _Insertion(where)
    while not stop.is_set():
        length = int.from_bytes(_read_exact(sock, 2, stop, insertion.idle), "big")
        payload = _read_exact(sock, length, stop) if length else b""
        insertion.spoken()
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
            try:
                response = card.transmit(payload)
            except CardWithdrawn as gone:
                if gone.silent:  # the command stays unanswered, the card still in the reader
                    log.info("%s: the card keeps silent for %.1f s (fault plan)", where,
                             gone.absent_for)
                    stop.wait(gone.absent_for)
                    raise CardWithdrawn(0.0) from None
                raise
            _send_frame(sock, response)
            _await_next(sock, spin_us)


class VpcdClient(Transport):
    """The card connects to pcscd's vpcd driver and reconnects whenever it goes away."""

    def __init__(self, host: str = "127.0.0.1", port: int = VPCD_BASE_PORT,
                 spin_us: int = 0) -> None:
        self.host, self.port, self.spin_us = host, port, spin_us

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
                    self._log_waiting(exc)
                    waiting_logged = True
                stop.wait(RECONNECT_DELAY)
                continue
            waiting_logged = False
            log.debug("connected to vpcd at %s:%d", self.host, self.port)
            absent = RECONNECT_DELAY
            with sock:
                try:
                    serve_connection(sock, card, stop, self.describe(), self.spin_us)
                except (OSError, PeerClosed) as exc:
                    if not stop.is_set():
                        log.info("vpcd connection lost (%s); reconnecting", exc)
                except CardWithdrawn as gone:  # the fault plan takes the card out
                    absent = max(gone.absent_for, RECONNECT_DELAY)
                    log.info("card removed from %s for %.1f s (fault plan)", self.describe(),
                             absent)
            card.power_off()
            stop.wait(absent)

    def _log_waiting(self, exc: OSError) -> None:
        if isinstance(exc, ConnectionRefusedError):
            log.warning("nothing listens at %s:%d (connection refused): pcscd with the "
                        "vsmartcard vpcd driver is probably not running (start it with "
                        "`bash tools/setup.sh`, or `pcscd` where the driver is installed); "
                        "retrying every %.1f s", self.host, self.port, RECONNECT_DELAY)
        else:
            log.warning("cannot reach vpcd at %s:%d (%s); retrying every %.1f s", self.host,
                        self.port, exc.strerror or exc, RECONNECT_DELAY)


class VpcdServer(Transport):
    """Reversed mode: the card listens and vpcd (DEVICENAME host:port) connects to it."""

    def __init__(self, host: str = "127.0.0.1", port: int = VPCD_BASE_PORT,
                 spin_us: int = 0) -> None:
        self.host, self.port, self.spin_us = host, port, spin_us

        self._listener: socket.socket | None = None

    def describe(self) -> str:
        return f"reversed vpcd listener on {self.host}:{self.port}"

    def open(self) -> None:
        if self._listener is not None:
            return
        try:
            self._listener = socket.create_server((self.host, self.port), reuse_port=False)
        except OSError as exc:
            reason = (exc.strerror or str(exc)).lower()
            raise TransportError(f"cannot listen on {self.host}:{self.port}: {reason}") from None
        self._listener.settimeout(IDLE_POLL)

    def serve(self, card: CardLink, stop: threading.Event) -> None:
        self.open()
        assert self._listener is not None
        with self._listener as listener:
            log.info("listening for vpcd on %s:%d", self.host, self.port)
            while not stop.is_set():
                try:
                    sock, peer = listener.accept()
                except TimeoutError:
                    continue
                log.debug("vpcd connected from %s:%d", *peer[:2])
                absent = 0.0
                with sock:
                    try:
                        serve_connection(sock, card, stop, f"the vpcd reader connected from "
                                                           f"{peer[0]}:{peer[1]}", self.spin_us)
                    except (OSError, PeerClosed) as exc:
                        log.info("vpcd connection lost (%s)", exc)
                    except CardWithdrawn as gone:  # the fault plan takes the card out
                        absent = gone.absent_for
                        log.info("card removed for %.1f s (fault plan)", absent)
                card.power_off()
                stop.wait(absent)
