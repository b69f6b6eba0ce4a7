"""Benchmark: N complete profile downloads through pcscd + vpcd.

    python3 bench/download.py [-n 20] [--profile shared/profiles/X.der]

Starts its own emulator (`euicc-emu -vv run`, fresh state, slot 0) and the test SM-DP+
(HTTPS, in-process), then runs N downloads with the project's LPA driver, deleting the
profile after each. Reports per download: wall time, APDU count and bytes, and the card's
own processing time per ES10 function (from the emulator's APDU trace, which times each
command inside the card).
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "integration"))
sys.path.insert(0, str(ROOT / "tests"))

from emulator import Emulator  # noqa: E402
from pe_builder import build_upp  # noqa: E402

from euicc.tlv import tlv  # noqa: E402
from tools.lpa.download import download, https_es9  # noqa: E402
from tools.lpa.es10 import Es10Client  # noqa: E402
from tools.lpa.link import PcscLink  # noqa: E402
from tools.smdp.es9 import Smdp  # noqa: E402
from tools.smdp.server import serve  # noqa: E402

TRACE = re.compile(r"ch\d+ STORE DATA (ES10\w\.\w+)\s+\w{4} .* ([\d.]+) ms$")
ADDRESS = "bench.smdp.example"


def built_profile() -> bytes:
    """MF, USIM, ISIM, DF.5GS and MILENAGE keys, made by the tests' package builder."""
    return build_upp("89441234000000000999", "001010000000999", algorithm="milenage",
                     k=bytes(range(16)), opc=bytes(range(16, 32)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20)
    parser.add_argument("--profile", type=Path, help="UPP to download (default: built)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="euicc-bench-"))
    (work / "profiles").mkdir()
    package = args.profile.read_bytes() if args.profile else built_profile()
    (work / "profiles" / "BENCH.der").write_bytes(package)
    emulator = Emulator(work / "card", verbose=2).start()
    try:
        smdp = Smdp(ADDRESS, emulator.state / "pki", work / "profiles")
        httpd = serve(smdp, "127.0.0.1", 0)
        es9 = https_es9(f"127.0.0.1:{httpd.server_address[1]}")
        walls, apdus, sent, received = [], [], [], []
        card_ms: dict[str, list[float]] = defaultdict(list)
        for _ in range(args.n):
            mark = len(emulator.log)
            link = PcscLink(emulator.reader)
            with Es10Client(link) as es10:
                started = time.perf_counter()
                result = download(es10, es9, ADDRESS, "BENCH")
                walls.append(time.perf_counter() - started)
                assert result.ok, result.result
                apdus.append(es10.apdu_count)
                sent.append(es10.bytes_out)
                received.append(es10.bytes_in)
                aid = result.result["profileInstallationResultData"]["finalResult"][1]["aid"]
                es10.store_data(tlv(0xBF33, tlv(0x4F, aid)))
            link.close()
            time.sleep(0.2)  # let the trace lines of this download arrive
            per_function: dict[str, float] = defaultdict(float)
            for line in emulator.log[mark:]:
                match = TRACE.search(line)
                if match:
                    per_function[match.group(1)] += float(match.group(2))
            for name, ms in per_function.items():
                card_ms[name].append(ms)
        httpd.shutdown()
    finally:
        emulator.stop()
    print(f"{args.n} downloads of a {len(package)}-byte profile package")
    print(f"wall time per download: median {statistics.median(walls) * 1000:.1f} ms")
    print(f"APDUs per download: {statistics.median(apdus):.0f}, bytes to the card "
          f"{statistics.median(sent):.0f}, from the card {statistics.median(received):.0f}")
    print("card processing time per ES10 function (median ms per download):")
    for name in sorted(card_ms, key=lambda n: -statistics.median(card_ms[n])):
        print(f"  {name:40} {statistics.median(card_ms[name]):8.2f}")
    total = [sum(v) for v in zip(*card_ms.values(), strict=False)]
    print(f"  {'all ES10 in the card':40} {statistics.median(total):8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
