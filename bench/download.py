"""Benchmark: N complete profile downloads through pcscd + vpcd.

    flock /tmp/euicc-pcscd.lock python3 bench/download.py [-n 20] [--profile FILE]
                                                          [--lpac PATH]
                                                          [--smdp ADDRESS --pki DIR
                                                           --matching-id ID]

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

The peers can be independent ones, as in the setup where the operability issue's 21 ms were
measured (lpac + osmo-smdpp): ``--lpac PATH`` runs each download as unmodified lpac does it
(``lpac profile download -s ADDRESS -m ID``, its PC/SC driver on the emulator's reader, then
``lpac profile delete ICCID``; the wall time is the lpac command's, its process start
included), against the bench's own SM-DP+ at ``127.0.0.1:PORT`` (lpac takes ``host:port``)
unless ``--smdp ADDRESS`` names one this bench does not start (e.g. osmo-smdpp at
``testsmdpplus1.example.com``, which must resolve to it), whose ``--matching-id`` every
download asks for; the card then gets the ``--pki`` the SM-DP+ trusts (e.g. ../shared/sgp26).
Neither lpac nor osmo-smdpp is part of the project: install them yourself (README).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
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


def lpac_command(lpac: str, reader: str, *args: str) -> dict:
    """Run lpac with its PC/SC driver on ``reader``; its final "lpa" payload (lpac prints
    one JSON object per line), which must say success (code 0)."""
    env = {**os.environ, "LPAC_APDU": "pcsc", "LPAC_HTTP": "curl",
           "LPAC_APDU_PCSC_DRV_NAME": reader}
    for name in ("LPAC_APDU_DEBUG", "LPAC_HTTP_DEBUG", "LPAC_CUSTOM_ES10X_MSS"):
        env.pop(name, None)
    run = subprocess.run([lpac, *args], env=env, capture_output=True, text=True, timeout=120)
    final = None
    for line in run.stdout.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if isinstance(message, dict) and message.get("type") == "lpa":
            final = message.get("payload")
    if not isinstance(final, dict) or final.get("code") != 0:
        raise SystemExit(f"download.py: lpac {' '.join(args)} failed:\n"
                         f"{run.stdout}{run.stderr}")
    return final


class ProjectLpa:
    """The project's LPA driver in this process (pyscard): APDU counts and bytes known."""

    def __init__(self, reader: str, es9, address: str, matching_id: str) -> None:
        self.reader, self.es9 = reader, es9
        self.address, self.matching_id = address, matching_id

    def download_and_delete(self) -> tuple[float, tuple[int, int, int] | None]:
        link = PcscLink(self.reader)
        try:
            with Es10Client(link) as es10:
                begun = time.perf_counter()
                result = download(es10, self.es9, self.address, self.matching_id)
                wall = time.perf_counter() - begun
                if not result.ok:
                    raise SystemExit(f"download.py: the download failed: {result.result}")
                counts = (es10.apdu_count, es10.bytes_out, es10.bytes_in)
                final = result.result["profileInstallationResultData"]["finalResult"][1]
                es10.store_data(tlv(0xBF33, tlv(0x4F, final["aid"])))
        finally:
            link.close()
        return wall, counts


class Lpac:
    """Unmodified lpac, one process per operation, as a user runs it."""

    def __init__(self, lpac: str, reader: str, address: str, matching_id: str) -> None:
        self.lpac, self.reader = lpac, reader
        self.address, self.matching_id = address, matching_id

    def download_and_delete(self) -> tuple[float, tuple[int, int, int] | None]:
        begun = time.perf_counter()
        final = lpac_command(self.lpac, self.reader, "profile", "download", "-s",
                             self.address, "-m", self.matching_id)
        wall = time.perf_counter() - begun
        iccid = (final.get("data") or {}).get("iccid")
        if not iccid:
            raise SystemExit(f"download.py: lpac's download named no ICCID: {final}")
        lpac_command(self.lpac, self.reader, "profile", "delete", iccid)
        return wall, None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20)
    parser.add_argument("--profile", type=Path,
                        help="UPP to download (default: TS.48 from ../shared)")
    parser.add_argument("--lpac", metavar="PATH", help="drive the downloads with this lpac")
    parser.add_argument("--smdp", metavar="ADDRESS",
                        help="an SM-DP+ this bench does not start (needs --pki, --matching-id)")
    parser.add_argument("--pki", type=Path, help="with --smdp: the card's PKI (e.g. SGP.26)")
    parser.add_argument("--matching-id", help="with --smdp: what every download asks for")
    args = parser.parse_args()
    if args.n < 1:
        parser.error("-n must be at least 1")
    if args.smdp and not (args.pki and args.matching_id):
        parser.error("--smdp needs --pki and --matching-id")
    if (args.pki or args.matching_id) and not args.smdp:
        parser.error("--pki and --matching-id go with --smdp")
    if args.smdp and args.profile:
        parser.error("--profile is for the bench's own SM-DP+, not with --smdp")
    if args.pki and not args.pki.is_dir():
        parser.error(f"--pki {args.pki}: not a folder")
    if args.lpac and not os.access(args.lpac, os.X_OK):
        parser.error(f"--lpac {args.lpac}: not an executable file")
    work = Path(tempfile.mkdtemp(prefix="euicc-bench-"))
    upp, what = (b"", f"{args.matching_id} from {args.smdp}") if args.smdp \
        else package(args.profile)
    started = time.perf_counter()
    extra = ["--pki", str(args.pki.resolve())] if args.pki else []
    emulator = Emulator(work / "card", verbose=2, extra=extra).start()
    startup = time.perf_counter() - started
    httpd = None
    try:
        if args.smdp:
            address = connect = args.smdp
            matching_id = args.matching_id
        else:
            (work / "profiles").mkdir()
            (work / "profiles" / "BENCH.der").write_bytes(upp)
            smdp = Smdp(ADDRESS, emulator.state / "pki", work / "profiles")
            httpd = serve(smdp, "127.0.0.1", 0)
            connect = f"127.0.0.1:{httpd.server_address[1]}"
            # lpac sends the address it connects to (host:port) as the smdpAddress; set
            # before the first request
            address = smdp.address = connect if args.lpac else ADDRESS
            matching_id = "BENCH"
        lpa = Lpac(args.lpac, emulator.reader, address, matching_id) if args.lpac else \
            ProjectLpa(emulator.reader, https_es9(connect), address, matching_id)
        walls, apdus, sent, received, card = [], [], [], [], []
        card_ms: dict[str, list[float]] = defaultdict(list)
        for _ in range(args.n):
            mark = len(emulator.log)
            wall, counts = lpa.download_and_delete()
            walls.append(wall)
            if counts is not None:
                apdus.append(counts[0])
                sent.append(counts[1])
                received.append(counts[2])
            time.sleep(0.2)  # let the trace lines of this download arrive
            per_function = card_time(emulator.log[mark:])
            for name, ms in per_function.items():
                card_ms[name].append(ms)
            card.append(sum(per_function.values()))
    finally:
        if httpd is not None:
            httpd.shutdown()
        emulator.stop()
    wall = statistics.median(walls) * 1000
    peers = ("lpac" if args.lpac else "the project's LPA") + ", " + \
        (f"SM-DP+ {args.smdp}" if args.smdp else "the test SM-DP+ over HTTPS")
    print(f"{args.n} downloads of {what}" + (f", {len(upp)} bytes" if upp else "")
          + f" ({peers})")
    print(f"start-up until the card is in the reader: {startup * 1000:.0f} ms")
    print(f"wall time per download: median {wall:.1f} ms (LPA + HTTPS SM-DP+ + PC/SC + card"
          + ("; lpac's process start included)" if args.lpac else ")"))
    if apdus:
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
