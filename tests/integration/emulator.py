"""The emulator as a real process: ``euicc-emu run`` serving a card in a vpcd slot."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

START_TIMEOUT = 20.0


class Emulator:
    """One ``euicc-emu run`` process serving one card in a vpcd slot."""

    def __init__(self, state: Path, slot: int = 0, extra: list[str] | None = None,
                 verbose: int = 1) -> None:
        self.state = state
        self.verbose = verbose
        self.slot = slot
        self.extra = extra or []
        self.reader = f"Virtual PCD 00 {slot:02d}"
        self.process: subprocess.Popen | None = None
        self.log: list[str] = []

    def start(self) -> Emulator:
        cmd = [sys.executable, "-m", "euicc_tools.emulator", "-" + "v" * self.verbose, "run",
               "--state", str(self.state),
               "--slot", str(self.slot), *self.extra]
        self.process = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                        text=True)
        inserted = threading.Event()

        def pump(stream):
            for line in stream:
                self.log.append(line.rstrip())
                if "card inserted" in line:
                    inserted.set()

        threading.Thread(target=pump, args=(self.process.stderr,), daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT
        try:
            while not inserted.wait(0.1):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("emulator did not start:\n" + "\n".join(self.log))
            self.wait_for_card(deadline)
        except BaseException:
            self.process.kill()  # never leave a card holding the slot
            self.process.wait()
            raise
        return self

    def wait_for_card(self, deadline: float) -> None:
        from smartcard.System import readers

        while time.monotonic() < deadline:
            for reader in readers():
                if str(reader) == self.reader:
                    conn = reader.createConnection()
                    try:
                        conn.connect()
                        conn.disconnect()
                        return
                    except Exception:
                        pass
            time.sleep(0.1)
        raise RuntimeError(f"no card in {self.reader}:\n" + "\n".join(self.log))

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._wait_removed()

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def _wait_removed(self, timeout: float = 10.0) -> None:
        """Wait until pcscd notices the card is gone, so the next start is seen fresh."""
        from smartcard.System import readers

        deadline = time.monotonic() + timeout
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
