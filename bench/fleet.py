"""Benchmark: a fleet of in-process eUICCs (tools/fleet) - memory per card, creation cost,
card + LPA time per download - and the downloads per second of Locust workers against the
project's SM-DP+ over HTTPS (1 and 2 workers: the ratio is the scaling).

    python3 bench/fleet.py [--cards 1000,10000] [--open-limit 256] [--all-open 1000]
                           [--workers 1,2] [--downloads 300] [--base FILE]
    python3 bench/fleet.py --cards '' --workers 1,2 --smdp ADDRESS --pki DIR
                           --matching-id ID [--connect-to HOST:PORT] [--insecure]
                           [--smdp-pid PID]

Memory (``--cards``): for each count, a fresh interpreter makes that many cards and gives
each one TS.48 download (TS48V2-SAIP2-1-NOBERTLV-UNIQUE from ../shared, else a built
package; the test SM-DP+ called in-process, every download its own ICCID), its Install
notification delivered, so each card ends with one installed, disabled profile. Reported:
VmRSS growth per card from before the first card to after the last (the in-process SM-DP+'s
records of the downloads are dropped first, they are the server's memory), the card
creation cost (first use: identity issued, state file made, card built and powered on),
the card + LPA time per download (the whole download less the time inside the ES9+ calls,
which here is the SM-DP+'s own work), and the state on disk per card. ``--all-open N`` also
measures N cards all kept open (no parking).

Throughput (``--workers``): the SM-DP+ as its own process (``python -m euicc_tools.smdp
--unique-iccids``, HTTPS on loopback), then ``locust --headless --master --expect-workers
W`` with W ``--worker`` processes, each with its own fleet and ``--downloads`` downloads
(20 users each; download, notification, delete); downloads/s from the workers'
reports (first download's start to the last one's end), percentiles per step from Locust's
CSV statistics. Where the time goes: the CPU seconds of the SM-DP+ process and of the
Locust master (from /proc), of each worker (its own report, tools/fleet/locustfile.py) per
download, and the whole machine's over the run (the rest: the Locust processes' start-up
and whatever else runs on the machine).

An external SM-DP+ (``--smdp ADDRESS``, e.g. osmo-smdpp): no SM-DP+ is started; the
fleets use ``--pki`` (a folder with the CI and an EUM certificate with its key that the
SM-DP+ trusts, e.g. the SGP.26 one) and download ``--matching-id``; ``--connect-to`` sends
the address to a ``host:port``, ``--insecure`` skips the TLS verification, and
``--smdp-pid`` names the SM-DP+'s process for its CPU time.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCUSTFILE = ROOT / "tools" / "fleet" / "locustfile.py"
SMDP_NAME = "testsmdpplus1.example.com"


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class StepClock:
    """Observer of one device: the download's time less its ES9+ calls' into ``out``."""

    def __init__(self, out: list[float]) -> None:
        self.out, self.es9 = out, 0.0

    def __call__(self, what: str, seconds: float, failure) -> None:
        if what == "download":
            self.out.append(seconds - self.es9)
        else:
            self.es9 += seconds


def memory_child(count: int, open_limit: int, base: str | None) -> int:
    """In a fresh interpreter: ``count`` cards with one download each; JSON out."""
    from euicc.pki import generate_test_pki
    from euicc_tools.fleet import Fleet
    from euicc_tools.fleet.device import Device, Target
    from euicc_tools.smdp.es9 import Smdp
    from euicc_tools.smdp.iccids import IccidSequence
    from euicc_tools.testkit.in_process_es9 import es9_direct
    from euicc_tools.testkit.sized_packages import base_package

    package, what = base_package(Path(base) if base else None)
    work = Path(tempfile.mkdtemp(prefix="euicc-fleet-bench-"))
    try:
        generate_test_pki(work / "pki")
        (work / "profiles").mkdir()
        (work / "profiles" / "TS48.der").write_bytes(package)
        smdp = Smdp(SMDP_NAME, work / "pki", work / "profiles", iccids=IccidSequence())
        es9 = es9_direct(smdp)
        fleet = Fleet(work / "fleet", work / "pki", "bench", open_limit=open_limit)
        warm = Device(fleet.card(10**9), lambda address: es9)  # imports, caches: not counted
        warm.delete(warm.download(Target(SMDP_NAME, "TS48"))["iccid"])
        fleet.card(10**9).close()
        before = rss_kb()
        create, lpa = [], []
        for index in range(count):
            card = fleet.card(index)
            started = time.perf_counter()
            with card.link():
                pass
            create.append(time.perf_counter() - started)
            device = Device(card, lambda address: es9, StepClock(lpa))
            device.download(Target(SMDP_NAME, "TS48"))
            if index % 500 == 0:  # the server's records of the downloads, not the cards'
                smdp.notifications.clear()
                smdp.installs.clear()
                smdp._ended.clear()
        smdp.notifications.clear()
        smdp.installs.clear()
        smdp._ended.clear()
        after = rss_kb()
        disk = sum(f.stat().st_size for f in (work / "fleet").rglob("*") if f.is_file())
        print(json.dumps({
            "package": f"{what}, {len(package)} bytes", "cards": count,
            "open": fleet.open_cards(), "rss_before_mb": before / 1024,
            "rss_after_mb": after / 1024, "kb_per_card": (after - before) / count,
            "create_ms": statistics.median(create) * 1000,
            "lpa_card_ms": statistics.median(lpa) * 1000,
            "lpa_card_p95_ms": statistics.quantiles(lpa, n=20)[-1] * 1000,
            "disk_kb_per_card": disk / 1024 / (count + 1)}))
        fleet.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def measure_memory(counts: list[int], open_limit: int, all_open: int, base: Path | None):
    print(f"{'cards':>6} {'open':>5} {'RSS MB':>7} {'kB/card':>8} {'create ms':>10} "
          f"{'card+LPA ms':>12} {'p95':>6} {'disk kB/card':>13}")
    runs = [(c, open_limit) for c in counts] + ([(all_open, all_open)] if all_open else [])
    for count, limit in runs:
        command = [sys.executable, __file__, "--memory-child", str(count), "--open-limit",
                   str(limit)] + (["--base", str(base)] if base else [])
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        r = json.loads(out.splitlines()[-1])
        print(f"{r['cards']:>6} {r['open']:>5} {r['rss_after_mb']:>7.1f} "
              f"{r['kb_per_card']:>8.1f} {r['create_ms']:>10.2f} {r['lpa_card_ms']:>12.2f} "
              f"{r['lpa_card_p95_ms']:>6.2f} {r['disk_kb_per_card']:>13.1f}", flush=True)
    print(f"(package: {r['package']})")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_split(smdp_cpu: float | None, reports: list[dict], elapsed: float, done: int) -> str:
    """The SM-DP+'s and each worker's CPU per download, and the share of a core each
    used over the downloads' span (first start to last end)."""
    text = "" if smdp_cpu is None else (f"SM-DP+ {smdp_cpu * 1000 / done:.1f} "
                                        f"({smdp_cpu / elapsed * 100:.0f} % of a core), ")
    cpus = [r["cpu"] for r in reports]
    busy = [(c["user_s"] + c["system_s"]) / elapsed * 100 for c in cpus]
    return (text + "workers " + ", ".join(str(c["cpu_ms_per_download"]) for c in cpus)
            + " (" + ", ".join(f"{b:.0f} %" for b in busy) + " of a core)")


def machine_cpu_seconds() -> float:
    """CPU seconds all of the machine's processes have used (/proc/stat: user, nice,
    system, irq, softirq, steal)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class External:
    """An SM-DP+ this benchmark does not start: its address, the PKI its devices use."""

    def __init__(self, args) -> None:
        # absolute: the Locust processes run in a folder of their own
        self.address, self.pki, self.matching_id = args.smdp, args.pki.resolve(), args.matching_id
        self.connect_to, self.insecure, self.pid = args.connect_to, args.insecure, args.smdp_pid


def measure_workers(worker_counts: list[int], downloads: int, base: Path | None,
                    external: External | None = None) -> None:
    from euicc_tools.testkit.sized_packages import base_package

    if external is None:
        package, what = base_package(base)
    else:
        what = f"{external.matching_id} from {external.address}"
    print(f"{'workers':>7} {'downloads':>9} {'fails':>5} {'s':>6} {'downloads/s':>11} "
          f"{'p50 ms':>7} {'p95 ms':>7}")
    for workers in worker_counts:
        with tempfile.TemporaryDirectory(prefix="euicc-fleet-load-") as tmp:
            work = Path(tmp)
            smdp = None
            if external is None:
                subprocess.run([sys.executable, "-m", "euicc_tools.emulator", "pki", "init",
                                str(work / "pki")], check=True, capture_output=True)
                (work / "profiles").mkdir()
                (work / "profiles" / "TS48.der").write_bytes(package)
                port = free_port()
                smdp = subprocess.Popen(
                    [sys.executable, "-m", "euicc_tools.smdp", "--pki", str(work / "pki"),
                     "--profiles", str(work / "profiles"), "--port", str(port),
                     "--unique-iccids"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                target = ["--fleet-pki", str(work / "pki"), "--fleet-smdp",
                          f"{SMDP_NAME}:{port}", "--fleet-matching-id", "TS48",
                          "--fleet-connect-to", f"127.0.0.1:{port}"]
                smdp_pid = smdp.pid
            else:
                target = ["--fleet-pki", str(external.pki), "--fleet-smdp", external.address,
                          "--fleet-matching-id", external.matching_id]
                target += ["--fleet-connect-to", external.connect_to] if external.connect_to \
                    else []
                target += ["--fleet-insecure"] if external.insecure else []
                smdp_pid = external.pid
            master_port = free_port()
            fleet_args = [*target, "--fleet-downloads", str(downloads),
                          "--fleet-report", str(work / "report{worker}.json")]
            try:
                if smdp is not None:
                    time.sleep(1.5)
                smdp_cpu = cpu_seconds(smdp_pid) if smdp_pid else None
                machine_cpu, machine_wall = machine_cpu_seconds(), time.monotonic()
                users = 20 * workers
                master = subprocess.Popen(
                    [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
                     "--master", "--master-bind-port", str(master_port), "--expect-workers",
                     str(workers), "-u", str(users), "-r", str(users), "-t", "300s",
                     "--csv", str(work / "run"), "--only-summary", *fleet_args],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=work)
                procs = [subprocess.Popen(
                    [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--worker",
                     "--master-port", str(master_port), *fleet_args],
                    stdout=subprocess.DEVNULL, stderr=(work / f"worker{w}.log").open("w"),
                    cwd=work)
                    for w in range(workers)]
                master_cpu = 0.0
                deadline = time.monotonic() + 600
                while any(proc.poll() is None for proc in procs) and \
                        time.monotonic() < deadline:
                    master_cpu = cpu_seconds(master.pid)  # its last figure before it ends
                    time.sleep(0.25)
                if smdp_pid:
                    smdp_cpu = cpu_seconds(smdp_pid) - smdp_cpu
                machine_cpu = machine_cpu_seconds() - machine_cpu
                machine_wall = time.monotonic() - machine_wall
                try:
                    master.wait(15)  # it stops once its workers have quit
                except subprocess.TimeoutExpired:
                    master.terminate()
                    master.wait(60)
            finally:
                if smdp is not None:
                    smdp.terminate()
                    smdp.wait(30)
            missing = [w for w in range(workers) if not (work / f"report{w}.json").exists()]
            if missing:  # a worker that failed (its log says why): no figures to give
                log = (work / f"worker{missing[0]}.log").read_text().strip().splitlines()
                raise SystemExit(f"fleet.py: {len(missing)} of {workers} Locust workers wrote "
                                 "no report; the first one's last words:\n  "
                                 + "\n  ".join(log[-5:] or ["(nothing)"]))
            reports = [json.loads((work / f"report{w}.json").read_text())
                       for w in range(workers)]
            done = [d for r in reports for d in r["downloads"]]
            elapsed = (max(d["ended"] for d in done) - min(d["started"] for d in done)
                       if done else float("nan"))
            with open(work / "run_stats.csv", newline="") as file:
                rows = {(r["Type"], r["Name"]): r for r in csv.DictReader(file)}
            row = rows[("device", "download")]
            print(f"{workers:>7} {len(done):>9} {row['Failure Count']:>5} {elapsed:>6.1f} "
                  f"{len(done) / elapsed:>11.1f} {row['50%']:>7} {row['95%']:>7}", flush=True)
            with open(work / "run_failures.csv", newline="") as file:
                for failure in csv.DictReader(file):
                    print(f"{'':>9}failed {failure['Occurrences']}x {failure['Name']}: "
                          f"{failure['Error'][:300]}")
            for step in ("initiateAuthentication", "authenticateClient",
                         "getBoundProfilePackage", "handleNotification"):
                r = rows.get(("ES9+", step))
                if r:
                    print(f"{'':>9}{step:24} p50 {r['50%']:>5} ms  p95 {r['95%']:>5} ms  "
                          f"fails {r['Failure Count']}")
            if done:
                print(f"{'':>9}CPU ms per download: " + cpu_split(smdp_cpu, reports, elapsed,
                                                                  len(done)), flush=True)
                others = machine_cpu - (smdp_cpu or 0) - master_cpu - sum(
                    r["cpu"]["user_s"] + r["cpu"]["system_s"] for r in reports)
                share = machine_cpu / machine_wall / os.cpu_count() * 100
                print(f"{'':>9}Locust master {master_cpu * 1000 / len(done):.1f} ms per "
                      f"download; the whole machine {machine_cpu:.1f} CPU-s in "
                      f"{machine_wall:.1f} s ({share:.0f} % of its {os.cpu_count()} CPUs), "
                      "of which the Locust processes' "
                      f"start and other processes {others * 1000 / len(done):.1f} ms per "
                      "download", flush=True)
    print(f"(package: {what}; downloads and seconds from the workers' reports, first start "
          "to last end; failures and percentiles from the master's Locust CSV, which may "
          f"miss the last report interval; {os.cpu_count()} CPUs shared by the SM-DP+ and "
          "the workers)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", default="1000,10000")
    parser.add_argument("--open-limit", type=int, default=256)
    parser.add_argument("--all-open", type=int, default=0, metavar="N")
    parser.add_argument("--workers", default="1,2", help="'' skips the Locust runs")
    parser.add_argument("--downloads", type=int, default=300, help="per worker")
    parser.add_argument("--base", type=Path)
    parser.add_argument("--smdp", help="an external SM-DP+'s address: none is started")
    parser.add_argument("--pki", type=Path, help="with --smdp: CI, EUM certificate and key")
    parser.add_argument("--matching-id", help="with --smdp: what every device downloads")
    parser.add_argument("--connect-to", help="with --smdp: host:port to connect to")
    parser.add_argument("--insecure", action="store_true",
                        help="with --smdp: do not verify its TLS certificate")
    parser.add_argument("--smdp-pid", type=int, help="with --smdp: its process, for its CPU")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child is not None:
        return memory_child(args.memory_child, args.open_limit,
                            str(args.base) if args.base else None)
    counts = [int(c) for c in args.cards.split(",") if c]
    if counts or args.all_open:
        measure_memory(counts, args.open_limit, args.all_open, args.base)
    external = None
    if args.smdp:
        if not (args.pki and args.matching_id):
            parser.error("--smdp needs --pki and --matching-id")
        if not args.pki.is_dir():
            parser.error(f"--pki {args.pki}: not a folder")
        external = External(args)
    if args.workers:
        measure_workers([int(w) for w in args.workers.split(",")], args.downloads, args.base,
                        external)
    return 0


if __name__ == "__main__":
    sys.exit(main())
