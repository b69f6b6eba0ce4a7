"""Benchmark: the card's own processing cost of a profile download against the package's
size, in-process (no pcscd, no HTTPS: the card's share only).

    python3 bench/card_cost.py [-n 10] [--sizes 12,50,200,500] [--base FILE]
                               [--profile-out FILE.prof]

Each download runs the project's LPA driver (lpac's 120-byte STORE DATA blocks and BPP
cut, SGP.22 3.1.3) against an in-process card and the test SM-DP+ (tools/smdp), then
deletes the profile. Only the time spent inside ``Card.transmit`` is counted, attributed to
the ES10 function whose command the STORE DATA blocks carry (SGP.22 5.7.2; the pieces of
LoadBoundProfilePackage, 5.7.6, that start with no ES10 tag belong to it).

Packages (euicc_tools.testkit.sized_packages): the base is the TS.48 package
TS48V2-SAIP2-1-NOBERTLV-UNIQUE from ../shared (12,207 bytes) when present, else a profile
built by euicc_tools.testkit.profile_builder (said so in the output). Larger sizes add
PE-GenericFileManagement elements before the End element, each creating a DF with
transparent EFs filled with content (SAIP 8.3.3), until the package has the requested size.
The report prints, per size, the median card time of all ES10 functions and of
LoadBoundProfilePackage, and ms per kB (the cost should stay linear).

``--gap-us N`` pauses N microseconds before each command (outside the timed part), by a
sleep or, with ``--gap-spin``, a busy loop: what a card through pcscd sees between its
commands while the LPA, pcscd and vpcd work, without them (the card's caches go cold in a
pause even when its CPU never idles).

``--cold`` also runs, in a fresh interpreter, the card's start-up as ``euicc-emu run`` does
it (state, PKI, card) followed by 4 downloads, and reports the first download's card time
against the warm ones' (SGP.22 names no figure; the first download should cost no more
than twice a warm one).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from euicc.ins import Ins
from euicc.tlv import tlv
from euicc_tools.testkit.sized_packages import base_package, grown_package

ADDRESS = "bench.smdp.example"
LBPP = "LoadBoundProfilePackage"
ES10_NAMES = {0xBF3E: "GetEID", 0xBF20: "GetEUICCInfo1", 0xBF22: "GetEUICCInfo2",
              0xBF2E: "GetEUICCChallenge", 0xBF38: "AuthenticateServer",
              0xBF21: "PrepareDownload", 0xBF33: "DeleteProfile", 0xBF2D: "GetProfilesInfo",
              0xBF28: "ListNotification", 0xBF2B: "RetrieveNotificationsList",
              0xBF30: "RemoveNotificationFromList", 0xBF41: "CancelSession",
              0xBF3C: "GetEuiccConfiguredAddresses"}


def function_of(apdu: bytes, previous: str) -> str:
    """The ES10 function a command serves: its own tag on a first STORE DATA block, the
    function before it for a later block or GET RESPONSE (a piece of LoadBoundProfilePackage
    that starts with no ES10 tag belongs to it), "other" for any other command."""
    if apdu[1] == Ins.STORE_DATA and apdu[3] == 0 and len(apdu) > 6:  # first block
        tag = int.from_bytes(apdu[5:7], "big")
        return ES10_NAMES.get(tag, LBPP if tag == 0xBF36 or previous == LBPP else f"{tag:04X}")
    if apdu[1] not in (Ins.STORE_DATA, Ins.GET_RESPONSE):
        return "other"
    return previous


def pause(seconds: float, spin: bool) -> None:
    if not spin:
        time.sleep(seconds)
        return
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


class TimedLink:
    """DirectLink that adds each ``Card.transmit``'s time to the ES10 function it serves."""

    def __init__(self, card, profiler: cProfile.Profile | None = None, gap_us: int = 0,
                 gap_spin: bool = False) -> None:
        self.card = card
        self.gap = gap_us / 1e6
        self.gap_spin = gap_spin
        self.profiler = profiler
        self.function = "?"
        self.per_function: dict[str, float] = defaultdict(float)
        self.cpu = 0.0  # the thread's CPU time in the card: wall time less preemption, I/O
        self.apdus = 0

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        self.function = function_of(apdu, self.function)
        if self.gap:
            pause(self.gap, self.gap_spin)
        profiled = self.profiler and self.function not in ("other", "DeleteProfile")
        if profiled:  # the download's functions only, not the delete after it
            self.profiler.enable()
        started, cpu = time.perf_counter(), time.thread_time()
        response = self.card.transmit(apdu)
        self.per_function[self.function] += time.perf_counter() - started
        if profiled:
            self.profiler.disable()
        if self.function not in ("other", "DeleteProfile"):
            self.cpu += time.thread_time() - cpu
        self.apdus += 1
        return response[:-2], int.from_bytes(response[-2:], "big")

    def close(self) -> None:
        pass


class Bench:
    """A card with a generated PKI and state, and the test SM-DP+ serving ``packages``."""

    def __init__(self, work: Path, packages: dict[str, bytes], gap_us: int = 0,
                 gap_spin: bool = False) -> None:
        self.gap_us, self.gap_spin = gap_us, gap_spin
        from euicc_tools.emulator.card import open_card
        from euicc_tools.smdp.es9 import Smdp

        profiles = work / "profiles"
        profiles.mkdir()
        for name, package in packages.items():
            (profiles / f"{name}.der").write_bytes(package)
        self.card, self.credentials, self.store = open_card(work / "card", None, None)
        self.card.power_on()
        self.smdp = Smdp(ADDRESS, work / "card" / "pki", profiles)

    def download(self, name: str, profiler: cProfile.Profile | None = None) -> dict[str, float]:
        """One download and the delete after it; the card's ms per ES10 function."""
        from euicc_tools.lpa.download import download
        from euicc_tools.lpa.es10 import Es10Client
        from euicc_tools.testkit.in_process_es9 import es9_direct

        link = TimedLink(self.card, profiler, self.gap_us, self.gap_spin)
        with Es10Client(link) as es10:
            result = download(es10, es9_direct(self.smdp), ADDRESS, name)
            assert result.ok, result.result
            card_ms = {k: v * 1000 for k, v in link.per_function.items()}
            card_ms["cpu"] = link.cpu * 1000
            aid = result.result["profileInstallationResultData"]["finalResult"][1]["aid"]
            self.apdus = link.apdus
            es10.store_data(tlv(0xBF33, tlv(0x4F, aid)))
        return card_ms


def es10_total(card_ms: dict[str, float]) -> float:
    return sum(v for k, v in card_ms.items() if k not in ("other", "DeleteProfile", "cpu"))


def cold_run(base: Path | None) -> int:
    """Child of --cold: start-up as `euicc-emu run` does it, then 4 downloads (JSON out)."""
    started = time.perf_counter()
    package, _ = base_package(base)
    with tempfile.TemporaryDirectory(prefix="euicc-cold-") as work:
        bench = Bench(Path(work), {"BENCH": package})
        startup = time.perf_counter() - started
        runs = [bench.download("BENCH") for _ in range(4)]
        bench.store.close()
    print(json.dumps({"startup_s": startup, "runs": runs}))
    return 0


def measure_cold(base: Path | None, repeat: int) -> None:
    firsts, warms, ratios, lbpp_first = [], [], [], []
    for _ in range(repeat):
        cmd = [sys.executable, __file__, "--cold-child"] + (["--base", str(base)] if base else [])
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        runs = json.loads(out.splitlines()[-1])["runs"]
        first, warm = es10_total(runs[0]), statistics.median(map(es10_total, runs[1:]))
        firsts.append(first)
        warms.append(warm)
        ratios.append(first / warm)
        lbpp_first.append(runs[0].get(LBPP, 0.0))
    print(f"first download after start-up (fresh interpreter, {repeat} starts, medians): "
          f"card {statistics.median(firsts):.1f} ms (LoadBoundProfilePackage "
          f"{statistics.median(lbpp_first):.1f} ms), warm {statistics.median(warms):.1f} ms, "
          f"ratio {statistics.median(ratios):.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10, help="downloads per size (after a warm-up)")
    parser.add_argument("--sizes", default="12,50,200,500",
                        help="package sizes in kB; the smallest is the base package itself")
    parser.add_argument("--base", type=Path, help="base UPP (default: TS.48 from ../shared)")
    parser.add_argument("--cold", type=int, default=0, metavar="STARTS",
                        help="also measure the first download after STARTS fresh start-ups")
    parser.add_argument("--profile-out", type=Path,
                        help="write a cProfile of the card's side of the base package's "
                        "downloads here (the figures then include the profiler's overhead)")
    parser.add_argument("--gap-us", type=int, default=0, metavar="N",
                        help="pause N microseconds before each command (not timed)")
    parser.add_argument("--gap-spin", action="store_true",
                        help="pause by a busy loop instead of a sleep")
    parser.add_argument("--cold-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cold_child:
        return cold_run(args.base)
    if args.gap_us < 0:
        parser.error("--gap-us must be 0 or more")
    base, what = base_package(args.base)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    packages = {f"S{kb}": base if n == 0 else grown_package(base, kb * 1000)
                for n, kb in enumerate(sizes)}
    print(f"base package: {what}, {len(base)} bytes")
    with tempfile.TemporaryDirectory(prefix="euicc-cost-") as work:
        bench = Bench(Path(work), packages, args.gap_us, args.gap_spin)
        if args.gap_us:
            print(f"a {'busy loop' if args.gap_spin else 'sleep'} of {args.gap_us} us before "
                  "each command")
        print(f"{'package':>10} {'bytes':>8} {'APDUs':>6} {'card ms':>8} {'best':>7} "
              f"{'CPU ms':>7} {'LBPP ms':>8} {'ms/kB':>6}")
        for n, (name, package) in enumerate(packages.items()):
            bench.download(name)  # warm-up
            profiler = cProfile.Profile() if args.profile_out and n == 0 else None
            runs = []
            for _ in range(args.n):
                runs.append(bench.download(name, profiler))
            if profiler:
                profiler.dump_stats(args.profile_out)
            totals = [es10_total(r) for r in runs]
            total = statistics.median(totals)
            cpu = statistics.median(r["cpu"] for r in runs)
            lbpp = statistics.median(r[LBPP] for r in runs)
            if n == 0:
                by_function = {k: statistics.median(r.get(k, 0.0) for r in runs)
                               for k in runs[0] if k != "cpu"}
            print(f"{name[1:] + ' kB':>10} {len(package):>8} {bench.apdus:>6} {total:>8.2f} "
                  f"{min(totals):>7.2f} {cpu:>7.2f} {lbpp:>8.2f} "
                  f"{total / (len(package) / 1000):>6.3f}")
        bench.store.close()
    print(f"card ms per function, {sizes[0]} kB package (medians):")
    for function, ms in sorted(by_function.items(), key=lambda item: -item[1]):
        print(f"  {function:30} {ms:7.2f}")
    if args.cold:
        measure_cold(args.base, args.cold)
    return 0


if __name__ == "__main__":
    sys.exit(main())
