"""Benchmark: what the conformance runner itself costs per case, apart from the LPA.

    python3 bench/conformance.py [-n 10] [--case transport-info-baseline --case download-ok]

Runs the given cases of the shipped catalogue N times each through the runner
(euicc_tools.conformance.runner) with an LPA that does nothing (`true`), so what is measured
is the runner's own work: making the fresh state and starting the card until PC/SC sees it
in a free vpcd reader (``euicc-emu run`` with the case's preset, fault plan and pcap), starting
the test SM-DP+ over HTTPS (download and notification cases), and reading the pcap back and
judging. Reports the medians and the one-time set-up of a run (the test PKI, the card's ES10
table). Needs pcscd with vpcd (tools/setup.sh); run it with no other card on the readers.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from euicc_tools.conformance.adapter import load_adapter
from euicc_tools.conformance.case import read_catalogue
from euicc_tools.conformance.runner import Runner

IDLE_ADAPTER = """[adapter]
name = "idle"
command = ["true"]
[operations]
info = []
list = []
download = []
notifications-process = []
"""
PHASES = ("card_start", "smdp_start", "lpa", "judge")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10)
    parser.add_argument("--case", action="append",
                        help="case id (default: transport-info-baseline, download-ok)")
    args = parser.parse_args()
    wanted = args.case or ["transport-info-baseline", "download-ok"]
    cases = {c.id: c for c in read_catalogue()}
    with tempfile.TemporaryDirectory() as folder:
        adapter_file = Path(folder) / "idle.toml"
        adapter_file.write_text(IDLE_ADAPTER)
        runner = Runner(load_adapter(str(adapter_file)), work=Path(folder) / "work")
        print(f"set-up of a run (test PKI, ES10 table): {runner.setup_seconds * 1000:.0f} ms")
        print(f"{'case':<26} {'card start':>11} {'SM-DP+ start':>13} {'LPA (true)':>11} "
              f"{'judge':>8} {'whole case':>11}")
        for case_id in wanted:
            samples: dict[str, list[float]] = {p: [] for p in (*PHASES, "whole")}
            for _ in range(args.n):
                started = time.perf_counter()
                result = runner.run(cases[case_id])
                samples["whole"].append(time.perf_counter() - started)
                for phase in PHASES:
                    samples[phase].append(result.timings.get(phase, 0.0))
            m = {k: statistics.median(v) * 1000 for k, v in samples.items()}
            print(f"{case_id:<26} {m['card_start']:>8.0f} ms {m['smdp_start']:>10.1f} ms "
                  f"{m['lpa']:>8.1f} ms {m['judge']:>5.1f} ms {m['whole']:>8.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
