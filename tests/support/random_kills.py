"""`kill -9` at random moments: a client thread drives the card until the emulator process
is killed under it; the state is then checked and the card started again."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

from euicc_tools.testkit.emulator_process import Emulator


def kill_at_random_moments(emulator: Emulator, rng: random.Random,
                           drive: Callable[[threading.Event], None],
                           check: Callable[[], None], rounds: int = 5) -> None:
    """``rounds`` times: run ``drive(stop)`` in a thread, kill -9 the emulator after 50 to
    400 ms, ``check()`` the state on disk, restart the emulator."""
    for _ in range(rounds):
        stop = threading.Event()
        client = threading.Thread(target=drive, args=(stop,))
        client.start()
        time.sleep(rng.uniform(0.05, 0.4))
        emulator.kill()
        stop.set()
        client.join(10)
        check()
        emulator.start()
