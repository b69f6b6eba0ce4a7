"""A clean stop on SIGINT or SIGTERM for the long-running commands (``euicc-emu run``, the
test SM-DP+, the test eIM), without the deadlock of ``signal.signal(sig, lambda *_:
stop.set())``.

Python runs a signal handler in the main thread between two bytecodes. ``Event.set`` takes
the Event's lock, and the main thread holds that same lock on its way into and out of
``stop.wait()``; a signal handled at that moment waits for the lock its own thread holds,
forever, and every later SIGTERM or SIGINT is caught and waits the same way, so only SIGKILL
ends the process and the clean stop (a card's last WAL checkpoint) never runs. The Python
documentation of the ``signal`` module warns of synchronization primitives in handlers;
``euicc-emu run`` was seen here ignoring three SIGTERMs that way.

So the handlers of :class:`StopSignals` take no lock: they only record the signal's number
in a list. The main thread, which never takes the Event's lock while it waits, polls that
list and the Event, and sets the Event itself in plain code, where the threads watching it
(the cards' transport loops) see it.
"""

from __future__ import annotations

import signal
import threading
import time

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# seconds: how soon a stop asked by a signal or another thread is seen (euicc-emu run's
# main thread looked as often before; more wake-ups would only disturb the card's threads)
POLL = 0.5


class StopSignals:
    """SIGINT and SIGTERM recorded, from :meth:`install` on, for :meth:`wait`.

    The handlers stay installed after the stop: a second signal during the clean stop is
    recorded too, and does not cut it short."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.received: list[int] = []  # list.append takes no lock a thread could hold

    def install(self) -> StopSignals:
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._record)
        return self

    def _record(self, number: int, _frame) -> None:
        self.received.append(number)

    def wait(self, poll: float = POLL) -> int | None:
        """Until a signal arrives or another thread sets ``stop``; then ``stop`` is set. The
        first signal's number, or None when a thread asked for the stop."""
        while not self.received and not self.stop.is_set():  # is_set() takes no lock
            time.sleep(poll)
        self.stop.set()  # plain code: no handler holds or waits for the Event's lock here
        return self.received[0] if self.received else None


def wait_for_stop_signal(poll: float = POLL) -> int:
    """Install the handlers and wait for SIGINT or SIGTERM (:class:`StopSignals`, with an
    Event no other thread sets); the signal's number."""
    return StopSignals(threading.Event()).install().wait(poll)
