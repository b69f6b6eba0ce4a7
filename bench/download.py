"""Benchmark: N complete profile downloads through pcscd + vpcd.

    flock /tmp/euicc-pcscd.lock python3 bench/download.py [-n 20] [--profile FILE]

Starts its own emulator (`euicc-emu -vv run`, fresh state, slot 0) and the test SM-DP+
(HTTPS, in-process), then runs N downloads with the project's LPA driver (lpac's order and
120-byte STORE DATA blocks), deleting the profile after each. The package is the TS.48
test profile TS48V2-SAIP2-1-NOBERTLV-UNIQUE from ../shared (12,207 bytes) unless
``--profile`` names another; where ../shared is absent it is a profile built by
euicc_tools.testkit.profile_builder and grown to about the same size (sized_packages), and
the output says so. Reports: the time until the card is in the reader (process start to a PC/SC
connection), per download the wall time, APDU count and bytes, the card's own processing
time (from the emulator's APDU trace, which times each command inside the card) per ES10
function and in all, its share of the wall time, and the first download after the start
against the others.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from euicc.tlv import tlv
from euicc_tools.lpa.download import download, https_es9
from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.link import PcscLink
from euicc_tools.smdp.es9 import Smdp
from euicc_tools.smdp.server import serve
from euicc_tools.testkit.emulator_process import Emulator
from euicc_tools.testkit.sized_packages import base_package, grown_package

# euicc-emu -vv's trace line: "ch1 STORE DATA ES10b.GetEUICCInfo1   9000 8 bytes in, 0 out, 0.21 ms"
TRACE = re.compile(r"\bch(\S+) (.+?)\s+([0-9A-F]{4}) (\d+) bytes in, (\d+) out, ([\d.]+) ms$")
ADDRESS = "bench.smdp.example"
OTHER = "SELECT, MANAGE CHANNEL, TERMINAL CAPABILITY"


def package(path: Path | None) -> tuple[bytes, str]:
    if path is not None:
        return path.read_bytes(), path.name
    data, what = base_package(None)
    if what.startswith("built"):  # no ../shared: a built profile of the TS.48 size
        data = grown_package(data, 12_200)
        what = "a built profile grown to the TS.48 size (../shared/profiles is absent)"
    return data, what


def card_time(lines: list[str]) -> dict[str, float]:
    """Card ms per ES10 function of one download's trace lines (up to its DeleteProfile);
    GET RESPONSE counts for the command it continues."""
    per_function: dict[str, float] = defaultdict(float)
    current = OTHER
    for line in lines:
        match = TRACE.search(line)
        if not match:
            continue
        name, ms = match.group(2).strip(), float(match.group(6))
        if name == "STORE DATA ES10c.DeleteProfile":
            break
        if name.startswith("STORE DATA"):
            current = name.removeprefix("STORE DATA ").strip() or "STORE DATA"
        elif name != "GET RESPONSE":
            current = OTHER
        per_function[current] += ms
    return per_function


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20)
    parser.add_argument("--profile", type=Path,
                        help="UPP to download (default: TS.48 from ../shared)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="euicc-bench-"))
    (work / "profiles").mkdir()
    upp, what = package(args.profile)
    (work / "profiles" / "BENCH.der").write_bytes(upp)
    started = time.perf_counter()
    emulator = Emulator(work / "card", verbose=2).start()
    startup = time.perf_counter() - started
    try:
        smdp = Smdp(ADDRESS, emulator.state / "pki", work / "profiles")
        httpd = serve(smdp, "127.0.0.1", 0)
        es9 = https_es9(f"127.0.0.1:{httpd.server_address[1]}")
        walls, apdus, sent, received, card = [], [], [], [], []
        card_ms: dict[str, list[float]] = defaultdict(list)
        for _ in range(args.n):
            mark = len(emulator.log)
            link = PcscLink(emulator.reader)
            with Es10Client(link) as es10:
                begun = time.perf_counter()
                result = download(es10, es9, ADDRESS, "BENCH")
                walls.append(time.perf_counter() - begun)
                assert result.ok, result.result
                apdus.append(es10.apdu_count)
                sent.append(es10.bytes_out)
                received.append(es10.bytes_in)
                aid = result.result["profileInstallationResultData"]["finalResult"][1]["aid"]
                es10.store_data(tlv(0xBF33, tlv(0x4F, aid)))
            link.close()
            time.sleep(0.2)  # let the trace lines of this download arrive
            per_function = card_time(emulator.log[mark:])
            for name, ms in per_function.items():
                card_ms[name].append(ms)
            card.append(sum(per_function.values()))
        httpd.shutdown()
    finally:
        emulator.stop()
    wall = statistics.median(walls) * 1000
    print(f"{args.n} downloads of {what}, {len(upp)} bytes")
    print(f"start-up until the card is in the reader: {startup * 1000:.0f} ms")
    print(f"wall time per download: median {wall:.1f} ms (LPA + HTTPS SM-DP+ + PC/SC + card)")
    print(f"APDUs per download: {statistics.median(apdus):.0f}, bytes to the card "
          f"{statistics.median(sent):.0f}, from the card {statistics.median(received):.0f}")
    print("card processing time per download (median ms; GET RESPONSE with its command):")
    for name in sorted(card_ms, key=lambda n: -statistics.median(card_ms[n])):
        print(f"  {name:44} {statistics.median(card_ms[name]):8.2f}")
    total = statistics.median(card)
    print(f"  {'the card in all':44} {total:8.2f}  ({total / wall:.0%} of the wall time)")
    rest = card[1:] or card
    print(f"first download after the start: card {card[0]:.2f} ms, wall "
          f"{walls[0] * 1000:.1f} ms; the others: card {statistics.median(rest):.2f} ms "
          f"({card[0] / statistics.median(rest):.2f}x), wall "
          f"{statistics.median(walls[1:] or walls) * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
