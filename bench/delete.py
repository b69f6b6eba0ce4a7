"""Benchmark: what DeleteProfile costs, the erasure of the deleted profile from disk included.

    python3 bench/delete.py [-n 20] [--kept 0,4,8]

Starts its own emulator (`euicc-emu -vv run`, fresh state, slot 0) and the test SM-DP+, then
for each number of kept profiles (installed, disabled, left on the card: the erasure
rewrites the whole store, so its cost grows with what stays) downloads one more profile and
deletes it, N times. Reports the median and 95th percentile of the DeleteProfile time as the
LPA sees it through pcscd (STORE DATA to response, `61xx` chaining included) and as the
card's APDU trace times it.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from euicc.tlv import tlv
from euicc_tools.lpa.download import download, https_es9
from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.link import PcscLink
from euicc_tools.smdp.es9 import Smdp
from euicc_tools.smdp.server import serve
from euicc_tools.testkit.emulator_process import Emulator
from euicc_tools.testkit.profile_builder import build_upp

DELETE_TRACE = re.compile(r"ch\d+ STORE DATA ES10c\.DeleteProfile\s+\w{4} .* ([\d.]+) ms$")
ADDRESS = "bench.smdp.example"


def profile(number: int) -> bytes:
    """MF, USIM, ISIM, DF.5GS, MILENAGE keys (about 4 kB of elements, 60 files)."""
    return build_upp(f"894412340000{number:07d}", f"00101{number:010d}",
                     k=bytes([number % 256]) * 16, opc=bytes(range(16, 32)))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20)
    parser.add_argument("--kept", default="0,4,8", help="numbers of profiles left installed")
    args = parser.parse_args()
    levels = sorted(int(k) for k in args.kept.split(","))
    work = Path(tempfile.mkdtemp(prefix="euicc-bench-"))
    profiles = work / "profiles"
    profiles.mkdir()
    for number in range(levels[-1] + args.n):
        (profiles / f"P{number}.der").write_bytes(profile(number))
    emulator = Emulator(work / "card", verbose=2).start()
    results = []
    try:
        smdp = Smdp(ADDRESS, emulator.state / "pki", profiles)
        httpd = serve(smdp, "127.0.0.1", 0)
        es9 = https_es9(f"127.0.0.1:{httpd.server_address[1]}")
        installed = 0
        link = PcscLink(emulator.reader)
        with Es10Client(link) as es10:
            for kept in levels:
                while installed < kept:
                    assert download(es10, es9, ADDRESS, f"P{installed}").ok
                    installed += 1
                walls, cards = [], []
                for repeat in range(args.n):
                    result = download(es10, es9, ADDRESS, f"P{levels[-1] + repeat}")
                    assert result.ok, result.result
                    final = result.result["profileInstallationResultData"]["finalResult"]
                    mark = len(emulator.log)
                    started = time.perf_counter()
                    answer = es10.store_data(tlv(0xBF33, tlv(0x4F, final[1]["aid"])))
                    walls.append((time.perf_counter() - started) * 1000)
                    assert answer == bytes.fromhex("BF330380 0100".replace(" ", "")), answer
                    deadline = time.monotonic() + 2
                    while time.monotonic() < deadline:  # the trace line arrives on stderr
                        found = [DELETE_TRACE.search(line) for line in emulator.log[mark:]]
                        found = [m for m in found if m]
                        if found:
                            cards.append(float(found[0].group(1)))
                            break
                        time.sleep(0.01)
                results.append((kept, walls, cards))
        link.close()
        httpd.shutdown()
    finally:
        emulator.stop()
    print(f"DeleteProfile of a {len(profile(0))}-byte profile package, {args.n} deletes each")
    print(f"{'kept profiles':>14} {'LPA median':>11} {'LPA p95':>8} {'card median':>12} "
          f"{'card p95':>9}  (ms)")
    for kept, walls, cards in results:
        print(f"{kept:>14} {statistics.median(walls):>11.2f} {percentile(walls, .95):>8.2f} "
              f"{statistics.median(cards):>12.2f} {percentile(cards, .95):>9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
