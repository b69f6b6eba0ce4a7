"""Benchmark: resident memory of one `euicc-emu run` process serving 1, 16 and 64 idle cards,
and what the memory of one idle card process is made of.

    python3 bench/rss.py [--cards 1,16,64] [--repeat 3] [--breakdown]

Each count runs ``euicc-emu run --state S0 --state S1 ... --listen 127.0.0.1:PORT`` (reversed
vpcd mode: card i listens on PORT + i, on ports nothing else uses, so the cards just wait
and no pcscd slot is taken). The states are made by a first start (each card generates its
PKI); the figure is taken on a second start of the same states, the way a card process
normally runs: VmRSS from /proc/PID/status once every card logs that it waits for vpcd
and one more second has passed. The process runs from this checkout (``python -m
euicc_tools.emulator``). ``--breakdown`` prints how the resident memory of one card grows as the
modules of the run path are imported in a fresh interpreter.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from euicc_tools.testkit.emulator_process import CardProcess

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 120.0


def free_ports(count: int) -> int:
    """A first port of ``count`` consecutive loopback TCP ports nothing listens on."""
    for first in range(47000, 60000, 97):
        sockets = []
        try:
            for port in range(first, first + count):
                s = socket.socket()
                s.bind(("127.0.0.1", port))
                sockets.append(s)
            return first
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError("no free port range")


def rss_kb(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile"):
            fields[key] = int(value.split()[0])
    return fields


def run_cards(states: list[Path], port: int) -> tuple[dict[str, int], float]:
    """Start one process for ``states``; its memory once all wait, and the seconds until
    then."""
    args = ["run", "--listen", f"127.0.0.1:{port}"]
    for state in states:
        args += ["--state", str(state)]
    started = time.perf_counter()
    cards = CardProcess(*args, cwd=ROOT)
    try:
        # START_TIMEOUT per card: a first start makes every card's state and PKI
        cards.wait_for("listening for vpcd", START_TIMEOUT * len(states), count=len(states))
        ready = time.perf_counter() - started
        time.sleep(1.0)
        if cards.process.poll() is not None:
            raise RuntimeError("the process ended:\n" + "\n".join(cards.lines[-20:]))
        return rss_kb(cards.process.pid), ready
    finally:
        cards.stop(timeout=30)


def breakdown() -> None:
    """RSS of a fresh interpreter as the run path's modules come in."""
    steps = [
        ("interpreter", "pass"),
        ("command line (argparse, store, PKI, control, transport)",
         "import euicc_tools.emulator.cli"),
        ("card assembly (card OS, ISD-R, UICC, PPI, asn1tools)",
         "import euicc_tools.emulator.card"),
        ("SGP.22 module compiled (rsp)", "from euicc.asn1 import rsp; rsp()"),
        ("SAIP module compiled (pe)", "from euicc.asn1 import pe; pe()"),
    ]
    script = ["import sys",
              "def rss():",
              "    for line in open('/proc/self/status'):",
              "        if line.startswith('VmRSS'):",
              "            return int(line.split()[1]) / 1024"]
    for label, statement in steps:
        script += [statement, f"print(f'{{rss():7.1f}} MB  {label}')"]
    script += ["import types",
               "big = [m for m in ('prompt_toolkit', 'cmd2', 'pyparsing', 'asn1tools.codecs.per',"
               " 'asn1tools.codecs.uper', 'euicc_tools.shell') if m in sys.modules",
               "       and type(sys.modules[m]) is types.ModuleType]  # deferred ones: not run",
               "print('loaded of interest:', ', '.join(big) or 'none')"]
    subprocess.run([sys.executable, "-c", "\n".join(script)], cwd=ROOT, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", default="1,16,64")
    parser.add_argument("--repeat", type=int, default=3, help="starts per count (median)")
    parser.add_argument("--breakdown", action="store_true")
    args = parser.parse_args()
    if args.breakdown:
        breakdown()
    counts = [int(c) for c in args.cards.split(",")]
    print(f"{'cards':>5} {'VmRSS MB':>9} {'anon MB':>8} {'file MB':>8} {'MB/card':>8} "
          f"{'ready s':>8}")
    first_rss = None
    with tempfile.TemporaryDirectory(prefix="euicc-rss-") as work:
        for count in counts:
            states = [Path(work) / f"c{count}-{i}" for i in range(count)]
            port = free_ports(count)
            run_cards(states, port)  # first start: the states and their PKIs are made
            samples = [run_cards(states, free_ports(count)) for _ in range(args.repeat)]
            rss = statistics.median(s[0]["VmRSS"] for s in samples) / 1024
            anon = statistics.median(s[0].get("RssAnon", 0) for s in samples) / 1024
            file = statistics.median(s[0].get("RssFile", 0) for s in samples) / 1024
            ready = statistics.median(s[1] for s in samples)
            first_rss = first_rss if first_rss is not None else (count, rss)
            per_card = ((rss - first_rss[1]) / (count - first_rss[0])
                        if count != first_rss[0] else float("nan"))
            print(f"{count:>5} {rss:>9.1f} {anon:>8.1f} {file:>8.1f} {per_card:>8.2f} "
                  f"{ready:>8.2f}", flush=True)
    print(f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs; MB/card: growth per "
          "further card from the first count)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
