"""A long fuzzing campaign: the targets one after another (never two at once), each until
it has run ``--runs`` inputs, restarted on its own corpus after a crash, hang or
out-of-memory stop (libFuzzer ends at the first), at the lowest CPU priority.

    python -m bench.fuzz.campaign --runs 1000000 --work /tmp/fuzz [--targets apdu,bpp]

Per target it appends one line to ``WORK/summary.tsv``: executions, libFuzzer's final
``cov:`` and ``ft:``, seconds, restarts and the findings (``--keep-going`` ones under
``WORK/findings``, libFuzzer's crash/timeout/oom inputs under ``WORK/artifacts``).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

STATUS = re.compile(r"^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+)")
EXECUTED = re.compile(r"^stat::number_of_executed_units: (\d+)")
FINDING = re.compile(r"^FINDING (\S+): (.*) -> ")
STOP = re.compile(r"ERROR: libFuzzer: ([\w-]+)")


def run_target(name: str, runs: int, work: Path, deadline: float) -> dict:
    corpus, log = work / "corpus" / name, work / f"{name}.log"
    findings, artifacts = work / "findings", work / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    executed, restarts, cov, ft, found, stops = 0, 0, 0, 0, [], []
    started = time.monotonic()
    with log.open("a") as out:
        while executed < runs and time.time() < deadline:
            command = ["nice", "-n", "19", sys.executable, "-m", "bench.fuzz", "--target", name,
                       "--runs", str(runs - executed), "--corpus", str(corpus),
                       "--keep-going", "--findings", str(findings),
                       "--max-time", str(max(10, int(min(deadline - time.time(), 86400)))),
                       "--", f"-artifact_prefix={artifacts}/{name}-"]
            process = subprocess.Popen(command, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, text=True)
            this_run = 0
            for line in process.stdout:
                out.write(line)
                if m := STATUS.match(line):
                    this_run, cov, ft = int(m[1]), int(m[2]), int(m[3])
                elif m := EXECUTED.match(line):
                    this_run = int(m[1])
                elif m := FINDING.match(line):
                    found.append(m[2])
                elif m := STOP.search(line):
                    stops.append(f"libFuzzer {m[1]}")
            process.wait()
            out.flush()
            executed += this_run
            if process.returncode == 0 or executed >= runs:
                break
            restarts += 1
    return {"target": name, "executions": executed, "cov": cov, "ft": ft,
            "seconds": round(time.monotonic() - started), "restarts": restarts,
            "findings": found, "stops": stops}


def main(argv: list[str]) -> int:
    from .targets import TARGETS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--until", type=float, default=0, help="UNIX time to stop by")
    args = parser.parse_args(argv)
    summary = args.work / "summary.tsv"
    args.work.mkdir(parents=True, exist_ok=True)
    for name in args.targets.split(","):
        result = run_target(name, args.runs, args.work, args.until or float("inf"))
        with summary.open("a") as out:
            out.write("\t".join(str(result[k]) for k in (
                "target", "executions", "cov", "ft", "seconds", "restarts")) + "\t"
                + "; ".join(dict.fromkeys(result["findings"] + result["stops"])) + "\n")
        print(result, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
