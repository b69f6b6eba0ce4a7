"""vpcd transport (shared/docs/vpcd.md): exact framing, control bytes without replies,
ATR on request, reconnection that keeps the card, and the reversed (listening) mode."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from euicc.transport import vpcd
from euicc.transport.vpcd import VpcdClient, VpcdServer, parse_endpoint, slot_port


class FakeCard:
    atr = bytes.fromhex("3B8080")

    def __init__(self):
        self.events: list[str] = []

    def power_on(self):
        self.events.append("on")
        return self.atr

    def power_off(self):
        self.events.append("off")

    def warm_reset(self):
        self.events.append("reset")
        return self.atr

    def transmit(self, raw: bytes) -> bytes:
        self.events.append("apdu")
        return raw[::-1] + b"\x90\x00"


def frame(payload: bytes) -> bytes:
    return len(payload).to_bytes(2, "big") + payload


def read_frame(sock: socket.socket) -> bytes:
    head = b""
    while len(head) < 2:
        head += sock.recv(2 - len(head))
    n = int.from_bytes(head, "big")
    body = b""
    while len(body) < n:
        body += sock.recv(n - len(body))
    return body


def free_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


@pytest.fixture(autouse=True)
def fast_reconnect(monkeypatch):
    monkeypatch.setattr(vpcd, "RECONNECT_DELAY", 0.05)
    monkeypatch.setattr(vpcd, "IDLE_POLL", 0.1)


@pytest.fixture
def listener():
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(5)
    yield server
    server.close()


def start(transport, card):
    stop = threading.Event()
    thread = threading.Thread(target=transport.serve, args=(card, stop), daemon=True)
    thread.start()
    return stop, thread


def test_client_framing_and_control_bytes(listener):
    card = FakeCard()
    stop, thread = start(VpcdClient("127.0.0.1", listener.getsockname()[1]), card)
    conn, _ = listener.accept()
    conn.settimeout(5)
    conn.sendall(frame(b"\x01") + frame(b"\x07") + frame(b"") + frame(b"\x04"))
    assert read_frame(conn) == card.atr  # 01, 07 and the empty frame got no reply
    # a frame split into pieces, length bytes apart, is still one APDU
    payload = bytes.fromhex("00A4040000")
    for piece in (frame(payload)[:1], frame(payload)[1:2], frame(payload)[2:4],
                  frame(payload)[4:]):
        conn.sendall(piece)
        time.sleep(0.02)
    assert read_frame(conn) == payload[::-1] + b"\x90\x00"
    conn.sendall(frame(b"\x02") + frame(b"\x00") + frame(b"\x04"))
    assert read_frame(conn) == card.atr
    assert card.events[:4] == ["on", "apdu", "reset", "off"]
    assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) in (0, 1)
    stop.set()
    thread.join(3)
    assert not thread.is_alive()
    conn.close()


def test_client_reconnects_and_keeps_the_card(listener):
    card = FakeCard()
    stop, thread = start(VpcdClient("127.0.0.1", listener.getsockname()[1]), card)
    conn, _ = listener.accept()
    conn.sendall(frame(b"\x01\x02"))
    assert read_frame(conn) == b"\x02\x01\x90\x00"
    conn.close()  # pcscd goes away
    again, _ = listener.accept()  # and comes back
    again.settimeout(5)
    again.sendall(frame(b"\x03\x04"))
    assert read_frame(again) == b"\x04\x03\x90\x00"
    assert "off" in card.events  # the card was powered down in between
    stop.set()
    thread.join(3)
    again.close()


def test_client_waits_for_vpcd():
    port = free_port()
    card = FakeCard()
    stop, thread = start(VpcdClient("127.0.0.1", port), card)
    time.sleep(0.3)  # nothing listens yet
    server = socket.create_server(("127.0.0.1", port))
    server.settimeout(5)
    conn, _ = server.accept()
    conn.settimeout(5)
    conn.sendall(frame(b"\x04"))
    assert read_frame(conn) == card.atr
    stop.set()
    thread.join(3)
    conn.close()
    server.close()


def test_reversed_mode():
    port = free_port()
    card = FakeCard()
    stop, thread = start(VpcdServer("127.0.0.1", port), card)
    for _ in range(2):  # vpcd connects, goes away, connects again
        deadline = time.monotonic() + 5
        while True:
            try:
                conn = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        conn.sendall(frame(b"\x01") + frame(b"\x04") + frame(b"\xAA\xBB"))
        assert read_frame(conn) == card.atr
        assert read_frame(conn) == b"\xbb\xaa\x90\x00"
        conn.close()
    stop.set()
    thread.join(3)
    assert not thread.is_alive()


def test_endpoints():
    assert slot_port(0) == 35963 and slot_port(1) == 35964
    assert parse_endpoint("10.0.0.1:4000") == ("10.0.0.1", 4000)
    assert parse_endpoint("localhost") == ("localhost", 35963)
    assert parse_endpoint("[::1]:5000") == ("::1", 5000)


def test_inserted_only_once_vpcd_speaks_and_a_silent_slot_is_called_busy(
        listener, monkeypatch, caplog):
    monkeypatch.setattr(vpcd, "BUSY_AFTER", 0.2)
    card = FakeCard()
    with caplog.at_level("INFO", logger="euicc.transport.vpcd"):
        stop, thread = start(VpcdClient("127.0.0.1", listener.getsockname()[1]), card)
        conn, _ = listener.accept()  # accepted, as vpcd does for a slot it already serves
        conn.settimeout(5)
        time.sleep(0.5)
        assert "card inserted" not in caplog.text
        assert "looks busy" in caplog.text
        conn.sendall(frame(b"\x04"))  # vpcd asks the ATR: now the card is in the reader
        assert read_frame(conn) == card.atr
        assert "card inserted" in caplog.text
    assert caplog.text.count("looks busy") == 1
    stop.set()
    thread.join(3)
    conn.close()


def test_endpoint_errors():
    for text in ("localhost:vpcd", "127.0.0.1:0", "127.0.0.1:65536", "host:"):
        with pytest.raises(ValueError, match="1 to 65535"):
            parse_endpoint(text)
    assert parse_endpoint("[::1]") == ("::1", 35963)


@pytest.mark.parametrize("spin_us", [0, 300, 10_000])
def test_polling_after_an_answer_keeps_the_exchange_exact(listener, spin_us):
    """With any poll after an answer the framing stays exact: commands sent at once, during
    the poll, and after it has run out are each answered once, in order."""
    card = FakeCard()
    stop, thread = start(VpcdClient("127.0.0.1", listener.getsockname()[1], spin_us), card)
    conn, _ = listener.accept()
    conn.settimeout(5)
    apdus = [bytes([0x80, 0xE2, 0x11, n, 1, n]) for n in range(6)]
    conn.sendall(frame(apdus[0]) + frame(apdus[1]))  # the second waits while the first runs
    assert [read_frame(conn), read_frame(conn)] == [a[::-1] + b"\x90\x00" for a in apdus[:2]]
    for apdu, pause in zip(apdus[2:], (0, 0.0002, 0.02, 0), strict=True):  # in, after the poll
        time.sleep(pause)
        conn.sendall(frame(apdu))
        assert read_frame(conn) == apdu[::-1] + b"\x90\x00"
    assert card.events == ["apdu"] * 6
    stop.set()
    thread.join(3)
    assert not thread.is_alive()
    conn.close()


def test_await_next_returns_at_data_without_taking_it():
    left, right = socket.socketpair()
    with left, right:
        right.sendall(b"\x00\x05")
        vpcd._await_next(left, 10_000_000)  # data waiting: returns at once, not in 10 s
        assert left.recv(2) == b"\x00\x05"
        vpcd._await_next(left, 500)  # nothing comes: returns after the poll
        vpcd._await_next(left, 0)
