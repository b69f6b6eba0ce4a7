"""The emulator as a real process, for the tests and benchmarks that drive it from outside:
``euicc-emu`` started as ``python -m euicc_tools.emulator`` of this interpreter, its log
lines (stderr) collected by a thread as they come, so the pipe never fills and a caller can
wait for a line; and :class:`Emulator`, one ``euicc-emu run`` card in a vpcd slot of the
real pcscd (vsmartcard vpcd, reader "Virtual PCD 00 <slot>"), ready once PC/SC can connect
to it.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

CLI_MODULE = "euicc_tools.emulator"  # what `euicc-emu` runs (pyproject.toml [project.scripts])
START_TIMEOUT = 20.0


class LogWaitError(RuntimeError):
    """The awaited log line did not come: the process ended first, or the time ran out."""


class CardProcess:
    """One ``euicc-emu ARGS`` process whose stderr lines are collected while it runs.

    ``lines`` (given, or a new list) gets every line, trailing whitespace stripped; a list
    passed in is added to, so one list can hold the lines of several processes started one
    after the other. :meth:`wait_for` looks only at the lines of this process."""

    def __init__(self, *args: str, lines: list[str] | None = None,
                 cwd: Path | None = None) -> None:
        self.lines = [] if lines is None else lines
        self._first = len(self.lines)
        self._arrived = threading.Condition()
        self._closed = False  # stderr at its end: the process has ended
        self.process = subprocess.Popen([sys.executable, "-m", CLI_MODULE, *args], cwd=cwd,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True)
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.process.stderr:
            with self._arrived:
                self.lines.append(line.rstrip())
                self._arrived.notify_all()
        with self._arrived:
            self._closed = True
            self._arrived.notify_all()

    def wait_for(self, text: str, timeout: float = 20.0, count: int = 1) -> str:
        """The first line of this process containing ``text``, once ``count`` of its lines
        contain it; :class:`LogWaitError` with the log if the process ends or ``timeout``
        seconds pass first."""
        deadline = time.monotonic() + timeout
        found: list[str] = []
        checked = self._first
        with self._arrived:
            while True:
                found += [line for line in self.lines[checked:] if text in line]
                checked = len(self.lines)
                if len(found) >= count:
                    return found[0]
                left = deadline - time.monotonic()
                if self._closed or left <= 0:
                    why = "the process ended" if self._closed else f"not within {timeout} s"
                    raise LogWaitError(f"no {text!r} ({why}) in:\n" + "\n".join(
                        self.lines[self._first:]))
                self._arrived.wait(left)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int | None:
        """Send ``sig`` if the process still runs and wait for its end (kill -9 after
        ``timeout`` seconds); its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


class Emulator:
    """One ``euicc-emu run`` process serving one card in a vpcd slot; ``log`` holds the
    lines of every start."""

    def __init__(self, state: Path, slot: int = 0, extra: list[str] | None = None,
                 verbose: int = 1) -> None:
        self.state = state
        self.verbose = verbose
        self.slot = slot
        self.extra = extra or []
        self.reader = f"Virtual PCD 00 {slot:02d}"
        self.card: CardProcess | None = None
        self.log: list[str] = []

    @property
    def process(self) -> subprocess.Popen | None:
        return self.card.process if self.card else None

    def start(self) -> Emulator:
        deadline = time.monotonic() + START_TIMEOUT
        self.card = CardProcess("-" + "v" * self.verbose, "run", "--state", str(self.state),
                                "--slot", str(self.slot), *self.extra, lines=self.log)
        try:
            self.card.wait_for("card inserted", START_TIMEOUT)
            self.wait_for_card(deadline)
        except BaseException:
            self.card.stop(signal.SIGKILL)  # never leave a card holding the slot
            raise
        return self

    def wait_for_card(self, deadline: float) -> None:
        """Until ``deadline`` (time.monotonic), until PC/SC connects to the card in the
        reader (pcscd has powered it)."""
        from smartcard.System import readers

        last = "the reader is not listed"
        while time.monotonic() < deadline:
            for reader in readers():
                if str(reader) == self.reader:
                    conn = reader.createConnection()
                    try:
                        conn.connect()
                        conn.disconnect()
                        return
                    except Exception as exc:  # noqa: BLE001 - kept for the failure message
                        last = f"{type(exc).__name__}: {exc}"
            time.sleep(0.1)
        raise RuntimeError(f"no card in {self.reader} (last PC/SC connect: {last}):\n"
                           + "\n".join(self.log))

    def stop(self, sig: int = signal.SIGTERM) -> None:
        before = self._reader_events()
        if self.card:
            self.card.stop(sig)
        self._wait_removed(before)

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def _reader_events(self) -> tuple[int, int] | None:
        """pcscd's (event count, state bits) for this reader, or None if PC/SC cannot say.

        The event count (the high 16 bits of SCardGetStatusChange's dwEventState) moves
        only when pcscd's event handler thread sees the card come or go."""
        from euicc_tools.lpa.link import reader_event_state

        try:
            state = reader_event_state(self.reader)
        except Exception:  # noqa: BLE001 - no PC/SC: the caller falls back
            return None
        return None if state is None else (state >> 16, state & 0xFFFF)

    def _wait_removed(self, before: tuple[int, int] | None, timeout: float = 10.0) -> None:
        """Wait until pcscd's event handler has seen the card go, so the next start is seen
        as an insertion.

        A failed connect is not enough: when a client's SCardDisconnect finds the card gone,
        pcsc-lite marks the reader empty at once while its event handler (polling vpcd every
        400 ms) has not yet seen a removal; a card started again before that poll is then
        present to the event handler all along, no insertion is ever seen and the reader
        stays "no smart card inserted" while the new card runs (seen in the kill -9 tests)."""
        from smartcard.scard import SCARD_STATE_PRESENT
        from smartcard.System import readers

        deadline = time.monotonic() + timeout
        if before is not None and before[1] & SCARD_STATE_PRESENT:
            while time.monotonic() < deadline:
                now = self._reader_events()
                if now is None or now[0] != before[0]:
                    return
                time.sleep(0.02)
            return
        while time.monotonic() < deadline:
            try:
                conn = next(r for r in readers() if str(r) == self.reader).createConnection()
                conn.connect()
                conn.disconnect()
            except Exception:
                return
            time.sleep(0.1)

    def restart(self) -> Emulator:
        self.stop()
        return self.start()
