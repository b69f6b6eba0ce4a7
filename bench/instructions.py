"""Benchmark: the card's own instructions per ES10 function of a TS.48 download, counted by
valgrind's callgrind: a count, which does not move with the machine's load as times do (on
the development machine single timed runs of the same code differ by up to 40%).

    python3 bench/instructions.py [-n 3] [--warm 2] [--base FILE]

How it counts only the card: a card with a seeded entropy (euicc.crypto.entropy
.SeededEntropy: the same challenges, keys and signatures for the same seed) downloads the
package ``--warm`` + ``-n`` times from the test SM-DP+ in-process through the project's LPA
(lpac's 120-byte STORE DATA blocks and BPP cut, SGP.22 3.1.3), deleting it after each, and
every command and answer is recorded. A second process, under callgrind, builds the same
card from a copy of the same state and sends it the recorded commands alone - no LPA, no
SM-DP+ - checking that every answer is the recorded one; it calls ``getpgrp`` where the
ES10 function changes, and callgrind (``--dump-before=getpgrp``) writes the instructions
since the last call each time. The warm-up downloads are left out; the report gives the
median per function (SGP.22 5.7.2 names; the pieces of LoadBoundProfilePackage, 5.7.6, that
start with no ES10 tag belong to it) and the whole download, the delete after it left out.

The seeded card's entropy is an HMAC_DRBG in Python and its signatures use RFC 6979
nonces, which cost about 0.6 M instructions of a download more than the operating system's
entropy of a card started by ``euicc-emu run``: the counts are that much above the card's.

Needs valgrind (Debian: ``apt-get install valgrind``); about ten seconds per download.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from card_cost import ADDRESS, function_of  # noqa: E402

from euicc.tlv import tlv  # noqa: E402

SEED = b"bench/instructions.py"
SKIPPED = ("other", "DeleteProfile")  # not the download's own functions


def seeded_card(state: Path):
    """The card of ``state`` with the bench's seeded entropy, powered on: (card, store)."""
    from euicc.crypto.entropy import SeededEntropy
    from euicc.pki import load_card_credentials
    from euicc.store import CardStore
    from euicc_tools.emulator.card import build_card

    store = CardStore(state)
    card = build_card(store, load_card_credentials(state / "pki"),
                      entropy=SeededEntropy(SEED))
    card.power_on()
    return card, store


class RecordingLink:
    """The LPA's link to the card, keeping every (function, command, answer)."""

    def __init__(self, card, log: list) -> None:
        self.card, self.log, self.function = card, log, "?"

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        self.function = function_of(apdu, self.function)
        response = self.card.transmit(apdu)
        self.log.append((self.function, apdu.hex(), response.hex()))
        return response[:-2], int.from_bytes(response[-2:], "big")

    def close(self) -> None:
        pass


def record(work: Path, package: bytes, downloads: int) -> Path:
    """Make the card's state (PKI generated), then record ``downloads`` downloads; the
    state before them is kept in ``work/pristine``. Returns the recording's file."""
    from euicc_tools.emulator.card import open_card
    from euicc_tools.lpa.download import download
    from euicc_tools.lpa.es10 import Es10Client
    from euicc_tools.smdp.es9 import Smdp
    from euicc_tools.testkit.in_process_es9 import es9_direct

    _, _, store = open_card(work / "pristine", None, None)  # the state and its PKI
    store.close()
    shutil.copytree(work / "pristine", work / "recorded")
    (work / "profiles").mkdir()
    (work / "profiles" / "BENCH.der").write_bytes(package)
    card, store = seeded_card(work / "recorded")
    smdp = Smdp(ADDRESS, work / "recorded" / "pki", work / "profiles")
    log: list = []
    for _ in range(downloads):
        with Es10Client(RecordingLink(card, log)) as es10:
            result = download(es10, es9_direct(smdp), ADDRESS, "BENCH")
            if not result.ok:
                raise SystemExit(f"instructions.py: the recorded download failed: "
                                 f"{result.result}")
            aid = result.result["profileInstallationResultData"]["finalResult"][1]["aid"]
            es10.store_data(tlv(0xBF33, tlv(0x4F, aid)))
        log.append(("end of download", "", ""))
    store.close()
    recording = work / "recording.json"
    recording.write_text(json.dumps(log))
    return recording


def replay(work: Path) -> int:
    """Under callgrind: the recorded commands to a card from a copy of the pristine state,
    ``getpgrp`` (a dump) before each change of function. Every answer must be the recorded
    one: a card that answers otherwise is not the card that was recorded."""
    log = json.loads((work / "recording.json").read_text())
    shutil.copytree(work / "pristine", work / "replayed")
    card, store = seeded_card(work / "replayed")
    previous = None
    for number, (function, command, answer) in enumerate(log):
        if function != previous:
            os.getpgrp()  # callgrind: --dump-before=getpgrp
            previous = function
        if not command:
            continue
        got = card.transmit(bytes.fromhex(command)).hex()
        if got != answer:
            print(f"instructions.py: command {number} ({function}) answered {got[:40]}..., "
                  f"recorded {answer[:40]}...: the replayed card is not the recorded one",
                  file=sys.stderr)
            return 1
    os.getpgrp()
    store.close()
    return 0


def segments(log: list) -> list[str]:
    """The function of each stretch between two dumps, in order."""
    names, previous = [], None
    for function, _, _ in log:
        if function != previous:
            names.append(function)
            previous = function
    return names


def counts(out: Path, names: list[str]) -> list[dict[str, int]]:
    """Instructions per function of each download, from callgrind's dumps: dump 1 is all
    before the first command, dump k + 1 the k-th stretch."""
    totals = {}
    for dump in out.parent.glob(out.name + ".*"):
        text = dump.read_text(errors="replace")
        part = next(int(line.split()[1]) for line in text.splitlines()
                    if line.startswith("part:"))
        totals[part] = next(int(line.split()[1]) for line in text.splitlines()
                            if line.startswith("totals:"))
    downloads, current = [], {}
    for index, name in enumerate(names):
        if name == "end of download":
            downloads.append(current)
            current = {}
            continue
        if name not in SKIPPED:
            current[name] = current.get(name, 0) + totals[index + 2]
    return downloads


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=3, help="downloads counted")
    parser.add_argument("--warm", type=int, default=2, help="downloads before, not counted")
    parser.add_argument("--base", type=Path, help="the package (default: the TS.48 one)")
    parser.add_argument("--replay", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.replay is not None:
        return replay(args.replay)
    if args.n < 1 or args.warm < 0:
        parser.error("-n must be at least 1 and --warm at least 0")
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        print("instructions.py: valgrind is not installed (Debian: apt-get install valgrind)",
              file=sys.stderr)
        return 2
    from euicc_tools.testkit.sized_packages import base_package

    package, what = base_package(args.base)
    with tempfile.TemporaryDirectory(prefix="euicc-instructions-") as tmp:
        work = Path(tmp)
        log = json.loads(record(work, package, args.warm + args.n).read_text())
        out = work / "callgrind.out"
        run = subprocess.run(
            [valgrind, "--tool=callgrind", "--dump-before=getpgrp",
             f"--callgrind-out-file={out}", sys.executable, __file__, "--replay", str(work)],
            capture_output=True, text=True)
        if run.returncode:
            print(run.stderr.strip().splitlines()[-1] if run.stderr.strip() else
                  f"instructions.py: the replay ended with {run.returncode}", file=sys.stderr)
            return 1
        downloads = counts(out, segments(log))[args.warm:]
    functions = sorted({f for d in downloads for f in d},
                       key=lambda f: -statistics.median(d.get(f, 0) for d in downloads))
    print(f"{what}, {len(package)} bytes; {args.n} downloads counted after {args.warm}, "
          "M instructions inside Card.transmit (medians):")
    for function in functions:
        median = statistics.median(d.get(function, 0) for d in downloads)
        print(f"  {function:28s} {median / 1e6:8.2f}")
    total = statistics.median(sum(d.values()) for d in downloads)
    print(f"  {'the download':28s} {total / 1e6:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
