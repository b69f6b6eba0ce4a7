"""Benchmark: ES10 and ISO commands through pcscd + vpcd against a running emulator.

    euicc-emu run &            # a card in Virtual PCD 00 00
    python3 bench/es10_roundtrip.py [--reader "Virtual PCD 00 00"] [-n 200]

Prints the median and 95th percentile round trip per command as seen by a PC/SC
application (pyscard), i.e. everything: pcscd, vpcd, the card's processing and chaining.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from euicc_tools.lpa.es10 import Es10Client
from euicc_tools.lpa.link import PcscLink

COMMANDS = {
    "STATUS (no data)": None,
    "ES10c.GetEID": "BF3E035C015A",
    "ES10b.GetEUICCInfo1": "BF2000",
    "ES10b.GetEUICCInfo2": "BF2200",
    "ES10c.GetProfilesInfo": "BF2D00",
    "ES10b.ListNotification": "BF2800",
    "ES10a.GetEuiccConfiguredAddresses": "BF3C00",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reader", default="Virtual PCD 00 00")
    parser.add_argument("-n", type=int, default=200)
    args = parser.parse_args()
    link = PcscLink(args.reader)
    with Es10Client(link) as es10:
        print(f"{'command':36} {'APDUs':>5} {'median ms':>10} {'p95 ms':>8}")
        for name, command in COMMANDS.items():
            samples = []
            apdus_before = es10.apdu_count
            for _ in range(args.n):
                started = time.perf_counter()
                if command is None:
                    es10.transmit(bytes.fromhex("80F2000C"))
                else:
                    es10.store_data(bytes.fromhex(command))
                samples.append((time.perf_counter() - started) * 1000)
            samples.sort()
            apdus = (es10.apdu_count - apdus_before) / args.n
            p95 = samples[int(len(samples) * 0.95) - 1]
            print(f"{name:36} {apdus:5.1f} {statistics.median(samples):10.2f} {p95:8.2f}")
    link.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
