"""The clean stop on SIGINT / SIGTERM (euicc_tools.signals), the one ``euicc-emu run``, the
test SM-DP+ and the test eIM wait in.

Each case runs in a fresh interpreter of its own: signal handlers belong to a process's
main thread, and a deadlock must fail the test by its timeout, not hang pytest.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

TIMEOUT = 20  # seconds; each case takes well under one


def run_case(body: str) -> str:
    script = textwrap.dedent("""
        import os, signal, threading, time
        from euicc_tools.signals import StopSignals
    """) + textwrap.dedent(body)
    try:
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the process did not stop within {TIMEOUT} s (a deadlock)")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize("name", ["SIGTERM", "SIGINT"])
def test_a_signal_while_the_main_thread_holds_the_events_lock_stops_it(name):
    # The moment a handler calling stop.set() deadlocks: the main thread inside the Event's
    # lock, as on its way into or out of stop.wait(). Here the handler only records.
    out = run_case(f"""
        stop = threading.Event()
        stopping = StopSignals(stop).install()
        with stop._cond:
            os.kill(os.getpid(), signal.{name})
            time.sleep(0.05)  # the handler has run by now
        print(stopping.wait(poll=0.01) == signal.{name}, stop.is_set())
    """)
    assert out == "True True"


def test_a_thread_that_sets_stop_ends_the_wait_without_a_signal():
    # euicc-emu run: a card whose transport fails sets stop, and the process ends.
    out = run_case("""
        stop = threading.Event()
        stopping = StopSignals(stop).install()
        threading.Timer(0.1, stop.set).start()
        print(stopping.wait(poll=0.01))
    """)
    assert out == "None"


def test_a_second_signal_during_the_clean_stop_does_not_cut_it_short():
    out = run_case("""
        stop = threading.Event()
        stopping = StopSignals(stop).install()
        os.kill(os.getpid(), signal.SIGTERM)
        stopping.wait(poll=0.01)
        os.kill(os.getpid(), signal.SIGTERM)  # e.g. a second Ctrl-C or kill while closing
        time.sleep(0.05)
        print("closed", len(stopping.received))
    """)
    assert out == "closed 2"
